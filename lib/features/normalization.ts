/** Global pixel normalization statistics (mean/std of pixels scaled to [0, 1]). */
import type { ImageSet } from "../data/mod.ts";

/** Mean and population std of all pixels / 255, and how many pixels they cover. */
export interface NormalizationStats {
  mean: number;
  std: number;
  pixels: number;
}

/**
 * Exact mean/std of every pixel of `set` scaled to [0, 1] (via a 256-bin histogram, so no
 * floating-point drift), optionally restricted to the images listed in `indices`.
 */
export function normalizationStats(set: ImageSet, indices?: ArrayLike<number>): NormalizationStats {
  const size = set.rows * set.cols;
  const hist = new Float64Array(256);
  const px = set.images;
  if (indices === undefined) {
    const n = set.count * size;
    const counts = new Uint32Array(256);
    // Chunked so Uint32 bins cannot overflow on huge sets.
    for (let start = 0; start < n; start += 1 << 24) {
      counts.fill(0);
      const end = Math.min(n, start + (1 << 24));
      for (let j = start; j < end; j++) counts[px[j]]++;
      for (let k = 0; k < 256; k++) hist[k] += counts[k];
    }
  } else {
    for (let t = 0; t < indices.length; t++) {
      const base = indices[t] * size;
      for (let j = 0; j < size; j++) hist[px[base + j]]++;
    }
  }
  let n = 0, s = 0, s2 = 0;
  for (let k = 0; k < 256; k++) {
    n += hist[k];
    s += k * hist[k];
    s2 += k * k * hist[k];
  }
  if (n === 0) return { mean: 0, std: 0, pixels: 0 };
  const mean = s / n;
  const variance = Math.max(0, s2 / n - mean * mean);
  return { mean: mean / 255, std: Math.sqrt(variance) / 255, pixels: n };
}
