import assert from "node:assert/strict";
import { test } from "node:test";
import { loadReference } from "./fixtures/reference.ts";
import {
  applyTemperature,
  bootstrap,
  brierScore,
  calibration,
  classificationReport,
  fitTemperature,
  jackknifeAcceleration,
  logLoss,
  pairedBootstrap,
  scoreClassifier,
  sortedQuantile,
  topKAccuracy,
} from "./mod.ts";

const ref = await loadReference();
const probs = Float32Array.from(ref.probs);
const K = ref.classes;
const labels = ref.labels;

function close(actual: number, expected: number, tol: number, what = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: expected ${expected}, got ${actual} (diff ${Math.abs(actual - expected)})`,
  );
}

test("point metrics match scikit-learn", () => {
  const pred = labels.map((_, i) => {
    const row = Array.from(probs.subarray(i * K, (i + 1) * K));
    return row.indexOf(Math.max(...row));
  });
  const r = classificationReport(pred, labels, K, probs);
  close(r.accuracy, ref.accuracy, 1e-12, "accuracy");
  for (let c = 0; c < K; c++) {
    close(r.perClass[c].precision, ref.precision[c], 1e-12, `precision ${c}`);
    close(r.perClass[c].recall, ref.recall[c], 1e-12, `recall ${c}`);
    close(r.perClass[c].f1, ref.f1[c], 1e-12, `f1 ${c}`);
    assert.equal(r.perClass[c].support, ref.support[c]);
  }
  close(r.macroPrecision, ref.macro[0], 1e-12, "macro precision");
  close(r.macroRecall, ref.macro[1], 1e-12, "macro recall");
  close(r.macroF1, ref.macro[2], 1e-12, "macro f1");
  close(r.weightedPrecision, ref.weighted[0], 1e-12, "weighted precision");
  close(r.weightedRecall, ref.weighted[1], 1e-12, "weighted recall");
  close(r.weightedF1, ref.weighted[2], 1e-12, "weighted f1");
  close(topKAccuracy(probs, K, labels, 2), ref.top2, 1e-12, "top-2");
  close(topKAccuracy(probs, K, labels, 3), ref.top3, 1e-12, "top-3");
  close(logLoss(probs, K, labels), ref.logLoss, 1e-6, "log loss");
  close(brierScore(probs, K, labels), ref.brier, 1e-6, "brier");
});

test("ECE, MCE and reliability bins match the numpy reference", () => {
  const cal = calibration(probs, K, labels, 10);
  close(cal.ece, ref.ece10, 1e-7, "ece");
  close(cal.mce, ref.mce10, 1e-7, "mce");
  ref.bins10.forEach((b, i) => {
    assert.equal(cal.bins[i].count, b.count, `bin ${i} count`);
    if (b.accuracy === null) assert.equal(cal.bins[i].accuracy, null);
    else close(cal.bins[i].accuracy!, b.accuracy, 1e-12, `bin ${i} accuracy`);
  });
});

test("temperature scaling finds scipy's optimum and lowers ECE", () => {
  const fit = fitTemperature(probs, K, labels);
  close(fit.temperature, ref.temperature, 1e-5, "temperature");
  close(fit.nllAfter, ref.nllAtTemperature, 1e-7, "nll");
  assert.ok(fit.nllAfter < fit.nllBefore);
  const after = calibration(applyTemperature(probs, K, fit.temperature), K, labels, 10);
  close(after.ece, ref.ece10AfterT, 1e-5, "ece after T");
  // T = 1 is the identity (up to float32 rounding).
  const same = applyTemperature(probs, K, 1);
  for (let i = 0; i < probs.length; i++) close(same[i], probs[i], 1e-6, "T=1");
  assert.throws(() => applyTemperature(probs, K, 0), /positive finite/);
});

test("bootstrap intervals agree with scipy.stats.bootstrap (percentile and BCa)", () => {
  const B = ref.bootstrapResamples;
  const pct = scoreClassifier(labels, probs, K, { resamples: B, seed: 1, topK: [] });
  // Monte Carlo error of a 2.5% quantile with 20000 resamples: well under 0.01 here.
  close(pct.accuracy.low, ref.accuracyCiPercentile[0], 0.01, "percentile low");
  close(pct.accuracy.high, ref.accuracyCiPercentile[1], 0.01, "percentile high");
  close(pct.accuracy.estimate, ref.accuracy, 1e-12, "estimate");
  const bca = scoreClassifier(labels, probs, K, { resamples: B, seed: 1, method: "bca", topK: [] });
  close(bca.accuracy.low, ref.accuracyCiBca[0], 0.01, "bca low");
  close(bca.accuracy.high, ref.accuracyCiBca[1], 0.01, "bca high");
  assert.equal(bca.bootstrap.method, "bca");
});

test("BCa acceleration equals scipy's jackknife value", () => {
  const correct = labels.map((t, i): number => {
    const row = Array.from(probs.subarray(i * K, (i + 1) * K));
    return row.indexOf(Math.max(...row)) === t ? 1 : 0;
  });
  const n = labels.length;
  const loo = correct.map((_, j) => (correct.reduce((a, b) => a + b, 0) - correct[j]) / (n - 1));
  close(jackknifeAcceleration(loo), ref.accelerationAccuracy, 1e-12, "a(accuracy)");
  const nll = labels.map((t, i) => -Math.log(probs[i * K + t]));
  const total = nll.reduce((a, b) => a + b, 0);
  close(
    jackknifeAcceleration(nll.map((v) => (total - v) / (n - 1))),
    ref.accelerationLogLoss,
    1e-9,
    "a(log loss)",
  );
});

test("paired bootstrap of the accuracy difference agrees with scipy", () => {
  const pred = labels.map((_, i) => {
    const row = Array.from(probs.subarray(i * K, (i + 1) * K));
    return row.indexOf(Math.max(...row));
  });
  const r = pairedBootstrap(labels, pred, ref.predB, {
    resamples: ref.bootstrapResamples,
    seed: 3,
  });
  close(r.referenceAccuracy, ref.accuracy, 1e-12, "ref");
  close(r.candidateAccuracy, ref.accuracyB, 1e-12, "cand");
  close(r.difference.estimate, ref.accuracyB - ref.accuracy, 1e-12, "diff");
  close(r.difference.low, ref.accuracyDiffCi[0], 0.006, "diff low");
  close(r.difference.high, ref.accuracyDiffCi[1], 0.006, "diff high");
  assert.ok(r.pNotBetter > 0.95, `candidate is worse: p ${r.pNotBetter}`);
  assert.throws(() => pairedBootstrap([0, 1], [0], [0, 1]), /2 labels, 1 reference/);
});

test("hand-computed cases: scores, seeded determinism, option checks", () => {
  // 4 examples, 2 classes; predictions 0,0,1,1 vs labels 0,1,1,1.
  const p = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8]);
  const s = scoreClassifier([0, 1, 1, 1], p, 2, { resamples: 200, seed: 5 });
  assert.equal(s.accuracy.estimate, 0.75);
  assert.equal(s.perClass[0].precision.estimate, 0.5);
  assert.equal(s.perClass[1].recall.estimate, 2 / 3);
  assert.deepEqual(s.confusion, [[1, 0], [1, 2]]);
  close(s.brier.estimate, (0.02 + 0.72 + 0.18 + 0.08) / 4, 1e-6, "brier");
  // ECE with 15 bins: confidences .9 (right), .6 (wrong), .7 (right), .8 (right), one per bin.
  close(s.ece.estimate, (0.1 + 0.6 + 0.3 + 0.2) / 4, 1e-6, "ece");
  close(s.mce, 0.6, 1e-6, "mce");
  assert.ok(s.accuracy.low <= 0.75 && s.accuracy.high >= 0.75);
  const again = scoreClassifier([0, 1, 1, 1], p, 2, { resamples: 200, seed: 5 });
  assert.deepEqual(again.accuracy, s.accuracy);
  assert.throws(() => bootstrap(3, () => [0], { resamples: 5 }), /resamples/);
  assert.throws(() => bootstrap(3, () => [0], { level: 1 }), /level/);
  assert.throws(() => scoreClassifier([0, 3], p.subarray(0, 4), 2), /out of range/);
  assert.equal(sortedQuantile(Float64Array.from([1, 2, 3, 4]), 0.5), 2.5);
});
