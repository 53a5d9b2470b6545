/**
 * The real set's dev/holdout split, by drawing: all renditions of one drawing (its sizes,
 * backgrounds and formats) land in the same half, so a choice made on `dev` never sees a
 * rendition of a `holdout` drawing. Stratified by class: within each class the drawings, sorted
 * by name, are shuffled by a generator seeded with {@link REAL_SPLIT_SEED} and the first half
 * (rounded up) is `dev`. Tune preprocessing on `dev` only; report `holdout`.
 */
import { createRng } from "../tune/mod.ts";

/** The fixed seed of the split (changing it makes a new split: earlier tuning saw its holdout). */
export const REAL_SPLIT_SEED = 16;

/** The two halves. */
export type RealSplit = "dev" | "holdout";

/**
 * The half of each drawing (`groups[i]` is the drawing of image `i`, `labels[i]` its class; a
 * drawing takes the class of its first image).
 */
export function splitDrawings(
  groups: readonly string[],
  labels: ArrayLike<number>,
  seed = REAL_SPLIT_SEED,
): Map<string, RealSplit> {
  if (groups.length !== labels.length) {
    throw new RangeError(`${groups.length} groups for ${labels.length} labels`);
  }
  const byClass = new Map<number, Set<string>>();
  const seen = new Set<string>();
  for (let i = 0; i < groups.length; i++) {
    if (seen.has(groups[i])) continue;
    seen.add(groups[i]);
    let set = byClass.get(labels[i]);
    if (!set) byClass.set(labels[i], set = new Set());
    set.add(groups[i]);
  }
  const out = new Map<string, RealSplit>();
  for (const [c, set] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const names = [...set].sort();
    const rng = createRng(seed, "real-split", c);
    for (let i = names.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [names[i], names[j]] = [names[j], names[i]];
    }
    const dev = Math.ceil(names.length / 2);
    names.forEach((g, k) => out.set(g, k < dev ? "dev" : "holdout"));
  }
  return out;
}
