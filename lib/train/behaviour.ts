/**
 * The behavioural suite (`lib/evaluate` `runBehaviourSuite`) on a stored model artifact: its
 * served probabilities (temperature applied) on the test split of a dataset version, its size
 * from the object store. Used by `deno task test:model` and by the promotion gate.
 */
import * as tf from "@tensorflow/tfjs";
import { loadDataset } from "../data/mod.ts";
import {
  applyTemperature,
  type BehaviourOptions,
  type BehaviourResult,
  runBehaviourSuite,
} from "../evaluate/mod.ts";
import { initEngine } from "../engine/mod.ts";
import { loadModelArtifact } from "../models/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { contentKey } from "../storage/mod.ts";

/** Run the behavioural suite on artifact `sha256` with the test split of `datasetVersion`. */
export async function behaviourOfArtifact(
  ctx: Ctx,
  sha256: string,
  datasetVersion: string,
  opts: Partial<BehaviourOptions> = {},
): Promise<BehaviourResult> {
  await initEngine({ backend: ctx.settings.backend, threads: ctx.settings.threads });
  const ds = await loadDataset(ctx, datasetVersion);
  const { model, manifest } = await loadModelArtifact(ctx.store, sha256);
  try {
    const sig = manifest.signature;
    const n = sig.normalization;
    const a = (255 * n.scale) / n.std, b = -n.mean / n.std;
    const classes = sig.labels.length;
    const predict = (x: Float32Array, count: number) => {
      const out = tf.tidy(() =>
        model.predict(tf.tensor(x.map((v) => v * a + b), [count, ...sig.inputShape])) as tf.Tensor
      );
      const p = out.dataSync() as Float32Array;
      out.dispose();
      return sig.temperature ? applyTemperature(p, classes, sig.temperature) : p;
    };
    const px = Float32Array.from(ds.test.images, (v) => v / 255);
    const weights = await ctx.store.stat(contentKey(manifest.weightsSha256));
    const manifestStat = await ctx.store.stat(contentKey(sha256));
    const size = (weights?.size ?? 0) + (manifestStat?.size ?? 0);
    return await runBehaviourSuite(predict, px, ds.test.labels, classes, {
      ...opts,
      ...(size > 0 ? { artifactBytes: size } : {}),
    });
  } finally {
    model.dispose();
  }
}
