/** Seeded, stratified train/validation split of a labelled split's image indices. */

/** Train and validation indices (ascending) into the dataset's train split. */
export interface TrainValSplit {
  seed: number;
  valFraction: number;
  train: Int32Array;
  val: Int32Array;
}

/** Raised for a split request that cannot be honoured. */
export class SplitOptionsError extends Error {
  override name = "SplitOptionsError";
}

/** mulberry32: a small, fast, seedable 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Split indices `0..labels.length−1` into train and validation so that each class contributes
 * `round(n_class · valFraction)` images to validation, chosen by a Fisher–Yates shuffle seeded
 * with `seed` (the same labels and seed always give the same split).
 */
export function stratifiedSplit(
  labels: Uint8Array,
  opts: { valFraction: number; seed: number },
): TrainValSplit {
  const { valFraction, seed } = opts;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new SplitOptionsError(`valFraction must be in (0, 1), got ${valFraction}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SplitOptionsError(`seed must be an integer in 0..2^32−1, got ${seed}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  }
  const rand = mulberry32(seed);
  const isVal = new Uint8Array(labels.length);
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(cls)!;
    const nVal = Math.round(idx.length * valFraction);
    // Partial Fisher–Yates: the first nVal positions become the validation sample.
    for (let k = 0; k < nVal; k++) {
      const j = k + Math.floor(rand() * (idx.length - k));
      [idx[k], idx[j]] = [idx[j], idx[k]];
      isVal[idx[k]] = 1;
    }
  }
  let nVal = 0;
  for (const v of isVal) nVal += v;
  const train = new Int32Array(labels.length - nVal);
  const val = new Int32Array(nVal);
  let t = 0, v = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isVal[i]) val[v++] = i;
    else train[t++] = i;
  }
  return { seed, valFraction, train, val };
}
