/**
 * Per-image features computed in one typed-array pass per image: intensity statistics, ink
 * ratio, ink bounding box, left–right symmetry and the intensity-weighted centre of mass.
 */
import type { ImageSet } from "../data/mod.ts";

/** Names of the per-image feature columns, in table order. */
export const FEATURE_COLUMNS = [
  "mean_intensity",
  "std_intensity",
  "ink_ratio",
  "bbox_top",
  "bbox_left",
  "bbox_bottom",
  "bbox_right",
  "bbox_height",
  "bbox_width",
  "symmetry_h",
  "centre_y",
  "centre_x",
] as const;

/** One feature column name. */
export type FeatureColumn = typeof FEATURE_COLUMNS[number];

/** Options of {@link computeImageFeatures}. */
export interface ImageFeatureOptions {
  /** A pixel counts as ink when its value is strictly greater than this (0..254, default 25). */
  inkThreshold?: number;
}

/**
 * Feature columns of an image set, one entry per image:
 * - `mean_intensity`, `std_intensity`: mean and population std of pixels scaled to [0, 1];
 * - `ink_ratio`: fraction of pixels > `inkThreshold`;
 * - `bbox_*`: inclusive bounding box (rows/cols) of ink pixels, `-1` and size 0 when no ink;
 * - `symmetry_h`: 1 − Σ|p(r,c) − p(r,W−1−c)| / Σ(p(r,c) + p(r,W−1−c)) over mirrored pixel
 *   pairs (1 = perfectly left–right symmetric; 1 for a blank image);
 * - `centre_y`, `centre_x`: intensity-weighted centre in pixel coordinates (the geometric
 *   centre for a blank image).
 */
export interface ImageFeatures {
  count: number;
  mean_intensity: Float64Array;
  std_intensity: Float64Array;
  ink_ratio: Float64Array;
  bbox_top: Int16Array;
  bbox_left: Int16Array;
  bbox_bottom: Int16Array;
  bbox_right: Int16Array;
  bbox_height: Int16Array;
  bbox_width: Int16Array;
  symmetry_h: Float64Array;
  centre_y: Float64Array;
  centre_x: Float64Array;
}

/** Raised for options outside their documented range. */
export class FeatureOptionsError extends Error {
  override name = "FeatureOptionsError";
}

/** Compute {@link ImageFeatures} for every image of `set`. */
export function computeImageFeatures(
  set: ImageSet,
  opts: ImageFeatureOptions = {},
): ImageFeatures {
  const thr = opts.inkThreshold ?? 25;
  if (!Number.isInteger(thr) || thr < 0 || thr > 254) {
    throw new FeatureOptionsError(`inkThreshold must be an integer in 0..254, got ${thr}`);
  }
  const { count, rows, cols, images } = set;
  const size = rows * cols;
  if (images.length < count * size) {
    throw new FeatureOptionsError(
      `image set holds ${images.length} pixel bytes, fewer than ${count} images of ${rows}×${cols}`,
    );
  }
  const f: ImageFeatures = {
    count,
    mean_intensity: new Float64Array(count),
    std_intensity: new Float64Array(count),
    ink_ratio: new Float64Array(count),
    bbox_top: new Int16Array(count),
    bbox_left: new Int16Array(count),
    bbox_bottom: new Int16Array(count),
    bbox_right: new Int16Array(count),
    bbox_height: new Int16Array(count),
    bbox_width: new Int16Array(count),
    symmetry_h: new Float64Array(count),
    centre_y: new Float64Array(count),
    centre_x: new Float64Array(count),
  };
  const half = cols >> 1;
  for (let i = 0; i < count; i++) {
    const base = i * size;
    let sum = 0, sumSq = 0, ink = 0, sumY = 0, sumX = 0, diff = 0, pairSum = 0;
    let top = -1, bottom = -1, left = cols, right = -1;
    for (let r = 0; r < rows; r++) {
      const rb = base + r * cols;
      let rowSum = 0;
      let rowInk = 0;
      // Branch-free updates (conditional moves): much faster than ifs on these images.
      for (let c = 0; c < cols; c++) {
        const v = images[rb + c];
        rowSum += v;
        sumSq += v * v;
        sumX += c * v;
        const isInk = v > thr ? 1 : 0;
        rowInk += isInk;
        left = Math.min(left, isInk ? c : cols);
        right = Math.max(right, isInk ? c : -1);
      }
      for (let c = 0; c < half; c++) {
        const a = images[rb + c];
        const b = images[rb + cols - 1 - c];
        diff += Math.abs(a - b);
        pairSum += a + b;
      }
      ink += rowInk;
      if (rowInk > 0) {
        if (top < 0) top = r;
        bottom = r;
      }
      sum += rowSum;
      sumY += r * rowSum;
    }
    const mean = sum / size;
    f.mean_intensity[i] = mean / 255;
    f.std_intensity[i] = Math.sqrt(Math.max(0, sumSq / size - mean * mean)) / 255;
    f.ink_ratio[i] = ink / size;
    if (ink > 0) {
      f.bbox_top[i] = top;
      f.bbox_left[i] = left;
      f.bbox_bottom[i] = bottom;
      f.bbox_right[i] = right;
      f.bbox_height[i] = bottom - top + 1;
      f.bbox_width[i] = right - left + 1;
    } else {
      f.bbox_top[i] =
        f.bbox_left[i] =
        f.bbox_bottom[i] =
        f.bbox_right[i] =
          -1;
    }
    f.symmetry_h[i] = pairSum > 0 ? 1 - diff / pairSum : 1;
    f.centre_y[i] = sum > 0 ? sumY / sum : (rows - 1) / 2;
    f.centre_x[i] = sum > 0 ? sumX / sum : (cols - 1) / 2;
  }
  return f;
}
