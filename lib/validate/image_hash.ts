/**
 * Content hashes of fixed-size images, used to find exact duplicates quickly. Hash equality is
 * only a candidate match: callers confirm with {@link sameImage} so collisions never report a
 * false duplicate.
 */
import type { ImageSet } from "../data/types.ts";

/** Bytes of one image of `set`. */
export function imageSize(set: ImageSet): number {
  return set.rows * set.cols;
}

/** View of image `i` of `set` (no copy). */
export function imageAt(set: ImageSet, i: number): Uint8Array {
  const size = imageSize(set);
  return set.images.subarray(i * size, (i + 1) * size);
}

/**
 * One 53-bit hash per image (two independent 32-bit mixes over the pixel bytes, combined into a
 * safe integer), as a Float64Array of length `set.count`. With `dropBits` > 0 each pixel is
 * quantized first (`v >> dropBits`), so near-identical images hash alike.
 */
export function hashImages(set: ImageSet, dropBits = 0): Float64Array {
  const size = imageSize(set);
  const px = set.images;
  const out = new Float64Array(set.count);
  for (let i = 0; i < set.count; i++) {
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x9747b28c | 0;
    const base = i * size;
    for (let j = 0; j < size; j++) {
      const v = px[base + j] >> dropBits;
      h1 = Math.imul(h1 ^ v, 0x01000193);
      h2 = Math.imul(h2 ^ (v + j), 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    out[i] = (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
  }
  return out;
}

/**
 * True when image `i` of `a` and image `j` of `b` have identical pixels (after dropping the
 * `dropBits` low bits of each pixel).
 */
export function sameImage(
  a: ImageSet,
  i: number,
  b: ImageSet,
  j: number,
  dropBits = 0,
): boolean {
  const size = imageSize(a);
  if (size !== imageSize(b)) return false;
  const pa = a.images;
  const pb = b.images;
  const oa = i * size;
  const ob = j * size;
  if (dropBits === 0) {
    for (let k = 0; k < size; k++) if (pa[oa + k] !== pb[ob + k]) return false;
  } else {
    for (let k = 0; k < size; k++) {
      if (pa[oa + k] >> dropBits !== pb[ob + k] >> dropBits) return false;
    }
  }
  return true;
}
