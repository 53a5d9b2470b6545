import { sha256Hex } from "../lib/storage/mod.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { statePaths } from "../lib/config/mod.ts";
import {
  buildManifest,
  describeContent,
  type Manifest,
  type ManifestFile,
  writeIdx,
  writeManifestFile,
} from "../lib/data/mod.ts";
import { FsObjectStore, S3ObjectStore } from "../lib/storage/mod.ts";
import { startS3Server } from "../lib/storage/testing.ts";
import { main } from "./data_sync.ts";

/** Run `main` capturing what it prints. */
async function run(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(argv, env);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** A workspace with a tiny committed manifest whose objects are in the local store. */
async function workspace(
  dir: string,
): Promise<{ manifest: Manifest; env: Record<string, string> }> {
  const local = new FsObjectStore(statePaths(join(dir, "state")).objects);
  const files: ManifestFile[] = [];
  for (const split of ["train", "test"] as const) {
    for (const kind of ["images", "labels"] as const) {
      const bytes = kind === "images"
        ? writeIdx([2, 2, 2], Uint8Array.of(1, 2, 3, 4, 5, 6, 7, split.length))
        : writeIdx([2], Uint8Array.of(1, split === "train" ? 2 : 3));
      const sha256 = sha256Hex(bytes);
      const key = `cas/sha256/${sha256.slice(0, 2)}/${sha256}`;
      await local.put(key, bytes);
      files.push({ name: `${split}-${kind}`, split, kind, key, size: bytes.length, sha256 });
    }
  }
  await local.close();
  const manifest = buildManifest("tiny", describeContent(files, { train: 2, test: 2 }, 2, 2), {
    kind: "memory",
    location: "test",
  });
  await writeManifestFile(join(dir, "data"), manifest);
  return {
    manifest,
    env: { FMNIST_STATE_DIR: join(dir, "state"), LOG_LEVEL: "error" },
  };
}

test("data sync CLI: status, push, pull with a directory remote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-sync-cli-" });
  try {
    const { manifest, env } = await workspace(dir);
    const flags = ["--remote", join(dir, "remote"), "--data-dir", join(dir, "data")];
    const st = await run(["status", ...flags], env);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /4 object\(s\): 0 missing locally \(pull\), 4 missing remotely \(push\)/);
    assert.match(st.out, /local present {2}remote MISSING {2}cas\/sha256\//);

    const push = await run(["push", ...flags], env);
    assert.equal(push.code, 0, push.err);
    assert.match(push.out, /push: 4 object\(s\) copied/);
    const remote = new FsObjectStore(join(dir, "remote"));
    for (const f of manifest.content.files) assert.equal((await remote.stat(f.key))?.size, f.size);

    // A fresh clone: empty state, same manifests → pull restores every object.
    const clone = { ...env, FMNIST_STATE_DIR: join(dir, "clone") };
    const pull = await run(["pull", ...flags, "--json"], clone);
    assert.equal(pull.code, 0, pull.err);
    assert.equal(JSON.parse(pull.out).copied.length, 4);
    const st2 = await run(["status", ...flags, "--json"], clone);
    assert.deepEqual(JSON.parse(st2.out).missingLocal, []);

    // Both sides lose one object → pull reports it and exits 1.
    const f = manifest.content.files[0];
    await remote.delete(f.key);
    await new FsObjectStore(statePaths(join(dir, "clone")).objects).delete(f.key);
    const partial = await run(["pull", ...flags], clone);
    assert.equal(partial.code, 1);
    assert.match(partial.out, new RegExp(`unavailable on both sides: ${f.key}`));
    await remote.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("data sync CLI: push to and pull from an S3 remote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-sync-cli-s3-" });
  const server = await startS3Server();
  try {
    const { manifest, env } = await workspace(dir);
    // With S3 settings the workspace store is S3 too (bucket `fmnist`); the remote is another bucket.
    const s3env = {
      ...env,
      S3_ENDPOINT: server.endpoint,
      S3_ACCESS_KEY: server.accessKey,
      S3_SECRET_KEY: server.secretKey,
      FMNIST_REMOTE: "s3://fmnist-remote/shared",
    };
    const s3 = (bucket: string, prefix?: string) =>
      new S3ObjectStore({
        endpoint: server.endpoint,
        accessKey: server.accessKey,
        secretKey: server.secretKey,
        bucket,
        prefix,
      });
    const ws = s3("fmnist");
    const local = new FsObjectStore(statePaths(join(dir, "state")).objects);
    for (const f of manifest.content.files) await ws.put(f.key, await local.get(f.key));
    const dataDir = ["--data-dir", join(dir, "data")];
    const push = await run(["push", ...dataDir], s3env);
    assert.equal(push.code, 0, push.err);
    assert.match(push.out, /push: 4 object\(s\) copied/);
    const remote = s3("fmnist-remote", "shared");
    for (const f of manifest.content.files) {
      assert.equal(sha256Hex(await remote.get(f.key)), f.sha256);
    }
    await ws.delete(manifest.content.files[2].key);
    const pull = await run(["pull", ...dataDir, "--json"], s3env);
    assert.equal(pull.code, 0, pull.err);
    assert.deepEqual(JSON.parse(pull.out).copied, [manifest.content.files[2].key].sort());
    await Promise.all([ws.close(), remote.close(), local.close()]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

test("data sync CLI: bad usage exits 2 with a message", async () => {
  const env = { FMNIST_STATE_DIR: "/nonexistent-never-written" };
  const bad = await run(["status", "--bogus"], env);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^data:status: Unknown option '--bogus' \(see --help\)$/);
  assert.equal((await run(["frobnicate", "--remote", "/tmp/x"], env)).code, 2);
  assert.equal((await run([], env)).code, 2);
  const noRemote = await run(["status"], env);
  assert.equal(noRemote.code, 2);
  assert.match(noRemote.err, /no remote/);
  assert.match(
    (await run(["status", "--remote", "ftp://x/y"], env)).err,
    /unsupported store location/,
  );
  const help = await run(["--help"], env);
  assert.equal(help.code, 0);
  assert.match(help.out, /usage: deno task data:status/);
});
