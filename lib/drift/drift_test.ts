/**
 * Detectors on real Fashion-MNIST images (Debian package) through a small seeded CNN: the clean
 * false-alarm bound and a detection floor on the obvious shifts at 200 images. The full
 * calibration (≥ 200 clean batches per size, every severity, batch sizes 50/200/1000) is
 * `deno task drift:evaluate`; here 40 clean batches of 200 keep the test fast.
 */
import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import { readDebianDataset } from "../data/testing.ts";
import { initEngine } from "../engine/mod.ts";
import { mulberry32 } from "../features/mod.ts";
import { buildModel, defaultSignature } from "../models/mod.ts";
import {
  applyShift,
  buildProfile,
  detectDrift,
  DriftInputError,
  evaluateDetectors,
  pickImages,
  priorShiftIndices,
  profileSchema,
  SHIFT_KINDS,
  viewBatch,
} from "./mod.ts";

await initEngine({ backend: "wasm" });
const ds = await readDebianDataset();
if (!ds) throw new Error("install the Debian package dataset-fashion-mnist");
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const sig = defaultSignature([28, 28, 1], "cnn");
const model = buildModel({ arch: "m1", seed: 3, dense: 32, filters: [8, 16] });
const reference = pickImages(ds.train, range(0, 2000));
const pool = pickImages(ds.test, range(0, 1000));
const profile = buildProfile(model, reference, {
  model: { name: "t", version: 1, sha256: "0".repeat(64) },
  signature: sig,
  source: "train[0:2000]",
  seed: 1,
});

Deno.test("profile: JSON round trip through its schema; PCA-reduced embeddings", () => {
  const parsed = profileSchema.parse(JSON.parse(JSON.stringify(profile)));
  assert.equal(parsed.sample.features.count, 2000);
  assert.equal(parsed.sample.embeddings.dim, 16);
  assert.equal(parsed.classCounts.reduce((a, b) => a + b, 0), 2000);
});

Deno.test("shifts: every kind keeps shape; JPEG artefacts match a jpeg-js round trip", () => {
  const few = pickImages(pool, range(0, 20));
  for (const kind of SHIFT_KINDS) {
    const s = applyShift(few, kind, 3, mulberry32(1));
    assert.equal(s.images.length, few.images.length);
    if (kind !== "prior") assert.notDeepEqual(s.images, few.images, kind);
  }
  const ours = applyShift(few, "jpeg", 2, mulberry32(1));
  let diff = 0;
  const checked = 5; // jpeg-js takes ~10 ms per tiny image
  for (let i = 0; i < checked; i++) {
    const rgba = new Uint8Array(784 * 4);
    for (let j = 0; j < 784; j++) rgba.fill(few.images[i * 784 + j], 4 * j, 4 * j + 3);
    const enc = jpeg.encode({ data: rgba, width: 28, height: 28 }, 15);
    const dec = jpeg.decode(enc.data, { useTArray: true });
    for (let j = 0; j < 784; j++) diff += Math.abs(dec.data[4 * j] - ours.images[i * 784 + j]);
  }
  assert.ok(diff / (checked * 784) < 1, `mean |ours − jpeg-js| = ${diff / (checked * 784)}`);
  const idx = priorShiftIndices(pool.labels, 200, 3, mulberry32(2));
  assert.equal(new Set(idx).size, 200);
  assert.ok(Array.from(idx).every((i) => pool.labels[i] <= 1));
});

Deno.test("detectDrift: clean batches stay under the bound; obvious shifts are detected at 200", () => {
  const table = evaluateDetectors(model, profile, pool, sig.normalization, {
    sizes: [200],
    cleanBatches: 40,
    shiftBatches: 3,
    severities: [3],
    seed: 5,
  });
  const clean = table.cells.find((c) => c.shift === "clean")!;
  // Binomial(40, 0.05): P(X ≥ 6) ≈ 0.014; a miscalibrated detector (e.g. 5 tests at α each
  // without the across-detector correction) exceeds it.
  assert.ok(clean.overall * clean.batches <= 5, `clean alarms ${clean.overall * 40}/40`);
  for (const c of table.cells.filter((c) => c.shift !== "clean")) {
    assert.equal(c.overall, 1, `${c.shift} severity 3 detected in ${c.overall * 3}/3 batches`);
  }
});

Deno.test("detectDrift: large batches need an effect size; tiny batches are refused", () => {
  const big = viewBatch(model, profile, pool, sig.normalization);
  const r = detectDrift(profile, big, { seed: 1 });
  assert.equal(r.largeSample, true);
  assert.equal(r.verdict, "no drift");
  const feats = r.detectors.find((d) => d.detector === "features")!;
  assert.equal(feats.effect?.applies, true);
  const tiny = viewBatch(model, profile, pickImages(pool, range(0, 5)), sig.normalization);
  assert.throws(() => detectDrift(profile, tiny), DriftInputError);
});
