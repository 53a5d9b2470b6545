import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImageSet } from "../data/mod.ts";
import { hashImages, sameImage } from "./image_hash.ts";

function unaligned(set: ImageSet): ImageSet {
  const buf = new Uint8Array(set.images.length + 1);
  buf.set(set.images, 1);
  return { ...set, images: buf.subarray(1) };
}

test("word-wise and byte-wise hashing agree on equality, exact and quantized", () => {
  // 4×4 images: 0 and 2 identical; 1 equals 0 after dropping 4 low bits; 3 differs.
  const base = Array.from({ length: 16 }, (_, j) => 16 * ((j * 5) % 16));
  const imgs = [base, base.map((v, j) => v + (j % 16)), base, base.map((v) => 255 - v)];
  const set: ImageSet = {
    count: 4,
    rows: 4,
    cols: 4,
    images: Uint8Array.from(imgs.flat()),
    labels: new Uint8Array(4),
  };
  for (const s of [set, unaligned(set)]) {
    const exact = hashImages(s);
    assert.equal(exact[0], exact[2]);
    assert.notEqual(exact[0], exact[1]);
    assert.notEqual(exact[0], exact[3]);
    const near = hashImages(s, 4);
    assert.equal(near[0], near[1]);
    assert.equal(near[0], near[2]);
    assert.notEqual(near[0], near[3]);
    assert.ok(sameImage(s, 0, s, 1, 4));
    assert.ok(!sameImage(s, 0, s, 1));
    assert.ok(Number.isSafeInteger(exact[3]));
  }
  // Memoized per set and dropBits.
  assert.equal(hashImages(set), hashImages(set));
  assert.notEqual(hashImages(set), hashImages(set, 4));
});
