/**
 * Batch preparation of the training loop: seeded epoch order, gathering + normalizing the
 * images of a batch, augmentation, and splitting a batch into per-replica shards.
 */
import type { ImageSet } from "../data/mod.ts";
import { mulberry32 } from "../features/mod.ts";
import type { Signature } from "../models/mod.ts";
import { gatherNormalized } from "../models/mod.ts";
import { type Augment, augmentBatch } from "./augment.ts";

/**
 * The RNG of epoch `epoch` (drives shuffling and augmentation) and the shuffled order of
 * `indices` it gives; the same seed and epoch always give the same order and augmentations.
 */
export function epochOrder(
  indices: Int32Array,
  seed: number,
  epoch: number,
): { order: Int32Array; rand: () => number } {
  const rand = mulberry32((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = indices.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return { order, rand };
}

/**
 * Fill `xbuf` / `ybuf` with the normalized, augmented images and labels at `idx` of `data`.
 * `rand` continues the epoch's stream (see {@link epochOrder}).
 */
export function prepareBatch(
  data: ImageSet,
  idx: ArrayLike<number>,
  normalization: Signature["normalization"],
  augment: Augment,
  rand: () => number,
  xbuf: Float32Array,
  ybuf: Int32Array,
): void {
  const n = idx.length;
  gatherNormalized(data, idx, normalization, xbuf);
  for (let i = 0; i < n; i++) ybuf[i] = data.labels[idx[i]];
  augmentBatch(xbuf, n, data.rows, data.cols, augment, rand);
}

/**
 * Split `n` images into `parts` contiguous shards as even as possible (the first ones get the
 * remainder); returns `[start, end)` per shard, possibly empty when `n < parts`.
 */
export function shardRanges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(n / parts), extra = n % parts;
  let start = 0;
  for (let k = 0; k < parts; k++) {
    const len = base + (k < extra ? 1 : 0);
    out.push([start, start + len]);
    start += len;
  }
  return out;
}
