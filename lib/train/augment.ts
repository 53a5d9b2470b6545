/**
 * Data augmentation on a batch of single-channel images held in a Float32Array (image after
 * image, row-major): random shifts, horizontal flips and random erasing. Driven by a seeded RNG
 * so a given seed reproduces the same batches.
 */
import { z } from "zod";

/** Augmentation config; every part is off by default. */
export const augmentSchema = z.object({
  /** Max shift in pixels along each axis (uniform in [-shift, shift]); vacated pixels are 0. */
  shift: z.number().int().min(0).max(8).default(0),
  /** Probability of a horizontal flip. */
  hflip: z.number().min(0).max(1).default(0),
  /** Random erasing: probability, and erased area as a fraction of the image. */
  erase: z.object({
    p: z.number().min(0).max(1).default(0.5),
    minArea: z.number().gt(0).max(1).default(0.02),
    maxArea: z.number().gt(0).max(1).default(0.2),
  }).strict().refine((e) => e.minArea <= e.maxArea, "erase.minArea must be <= erase.maxArea")
    .optional(),
}).strict();
/** Augmentation config as written by callers. */
export type AugmentInput = z.input<typeof augmentSchema>;
/** Augmentation config with defaults. */
export type Augment = z.output<typeof augmentSchema>;

/** True when the config changes nothing. */
export function isIdentity(a: Augment): boolean {
  return a.shift === 0 && a.hflip === 0 && (a.erase === undefined || a.erase.p === 0);
}

/**
 * Augment `count` images of `rows`×`cols` in `batch` in place, drawing randomness from `rand`
 * (uniform in [0, 1)).
 */
export function augmentBatch(
  batch: Float32Array,
  count: number,
  rows: number,
  cols: number,
  cfg: Augment,
  rand: () => number,
): void {
  if (isIdentity(cfg)) return;
  const size = rows * cols;
  const tmp = new Float32Array(size);
  for (let n = 0; n < count; n++) {
    const img = batch.subarray(n * size, (n + 1) * size);
    const flip = cfg.hflip > 0 && rand() < cfg.hflip;
    const dy = cfg.shift > 0 ? Math.floor(rand() * (2 * cfg.shift + 1)) - cfg.shift : 0;
    const dx = cfg.shift > 0 ? Math.floor(rand() * (2 * cfg.shift + 1)) - cfg.shift : 0;
    if (flip || dx !== 0 || dy !== 0) {
      tmp.fill(0);
      for (let r = 0; r < rows; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= rows) continue;
        for (let c = 0; c < cols; c++) {
          const sc0 = c - dx;
          if (sc0 < 0 || sc0 >= cols) continue;
          const sc = flip ? cols - 1 - sc0 : sc0;
          tmp[r * cols + c] = img[sr * cols + sc];
        }
      }
      img.set(tmp);
    }
    const e = cfg.erase;
    if (e && rand() < e.p) {
      const area = (e.minArea + rand() * (e.maxArea - e.minArea)) * size;
      const logRatio = Math.log(0.3) + rand() * (Math.log(3.3) - Math.log(0.3));
      const ratio = Math.exp(logRatio);
      const h = Math.min(rows, Math.max(1, Math.round(Math.sqrt(area * ratio))));
      const w = Math.min(cols, Math.max(1, Math.round(Math.sqrt(area / ratio))));
      const top = Math.floor(rand() * (rows - h + 1));
      const left = Math.floor(rand() * (cols - w + 1));
      for (let r = top; r < top + h; r++) img.fill(0, r * cols + left, r * cols + left + w);
    }
  }
}
