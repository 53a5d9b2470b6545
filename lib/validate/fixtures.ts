/** Small crafted datasets for tests of the validate and features stages (no file I/O). */

import type { Dataset, ImageSet } from "../data/mod.ts";

/**
 * An image set of `labels.length` images of `rows`×`cols`, where image `i`'s pixel `j` is
 * `pixel(i, j)` (clamped to 0..255).
 */
export function craftSet(
  labels: number[],
  pixel: (i: number, j: number) => number,
  rows = 4,
  cols = 4,
): ImageSet {
  const size = rows * cols;
  const images = new Uint8Array(labels.length * size);
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < size; j++) images[i * size + j] = Math.max(0, Math.min(255, pixel(i, j)));
  }
  return { count: labels.length, rows, cols, images, labels: Uint8Array.from(labels) };
}

/** Labels 0..numClasses−1 repeated `perClass` times (balanced). */
export function balancedLabels(numClasses: number, perClass: number): number[] {
  return Array.from({ length: numClasses * perClass }, (_, i) => i % numClasses);
}

/**
 * Distinct, non-blank pixel pattern for image `i`: pixels 0–2 encode `i` (unique below 2^24),
 * the rest are hashed values in 20..249, so distinct images are not near-duplicates either.
 */
export function uniquePixel(i: number, j: number): number {
  const seed = i + 1;
  if (j < 3) return ((seed >> (8 * j)) & 0xff) | (j === 0 ? 1 : 0);
  let h = Math.imul(seed ^ Math.imul(j + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return 20 + ((h >>> 8) % 230);
}

/** A balanced, duplicate-free crafted dataset. */
export function craftDataset(
  opts: {
    numClasses?: number;
    trainPerClass?: number;
    testPerClass?: number;
    rows?: number;
    cols?: number;
  } = {},
): Dataset {
  const k = opts.numClasses ?? 3;
  const rows = opts.rows ?? 4;
  const cols = opts.cols ?? 4;
  const train = craftSet(balancedLabels(k, opts.trainPerClass ?? 10), uniquePixel, rows, cols);
  const offset = 1 << 20;
  const test = craftSet(
    balancedLabels(k, opts.testPerClass ?? 4),
    (i, j) => uniquePixel(i + offset, j),
    rows,
    cols,
  );
  return { version: "crafted", train, test };
}
