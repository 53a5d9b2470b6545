/**
 * Content hashes of fixed-size images, used to find exact duplicates quickly. Hash equality is
 * only a candidate match: callers confirm with {@link sameImage} so collisions never report a
 * false duplicate.
 */
import type { ImageSet } from "../data/mod.ts";

/** Bytes of one image of `set`. */
function imageSize(set: ImageSet): number {
  return set.rows * set.cols;
}

const memo = new WeakMap<ImageSet, Map<number, Float64Array>>();

/**
 * One 53-bit hash per image (two independent 32-bit mixes, combined into a safe integer), as a
 * Float64Array of length `set.count`. With `dropBits` > 0 each pixel is quantized first
 * (`v >> dropBits`), so near-identical images hash alike. Memoized per set object and
 * `dropBits`; hashes 4 pixels per step when the pixel buffer is 4-byte aligned.
 */
export function hashImages(set: ImageSet, dropBits = 0): Float64Array {
  let perSet = memo.get(set);
  const hit = perSet?.get(dropBits);
  if (hit) return hit;
  const size = imageSize(set);
  const aligned = size % 4 === 0 && set.images.byteOffset % 4 === 0;
  const out = aligned ? hashWords(set, dropBits) : hashBytes(set, dropBits);
  if (!perSet) memo.set(set, perSet = new Map());
  perSet.set(dropBits, out);
  return out;
}

function finish(h1: number, h2: number): number {
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

function hashWords(set: ImageSet, dropBits: number): Float64Array {
  const words = imageSize(set) / 4;
  const px = new Uint32Array(set.images.buffer, set.images.byteOffset, set.count * words);
  // Shifting a whole word moves bits across byte lanes; the mask keeps each lane's own bits.
  const mask = ((0xff >>> dropBits) * 0x01010101) >>> 0;
  const out = new Float64Array(set.count);
  for (let i = 0; i < set.count; i++) {
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x9747b28c | 0;
    const base = i * words;
    for (let j = 0; j < words; j++) {
      const w = (px[base + j] >>> dropBits) & mask;
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul(h2 ^ (w + j), 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    out[i] = finish(h1, h2);
  }
  return out;
}

function hashBytes(set: ImageSet, dropBits: number): Float64Array {
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
    out[i] = finish(h1, h2);
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
