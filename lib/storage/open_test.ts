/** openStore / openStoreAt location parsing and copyObjects between FS and S3 stores. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseSettings, statePaths } from "../config/mod.ts";
import { getContent, putContent } from "./cas.ts";
import { FsObjectStore } from "./fs.ts";
import { copyObjects, openStore, openStoreAt } from "./open.ts";
import { S3ObjectStore } from "./s3.ts";
import { type S3TestServer, startS3Server } from "./testing.ts";
import { ObjectNotFoundError } from "./types.ts";

let s3: S3TestServer;
before(async () => {
  s3 = await startS3Server();
});
after(async () => {
  await s3.close();
});

const s3Env = () => ({
  S3_ENDPOINT: s3.endpoint,
  S3_ACCESS_KEY: s3.accessKey,
  S3_SECRET_KEY: s3.secretKey,
});

test("openStore: FS under the state dir by default, S3 when S3_ENDPOINT is set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fs = openStore(parseSettings({ FMNIST_STATE_DIR: dir }));
    assert.ok(fs instanceof FsObjectStore);
    assert.equal(fs.location, statePaths(dir).objects);
    await fs.put("x/y", new Uint8Array([1]));
    assert.deepEqual(
      await Deno.readFile(join(statePaths(dir).objects, "x", "y")),
      new Uint8Array([1]),
    );

    const remote = openStore(
      parseSettings({ FMNIST_STATE_DIR: dir, ...s3Env(), S3_BUCKET: "ws-main" }),
    );
    assert.equal(remote.kind, "s3");
    assert.equal(remote.location, "s3://ws-main");
    await remote.put("hello", new TextEncoder().encode("hi"));
    assert.deepEqual(await remote.list(), [{ key: "hello", size: 2 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("openStoreAt parses s3://bucket/prefix, file:// and directory locations", () => {
  const withS3 = parseSettings(s3Env());
  const a = openStoreAt("s3://remote-bucket/team/fmnist/", withS3);
  assert.ok(a instanceof S3ObjectStore);
  assert.equal(a.location, "s3://remote-bucket/team/fmnist");
  assert.equal(openStoreAt("s3://remote-bucket", withS3).location, "s3://remote-bucket");
  assert.throws(
    () => openStoreAt("s3://remote-bucket/p", parseSettings({})),
    /needs S3 credentials: set FMNIST_REMOTE_S3_ENDPOINT, FMNIST_REMOTE_S3_ACCESS_KEY and FMNIST_REMOTE_S3_SECRET_KEY/,
  );
  assert.throws(() => openStoreAt("s3://b/../x", withS3), /invalid object key/);
  assert.throws(() => openStoreAt("gs://b/x", withS3), /unsupported store location gs:\/\/b\/x/);
  assert.throws(() => openStoreAt("  ", withS3), /empty store location/);
  const f = openStoreAt("file:///tmp/some%20dir", withS3);
  assert.equal(f.kind, "fs");
  assert.equal(f.location, "/tmp/some dir");
  assert.equal(openStoreAt("rel/dir", withS3).location, join(Deno.cwd(), "rel/dir"));
});

test("a local FS workspace reaches an s3:// remote through FMNIST_REMOTE_S3_* alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const settings = parseSettings({
      FMNIST_STATE_DIR: dir,
      FMNIST_REMOTE_S3_ENDPOINT: s3.endpoint,
      FMNIST_REMOTE_S3_ACCESS_KEY: s3.accessKey,
      FMNIST_REMOTE_S3_SECRET_KEY: s3.secretKey,
    });
    const local = openStore(settings);
    assert.equal(local.kind, "fs");
    const remote = openStoreAt("s3://remote-only/team", settings);
    assert.equal(remote.kind, "s3");
    const ref = await putContent(local, new TextEncoder().encode("remote-only"));
    const push = await copyObjects(local, remote);
    assert.deepEqual(push.copied, [ref.key]);
    assert.equal(new TextDecoder().decode(await getContent(remote, ref.sha256)), "remote-only");
    assert.throws(
      () => parseSettings({ FMNIST_REMOTE_S3_ENDPOINT: s3.endpoint }),
      /FMNIST_REMOTE_S3_ACCESS_KEY/,
    );
    await remote.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("copyObjects pushes missing keys FS → S3 and pulls them back, skipping present ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const local = new FsObjectStore(join(dir, "local"));
    const remote = openStoreAt("s3://sync-test/ws", parseSettings(s3Env()));
    const refs = [];
    for (let i = 0; i < 5; i++) {
      refs.push(await putContent(local, new Uint8Array(1000 + i).fill(i)));
    }
    await local.put("manifests/v1.json", new TextEncoder().encode("{}"));

    // Remote already holds one object with the same size: it is skipped.
    await remote.put(refs[0].key, await local.get(refs[0].key));
    const progress: number[] = [];
    const push = await copyObjects(local, remote, undefined, (done) => progress.push(done));
    assert.equal(push.copied.length, 5);
    assert.deepEqual(push.skipped, [refs[0].key]);
    assert.equal(push.bytes, 1001 + 1002 + 1003 + 1004 + 2);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await remote.list(), await local.list());

    const again = await copyObjects(local, remote);
    assert.deepEqual(again.copied, []);

    // Pull only selected keys into a fresh store; content verifies.
    const fresh = new FsObjectStore(join(dir, "fresh"));
    const pull = await copyObjects(remote, fresh, [refs[3].key, refs[4].key]);
    assert.deepEqual(pull.copied, [refs[3].key, refs[4].key]);
    assert.deepEqual(await getContent(fresh, refs[4].sha256), new Uint8Array(1004).fill(4));
    assert.deepEqual((await fresh.list()).map((o) => o.key), [refs[3].key, refs[4].key].sort());

    await assert.rejects(copyObjects(remote, fresh, ["missing/key"]), ObjectNotFoundError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("an unreachable S3 endpoint fails with a message naming the bucket and settings", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const store = new S3ObjectStore({
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: "a",
    secretKey: "b",
    bucket: "nowhere",
  });
  await assert.rejects(
    store.put("k", new Uint8Array(1)),
    /cannot open S3 bucket nowhere: .*check S3_ENDPOINT/,
  );
  assert.throws(
    () => new S3ObjectStore({ endpoint: "ftp://x", accessKey: "a", secretKey: "b", bucket: "bb" }),
    /scheme must be http or https/,
  );
});
