import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachDb } from "../db/testing.ts";
import type { Db } from "../db/mod.ts";
import { FsObjectStore } from "../storage/mod.ts";
import {
  ChecksumMismatchError,
  clearDatasetCache,
  type DataCtx,
  DatasetUnavailableError,
  getVersion,
  type ImageSet,
  listVersions,
  loadDataset,
  ManifestError,
  readManifestFile,
  saveDatasetVersion,
  VersionNotFoundError,
  versionOf,
} from "./mod.ts";

function imageSet(count: number, seed: number): ImageSet {
  return {
    count,
    rows: 4,
    cols: 3,
    images: Uint8Array.from({ length: count * 12 }, (_, i) => (i * 31 + seed) % 256),
    labels: Uint8Array.from({ length: count }, (_, i) => (i + seed) % 10),
  };
}

async function withData(db: Db, fn: (ctx: DataCtx, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-versions-" });
  const store = new FsObjectStore(join(dir, "objects"));
  clearDatasetCache();
  try {
    await fn({ store, db, manifestDir: join(dir, "data") }, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

forEachDb(
  "saveDatasetVersion → loadDataset round-trips, idempotent and content-addressed",
  async (db) => {
    await withData(db, async (ctx) => {
      const train = imageSet(5, 1);
      const test = imageSet(2, 7);
      const m = await saveDatasetVersion(ctx, { train, test }, { name: "tiny" });
      assert.equal(m.version, versionOf(m.content));
      assert.equal(m.content.files.length, 4);
      assert.ok(
        m.content.files.every((f) => f.key === `cas/sha256/${f.sha256.slice(0, 2)}/${f.sha256}`),
      );
      const ds = await loadDataset(ctx, "tiny");
      assert.equal(ds.version, m.version);
      assert.deepEqual(ds.train, train);
      assert.deepEqual(ds.test, test);
      // By full id and by prefix; cached loads return the same object.
      assert.equal(await loadDataset(ctx, m.version), ds);
      assert.equal(
        (await loadDataset(ctx, m.version.slice(0, 8), { fresh: true })).version,
        m.version,
      );
      // Same content again → same version, no new row; a different timestamp does not matter.
      const again = await saveDatasetVersion(ctx, { train, test }, { name: "tiny" });
      assert.equal(again.version, m.version);
      assert.equal((await listVersions(ctx)).length, 1);
      // Different content → a new version; the name now points to it.
      const other = await saveDatasetVersion(ctx, { train: imageSet(5, 2), test }, {
        name: "tiny",
      });
      assert.notEqual(other.version, m.version);
      const list = await listVersions(ctx, "tiny");
      assert.equal(list.length, 2);
      assert.deepEqual(list[0].counts, { train: 5, test: 2 });
      assert.equal((await getVersion(ctx, "tiny")).version, other.version);
      assert.equal((await getVersion(ctx, m.version)).version, m.version);
    });
  },
);

forEachDb("loadDataset detects missing and corrupted objects", async (db) => {
  await withData(db, async (ctx, dir) => {
    const m = await saveDatasetVersion(ctx, { train: imageSet(3, 1), test: imageSet(2, 2) }, {
      name: "tiny",
    });
    const f = m.content.files[0];
    const path = join(dir, "objects", ...f.key.split("/"));
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    await Deno.writeFile(path, bytes);
    await assert.rejects(loadDataset(ctx, "tiny"), (e: unknown) => {
      assert.ok(e instanceof ChecksumMismatchError);
      assert.ok(e.message.includes(f.name));
      assert.ok(e.message.includes(f.sha256));
      return true;
    });
    await ctx.store.delete(f.key);
    await assert.rejects(loadDataset(ctx, "tiny"), (e: unknown) => {
      assert.ok(e instanceof DatasetUnavailableError);
      assert.match(e.message, /missing from the object store.*data:pull/);
      return true;
    });
  });
});

forEachDb(
  "getVersion errors: unknown and invalid refs; tampered manifests are rejected",
  async (db) => {
    await withData(db, async (ctx) => {
      await assert.rejects(getVersion(ctx, "nope"), VersionNotFoundError);
      await assert.rejects(getVersion(ctx, "../etc/passwd"), /invalid dataset reference/);
      await assert.rejects(loadDataset(ctx), /pipeline:data/);
      const m = await saveDatasetVersion(ctx, { train: imageSet(3, 1), test: imageSet(2, 2) }, {
        name: "tiny",
      });
      const path = join(ctx.manifestDir, "tiny.dvc.json");
      const doc = JSON.parse(await Deno.readTextFile(path));
      assert.equal((await readManifestFile(path))?.version, m.version);
      doc.content.schema.splits.train.count = 4;
      await Deno.writeTextFile(path, JSON.stringify(doc));
      await assert.rejects(readManifestFile(path), (e: unknown) => {
        assert.ok(e instanceof ManifestError);
        assert.match(e.message, /was edited/);
        return true;
      });
      await Deno.writeTextFile(path, "{not json");
      await assert.rejects(readManifestFile(path), /not valid JSON/);
    });
  },
);
