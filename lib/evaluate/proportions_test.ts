import assert from "node:assert/strict";
import { test } from "node:test";
import { normalQuantile, normalSf, twoProportionTest } from "./proportions.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

// Reference values from scipy.stats (norm.sf / norm.ppf) with the textbook formulas.
const CASES = [
  {
    x: [50, 100, 60, 100],
    z: -1.4213381090374024,
    p: 0.1552184896846841,
    ci: [-0.23719747891780374, 0.03719747891780378],
  },
  {
    x: [930, 1000, 880, 1000],
    z: 3.81301851640605,
    p: 0.00013727982330607696,
    ci: [0.024392637373355203, 0.07560736262664489],
  },
  {
    x: [7, 20, 3, 25],
    z: 1.8441025691957282,
    p: 0.0651681935812683,
    ci: [-0.014791576946609153, 0.4747915769466091],
  },
];

test("twoProportionTest matches scipy-based reference values", () => {
  for (const c of CASES) {
    const [x1, n1, x2, n2] = c.x;
    const r = twoProportionTest(x1, n1, x2, n2);
    close(r.z, c.z, 1e-9, `z ${c.x}`);
    close(r.pValue, c.p, 1e-6 * Math.max(1, c.p) + 1e-8, `p ${c.x}`);
    close(r.ci[0], c.ci[0], 1e-7, `ci lo ${c.x}`);
    close(r.ci[1], c.ci[1], 1e-7, `ci hi ${c.x}`);
    close(r.diff, x1 / n1 - x2 / n2, 1e-15, "diff");
  }
});

test("twoProportionTest is antisymmetric and degenerate cases are defined", () => {
  const a = twoProportionTest(30, 40, 20, 40), b = twoProportionTest(20, 40, 30, 40);
  close(a.z, -b.z, 1e-12, "z");
  close(a.pValue, b.pValue, 1e-12, "p");
  const same = twoProportionTest(10, 10, 5, 5); // no variance at all
  assert.equal(same.z, 0);
  assert.equal(same.pValue, 1);
  assert.deepEqual(same.ci, [0, 0]);
});

test("twoProportionTest rejects impossible counts", () => {
  assert.throws(() => twoProportionTest(5, 4, 1, 2), /successes must be an integer in 0\.\.4/);
  assert.throws(() => twoProportionTest(0, 0, 1, 2), /trials must be a positive integer/);
  assert.throws(() => twoProportionTest(1.5, 4, 1, 2), /successes/);
  assert.throws(() => twoProportionTest(1, 4, 1, 2, 1), /level/);
});

test("normal helpers", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8, "q975");
  close(normalQuantile(0.001), -3.090232306167813, 1e-8, "q001");
  close(normalSf(5), 2.866515718791933e-07, 1e-12, "sf5");
  assert.throws(() => normalQuantile(1), RangeError);
});
