/**
 * Train a candidate model end to end as one cached pipeline step: load the dataset version and
 * its stored split/normalization, train with the one training loop while tracking the run,
 * evaluate on the held-out test split, and save the model artifact and its test predictions.
 * Re-running with the same dataset, configs and engine reuses the recorded result.
 */
import { loadDataset } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { type CiMethod, classificationReport, fitTemperature } from "../evaluate/mod.ts";
import { getNormalization, getSplit, loadFeatures } from "../features/mod.ts";
import { buildModel, type ModelConfigInput, parseModelConfig } from "../models/mod.ts";
import { defaultSignature, saveModelArtifact } from "../models/mod.ts";
import { modelInputShape } from "../models/mod.ts";
import { argmaxClasses } from "../models/mod.ts";
import { predictImageSet, resolveRuntime } from "../inference/mod.ts";
import { type Ctx } from "../workspace/mod.ts";
import { type Json } from "../hashing/mod.ts";
import { runStep } from "../steps/mod.ts";
import { withRun } from "../tracking/mod.ts";
import { parseTrainConfig, type TrainConfigInput, trainModel } from "./loop.ts";
import { clearCheckpoint } from "./checkpoint.ts";
import {
  buildEvaluationReport,
  EVALUATION_HTML,
  EVALUATION_JSON,
  evaluationReportHtml,
} from "./evaluation.ts";
import { resolveReplicas } from "./replicas.ts";

/** Bump when the training code changes what a candidate's result means. */
export const CANDIDATE_STEP_VERSION = 4;

/** Options of {@link trainCandidate}. */
export interface CandidateOptions {
  /** Dataset version (or alias such as `latest`). */
  dataset?: string;
  /** Tracking experiment name. */
  experiment: string;
  model: ModelConfigInput;
  train: TrainConfigInput;
  /** Use at most this many training images (small runs in tests and CI notebooks). */
  limit?: number;
  /** Called after every epoch (live plots in notebooks). */
  onEpochEnd?: (epoch: number, metrics: Record<string, number>) => void;
  /** Bootstrap resamples and interval method of the evaluation report (1000, percentile). */
  resamples?: number;
  ciMethod?: CiMethod;
}

/** What a candidate run produced (JSON, recorded by the step runner). */
export interface CandidateResult {
  [key: string]: Json;
  runId: string;
  datasetVersion: string;
  artifactSha256: string;
  artifactKey: string;
  /** Object key of the test-set predictions (one byte per image). */
  predictionsKey: string;
  testAccuracy: number;
  testMacroF1: number;
  testLogLoss: number;
  /** Bounds of the 95% bootstrap interval of the test accuracy. */
  testAccuracyLow: number;
  testAccuracyHigh: number;
  /** Test ECE before and after temperature scaling, and the temperature (fit on validation). */
  testEce: number;
  testEceCalibrated: number;
  temperature: number;
  epochs: number;
  trainSeconds: number;
  imagesPerSecond: number;
  backend: string;
  /** Data-parallel training replicas used. */
  replicas: number;
}

/** Object key holding a model artifact's predicted classes on a dataset's test split. */
export function predictionsKey(artifactSha256: string, datasetVersion: string): string {
  return `predictions/${artifactSha256}/${datasetVersion}/test.u8`;
}

/** Train, evaluate and save a candidate; skipped when the same inputs already produced one. */
export async function trainCandidate(
  ctx: Ctx,
  opts: CandidateOptions,
): Promise<CandidateResult & { skipped: boolean }> {
  const model = parseModelConfig(opts.model);
  const train = parseTrainConfig(opts.train);
  const dataset = await loadDataset(ctx, opts.dataset);
  const engine = await initEngine(
    { backend: ctx.settings.backend, threads: ctx.settings.threads },
    ctx.log,
  );
  const trainImages = opts.limit ? Math.min(opts.limit, dataset.train.count) : dataset.train.count;
  const replicas = resolveReplicas("auto", engine.backend, trainImages);
  // Evaluation runs on the inference runtime (FMNIST_INFER_RUNTIME), as the service does.
  const runtime = await resolveRuntime(ctx.settings.inferRuntime, { log: ctx.log });
  const inputs = {
    version: CANDIDATE_STEP_VERSION,
    dataset: dataset.version,
    model,
    train,
    limit: opts.limit ?? null,
    backend: engine.backend,
    // Per-replica BatchNorm statistics make results depend (slightly) on the replica count.
    replicas,
    evaluation: {
      resamples: opts.resamples ?? 1000,
      ciMethod: opts.ciMethod ?? "percentile",
      runtime: runtime.kind,
    },
  } as unknown as Json;
  const res = await runStep<CandidateResult>(ctx, {
    name: `train.${opts.experiment}`,
    inputs,
    run: async (info) => {
      const split = await getSplit(ctx, dataset.version);
      const norm = await getNormalization(ctx, dataset.version);
      const normalization = { scale: 1 / 255, mean: norm.mean, std: norm.std };
      const trainIdx = opts.limit ? split.train.subarray(0, opts.limit) : split.train;
      const valIdx = opts.limit
        ? split.val.subarray(0, Math.max(100, Math.round(opts.limit / 9)))
        : split.val;
      return await withRun(ctx, {
        experiment: opts.experiment,
        params: { model, train, limit: opts.limit ?? null },
        lineage: {
          datasetVersion: dataset.version,
          config: inputs,
          seed: train.seed,
          engine: {
            name: "tfjs",
            backend: engine.backend,
            versions: {
              ...engine.versions,
              threads: String(engine.threads),
              evaluation: `${runtime.name} ${runtime.version}`,
            },
          },
        },
      }, async (run) => {
        const net = buildModel(model);
        try {
          const checkpoint = { store: ctx.store, id: info.inputHash.slice(0, 32) };
          const result = await trainModel({
            model: net,
            data: dataset.train,
            trainIndices: trainIdx,
            validation: { data: dataset.train, indices: valIdx },
            normalization,
            config: train,
            workers: replicas,
            checkpoint,
            log: ctx.log,
            onEpochEnd: async (epoch, metrics) => {
              await run.logMetrics(metrics, epoch);
              opts.onEpochEnd?.(epoch, metrics);
            },
          });
          const evalOpts = { normalization, runtime, threads: ctx.settings.threads };
          const probs = await predictImageSet(net, dataset.test, evalOpts);
          const pred = argmaxClasses(probs);
          const report = classificationReport(
            pred,
            dataset.test.labels,
            probs.classes,
            probs.probs,
          );
          // Temperature scaling, fitted on the validation split, travels in the signature.
          const valProbs = await predictImageSet(net, dataset.train, {
            ...evalOpts,
            indices: valIdx,
          });
          const valLabels = Array.from(valIdx, (i) => dataset.train.labels[i]);
          const fit = fitTemperature(valProbs.probs, valProbs.classes, valLabels);
          const signature = {
            ...defaultSignature(modelInputShape(net), model.arch),
            normalization,
            temperature: fit.temperature,
          };
          const evaluation = await buildEvaluationReport({
            model: net,
            signature,
            artifactSha256: "",
            datasetVersion: dataset.version,
            runId: run.id,
            testImages: dataset.test.images,
            testLabels: dataset.test.labels,
            testProbs: probs.probs,
            fit,
            features: await testFeatures(ctx, dataset.version, dataset.test.count),
            resamples: opts.resamples,
            ciMethod: opts.ciMethod,
          });
          const testMetrics = {
            test_accuracy: report.accuracy,
            test_macro_f1: report.macroF1,
            test_log_loss: report.logLoss ?? NaN,
            test_accuracy_low: evaluation.test.accuracy.low,
            test_accuracy_high: evaluation.test.accuracy.high,
            test_ece: evaluation.calibration.before.ece,
            test_ece_calibrated: evaluation.calibration.after.ece,
            temperature: fit.temperature,
          };
          await run.logMetrics(testMetrics, result.epochs);
          const artifact = await saveModelArtifact(ctx.store, net, {
            signature,
            metrics: testMetrics,
            config: { model, train, dataset: dataset.version },
          });
          evaluation.artifactSha256 = artifact.sha256;
          await run.logArtifact(
            EVALUATION_JSON,
            new TextEncoder().encode(JSON.stringify(evaluation)),
            "application/json",
          );
          await run.logArtifact(
            EVALUATION_HTML,
            new TextEncoder().encode(evaluationReportHtml(evaluation)),
            "text/html",
          );
          const pkey = predictionsKey(artifact.sha256, dataset.version);
          await ctx.store.put(pkey, Uint8Array.from(pred));
          await run.logArtifact(
            "classification_report.json",
            new TextEncoder().encode(JSON.stringify(report)),
            "application/json",
          );
          await run.setTags({ artifact: artifact.sha256 });
          await clearCheckpoint(ctx.store, checkpoint.id);
          const out: CandidateResult = {
            runId: run.id,
            datasetVersion: dataset.version,
            artifactSha256: artifact.sha256,
            artifactKey: artifact.key,
            predictionsKey: pkey,
            testAccuracy: report.accuracy,
            testMacroF1: report.macroF1,
            testLogLoss: report.logLoss ?? NaN,
            testAccuracyLow: evaluation.test.accuracy.low,
            testAccuracyHigh: evaluation.test.accuracy.high,
            testEce: evaluation.calibration.before.ece,
            testEceCalibrated: evaluation.calibration.after.ece,
            temperature: fit.temperature,
            epochs: result.epochs,
            trainSeconds: result.seconds,
            imagesPerSecond: result.imagesPerSecond,
            backend: engine.backend,
            replicas: result.replicas,
          };
          return { result: out, objects: [artifact.key, pkey] };
        } finally {
          net.dispose();
        }
      });
    },
  });
  return { ...res.result, skipped: res.skipped };
}

/** Feature-store columns of the test split, in image order (slices of the evaluation report). */
async function testFeatures(
  ctx: Ctx,
  datasetVersion: string,
  count: number,
): Promise<Record<string, Float64Array>> {
  const df = await loadFeatures(ctx, datasetVersion);
  const split = df.getColumn("split").toArray() as string[];
  const index = df.getColumn("image_index").toArray() as number[];
  const want = ["mean_intensity", "ink_ratio", "bbox_height", "bbox_width", "symmetry_h"];
  const cols = Object.fromEntries(
    want.map((c) => [c, df.getColumn(c).toArray() as number[]]),
  );
  const out: Record<string, Float64Array> = {};
  for (const c of [...want, "bbox_area"]) out[c] = new Float64Array(count).fill(NaN);
  for (let r = 0; r < split.length; r++) {
    if (split[r] !== "test") continue;
    const i = Number(index[r]);
    if (i < 0 || i >= count) continue;
    for (const c of want) out[c][i] = Number(cols[c][r]);
    out.bbox_area[i] = Number(cols.bbox_height[r]) * Number(cols.bbox_width[r]);
  }
  const missing = out.ink_ratio.findIndex((v) => Number.isNaN(v));
  if (missing >= 0) {
    throw new Error(
      `the feature store of dataset ${datasetVersion} has no features for test image ${missing}; rerun the features step`,
    );
  }
  return out;
}
