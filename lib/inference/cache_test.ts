import assert from "node:assert/strict";
import { LruCache } from "./cache.ts";

const v = (x: number) => new Float32Array([x]);

Deno.test("LruCache: keeps the most recently used entries up to its capacity", async () => {
  const c = new LruCache(2);
  await c.setMany([["a", v(1)], ["b", v(2)]]);
  assert.deepEqual(await c.getMany(["a"]), [v(1)]); // a is now the most recent
  await c.setMany([["c", v(3)]]); // evicts b
  assert.equal(c.size, 2);
  assert.deepEqual(await c.getMany(["a", "b", "c"]), [v(1), null, v(3)]);
  await c.close();
  assert.equal(c.size, 0);
});

Deno.test("LruCache: capacity 0 keeps nothing; a bad capacity is refused", async () => {
  const c = new LruCache(0);
  await c.setMany([["a", v(1)]]);
  assert.deepEqual(await c.getMany(["a"]), [null]);
  assert.throws(() => new LruCache(-1), /maxEntries/);
  assert.throws(() => new LruCache(1.5), /maxEntries/);
});
