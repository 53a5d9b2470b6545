/**
 * Baselines in the scikit-learn role, tracked like every other run: multinomial logistic
 * regression and an MLP (trained with the one training loop through {@link trainCandidate}),
 * and k-nearest neighbours (no training; a cached step that evaluates it on the test split).
 */
import { z } from "zod";
import { loadDataset } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { classificationReport } from "../evaluate/mod.ts";
import { getNormalization, getSplit } from "../features/mod.ts";
import { argmaxClasses, fitKnn, type KnnConfigInput, knnConfigSchema } from "../models/mod.ts";
import { type Ctx } from "../workspace/mod.ts";
import { type Json } from "../hashing/mod.ts";
import { runStep } from "../steps/mod.ts";
import { withRun } from "../tracking/mod.ts";
import { trainCandidate } from "./candidate.ts";
import type { Recipe } from "./recipes.ts";

/** Names of the baselines. */
export const baselineNameSchema = z.enum(["logreg", "mlp", "knn"]);
/** A baseline name. */
export type BaselineName = z.infer<typeof baselineNameSchema>;

/** Recipes of the trained baselines. */
export const BASELINE_RECIPES: Record<"logreg" | "mlp", Recipe> = {
  logreg: {
    description: "multinomial logistic regression on pixels, Adam, 15 epochs",
    model: { arch: "logreg", seed: 42 },
    train: {
      epochs: 15,
      batchSize: 256,
      learningRate: 2e-3,
      schedule: { kind: "cosine" },
      seed: 42,
    },
  },
  mlp: {
    description: "MLP 256-128 with dropout, Adam, 20 epochs",
    model: { arch: "mlp", hidden: [256, 128], dropout: 0.2, seed: 42 },
    train: {
      epochs: 20,
      batchSize: 128,
      learningRate: 1e-3,
      schedule: { kind: "cosine" },
      seed: 42,
    },
  },
};

/** One baseline's outcome. */
export interface BaselineResult {
  name: BaselineName;
  testAccuracy: number;
  testMacroF1: number;
  runId: string;
  seconds: number;
  skipped: boolean;
}

/** Evaluate k-NN on the test split as a cached, tracked step. */
export async function knnBaseline(
  ctx: Ctx,
  opts: { dataset?: string; config?: KnnConfigInput; limit?: number; testLimit?: number } = {},
): Promise<BaselineResult> {
  const cfg = knnConfigSchema.parse(opts.config ?? {});
  const dataset = await loadDataset(ctx, opts.dataset);
  const engine = await initEngine(
    { backend: ctx.settings.backend, threads: ctx.settings.threads },
    ctx.log,
  );
  const inputs = {
    version: 1,
    dataset: dataset.version,
    cfg,
    limit: opts.limit ?? null,
    testLimit: opts.testLimit ?? null,
  } as unknown as Json;
  const res = await runStep<
    { runId: string; testAccuracy: number; testMacroF1: number; seconds: number }
  >(
    ctx,
    {
      name: "baseline.knn",
      inputs,
      run: () =>
        withRun(ctx, {
          experiment: "baseline-knn",
          params: { ...cfg, limit: opts.limit ?? null, testLimit: opts.testLimit ?? null },
          lineage: {
            datasetVersion: dataset.version,
            config: inputs,
            engine: { name: "tfjs", backend: engine.backend, versions: engine.versions },
          },
        }, async (run) => {
          const t0 = performance.now();
          const split = await getSplit(ctx, dataset.version);
          const norm = await getNormalization(ctx, dataset.version);
          const normalization = { scale: 1 / 255, mean: norm.mean, std: norm.std };
          // k-NN uses the whole train split (train + validation indices) as its memory.
          const all = Int32Array.from([...split.train, ...split.val]);
          const knn = fitKnn(
            dataset.train,
            opts.limit ? all.subarray(0, opts.limit) : all,
            normalization,
            cfg,
          );
          try {
            const n = Math.min(dataset.test.count, opts.testLimit ?? dataset.test.count);
            const idx = Array.from({ length: n }, (_, i) => i);
            const p = knn.predict(dataset.test, idx);
            const report = classificationReport(
              argmaxClasses(p),
              dataset.test.labels.subarray(0, n),
              p.classes,
            );
            const seconds = (performance.now() - t0) / 1000;
            await run.logMetrics({
              test_accuracy: report.accuracy,
              test_macro_f1: report.macroF1,
              seconds,
            }, 0);
            return {
              result: {
                runId: run.id,
                testAccuracy: report.accuracy,
                testMacroF1: report.macroF1,
                seconds,
              },
            };
          } finally {
            knn.dispose();
          }
        }),
    },
  );
  return { name: "knn", ...res.result, skipped: res.skipped };
}

/** Run the named baselines (all by default) on a dataset version and return their results. */
export async function runBaselines(
  ctx: Ctx,
  opts: {
    dataset?: string;
    which?: BaselineName[];
    limit?: number;
    testLimit?: number;
    epochs?: number;
  } = {},
): Promise<BaselineResult[]> {
  const out: BaselineResult[] = [];
  for (const name of opts.which ?? baselineNameSchema.options) {
    if (name === "knn") {
      out.push(
        await knnBaseline(ctx, {
          dataset: opts.dataset,
          limit: opts.limit,
          testLimit: opts.testLimit,
        }),
      );
      continue;
    }
    const r = BASELINE_RECIPES[name];
    const c = await trainCandidate(ctx, {
      dataset: opts.dataset,
      experiment: `baseline-${name}`,
      model: r.model,
      train: { ...r.train, ...(opts.epochs ? { epochs: opts.epochs } : {}) },
      limit: opts.limit ?? r.limit,
    });
    out.push({
      name,
      testAccuracy: c.testAccuracy,
      testMacroF1: c.testMacroF1,
      runId: c.runId,
      seconds: c.trainSeconds,
      skipped: c.skipped,
    });
  }
  return out;
}
