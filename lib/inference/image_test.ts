/**
 * Image preprocessing on generated real-looking photos of real Fashion-MNIST test images: the
 * 28×28 result must match what the same steps make of the clean dataset image.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import { Buffer } from "node:buffer";
import { gunzip, readIdx } from "../data/mod.ts";
import {
  decodeImage,
  fillLineDrawing,
  FMNIST_INK_MEAN,
  ImageInputError,
  normaliseFlatContrast,
  preprocessGray,
  preprocessImage,
  resizeArea,
  sniffImageFormat,
} from "./image.ts";
import { garmentCutoutPng, garmentPhotoJpeg } from "./photos_testing.ts";

const TEST_IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

async function testImages(n: number): Promise<Uint8Array[]> {
  const idx = readIdx(await gunzip(await Deno.readFile(TEST_IMAGES)));
  return Array.from({ length: n }, (_, i) => idx.data.slice(i * 784, (i + 1) * 784));
}

/** Pearson correlation. */
function corr(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Best correlation of `a` with `b` shifted by up to one pixel in x and y. */
function corrShift(a: Float32Array, b: Float32Array): number {
  let best = -1;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const s = new Float32Array(784);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const sy = y + dy, sx = x + dx;
          if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) s[y * 28 + x] = b[sy * 28 + sx];
        }
      }
      best = Math.max(best, corr(a, s));
    }
  }
  return best;
}

function reference(img: Uint8Array): Float32Array {
  return preprocessGray(Float32Array.from(img), 28, 28).pixels;
}

function bbox(p: Float32Array): { w: number; h: number } {
  let x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (p[y * 28 + x] > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

test("image: 640×480 JPEG photos (dark garment, light noisy background) match the dataset image", async () => {
  const imgs = await testImages(20);
  const cs: number[] = [];
  let farPixels = 0;
  for (const [i, img] of imgs.entries()) {
    const jpg = garmentPhotoJpeg(img, { seed: i + 1 });
    assert.equal(sniffImageFormat(jpg), "jpeg");
    const { pixels, info } = preprocessImage(jpg);
    assert.equal(info.width, 640);
    assert.equal(info.height, 480);
    assert.equal(info.inverted, true, "light background must be inverted");
    assert.ok(pixels.every((v) => v >= 0 && v <= 1));
    // Stretched to 1, or scaled to the training ink level when the silhouette is flat.
    assert.ok(Math.max(...pixels) >= FMNIST_INK_MEAN - 1e-6);
    const box = bbox(pixels);
    // Fashion-MNIST geometry: the longer side fills the frame.
    assert.ok(Math.max(box.w, box.h) >= 26, JSON.stringify(box));
    // The background is clean: far from the object (per the clean reference) pixels are ~0.
    const ref = reference(img);
    const far = [...pixels].filter((_, k) => {
      const x = k % 28, y = Math.floor(k / 28);
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28 && ref[yy * 28 + xx] > 0) return false;
        }
      }
      return true;
    });
    assert.ok(far.every((v) => v < 0.1), "background must be clean");
    farPixels += far.length;
    cs.push(corrShift(pixels, ref));
  }
  assert.ok(farPixels > 1000, `only ${farPixels} background pixels checked`);
  cs.sort((a, b) => a - b);
  assert.ok(cs[cs.length >> 1] > 0.93, `median correlation ${cs[cs.length >> 1]}`);
  // At full-frame scale a one-pixel difference of the found box costs more than at 20 px.
  assert.ok(cs[0] > 0.7, `worst correlation ${cs[0]}`);
});

test("image: colour PNG cut-outs with alpha match the dataset image", async () => {
  const imgs = await testImages(10);
  for (const [i, img] of imgs.entries()) {
    const png = garmentCutoutPng(img, { rgb: i % 2 ? [190, 30, 40] : [240, 230, 120] });
    const { pixels, info } = preprocessImage(png);
    assert.equal(info.format, "png");
    const c = corrShift(pixels, reference(img));
    assert.ok(c > 0.85, `image ${i}: correlation ${c}`);
  }
});

test("image: centring by mass puts the centre of mass at the frame centre", () => {
  // A bright 6×10 block at the top-left of a 100×80 black image.
  const g = new Float32Array(100 * 80);
  for (let y = 5; y < 15; y++) for (let x = 3; x < 9; x++) g[y * 100 + x] = 200;
  const { pixels, inverted, box } = preprocessGray(g, 100, 80, { fit: 20, centre: "mass" });
  assert.equal(inverted, false);
  assert.deepEqual(box, [3, 5, 9, 15]);
  let m = 0, mx = 0, my = 0;
  for (let k = 0; k < 784; k++) {
    m += pixels[k];
    mx += pixels[k] * ((k % 28) + 0.5);
    my += pixels[k] * (Math.floor(k / 28) + 0.5);
  }
  assert.ok(Math.abs(mx / m - 14) <= 0.5 && Math.abs(my / m - 14) <= 0.5, `${mx / m},${my / m}`);
  const b = bbox(pixels);
  assert.equal(b.h, 20);
  assert.equal(b.w, 12);
});

test("image: resizeArea averages areas exactly", () => {
  const src = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  assert.deepEqual([...resizeArea(src, 4, 4, 2, 2)], [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual([...resizeArea(Float32Array.from([1, 3]), 2, 1, 4, 1)], [1, 1, 3, 3]);
});

test("image: non-images, corrupt, blank and oversized images are ImageInputErrors", () => {
  const bad = (bytes: Uint8Array, re: RegExp) =>
    assert.throws(
      () => preprocessImage(bytes),
      (e: unknown) => e instanceof ImageInputError && re.test(e.message),
    );
  bad(new TextEncoder().encode("hello, not an image"), /not a PNG or JPEG/);
  bad(
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0]),
    /truncated PNG|cannot decode/,
  );
  bad(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), /cannot decode the JPEG/);
  const blank = new PNG({ width: 50, height: 40 });
  blank.data.fill(255);
  bad(new Uint8Array(PNG.sync.write(blank)), /no object found/);
  const big = new PNG({ width: 400, height: 300 });
  big.data.fill(0);
  assert.throws(
    () => decodeImage(new Uint8Array(PNG.sync.write(big)), 100_000),
    (e: unknown) => e instanceof ImageInputError && /over the 100000 limit/.test(e.message),
  );
  // A truncated (cut in half) real JPEG.
  const jpg = garmentPhotoJpeg(new Uint8Array(784).fill(200), { width: 64, height: 48 });
  assert.throws(() => preprocessImage(jpg.subarray(0, jpg.length >> 1)));
  void Buffer;
});

test("image: by default the object's box fills the frame and is centred, like Fashion-MNIST", () => {
  // A bright 6×10 block at the top-left of a 100×80 black image → 17×28, centred.
  const g = new Float32Array(100 * 80);
  for (let y = 5; y < 15; y++) for (let x = 3; x < 9; x++) g[y * 100 + x] = 200;
  const { pixels, filled } = preprocessGray(g, 100, 80);
  assert.equal(filled, 0, "a solid block is no line drawing");
  const b = bbox(pixels);
  assert.equal(b.h, 28);
  assert.equal(b.w, 17);
  const row = [...pixels.subarray(14 * 28, 15 * 28)];
  const x0 = row.findIndex((v) => v > 0.5), x1 = row.findLastIndex((v) => v > 0.5);
  assert.ok(Math.abs((x0 + x1 + 1) / 2 - 14) <= 0.5, `columns ${x0}..${x1} are centred`);
});

/** A `size`² dark-on-white image of a square outline `t` px thick, with a gap when `open`. */
function outline(size: number, t: number, open = false): Float32Array {
  const g = new Float32Array(size * size).fill(255);
  const a = Math.round(size * 0.2), b = Math.round(size * 0.8);
  for (let y = a; y < b; y++) {
    for (let x = a; x < b; x++) {
      const edge = x < a + t || x >= b - t || y < a + t || y >= b - t;
      const gap = open && y >= b - t && x > size / 2 - 3 * t && x < size / 2 + 3 * t;
      if (edge && !gap) g[y * size + x] = 20;
    }
  }
  return g;
}

test("image: line drawings are filled inside; open shapes and `fill: off` are left as drawn", () => {
  const closed = preprocessGray(outline(120, 4), 120, 120);
  assert.ok(closed.filled > 0.5, `filled share ${closed.filled}`);
  assert.ok(closed.pixels[14 * 28 + 14] > 0.6, "the inside takes the ink's level");
  const off = preprocessGray(outline(120, 4), 120, 120, { fill: "off" });
  assert.equal(off.filled, 0);
  assert.ok(off.pixels[14 * 28 + 14] < 0.05);
  const open = preprocessGray(outline(120, 4, true), 120, 120);
  assert.equal(open.filled, 0, "the background flows in through the gap");
  // Thick ink (over 45 % of the box) is an object, not a line drawing.
  assert.equal(preprocessGray(outline(120, 22), 120, 120).filled, 0);
});

test("image: fillLineDrawing fills only what the edge cannot reach", () => {
  // 5×5 ring with a one-pixel hole in the middle.
  const on = Uint8Array.from([
    ...[0, 0, 0, 0, 0],
    ...[0, 1, 1, 1, 0],
    ...[0, 1, 0, 1, 0],
    ...[0, 1, 1, 1, 0],
    ...[0, 0, 0, 0, 0],
  ]);
  const crop = Float32Array.from(on, (v) => v * 100);
  // 1 hole pixel of 25 is under the 15 % minimum: nothing filled.
  assert.equal(fillLineDrawing(crop.slice(), on, 5, 5), 0);
  // 9×9 ring: 32 ink pixels enclose 49 background pixels.
  const big = new Uint8Array(81);
  for (let i = 0; i < 9; i++) {
    big[i] =
      big[72 + i] =
      big[i * 9] =
      big[i * 9 + 8] =
        1;
  }
  const c2 = Float32Array.from(big, (v) => v * 80);
  assert.equal(fillLineDrawing(c2, big, 9, 9), 49 / 81);
  assert.deepEqual([...c2].filter((v) => v === 80).length, 81);
});

test("image: an enlarged dataset image on a light background comes back as the dataset image", async () => {
  // The training data's own geometry survives the round trip (the MNIST-style 20-px fit does
  // not): 8× enlarged, inverted to dark-on-light, then preprocessed.
  const imgs = await testImages(30);
  const ours: number[] = [], mnist: number[] = [];
  for (const img of imgs) {
    const big = new Float32Array(224 * 224);
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) big[y * 224 + x] = 255 - img[(y >> 3) * 28 + (x >> 3)];
    }
    const ref = Float32Array.from(img, (v) => v / 255);
    ours.push(corr(preprocessGray(big, 224, 224).pixels, ref));
    mnist.push(corr(preprocessGray(big, 224, 224, { fit: 20, centre: "mass" }).pixels, ref));
  }
  ours.sort((a, b) => a - b);
  mnist.sort((a, b) => a - b);
  assert.ok(ours[15] > 0.95, `median correlation ${ours[15]}`);
  assert.ok(ours[15] > mnist[15] + 0.1, `ours ${ours[15]} vs MNIST-style ${mnist[15]}`);
});

test("image: flat drawings take the training data's ink level; shaded ones keep theirs", () => {
  const flat = new Float32Array(784);
  for (let i = 200; i < 500; i++) flat[i] = 1;
  for (let i = 500; i < 520; i++) flat[i] = 0.5;
  const k = normaliseFlatContrast(flat);
  let sum = 0, n = 0;
  for (const v of flat) if (v > 0.1) (sum += v, n++);
  assert.ok(k < 1 && Math.abs(sum / n - FMNIST_INK_MEAN) < 1e-6, `mean ink ${sum / n}`);
  const shaded = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 6);
  const before = shaded.slice();
  assert.equal(normaliseFlatContrast(shaded), 1);
  assert.deepEqual(shaded, before);
  // The default pipeline applies it (a uniform block is flat), `contrast: "off"` does not.
  const g = new Float32Array(60 * 60);
  for (let y = 10; y < 50; y++) for (let x = 20; x < 40; x++) g[y * 60 + x] = 250;
  assert.ok(Math.abs(Math.max(...preprocessGray(g, 60, 60).pixels) - FMNIST_INK_MEAN) < 0.01);
  assert.equal(Math.max(...preprocessGray(g, 60, 60, { contrast: "off" }).pixels), 1);
});
