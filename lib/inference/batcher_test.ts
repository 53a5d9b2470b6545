import assert from "node:assert/strict";
import { test } from "node:test";
import { MicroBatcher } from "./batcher.ts";
import { LruCache } from "./cache.ts";
import { parseInstances } from "./instances.ts";

/** A runner doubling each input value (2 values in, 2 out) that records batch sizes. */
function doubling(sizes: number[]) {
  return (inputs: Float32Array, count: number) => {
    sizes.push(count);
    return inputs.slice(0, count * 2).map((v) => v * 2);
  };
}

test("batcher: concurrent submits coalesce, results go back to their callers", async () => {
  const sizes: number[] = [];
  const b = new MicroBatcher(doubling(sizes), {
    inputSize: 2,
    outputSize: 2,
    maxBatch: 8,
    maxWaitMs: 5,
  });
  const outs = await Promise.all(
    Array.from({ length: 20 }, (_, i) => b.submit(Float32Array.from([i, i + 0.5]), 1)),
  );
  outs.forEach((o, i) => assert.deepEqual([...o], [2 * i, 2 * i + 1]));
  assert.deepEqual(sizes, [8, 8, 4]);
  assert.equal(b.pending, 0);
});

test("batcher: a request larger than maxBatch is split and reassembled", async () => {
  const sizes: number[] = [];
  const b = new MicroBatcher(doubling(sizes), {
    inputSize: 2,
    outputSize: 2,
    maxBatch: 4,
    maxWaitMs: 0,
  });
  const x = Float32Array.from({ length: 20 }, (_, i) => i);
  const [big, small] = await Promise.all([b.submit(x, 10), b.submit(Float32Array.from([7, 7]), 1)]);
  assert.deepEqual([...big], [...x].map((v) => v * 2));
  assert.deepEqual([...small], [14, 14]);
  assert.deepEqual(sizes, [4, 4, 3]);
});

test("batcher: a failing batch rejects only its requests; later ones still run", async () => {
  let fail = true;
  const b = new MicroBatcher((x, n) => {
    if (fail) {
      fail = false;
      throw new Error("boom");
    }
    return x.slice(0, n * 2);
  }, { inputSize: 2, outputSize: 2, maxBatch: 2, maxWaitMs: 1 });
  const r = await Promise.allSettled([1, 2, 3].map((i) => b.submit(Float32Array.from([i, i]), 1)));
  assert.deepEqual(r.map((x) => x.status), ["rejected", "rejected", "fulfilled"]);
  assert.throws(
    () => new MicroBatcher(doubling([]), { inputSize: 2, outputSize: 2, maxBatch: 0 }),
    /maxBatch/,
  );
});

test("lru: evicts the least recently used entry", async () => {
  const c = new LruCache(2);
  const v = (x: number) => Float32Array.from([x]);
  await c.setMany([["a", v(1)], ["b", v(2)]]);
  await c.getMany(["a"]); // a is now most recent
  await c.setMany([["c", v(3)]]);
  const [a, b, cc] = await c.getMany(["a", "b", "c"]);
  assert.deepEqual([a?.[0], b, cc?.[0]], [1, null, 3]);
  assert.equal(c.size, 2);
});

test("instances: flat and nested pack identically; bad shapes name the place", () => {
  const flat = Array.from({ length: 784 }, (_, i) => (i % 256) / 255);
  const nested = Array.from({ length: 28 }, (_, r) => flat.slice(r * 28, r * 28 + 28));
  const a = parseInstances({ instances: [flat] }), b = parseInstances({ instances: [nested] });
  assert.deepEqual(a.pixels, b.pixels);
  assert.equal(a.count, 1);
  assert.throws(
    () => parseInstances({ instances: [flat.slice(2)] }),
    /got an array of 782 at instances\[0\]/,
  );
  const bad = [...flat];
  bad[5] = -0.1;
  assert.throws(
    () => parseInstances({ instances: [flat, bad] }),
    /pixel value -0\.1.* at instances\[1\]\[5\]/,
  );
  assert.throws(() => parseInstances({ instances: [flat] }, 0), /at most 0/);
  assert.throws(() => parseInstances({ instances: [flat], x: 1 }), /Unrecognized|x/);
});

test("batcher: async runner keeps up to maxInFlight batches running; split request fails whole", async () => {
  let running = 0, peak = 0;
  const sizes: number[] = [];
  const b = new MicroBatcher(async (x, n) => {
    running++;
    peak = Math.max(peak, running);
    sizes.push(n);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    if (x[0] === -1) throw new Error("bad batch");
    return x.slice(0, n * 2).map((v) => v + 1);
  }, { inputSize: 2, outputSize: 2, maxBatch: 4, maxWaitMs: 0, maxInFlight: 3 });
  const outs = await Promise.all(
    Array.from({ length: 24 }, (_, i) => b.submit(Float32Array.from([i, -i]), 1)),
  );
  outs.forEach((o, i) => assert.deepEqual([...o], [i + 1, -i + 1]));
  assert.equal(peak, 3, "three batches ran at once, never more");
  assert.equal(sizes.reduce((a, c) => a + c, 0), 24);
  assert.equal(b.inFlight, 0);
  // A request split over two batches ([small, big 0..2], [big 3..5]) whose second part fails:
  // the request rejects; the other request in its first batch is answered.
  const big = Float32Array.from({ length: 12 }, (_, i) => (i === 6 ? -1 : i));
  const [small, r] = await Promise.allSettled([
    b.submit(Float32Array.from([5, 5]), 1),
    b.submit(big, 6),
  ]);
  assert.equal(small.status, "fulfilled");
  assert.equal(r.status, "rejected");
  assert.equal(b.pending, 0);
  assert.equal(b.inFlight, 0);
});

test("batcher: requests waiting together are split over the free slots (≥ minSplit each)", async () => {
  const sizes: number[] = [];
  const run = async (x: Float32Array, n: number) => {
    sizes.push(n);
    await new Promise((r) => setTimeout(r, 2));
    return x.slice(0, n * 2);
  };
  const opts = { inputSize: 2, outputSize: 2, maxBatch: 64, maxWaitMs: 0, maxInFlight: 2 };
  const split = new MicroBatcher(run, { ...opts, minSplit: 4 });
  await Promise.all(Array.from({ length: 20 }, (_, i) => split.submit(Float32Array.of(i, i), 1)));
  assert.deepEqual(sizes, [10, 10], "a convoy of 20 runs as two batches at once");
  sizes.length = 0;
  const floor = new MicroBatcher(run, { ...opts, minSplit: 8 });
  await Promise.all(Array.from({ length: 10 }, (_, i) => floor.submit(Float32Array.of(i, i), 1)));
  assert.deepEqual(sizes, [8, 2], "no batch below minSplit while more are waiting");
});
