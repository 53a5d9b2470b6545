/** Filesystem-specific behaviour of FsObjectStore (the shared contract is in contract_test.ts). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { FsObjectStore } from "./fs.ts";
import { ObjectNotFoundError } from "./types.ts";

test("fs: keys map to files under the root; temp files are never listed", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = new FsObjectStore(root);
    await store.put("cas/sha256/ab/abcd", new Uint8Array([7, 8]));
    assert.deepEqual(
      await Deno.readFile(join(root, "cas", "sha256", "ab", "abcd")),
      new Uint8Array([7, 8]),
    );
    // A leftover temp file from a crashed writer is invisible.
    await Deno.writeFile(join(root, "cas", "sha256", "ab", ".~tmp-crashed"), new Uint8Array(3));
    assert.deepEqual(await store.list(), [{ key: "cas/sha256/ab/abcd", size: 2 }]);
    // No temp files left behind by successful puts.
    const names = await Array.fromAsync(
      Deno.readDir(join(root, "cas", "sha256", "ab")),
      (e) => e.name,
    );
    assert.deepEqual(names.sort(), [".~tmp-crashed", "abcd"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

test("fs: a key that is a prefix of other keys is not an object", async () => {
  const root = await Deno.makeTempDir();
  try {
    const store = new FsObjectStore(root);
    await store.put("a/b", new Uint8Array(1));
    await assert.rejects(store.get("a"), ObjectNotFoundError);
    assert.equal(await store.stat("a"), null);
    await assert.rejects(
      store.put("a", new Uint8Array(1)),
      /cannot store a in .*prefix of another key/,
    );
    await assert.rejects(store.put("a/b/c", new Uint8Array(1)), /cannot store a\/b\/c in .*prefix/);
    await assert.rejects(store.get("a/b/c"), ObjectNotFoundError);
    assert.deepEqual(await store.list(), [{ key: "a/b", size: 1 }]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

test("removeStaleTemps deletes only old leftovers of crashed writes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new FsObjectStore(dir);
    await store.put("cas/aa/object", new Uint8Array([1]));
    const old = join(dir, "cas", "aa", ".~tmp-crashed");
    const fresh = join(dir, "cas", "aa", ".~tmp-in-flight");
    await Deno.writeFile(old, new Uint8Array(10));
    await Deno.writeFile(fresh, new Uint8Array(10));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await Deno.utime(old, twoHoursAgo, twoHoursAgo);
    assert.equal(await store.removeStaleTemps(), 1);
    await assert.rejects(Deno.stat(old), Deno.errors.NotFound);
    assert.ok((await Deno.stat(fresh)).isFile);
    assert.deepEqual((await store.list()).map((o) => o.key), ["cas/aa/object"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
