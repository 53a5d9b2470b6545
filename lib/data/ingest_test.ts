/**
 * End-to-end ingest tests on the real Debian files (~55 MB decompressed) into temp state dirs.
 * CI installs the `dataset-fashion-mnist` package, so the files are expected to be present.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { parseSettings } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import { type Ctx, openContext } from "../workspace/mod.ts";
import { listStepRuns } from "../steps/mod.ts";
import {
  ChecksumMismatchError,
  clearDatasetCache,
  DEBIAN_DIR,
  ingest,
  LABEL_NAMES,
  listVersions,
  loadDataset,
  OFFICIAL_FILES,
  readManifestFile,
} from "./mod.ts";

const REPO_MANIFEST = new URL("../../data/fashion-mnist.dvc.json", import.meta.url);

async function withCtx(fn: (ctx: Ctx, dir: string, lines: string[]) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-ingest-" });
  const lines: string[] = [];
  const log = createLogger({}, { level: "info", sink: (l) => lines.push(l) });
  const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: join(dir, "state") }), {
    manifestDir: join(dir, "data"),
    log,
  });
  clearDatasetCache();
  try {
    await fn(ctx, dir, lines);
  } finally {
    await ctx.close();
    await Deno.remove(dir, { recursive: true });
  }
}

test("ingest from the Debian files, then a second run is a no-op", async () => {
  await withCtx(async (ctx, _dir, lines) => {
    const first = await ingest(ctx, { debianDir: DEBIAN_DIR, officialUrls: [] });
    assert.equal(first.skipped, false);
    assert.equal(first.fetched, 4);
    assert.equal(first.source, `dir:${DEBIAN_DIR}`);
    assert.equal(first.bytes, OFFICIAL_FILES.reduce((a, f) => a + f.size, 0));
    for (const f of OFFICIAL_FILES) {
      const info = await ctx.store.stat(`cas/sha256/${f.sha256.slice(0, 2)}/${f.sha256}`);
      assert.equal(info?.size, f.size, f.name);
    }
    const manifest = await readManifestFile(first.manifestPath);
    assert.equal(manifest?.version, first.version);
    assert.deepEqual(manifest?.content.schema.splits, {
      train: { count: 60000 },
      test: { count: 10000 },
    });
    // The committed manifest describes the same content (version ids depend on content only).
    const committed = await readManifestFile(REPO_MANIFEST.pathname);
    if (committed) assert.equal(committed.version, first.version);
    assert.equal((await listVersions(ctx))[0].id, first.version);
    assert.ok(lines.some((l) => JSON.parse(l).msg === "progress"));

    const ds = await loadDataset(ctx);
    assert.equal(ds.version, first.version);
    assert.equal(ds.train.count, 60000);
    assert.equal(ds.test.images.length, 10000 * 28 * 28);
    const hist = new Array(LABEL_NAMES.length).fill(0);
    for (const l of ds.train.labels) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(6000)); // Fashion-MNIST is balanced

    const mtime = (await Deno.stat(first.manifestPath)).mtime;
    const second = await ingest(ctx, { debianDir: join(_dir, "gone"), officialUrls: [] });
    assert.equal(second.skipped, true);
    assert.equal(second.reason, "unchanged inputs");
    assert.equal(second.version, first.version);
    assert.deepEqual((await Deno.stat(first.manifestPath)).mtime, mtime);
    assert.ok(lines.some((l) => JSON.parse(l).msg === "dataset unchanged"));
    assert.equal((await listStepRuns(ctx.db, "data.ingest")).length, 1);
  });
});

test("ingest reuses verified objects already in the store (after a pull) without a source", async () => {
  await withCtx(async (ctx, dir) => {
    const first = await ingest(ctx, { debianDir: DEBIAN_DIR, officialUrls: [] });
    await Deno.remove(first.manifestPath); // e.g. a fresh checkout before the manifest existed
    const again = await ingest(ctx, {
      debianDir: join(dir, "nowhere"),
      officialUrls: ["http://127.0.0.1:9/"],
    });
    assert.equal(again.skipped, false);
    assert.match(again.reason, /outputs missing: file .*fashion-mnist\.dvc\.json/);
    assert.equal(again.fetched, 0);
    assert.equal(again.source, "store");
    assert.equal(again.version, first.version);
  });
});

test("a corrupt source fails naming the file, leaves no manifest or version; a rerun completes", async () => {
  await withCtx(async (ctx, dir) => {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    for (const f of OFFICIAL_FILES) {
      await Deno.copyFile(join(DEBIAN_DIR, `${f.name}.gz`), join(src, `${f.name}.gz`));
    }
    // Replace the small test-labels file by a valid IDX file with different labels.
    const bad = join(src, "t10k-labels-idx1-ubyte.gz");
    const gz = await Deno.readFile(bad);
    const plain = new Uint8Array(
      await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")))
        .arrayBuffer(),
    );
    plain[100] = (plain[100] + 1) % 10;
    await Deno.remove(bad);
    await Deno.writeFile(join(src, "t10k-labels-idx1-ubyte"), plain);
    await assert.rejects(ingest(ctx, { source: src }), (e: unknown) => {
      assert.ok(e instanceof ChecksumMismatchError);
      assert.match(e.message, /t10k-labels-idx1-ubyte/);
      assert.ok(e.message.includes(OFFICIAL_FILES[3].sha256));
      return true;
    });
    assert.equal(await readManifestFile(join(dir, "data", "fashion-mnist.dvc.json")), null);
    assert.deepEqual(await listVersions(ctx), []);
    const runs = await listStepRuns(ctx.db, "data.ingest");
    assert.deepEqual(runs.map((r) => r.status), ["failed"]);
    // The rerun from a good source completes (earlier files come from the store).
    const ok = await ingest(ctx, { source: DEBIAN_DIR });
    assert.equal(ok.skipped, false);
    assert.equal(ok.fetched, 1);
    assert.equal((await listVersions(ctx)).length, 1);
  });
});

test("ingest from an http(s) source retries a flaky server and verifies every file", async () => {
  await withCtx(async (ctx) => {
    const hits = new Map<string, number>();
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const name = new URL(req.url).pathname.split("/").pop() ?? "";
      const n = (hits.get(name) ?? 0) + 1;
      hits.set(name, n);
      if (n === 1) return new Response("try again", { status: 503 });
      const file = await Deno.open(join(DEBIAN_DIR, name)).catch(() => null);
      return file ? new Response(file.readable) : new Response("no", { status: 404 });
    });
    try {
      const base = `http://127.0.0.1:${server.addr.port}/fashion`;
      const r = await ingest(ctx, { source: base, fetch: { backoffMs: 5 } });
      assert.equal(r.fetched, 4);
      assert.equal(r.source, `url:${base}/`);
      assert.deepEqual([...hits.values()], [2, 2, 2, 2]);
      const m = await readManifestFile(r.manifestPath);
      assert.deepEqual(m?.source, { kind: "url", location: `${base}/` });
    } finally {
      await server.shutdown();
    }
  });
});
