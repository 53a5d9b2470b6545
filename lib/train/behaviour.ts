/**
 * The behavioural suite (`lib/evaluate` `runBehaviourSuite`) on a stored model artifact: its
 * served probabilities (temperature applied) on the test split of a dataset version, its size
 * from the object store. Used by `deno task test:model` and by the promotion gate.
 */
import { loadDataset } from "../data/mod.ts";
import { type BehaviourOptions, type BehaviourResult, runBehaviourSuite } from "../evaluate/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { loadModelArtifact } from "../models/mod.ts";
import { openPredictor, type Predictor, resolveRuntime } from "../inference/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { contentKey } from "../storage/mod.ts";

/** Run the behavioural suite on artifact `sha256` with the test split of `datasetVersion`. */
export async function behaviourOfArtifact(
  ctx: Ctx,
  sha256: string,
  datasetVersion: string,
  opts: Partial<BehaviourOptions> = {},
): Promise<BehaviourResult> {
  await initEngine(
    { backend: ctx.settings.backend, threads: ctx.settings.threads },
    ctx.log,
  );
  const ds = await loadDataset(ctx, datasetVersion);
  const { model, manifest } = await loadModelArtifact(ctx.store, sha256);
  let predictor: Predictor | undefined;
  try {
    const sig = manifest.signature;
    const n = sig.normalization;
    const a = (255 * n.scale) / n.std, b = -n.mean / n.std;
    const classes = sig.labels.length;
    // The served probabilities (temperature applied) on the inference runtime.
    predictor = await openPredictor(model, {
      runtime: await resolveRuntime(ctx.settings.inferRuntime, { log: ctx.log }),
      threads: ctx.settings.threads,
      ...(sig.temperature === undefined ? {} : { temperature: sig.temperature }),
    });
    const p = predictor;
    const predict = (x: Float32Array, count: number) => p.run(x.map((v) => v * a + b), count);
    const px = Float32Array.from(ds.test.images, (v) => v / 255);
    const weights = await ctx.store.stat(contentKey(manifest.weightsSha256));
    const manifestStat = await ctx.store.stat(contentKey(sha256));
    const size = (weights?.size ?? 0) + (manifestStat?.size ?? 0);
    return await runBehaviourSuite(predict, px, ds.test.labels, classes, {
      ...opts,
      ...(size > 0 ? { artifactBytes: size } : {}),
    });
  } finally {
    await predictor?.close();
    model.dispose();
  }
}
