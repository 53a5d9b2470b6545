/**
 * Models of known, data-derived accuracy registered without training, for A/B experiments whose
 * arms must differ by a known amount (`deno task experiment:run --setup centroid`, the notebook,
 * the tests): the nearest-centroid classifier of the first `n` training images, written as the
 * weights of a `logreg` model (score_c = μ_c·x − |μ_c|²/2, the Euclidean nearest centroid). More
 * images give better centroids (on Fashion-MNIST test images: n = 20 ≈ 41 %, n = 2000 ≈ 67 %).
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { buildModel } from "../models/mod.ts";
import { defaultSignature, saveModelArtifact } from "../models/artifact.ts";
import { registerModelVersion, setAlias } from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";

/** Register the nearest-centroid classifier of `train`'s first `n` images; returns the version. */
export async function registerCentroidModel(
  ctx: TrackingContext,
  name: string,
  train: ImageSet,
  n: number,
  alias?: string,
): Promise<number> {
  const px = train.rows * train.cols;
  const classes = 10;
  const mu = new Float32Array(px * classes);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < Math.min(n, train.count); i++) {
    const y = train.labels[i];
    counts[y]++;
    for (let p = 0; p < px; p++) mu[p * classes + y] += train.images[i * px + p] / 255;
  }
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let sq = 0;
    for (let p = 0; p < px; p++) {
      mu[p * classes + c] /= Math.max(1, counts[c]);
      sq += mu[p * classes + c] ** 2;
    }
    bias[c] = -sq / 2;
  }
  const model = buildModel({ arch: "logreg", seed: 0 });
  try {
    const kernel = tf.tensor2d(mu, [px, classes]);
    const b = tf.tensor1d(bias);
    model.getLayer("logits").setWeights([kernel, b]);
    kernel.dispose();
    b.dispose();
    const signature = defaultSignature([28, 28, 1], "cnn");
    const ref = await saveModelArtifact(ctx.store, model, {
      signature,
      metrics: { centroidImages: n },
      config: { arch: "logreg", centroidImages: n },
    });
    const { version } = await registerModelVersion(ctx, {
      name,
      artifact: { key: ref.key, sha256: ref.sha256, size: ref.size },
      signature,
      metrics: { centroidImages: n },
    });
    if (alias) await setAlias(ctx, { name, alias, version: version.version, reason: "test" });
    return version.version;
  } finally {
    model.dispose();
  }
}
