import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import { registerModelVersion, RegistryNotFoundError, setAlias } from "../registry/mod.ts";
import { startRun } from "../tracking/mod.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import { cardEvaluationSchema, collectModelCard, modelCardMarkdown } from "./mod.ts";

const iv = (estimate: number) => ({ estimate, low: estimate - 0.01, high: estimate + 0.01 });
const LABELS = ["T-shirt/top", "Trouser"];

/** A small evaluation report in the `fmnist-evaluation/v1` shape (two classes). */
function report(datasetVersion: string, runId: string) {
  return {
    format: "fmnist-evaluation/v1",
    createdAt: "2026-01-02T03:04:05.000Z",
    artifactSha256: "ab".repeat(32),
    datasetVersion,
    runId,
    labels: LABELS,
    test: {
      count: 200,
      classes: 2,
      bootstrap: { method: "percentile", level: 0.95, resamples: 100, seed: 0 },
      accuracy: iv(0.8765),
      macroPrecision: iv(0.87),
      macroRecall: iv(0.87),
      macroF1: iv(0.8711),
      weightedPrecision: iv(0.87),
      weightedRecall: iv(0.87),
      weightedF1: iv(0.8722),
      logLoss: iv(0.35),
      brier: iv(0.18),
      topK: {},
      ece: iv(0.031),
      mce: 0.1,
      calibration: { ece: 0.031, mce: 0.1, bins: [] },
      perClass: [
        { classId: 0, support: 100, precision: iv(0.9), recall: iv(0.85), f1: iv(0.87) },
        { classId: 1, support: 100, precision: iv(0.86), recall: iv(0.9), f1: iv(0.88) },
      ],
      confusion: [[85, 15], [10, 90]],
    },
    calibration: {
      temperature: 1.2345,
      fit: {},
      before: { ece: 0.031, mce: 0.1, bins: [] },
      after: { ece: 0.012, mce: 0.05, bins: [] },
      logLossAfter: 0.33,
    },
    slices: {
      count: 200,
      overall: 0.8765,
      threshold: 0.05,
      alpha: 0.05,
      level: 0.95,
      correction: "holm",
      slices: [
        {
          grouping: "brightness",
          slice: "q1",
          n: 50,
          correct: 30,
          accuracy: 0.6,
          low: 0.46,
          high: 0.72,
          gap: 0.27,
          pValue: 1e-5,
          pAdjusted: 4e-5,
          flagged: true,
        },
        {
          grouping: "brightness",
          slice: "q2",
          n: 50,
          correct: 45,
          accuracy: 0.9,
          low: 0.79,
          high: 0.96,
          gap: -0.02,
          pValue: 0.9,
          pAdjusted: 1,
          flagged: false,
        },
      ],
    },
    mistakes: [{ index: 7, label: 0, predicted: 1, confidence: 0.987, overlayPng: "iVBORw0KGgo=" }],
    sanity: {
      images: 4,
      methods: [{
        method: "integrated_gradients",
        msPerImage: 3,
        randomisation: [],
        deletionAuc: 0.21,
        insertionAuc: 0.7,
        randomDeletionAuc: 0.45,
        randomInsertionAuc: 0.4,
      }],
    },
    background: { count: 0, indices: [], images: "" },
  };
}

forEachDb("a model card shows the recorded evidence of a version", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    const run = await startRun(ctx, {
      experiment: "cnn",
      heartbeatMs: 0,
      params: { lr: 0.003, epochs: 2 },
      lineage: {
        datasetVersion: "ds-card-1",
        seed: 7,
        config: { recipe: "quick" },
        engine: { name: "tfjs", backend: "wasm", versions: { "@tensorflow/tfjs": "4.22.0" } },
      },
    });
    const rep = report("ds-card-1", run.id);
    assert.ok(cardEvaluationSchema.safeParse(rep).success, "fixture matches the report schema");
    await run.logArtifact(
      "evaluation.json",
      new TextEncoder().encode(JSON.stringify(rep)),
      "application/json",
    );
    await run.finish();
    const { version } = await registerModelVersion(ctx, {
      name: "fmnist",
      artifact: new TextEncoder().encode("weights-card"),
      metrics: { accuracy: 0.8765 },
      runId: run.id,
      datasetVersion: "ds-card-1",
      actor: "alice",
    });
    await setAlias(ctx, {
      name: "fmnist",
      alias: "champion",
      version: version.version,
      actor: "bob",
      reason: "first",
    });

    const md = modelCardMarkdown(await collectModelCard(ctx, "fmnist", version.version));
    for (
      const section of [
        "Model details",
        "Intended use",
        "Training data",
        "Evaluation data",
        "Metrics",
        "Per-class and per-slice results",
        "Calibration",
        "Explainability examples",
        "Drift reference",
        "Ethical considerations and limitations",
        "Lineage",
      ]
    ) assert.match(md, new RegExp(`^## ${section}$`, "m"), `section ${section}`);
    assert.match(md, /^# Model card: fmnist v1$/m);
    assert.match(md, /\| accuracy \| 0\.8765 \[0\.8665, 0\.8865\] \|/);
    assert.match(md, /\| Trouser \| 100 \|/);
    assert.match(md, /\| brightness \| q1 \| 50 \|/, "the flagged slice is listed");
    assert.doesNotMatch(md, /\| brightness \| q2 \|/, "an unflagged slice is not");
    assert.match(md, /Temperature 1\.2345/);
    assert.match(md, /data:image\/png;base64,iVBORw0KGgo=/);
    assert.match(md, /No drift reference profile/);
    assert.match(md, /\| seed \| 7 \|/);
    assert.match(md, /tfjs \(wasm\) @tensorflow\/tfjs 4\.22\.0/);
    assert.match(md, /ds-card-1/);
    assert.match(md, /alias `champion` → v1 by bob: first/);
    assert.match(
      md,
      /Explainability examples[\s\S]*test image 7: T-shirt\/top predicted as Trouser/,
    );
  } finally {
    await ctx.close();
  }
});

forEachDb("a card of a version without a run says what is missing", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    await registerModelVersion(ctx, {
      name: "bare",
      artifact: new TextEncoder().encode("weights-bare"),
      metrics: { accuracy: 0.5 },
    });
    const md = modelCardMarkdown(await collectModelCard(ctx, "bare", 1));
    assert.match(md, /No evaluation report: the version has no tracking run\./);
    assert.match(md, /\| accuracy \| 0\.5000 \|/);
    assert.match(md, /\| code commit \| not recorded \|/);
    await assert.rejects(collectModelCard(ctx, "bare", 2), RegistryNotFoundError);
  } finally {
    await ctx.close();
  }
});
