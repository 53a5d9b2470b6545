/**
 * The object-store contract as node:test tests, run against every implementation
 * (see `contract_test.ts`). Each test gets a fresh, empty store from the factory.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ContentCorruptError, contentKey, getContent, putContent } from "./cas.ts";
import { sha256Hex } from "./hash.ts";
import { InvalidKeyError, ObjectNotFoundError, type ObjectStore } from "./types.ts";

/** Makes a fresh empty store; `cleanup` runs after the test. */
export type StoreFactory = () => Promise<{ store: ObjectStore; cleanup(): Promise<void> }>;

const enc = (s: string) => new TextEncoder().encode(s);

/** Deterministic pseudo-random bytes (xorshift32), so big objects are not trivially compressible. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Register the contract tests for one implementation under `name`. */
export function defineStoreContract(name: string, factory: StoreFactory): void {
  const it = (title: string, fn: (store: ObjectStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const { store, cleanup } = await factory();
      try {
        await fn(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });

  it("put/get round-trip of small, empty and ~10 MB objects", async (store) => {
    const small = enc("hello fmnist");
    assert.deepEqual(await store.put("a/small.txt", small), { key: "a/small.txt", size: 12 });
    assert.deepEqual(await store.get("a/small.txt"), small);

    assert.deepEqual(await store.put("a/empty", new Uint8Array(0)), { key: "a/empty", size: 0 });
    const empty = await store.get("a/empty");
    assert.equal(empty.length, 0);
    assert.deepEqual(await store.stat("a/empty"), { key: "a/empty", size: 0 });

    const big = randomBytes(10 * 1024 * 1024 + 7, 42);
    await store.put("big/blob.bin", big);
    const back = await store.get("big/blob.bin");
    assert.equal(back.length, big.length);
    assert.equal(sha256Hex(back), sha256Hex(big));
  });

  it("overwrite replaces the whole object", async (store) => {
    await store.put("k", enc("first version, longer"));
    await store.put("k", enc("second"));
    assert.equal(new TextDecoder().decode(await store.get("k")), "second");
    assert.deepEqual(await store.stat("k"), { key: "k", size: 6 });
  });

  it("stat reports size or null", async (store) => {
    await store.put("x/y/z.bin", new Uint8Array(300));
    assert.deepEqual(await store.stat("x/y/z.bin"), { key: "x/y/z.bin", size: 300 });
    assert.equal(await store.stat("x/y/missing"), null);
    assert.equal(await store.stat("nowhere/at/all"), null);
  });

  it("list filters by prefix and sorts by key", async (store) => {
    const keys = ["b/2", "a/1", "b/10", "b/1", "ab/x", "c", "b-sibling/q"];
    for (const [i, k] of keys.entries()) await store.put(k, new Uint8Array(i + 1));
    assert.deepEqual((await store.list()).map((o) => o.key), [
      "a/1",
      "ab/x",
      "b-sibling/q",
      "b/1",
      "b/10",
      "b/2",
      "c",
    ]);
    assert.deepEqual(await store.list("b/"), [
      { key: "b/1", size: 4 },
      { key: "b/10", size: 3 },
      { key: "b/2", size: 1 },
    ]);
    // A prefix that ends mid-segment matches across directories.
    assert.deepEqual((await store.list("a")).map((o) => o.key), ["a/1", "ab/x"]);
    assert.deepEqual((await store.list("b/1")).map((o) => o.key), ["b/1", "b/10"]);
    assert.deepEqual(await store.list("zzz/"), []);
  });

  it("delete removes and is idempotent", async (store) => {
    await store.put("d/one", enc("1"));
    await store.put("d/two", enc("2"));
    await store.delete("d/one");
    await store.delete("d/one");
    await store.delete("never/existed");
    assert.equal(await store.stat("d/one"), null);
    assert.deepEqual((await store.list("d/")).map((o) => o.key), ["d/two"]);
  });

  it("get of a missing key throws ObjectNotFoundError naming the key", async (store) => {
    await assert.rejects(store.get("no/such/key"), (e: unknown) => {
      assert.ok(e instanceof ObjectNotFoundError);
      assert.equal(e.key, "no/such/key");
      assert.match(e.message, /no\/such\/key/);
      return true;
    });
  });

  it("invalid keys are rejected on every operation", async (store) => {
    for (const bad of ["../x", "/abs", "a//b", "a/../b", "", "a/", "./a", "sp ace", "a\\b"]) {
      await assert.rejects(store.put(bad, enc("x")), InvalidKeyError, `put ${bad}`);
      await assert.rejects(store.get(bad), InvalidKeyError, `get ${bad}`);
      await assert.rejects(store.stat(bad), InvalidKeyError, `stat ${bad}`);
      await assert.rejects(store.delete(bad), InvalidKeyError, `delete ${bad}`);
    }
    assert.deepEqual(await store.list(), []);
  });

  it("CAS: putContent dedupes and getContent verifies", async (store) => {
    const bytes = enc("content addressed");
    const digest = sha256Hex(bytes);
    const ref = await putContent(store, bytes);
    assert.deepEqual(ref, {
      key: `cas/sha256/${digest.slice(0, 2)}/${digest}`,
      sha256: digest,
      size: bytes.length,
    });
    assert.equal(contentKey(digest), ref.key);
    assert.deepEqual(await putContent(store, bytes), ref);
    assert.deepEqual((await store.list("cas/")).map((o) => o.key), [ref.key]);
    assert.deepEqual(await getContent(store, digest), bytes);
    // Known vector: sha256("") .
    assert.equal(
      sha256Hex(new Uint8Array(0)),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("CAS: corruption is detected with a clear error", async (store) => {
    const bytes = enc("original bytes!");
    const ref = await putContent(store, bytes);
    await store.put(ref.key, enc("tampered bytes!")); // same size: dedupe would not repair it
    await assert.rejects(getContent(store, ref.sha256), (e: unknown) => {
      assert.ok(e instanceof ContentCorruptError);
      assert.match(e.message, new RegExp(`expected sha256 ${ref.sha256}`));
      return true;
    });
    await assert.rejects(getContent(store, "0".repeat(64)), ObjectNotFoundError);
    assert.throws(() => contentKey("not-a-digest"), /invalid sha256/);
  });

  it("concurrent puts of one key leave exactly one whole object", async (store) => {
    const versions = Array.from({ length: 8 }, (_, i) => randomBytes(256 * 1024 + i, i + 1));
    await Promise.all(versions.map((v) => store.put("race/key", v)));
    const got = await store.get("race/key");
    const digests = versions.map((v) => sha256Hex(v));
    assert.ok(digests.includes(sha256Hex(got)), "result is one of the written versions");
    assert.deepEqual((await store.list("race/")).map((o) => o.key), ["race/key"]);
  });
}
