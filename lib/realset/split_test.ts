/** The dev/holdout split of the real set: by drawing, stratified by class, fixed by its seed. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { splitDrawings } from "./split.ts";

/** 10 classes × `per` drawings × 3 renditions, in file order (class-major, like the set). */
function fakeSet(per: number) {
  const groups: string[] = [], labels: number[] = [];
  for (let c = 0; c < 10; c++) {
    for (let d = 0; d < per; d++) {
      for (let r = 0; r < 3; r++) {
        groups.push(`pkg-${d % 4}#item-${c}-${d}`);
        labels.push(c);
      }
    }
  }
  return { groups, labels };
}

test("splitDrawings: every drawing in one half, halves per class, same seed same split", () => {
  const { groups, labels } = fakeSet(17);
  const split = splitDrawings(groups, labels);
  assert.equal(split.size, 170);
  for (let c = 0; c < 10; c++) {
    const mine = [...split].filter(([g]) => g.includes(`item-${c}-`));
    const dev = mine.filter(([, h]) => h === "dev").length;
    assert.equal(dev, 9, `class ${c}: ${dev} dev drawings of 17`);
  }
  // Renditions of a drawing never straddle the halves (one entry per drawing).
  for (let i = 0; i < groups.length; i++) assert.ok(split.has(groups[i]));
  // Deterministic, independent of file order; another seed gives another split.
  const again = splitDrawings([...groups].reverse(), [...labels].reverse());
  assert.deepEqual([...again].sort(), [...split].sort());
  const other = splitDrawings(groups, labels, 99);
  assert.ok([...other].some(([g, h]) => split.get(g) !== h));
  assert.throws(() => splitDrawings(groups, labels.slice(1)), RangeError);
});
