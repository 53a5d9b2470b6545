/**
 * Image headers and the per-request budget: dimensions read from PNG IHDR and JPEG SOF without
 * decoding (agreeing with the decoders), corrupt headers refused with a clear message, budgets
 * enforced on pixels and on decoded bytes; and the decode pool answers like inline decoding.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/mod.ts";
import { ImageDecodePool } from "./decode_pool.ts";
import { decodeImage, ImageInputError, preprocessImage } from "./image.ts";
import { preprocessImages } from "./image_batch.ts";
import {
  checkImageBudget,
  DEFAULT_IMAGE_BUDGET,
  ImageBudgetError,
  readImageHeader,
} from "./image_budget.ts";
import { garmentCutoutPng, garmentPhotoJpeg, largeGrayPng } from "./photos_testing.ts";

const garment = new Uint8Array(784).map((_, i) => ((i % 28) > 6 && (i % 28) < 22 ? 200 : 0));

test("header dimensions match the decoders' for PNG and JPEG", () => {
  for (const [w, h] of [[60, 80], [301, 7], [1, 1]]) {
    const png = garmentCutoutPng(garment, { width: w, height: h });
    const jpg = garmentPhotoJpeg(garment, { width: w, height: h });
    for (const bytes of [png, jpg]) {
      const hd = readImageHeader(bytes);
      const { image } = decodeImage(bytes);
      assert.deepEqual([hd.width, hd.height], [image.width, image.height]);
      assert.ok(hd.decodedBytes >= image.data.length);
    }
  }
  const bomb = readImageHeader(largeGrayPng(6000, 6000));
  assert.deepEqual([bomb.format, bomb.width, bomb.height], ["png", 6000, 6000]);
  assert.equal(bomb.decodedBytes, 6000 * 6001 + 6000 * 6000 * 4);
});

test("corrupt, truncated and unknown headers are refused with a clear message", () => {
  const png = garmentCutoutPng(garment, { width: 30, height: 30 });
  const jpg = garmentPhotoJpeg(garment, { width: 30, height: 30 });
  const bad: [Uint8Array, RegExp][] = [
    [png.slice(0, 20), /truncated PNG/],
    [Uint8Array.from([...png.slice(0, 12), 0x49, 0x44, 0x41, 0x54, ...png.slice(16)]), /IHDR/],
    [jpg.slice(0, 4), /no frame header/],
    [Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), /no frame header/],
    [new TextEncoder().encode("GIF89a......"), /not a PNG or JPEG/],
    [largeGrayPng(0, 10), /empty/],
  ];
  for (const [bytes, re] of bad) assert.throws(() => readImageHeader(bytes), re);
  const colour = png.slice();
  colour[25] = 5; // no such PNG colour type
  assert.throws(() => readImageHeader(colour), ImageInputError);
});

test("the budget counts the request's pixels and decoded bytes", () => {
  const budget = { maxPixels: 1_000_000, maxDecodedBytes: 8_000_000 };
  const h = (w: number, ht: number) => readImageHeader(largeGrayPng(w, ht));
  checkImageBudget([h(1000, 1000)], budget);
  assert.throws(
    () => checkImageBudget([h(1000, 600), h(1000, 600)], budget),
    (e) => e instanceof ImageBudgetError && /2 images total = 1\.2 MP/.test(e.message),
  );
  assert.throws(
    () => checkImageBudget([h(1000, 1000)], { ...budget, maxDecodedBytes: 4_000_000 }),
    /would take 5 MiB, over the per-request budget of 4 MiB/,
  );
  assert.throws(
    () => checkImageBudget([h(6000, 6000)], DEFAULT_IMAGE_BUDGET),
    /6000×6000 = 36\.0 MP/,
  );
});

test("preprocessImages: budget before decoding; the pool decodes like inline", async () => {
  const pool = new ImageDecodePool(createLogger({}, { level: "error", sink: () => {} }), {
    workers: 2,
  });
  try {
    const files = [
      garmentCutoutPng(garment, { width: 60, height: 80 }),
      garmentPhotoJpeg(garment, { width: 64, height: 48 }),
    ];
    const inline = await preprocessImages(files);
    const pooled = await preprocessImages(files, { decoder: pool });
    assert.equal(pooled.count, 2);
    assert.deepEqual(pooled.pixels, inline.pixels);
    assert.deepEqual(pooled.pixels.subarray(0, 784), preprocessImage(files[0]).pixels);
    await assert.rejects(
      preprocessImages([files[0], largeGrayPng(40, 40)], { decoder: pool }),
      (e) => e instanceof ImageInputError && /^image 1: /.test(e.message),
    );
    await assert.rejects(
      preprocessImages([files[0], files[0].slice(0, 40)], { decoder: pool }),
      (e) => e instanceof ImageInputError && /^image 1: .*PNG/.test(e.message),
    );
    // Over budget: refused without decoding (the pool never sees a job).
    const before = pool.pending;
    await assert.rejects(
      preprocessImages([largeGrayPng(6000, 6000)], { decoder: pool }),
      ImageBudgetError,
    );
    assert.equal(pool.pending, before);
  } finally {
    pool.close();
  }
});
