/** PNG encoding of grayscale images (pngjs), with nearest-neighbour upscaling. */
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import { Buffer } from "node:buffer";

/** Smallest and largest accepted upscaling factor. */
export const SCALE_MIN = 1;
/** Largest accepted upscaling factor (a 28×28 image becomes at most 448×448). */
export const SCALE_MAX = 16;

/**
 * Upscale a row-major 8-bit grayscale image by an integer factor with nearest-neighbour sampling:
 * every source pixel becomes a `scale`×`scale` block.
 * @throws RangeError when the sizes disagree or `scale` is outside 1..16.
 */
export function upscaleNearest(
  pixels: Uint8Array,
  rows: number,
  cols: number,
  scale: number,
): Uint8Array {
  checkShape(pixels, rows, cols);
  if (!Number.isInteger(scale) || scale < SCALE_MIN || scale > SCALE_MAX) {
    throw new RangeError(`scale must be an integer in ${SCALE_MIN}..${SCALE_MAX}, got ${scale}`);
  }
  if (scale === 1) return pixels;
  const outCols = cols * scale;
  const out = new Uint8Array(rows * scale * outCols);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * scale * outCols, (r * scale + 1) * outCols);
    for (let c = 0; c < cols; c++) row.fill(pixels[r * cols + c], c * scale, (c + 1) * scale);
    for (let k = 1; k < scale; k++) {
      out.copyWithin((r * scale + k) * outCols, r * scale * outCols, (r * scale + 1) * outCols);
    }
  }
  return out;
}

/**
 * Encode a row-major 8-bit grayscale image (0 = black) as a PNG file (colour type 0, 8 bits),
 * optionally upscaled by `scale` (1..16, nearest neighbour).
 * @throws RangeError when the sizes disagree or `scale` is out of range.
 */
export function encodeGrayPng(
  pixels: Uint8Array,
  rows: number,
  cols: number,
  scale = 1,
): Uint8Array {
  const data = upscaleNearest(pixels, rows, cols, scale);
  const png = new PNG({ width: cols * scale, height: rows * scale });
  png.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = PNG.sync.write(png, {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
    // Upscaled images repeat each row `scale` times: the "Up" filter turns the repeats into zero
    // runs without trying every filter on every row. At scale 1, no filter.
    filterType: scale > 1 ? 2 : 0,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A decoded grayscale image. */
export interface GrayImage {
  width: number;
  height: number;
  /** `width * height` bytes, row-major. */
  pixels: Uint8Array;
}

/**
 * Decode a PNG into 8-bit grayscale (the red channel of the decoded RGBA, which equals the gray
 * value for grayscale PNGs). Used by tests and clients that read back served images.
 */
export function decodeGrayPng(bytes: Uint8Array): GrayImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const pixels = new Uint8Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = png.data[i * 4];
  return { width: png.width, height: png.height, pixels };
}

function checkShape(pixels: Uint8Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`image size must be positive integers, got ${rows}×${cols}`);
  }
  if (pixels.length !== rows * cols) {
    throw new RangeError(
      `expected ${rows * cols} pixels for ${rows}×${cols}, got ${pixels.length}`,
    );
  }
}
