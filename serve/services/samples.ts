/** Paging over the images of one split, optionally filtered by label. */
import type { ImageSet } from "../../lib/data/types.ts";

/** Which samples to return. */
export interface SampleQuery {
  /** Only images with this label (0..9), or all when undefined. */
  label?: number;
  /** Number of matching images to skip. */
  offset: number;
  /** Maximum number of images to return. */
  limit: number;
}

/** A page of sample indices. */
export interface SamplePage {
  /** How many images match the query (before paging). */
  total: number;
  /** Indices (into the split) of the returned images, ascending. */
  indices: number[];
}

/** Indices of the images of `set` matching `q`, after skipping `offset` and keeping `limit`. */
export function pageSamples(set: ImageSet, q: SampleQuery): SamplePage {
  if (q.label === undefined) {
    const start = Math.min(q.offset, set.count);
    const end = Math.min(start + q.limit, set.count);
    return { total: set.count, indices: Array.from({ length: end - start }, (_, i) => start + i) };
  }
  const indices: number[] = [];
  let total = 0;
  const labels = set.labels;
  for (let i = 0; i < set.count; i++) {
    if (labels[i] !== q.label) continue;
    if (total >= q.offset && indices.length < q.limit) indices.push(i);
    total++;
  }
  return { total, indices };
}

/** The pixels of image `index` of `set` (a view, not a copy). */
export function imagePixels(set: ImageSet, index: number): Uint8Array {
  const size = set.rows * set.cols;
  return set.images.subarray(index * size, (index + 1) * size);
}
