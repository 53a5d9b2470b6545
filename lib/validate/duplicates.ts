/** Exact-duplicate detection within one image set and across two (train/test leakage). */
import type { ImageSet } from "../data/mod.ts";
import { hashImages, sameImage } from "./image_hash.ts";

/** A group of indices (ascending) whose images are byte-identical. */
export type DuplicateGroup = number[];

/** Duplicates inside one set. */
export interface WithinDuplicates {
  /** Groups of ≥ 2 identical images, ordered by their first index. */
  groups: DuplicateGroup[];
  /** Images that are redundant copies (sum over groups of size − 1). */
  redundant: number;
  /** Groups whose members do not all carry the same label. */
  conflictingGroups: number;
}

/** A test image that also occurs in the reference (train) set. */
export interface CrossMatch {
  /** Index in the probe (test) set. */
  index: number;
  /** Indices in the reference (train) set holding the same image, ascending. */
  matches: number[];
  /** Whether every matching reference image has the probe's label. */
  labelsAgree: boolean;
}

/** Leakage between a reference (train) set and a probe (test) set. */
export interface CrossDuplicates {
  /** Probe images found in the reference set, ordered by probe index. */
  matches: CrossMatch[];
  /** Probe images whose copies in the reference set carry a different label. */
  labelConflicts: number;
}

function bucketByHash(set: ImageSet, hashes: Float64Array): Map<number, number[]> {
  const buckets = new Map<number, number[]>();
  for (let i = 0; i < set.count; i++) {
    const h = hashes[i];
    const b = buckets.get(h);
    if (b === undefined) buckets.set(h, [i]);
    else b.push(i);
  }
  return buckets;
}

/** Split a hash bucket into groups of truly identical images (guards against collisions). */
function exactGroups(set: ImageSet, bucket: number[], dropBits: number): number[][] {
  const groups: number[][] = [];
  for (const i of bucket) {
    const g = groups.find((grp) => sameImage(set, grp[0], set, i, dropBits));
    if (g) g.push(i);
    else groups.push([i]);
  }
  return groups;
}

/**
 * Find every group of identical images in `set`: byte-identical by default, or identical after
 * dropping the `dropBits` low bits of every pixel (near-duplicates).
 */
export function findDuplicates(set: ImageSet, dropBits = 0): WithinDuplicates {
  const buckets = bucketByHash(set, hashImages(set, dropBits));
  const groups: DuplicateGroup[] = [];
  for (const bucket of buckets.values()) {
    if (bucket.length < 2) continue;
    for (const g of exactGroups(set, bucket, dropBits)) if (g.length > 1) groups.push(g);
  }
  groups.sort((a, b) => a[0] - b[0]);
  let redundant = 0;
  let conflictingGroups = 0;
  for (const g of groups) {
    redundant += g.length - 1;
    const l0 = set.labels[g[0]];
    if (g.some((i) => set.labels[i] !== l0)) conflictingGroups++;
  }
  return { groups, redundant, conflictingGroups };
}

/**
 * Find probe images (e.g. test) that also occur in `reference` (e.g. train): byte-identical by
 * default, or identical after dropping `dropBits` low bits per pixel.
 */
export function findCrossDuplicates(
  reference: ImageSet,
  probe: ImageSet,
  dropBits = 0,
): CrossDuplicates {
  const refBuckets = bucketByHash(reference, hashImages(reference, dropBits));
  const probeHashes = hashImages(probe, dropBits);
  const matches: CrossMatch[] = [];
  let labelConflicts = 0;
  for (let j = 0; j < probe.count; j++) {
    const bucket = refBuckets.get(probeHashes[j]);
    if (bucket === undefined) continue;
    const same = bucket.filter((i) => sameImage(reference, i, probe, j, dropBits));
    if (same.length === 0) continue;
    const labelsAgree = same.every((i) => reference.labels[i] === probe.labels[j]);
    if (!labelsAgree) labelConflicts++;
    matches.push({ index: j, matches: same, labelsAgree });
  }
  return { matches, labelConflicts };
}
