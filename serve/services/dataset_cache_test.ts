import assert from "node:assert/strict";
import { test } from "node:test";
import { LoadCache } from "./dataset_cache.ts";

test("concurrent gets share one load and later gets hit the cache", async () => {
  const calls: string[] = [];
  const cache = new LoadCache(async (k: string) => {
    calls.push(k);
    await new Promise((r) => setTimeout(r, 5));
    return { key: k };
  });
  const [a, b] = await Promise.all([cache.get("v1"), cache.get("v1")]);
  assert.equal(a, b);
  assert.equal(await cache.get("v1"), a);
  assert.deepEqual(calls, ["v1"]);
  assert.equal(cache.loads, 1);
});

test("least recently used entry is evicted beyond capacity", async () => {
  const cache = new LoadCache((k: string) => Promise.resolve(k.toUpperCase()), 2);
  await cache.get("a");
  await cache.get("b");
  await cache.get("a"); // a is now most recent
  await cache.get("c"); // evicts b
  assert.deepEqual(cache.keys(), ["a", "c"]);
  await cache.get("b");
  assert.equal(cache.loads, 4);
});

test("a failed load is not cached", async () => {
  let n = 0;
  const cache = new LoadCache((_k: string) => {
    n++;
    return n === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(n);
  });
  await assert.rejects(cache.get("x"), /boom/);
  assert.deepEqual(cache.keys(), []);
  assert.equal(await cache.get("x"), 2);
  assert.throws(() => new LoadCache(() => Promise.resolve(1), 0), /capacity/);
});
