/**
 * Register a trained candidate in the model registry and run the promotion gate against the
 * current champion on the held-out test set (McNemar or a paired bootstrap). The version's
 * metrics carry the accuracy interval, ECE before/after temperature scaling and the temperature;
 * its tracking run holds the evaluation report. The champion's test predictions are
 * read from the store, or recomputed from its artifact when missing.
 */
import { loadDataset } from "../data/mod.ts";
import { loadModelArtifact } from "../models/mod.ts";
import { argmaxClasses } from "../models/mod.ts";
import { predictImageSet, resolveRuntime } from "../inference/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import {
  CHAMPION,
  getAliases,
  getModelVersion,
  listModelVersions,
  promoteIfBetter,
  registerModelVersion,
} from "../registry/mod.ts";
import type { GateDecision, GateTest, ModelVersion } from "../registry/mod.ts";
import { readArtifactManifest } from "../models/mod.ts";
import { type CandidateResult, predictionsKey } from "./candidate.ts";
import { attachVersionOnnx, exportChecked, onnxMetadataFor } from "./onnx.ts";
import type { OnnxFile } from "../registry/mod.ts";
import { behaviourOfArtifact } from "./behaviour.ts";

/** Outcome of {@link registerCandidate}. */
export interface RegisterCandidateResult {
  version: ModelVersion;
  /** False when this artifact was registered before. */
  created: boolean;
  /** The gate's decision; null when the candidate already is the champion. */
  decision: GateDecision | null;
  /** Champion version after the call. */
  champion: number;
  /** The version's ONNX export (checked against the tfjs artifact on the test split). */
  onnx: OnnxFile;
}

async function testPredictions(
  ctx: Ctx,
  sha256: string,
  datasetVersion: string,
): Promise<Uint8Array> {
  const key = predictionsKey(sha256, datasetVersion);
  if (await ctx.store.stat(key)) return await ctx.store.get(key);
  const dataset = await loadDataset(ctx, datasetVersion);
  const { model, manifest } = await loadModelArtifact(ctx.store, sha256);
  try {
    const pred = Uint8Array.from(
      argmaxClasses(
        await predictImageSet(model, dataset.test, {
          normalization: manifest.signature.normalization,
          runtime: await resolveRuntime(ctx.settings.inferRuntime, { log: ctx.log }),
          threads: ctx.settings.threads,
        }),
      ),
    );
    await ctx.store.put(key, pred);
    return pred;
  } finally {
    model.dispose();
  }
}

/**
 * Export a candidate to ONNX and check it on the test split before it is registered: a model
 * whose export does not compute what it computes is not registered.
 */
async function checkedOnnxOf(ctx: Ctx, name: string, c: CandidateResult) {
  const { model, manifest } = await loadModelArtifact(ctx.store, c.artifactSha256);
  try {
    const dataset = await loadDataset(ctx, c.datasetVersion);
    const meta = await onnxMetadataFor(name, manifest, {
      sha256: c.artifactSha256,
      datasetVersion: c.datasetVersion,
    });
    return await exportChecked(model, manifest, meta, dataset.test);
  } finally {
    model.dispose();
  }
}

/**
 * Register `candidate` under model `name` (with its ONNX export, checked first: see
 * {@link checkedOnnxOf}) and promote it to `champion` if the gate says it beats
 * the current champion at level `alpha` (or if there is no champion yet).
 */
export async function registerCandidate(
  ctx: Ctx,
  opts: {
    name: string;
    candidate: CandidateResult;
    alpha?: number;
    note?: string;
    /** The gate's test (default McNemar). */
    test?: GateTest;
    /**
     * The behavioural suite on the challenger before the gate: `record` (default) records its
     * result with the decision, `enforce` also blocks a failing challenger, `off` skips it.
     */
    behaviour?: "off" | "record" | "enforce";
  },
): Promise<RegisterCandidateResult> {
  const c = opts.candidate;
  const manifest = await readArtifactManifest(ctx.store, c.artifactSha256);
  const size = (await ctx.store.stat(c.artifactKey))?.size ?? 0;
  // Registered before with its export: nothing to check again.
  const known = (await listModelVersions(ctx, opts.name).catch(() => [])).find((v) =>
    v.sha256 === c.artifactSha256 && v.onnxSha256 !== null
  );
  const checked = known ? undefined : await checkedOnnxOf(ctx, opts.name, c);
  const { version, created } = await registerModelVersion(ctx, {
    name: opts.name,
    artifact: { key: c.artifactKey, sha256: c.artifactSha256, size },
    signature: manifest.signature,
    metrics: {
      test_accuracy: c.testAccuracy,
      test_macro_f1: c.testMacroF1,
      test_log_loss: c.testLogLoss,
      test_accuracy_low: c.testAccuracyLow,
      test_accuracy_high: c.testAccuracyHigh,
      test_ece: c.testEce,
      test_ece_calibrated: c.testEceCalibrated,
      temperature: c.temperature,
    },
    runId: c.runId,
    datasetVersion: c.datasetVersion,
  });
  const onnx = await attachVersionOnnx(ctx, {
    name: opts.name,
    version: version.version,
    checked,
  });
  const aliases = await getAliases(ctx, opts.name);
  const championVersion = aliases[CHAMPION];
  if (championVersion === version.version) {
    return { version, created, decision: null, champion: championVersion, onnx };
  }
  const dataset = await loadDataset(ctx, c.datasetVersion);
  const challengerPreds = await testPredictions(ctx, c.artifactSha256, c.datasetVersion);
  let championPreds: Uint8Array | undefined;
  if (championVersion !== undefined) {
    const champ = await getModelVersion(ctx, opts.name, championVersion);
    championPreds = await testPredictions(ctx, champ.sha256, c.datasetVersion);
  }
  const mode = opts.behaviour ?? "record";
  const behaviour = mode === "off"
    ? undefined
    : await behaviourOfArtifact(ctx, c.artifactSha256, c.datasetVersion);
  const decision = await promoteIfBetter(ctx, {
    behaviour,
    enforceBehaviour: mode === "enforce",
    name: opts.name,
    challenger: version.version,
    testLabels: dataset.test.labels,
    challengerPreds,
    championPreds,
    alpha: opts.alpha,
    note: opts.note,
    test: opts.test,
  });
  const after = await getAliases(ctx, opts.name);
  return { version, created, decision, champion: after[CHAMPION], onnx };
}
