import assert from "node:assert/strict";
import { test } from "node:test";
import { runBehaviourSuite, shiftImage } from "./behaviour.ts";

const K = 4;
/** Class c: a centred square of side 12 + 2c (pixel value 0.8), larger than the occluded centre. */
function images(perClass: number): { x: Float32Array; y: number[] } {
  const y: number[] = [];
  for (let i = 0; i < perClass; i++) for (let c = 0; c < K; c++) y.push(c);
  const x = new Float32Array(y.length * 784);
  y.forEach((c, i) => {
    const side = 12 + 2 * c, lo = 14 - side / 2;
    for (let r = lo; r < lo + side; r++) {
      x.fill(0.8, i * 784 + r * 28 + lo, i * 784 + r * 28 + lo + side);
    }
  });
  return { x, y };
}

/** Counts ink pixels: invariant to shifts, flips and brightness; hurt by occlusion. */
function inkModel(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    let ink = 0;
    for (let p = 0; p < 784; p++) if (x[i * 784 + p] > 0.1) ink++;
    let s = 0;
    for (let c = 0; c < K; c++) {
      out[i * K + c] = Math.exp(-Math.abs(Math.sqrt(ink) - (12 + 2 * c)));
      s += out[i * K + c];
    }
    // Less ink than the smallest garment: less confident (mixed with uniform).
    const w = Math.min(1, ink / 150);
    for (let c = 0; c < K; c++) out[i * K + c] = (w * out[i * K + c]) / s + (1 - w) / K;
  }
  return out;
}

test("a model with the right invariances passes every check", async () => {
  const { x, y } = images(10);
  const r = await runBehaviourSuite(inkModel, x, y, K, {
    perClass: 10,
    symmetricClasses: [0, 1, 2, 3],
    artifactBytes: 1000,
  });
  assert.equal(r.passed, true, JSON.stringify(r.checks.filter((c) => !c.passed)));
  assert.equal(r.checks.filter((c) => c.kind === "minimum_functionality").length, K);
  assert.ok(r.checks.some((c) => c.name.startsWith("horizontal flip")));
  assert.ok(r.checks.find((c) => c.name === "artifact size (bytes)")!.passed);
});

test("position-dependent and constant models fail the checks that catch them", async () => {
  const { x, y } = images(10);
  // Uses the first inked column: right for centred squares, wrong after a shift.
  const positional = (xs: Float32Array, n: number) => {
    const out = new Float32Array(n * K);
    for (let i = 0; i < n; i++) {
      let first = 28;
      for (let p = 0; p < 784; p++) if (xs[i * 784 + p] > 0.1) first = Math.min(first, p % 28);
      const c = Math.max(0, Math.min(K - 1, Math.round(14 - first - 6)));
      out[i * K + c] = 1;
    }
    return out;
  };
  const r = await runBehaviourSuite(positional, x, y, K, { perClass: 10 });
  assert.equal(r.passed, false);
  const shift = r.checks.filter((c) => c.name.startsWith("1 px shift"));
  assert.ok(shift.some((c) => !c.passed), JSON.stringify(shift));
  const constant = await runBehaviourSuite((_, n) => new Float32Array(n * K).fill(0.25), x, y, K, {
    perClass: 10,
  });
  assert.equal(constant.passed, false);
  assert.ok(constant.checks.some((c) => c.kind === "minimum_functionality" && !c.passed));
  assert.ok(constant.checks.some((c) => c.kind === "directional" && !c.passed));
  const big = await runBehaviourSuite(inkModel, x, y, K, { perClass: 10, artifactBytes: 1e9 });
  assert.equal(big.checks.find((c) => c.name === "artifact size (bytes)")!.passed, false);
});

test("shiftImage moves pixels and fills with zero", () => {
  const src = new Float32Array(784);
  src[5 * 28 + 5] = 1;
  const dst = new Float32Array(784);
  shiftImage(src, dst, 1, -1);
  assert.equal(dst[6 * 28 + 4], 1);
  assert.equal(dst.reduce((a, b) => a + b, 0), 1);
});
