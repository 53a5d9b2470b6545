/**
 * Sticky arm assignment: a client key is hashed (sha256 of salt + key) to a point in [0, 1), and
 * the arms' normalised weights cut [0, 1) into consecutive ranges; the same key always lands in
 * the same arm while the experiment is unchanged. Requests without a key get a random point.
 */
import { createHash } from "node:crypto";
import type { AbArm } from "./config.ts";

/** A point in [0, 1) from `salt` and `key` (first 48 bits of sha256). */
export function hashUnit(salt: string, key: string): number {
  const h = createHash("sha256").update(salt).update("\0").update(key).digest();
  return h.readUIntBE(0, 6) / 2 ** 48;
}

/** The assignment unit logged for `key`: 16 hex digits of sha256(salt, key) (no raw key stored). */
export function unitId(salt: string, key: string): string {
  return createHash("sha256").update(salt).update("\0").update(key).digest("hex").slice(0, 16);
}

/**
 * The arm `key` is assigned to (a `random()` point when no key).
 * @throws RangeError when no arm has weight.
 */
export function assignArm(
  arms: readonly AbArm[],
  salt: string,
  key: string | undefined,
  random: () => number = Math.random,
): AbArm {
  const total = arms.reduce((s, a) => s + a.weight, 0);
  if (!(total > 0)) throw new RangeError("an A/B experiment needs an arm with positive weight");
  const u = key === undefined ? random() : hashUnit(salt, key);
  let acc = 0;
  for (const a of arms) {
    acc += a.weight / total;
    if (u < acc && a.weight > 0) return a;
  }
  return arms.findLast((a) => a.weight > 0)!;
}
