import { sha256Hex } from "../storage/mod.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { FsObjectStore, type ObjectStore, S3ObjectStore } from "../storage/mod.ts";
import { startS3Server } from "../storage/testing.ts";
import {
  buildManifest,
  ChecksumMismatchError,
  describeContent,
  type Manifest,
  type ManifestFile,
  syncObjects,
  syncStatus,
  writeIdx,
} from "./mod.ts";

/** A tiny two-split version whose objects are put into `store`. */
async function tinyVersion(store: ObjectStore, seed: number): Promise<Manifest> {
  const files: ManifestFile[] = [];
  for (const split of ["train", "test"] as const) {
    const n = split === "train" ? 3 : 2;
    const parts = [
      ["images", writeIdx([n, 2, 2], Uint8Array.from({ length: n * 4 }, (_, i) => i + seed))],
      ["labels", writeIdx([n], Uint8Array.from({ length: n }, (_, i) => (i + seed) % 10))],
    ] as const;
    for (const [kind, bytes] of parts) {
      const sha256 = sha256Hex(bytes);
      const key = `cas/sha256/${sha256.slice(0, 2)}/${sha256}`;
      await store.put(key, bytes);
      files.push({ name: `${split}-${kind}`, split, kind, key, size: bytes.length, sha256 });
    }
  }
  return buildManifest(`tiny-${seed}`, describeContent(files, { train: 3, test: 2 }, 2, 2), {
    kind: "memory",
    location: "test",
  });
}

async function exercise(local: ObjectStore, remote: ObjectStore): Promise<void> {
  const a = await tinyVersion(local, 1);
  const b = await tinyVersion(local, 2);
  const st = await syncStatus(local, remote, [a, b]);
  assert.equal(st.entries.length, 8);
  assert.equal(st.missingLocal.length, 0);
  assert.equal(st.missingRemote.length, 8);
  assert.ok(st.entries[0].refs[0].startsWith("tiny-"));

  const pushed = await syncObjects("push", local, remote, [a, b]);
  assert.equal(pushed.copied.length, 8);
  assert.equal(
    pushed.bytes,
    [...a.content.files, ...b.content.files].reduce((s, f) => s + f.size, 0),
  );
  assert.equal((await syncStatus(local, remote, [a, b])).missingRemote.length, 0);
  const again = await syncObjects("push", local, remote, [a, b]);
  assert.deepEqual([again.copied.length, again.present.length], [0, 8]);

  // Lose two objects locally; pull restores exactly those, byte for byte.
  const lost = a.content.files.slice(0, 2);
  for (const f of lost) await local.delete(f.key);
  assert.deepEqual(
    (await syncStatus(local, remote, [a, b])).missingLocal,
    lost.map((f) => f.key).sort(),
  );
  const pulled = await syncObjects("pull", local, remote, [a, b]);
  assert.deepEqual(pulled.copied.sort(), lost.map((f) => f.key).sort());
  for (const f of lost) assert.equal(sha256Hex(await local.get(f.key)), f.sha256);

  // An object missing on both sides is reported, not invented.
  const gone = b.content.files[0];
  await local.delete(gone.key);
  await remote.delete(gone.key);
  const partial = await syncObjects("pull", local, remote, [b]);
  assert.deepEqual(partial.unavailable, [gone.key]);

  // A corrupt remote object (same size, different bytes) is refused on pull.
  const victim = b.content.files[1];
  await local.delete(victim.key);
  const bytes = await remote.get(victim.key);
  bytes[bytes.length - 1] ^= 0xff;
  await remote.put(victim.key, bytes);
  await assert.rejects(syncObjects("pull", local, remote, [b]), (e: unknown) => {
    assert.ok(e instanceof ChecksumMismatchError);
    assert.ok(e.message.includes(victim.sha256));
    return true;
  });
  assert.equal(await local.stat(victim.key), null);
}

test("status/push/pull against a directory remote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-sync-" });
  const local = new FsObjectStore(join(dir, "local"));
  const remote = new FsObjectStore(join(dir, "remote"));
  try {
    await exercise(local, remote);
  } finally {
    await Promise.all([local.close(), remote.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});

test("status/push/pull against an S3 remote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-sync-s3-" });
  const server = await startS3Server();
  const local = new FsObjectStore(join(dir, "local"));
  const remote = new S3ObjectStore({
    endpoint: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    bucket: "fmnist-remote",
    prefix: "team/data",
  });
  try {
    await exercise(local, remote);
  } finally {
    await Promise.all([local.close(), remote.close()]);
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
