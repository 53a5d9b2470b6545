/**
 * Test helpers generating real-looking photos of a garment from a 28×28 dataset image: a dark
 * silhouette on a light, noisy, slightly uneven background (JPEG), or a coloured cut-out on a
 * transparent background (PNG with alpha).
 */
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { Buffer } from "node:buffer";
import { crc32, deflateSync } from "node:zlib";

/** Seeded uniform random numbers in [0, 1) (mulberry32). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bilinear sample of a 28×28 byte image at fractional (x, y), 0 outside. */
function sample(img: Uint8Array, x: number, y: number): number {
  const x0 = Math.floor(x - 0.5), y0 = Math.floor(y - 0.5);
  const fx = x - 0.5 - x0, fy = y - 0.5 - y0;
  const at = (xx: number, yy: number) =>
    xx < 0 || yy < 0 || xx >= 28 || yy >= 28 ? 0 : img[yy * 28 + xx];
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** Coverage (0..1) of the garment at each pixel of a `w×h` canvas: the image drawn at `box`. */
function coverage(
  img: Uint8Array,
  w: number,
  h: number,
  box: { x: number; y: number; size: number },
): Float32Array {
  const a = new Float32Array(w * h);
  const s = 28 / box.size;
  for (let y = Math.max(0, box.y); y < Math.min(h, box.y + box.size); y++) {
    for (let x = Math.max(0, box.x); x < Math.min(w, box.x + box.size); x++) {
      a[y * w + x] = sample(img, (x - box.x + 0.5) * s, (y - box.y + 0.5) * s) / 255;
    }
  }
  return a;
}

/**
 * A `w×h` JPEG "photo": the garment (from a 28×28 dataset image) in a dark colour on a light
 * background with a brightness gradient and Gaussian-ish noise, placed off-centre.
 */
export function garmentPhotoJpeg(
  img: Uint8Array,
  opts: { width?: number; height?: number; seed?: number; quality?: number } = {},
): Uint8Array<ArrayBuffer> {
  const w = opts.width ?? 640, h = opts.height ?? 480;
  const rnd = seededRandom(opts.seed ?? 1);
  const size = Math.round(Math.min(w, h) * 0.7);
  const a = coverage(img, w, h, {
    x: Math.round(w * 0.38 - size / 2),
    y: Math.round(h * 0.55 - size / 2),
    size,
  });
  const data = new Uint8Array(w * h * 4);
  const garment = [35, 45, 80];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const light = 215 + 25 * (x / w) - 10 * (y / h); // uneven lighting
      const noise = (rnd() + rnd() + rnd() - 1.5) * 16;
      for (let c = 0; c < 3; c++) {
        const bg = light - c * 6 + noise;
        const v = bg * (1 - a[i]) + (garment[c] + noise * 0.5) * a[i];
        data[i * 4 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
      data[i * 4 + 3] = 255;
    }
  }
  const out = jpeg.encode({ width: w, height: h, data: Buffer.from(data) }, opts.quality ?? 85);
  return Uint8Array.from(out.data);
}

/** A `w×h` colour PNG with alpha: the garment in `rgb`, opaque where it is, transparent around. */
export function garmentCutoutPng(
  img: Uint8Array,
  opts: { width?: number; height?: number; rgb?: [number, number, number] } = {},
): Uint8Array<ArrayBuffer> {
  const w = opts.width ?? 300, h = opts.height ?? 400;
  const size = Math.round(Math.min(w, h) * 0.8);
  const a = coverage(img, w, h, {
    x: Math.round((w - size) / 2),
    y: Math.round((h - size) / 3),
    size,
  });
  const png = new PNG({ width: w, height: h });
  const rgb = opts.rgb ?? [190, 30, 40];
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = rgb[0];
    png.data[i * 4 + 1] = rgb[1];
    png.data[i * 4 + 2] = rgb[2];
    png.data[i * 4 + 3] = Math.round(a[i] * 255);
  }
  return Uint8Array.from(PNG.sync.write(png));
}

/**
 * A large 8-bit grayscale PNG built without an encoder pass over every pixel: black, with an
 * optional white rectangle `box` (`[x0, y0, x1, y1)`). All black, it is a decompression bomb: a
 * few KB of file for `width × height` pixels (6000×6000 → about 35 KB).
 */
export function largeGrayPng(
  width: number,
  height: number,
  box?: [number, number, number, number],
): Uint8Array<ArrayBuffer> {
  const row = width + 1; // filter byte + one byte per pixel
  const raw = new Uint8Array(row * height);
  if (box) {
    const [x0, y0, x1, y1] = box;
    for (let y = y0; y < y1; y++) raw.fill(255, y * row + 1 + x0, y * row + 1 + x1);
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale, deflate, no filter, no interlace
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
