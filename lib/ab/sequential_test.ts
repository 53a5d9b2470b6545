/** mSPRT: closed form, boundary consistency, running p-value / interval, the path. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  msprtLook,
  SequentialMonitor,
  sequentialOptionsSchema,
  sequentialPath,
} from "./sequential.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test("msprtLook: Λ, p and the interval follow the closed form; the boundary agrees with Λ", () => {
  const o = sequentialOptionsSchema.parse({ alpha: 0.05, tau: 0.05, minSamples: 10 });
  const l = msprtLook(930, 1000, 880, 1000, o);
  const s1 = 931 / 1002, s2 = 881 / 1002;
  const v = s1 * (1 - s1) / 1000 + s2 * (1 - s2) / 1000;
  const t2 = 0.0025, d = 0.05;
  const lr = Math.sqrt(v / (v + t2)) * Math.exp(t2 * d * d / (2 * v * (v + t2)));
  close(l.variance, v, 1e-12, "variance");
  close(l.likelihoodRatio, lr, 1e-9, "lr");
  close(l.pValue, Math.min(1, 1 / lr), 1e-9, "p");
  // Λ ≥ 1/α exactly when |z| ≥ boundary, and exactly when 0 lies outside the interval.
  for (const [x1, x2] of [[930, 880], [905, 880], [880, 880], [850, 880], [900, 880]]) {
    const k = msprtLook(x1, 1000, x2, 1000, o);
    const rejects = k.likelihoodRatio >= 20;
    assert.equal(Math.abs(k.z) >= k.boundary, rejects, `z vs boundary at ${x1}`);
    assert.equal(k.ci[0] > 0 || k.ci[1] < 0, rejects, `ci vs Λ at ${x1}`);
    assert.ok(k.ci[0] <= k.diff && k.diff <= k.ci[1]);
  }
  // Before minSamples nothing can reject.
  const early = msprtLook(9, 9, 0, 9, o);
  assert.equal(early.pValue, 1);
  assert.equal(early.boundary, Infinity);
  assert.throws(() => msprtLook(5, 4, 1, 4, o), RangeError);
  assert.throws(() => sequentialOptionsSchema.parse({ tau: 0 }));
});

test("SequentialMonitor: the p-value only falls, the interval only shrinks, the stop sticks", () => {
  const m = new SequentialMonitor({ alpha: 0.05, tau: 0.05, minSamples: 20 });
  let prevP = 1;
  let prevWidth = 2;
  // Treatment clearly better at first, then a run of failures.
  let x1 = 0, x2 = 0;
  for (let n = 1; n <= 600; n++) {
    if (n <= 400 ? n % 20 !== 0 : n % 2 === 0) x1++;
    if (n % 5 !== 0) x2++;
    const s = m.update(x1, n, x2, n);
    assert.ok(s.pValue <= prevP + 1e-15);
    assert.ok(s.ci[1] - s.ci[0] <= prevWidth + 1e-12);
    prevP = s.pValue;
    prevWidth = s.ci[1] - s.ci[0];
  }
  const s = m.state!;
  assert.equal(s.rejected, true);
  assert.ok(s.stoppedAt !== null && s.stoppedAt.n1 < 400, JSON.stringify(s.stoppedAt));
  assert.ok(s.pValue < 0.05);
  assert.equal(s.looks, 600);
});

test("sequentialPath: looks after every observation, thins the points, keeps the stop", () => {
  const obs = [];
  for (let i = 0; i < 3000; i++) {
    obs.push({ group: 1 as const, success: i % 20 !== 0 });
    obs.push({ group: 2 as const, success: i % 6 !== 0, at: `t${i}` });
  }
  const { state, path } = sequentialPath(obs, { minSamples: 50 }, 100);
  assert.ok(path.length <= 102 && path.length >= 100, `${path.length}`);
  assert.equal(state!.looks, 6000);
  assert.equal(path.at(-1)!.n1, 3000);
  assert.equal(path.at(-1)!.at, "t2999");
  const stop = state!.stoppedAt!;
  assert.ok(path.some((p) => p.n1 === stop.n1 && p.n2 === stop.n2), "stopping look kept");
  assert.deepEqual(sequentialPath([], {}).path, []);
});
