/**
 * Test helper: a small m1 CNN trained for a few seconds on real Fashion-MNIST images (from the
 * Debian package), so attribution tests explain a model that has learned something.
 */
import * as tf from "@tensorflow/tfjs";
import { debianTrainSubset } from "../data/testing.ts";
import { buildModel, defaultSignature, type Signature } from "../models/mod.ts";
import { PIXELS } from "./scorer.ts";

/** A quickly trained model, its signature and held-out images (pixels 0..1) with labels. */
export interface TrainedTiny {
  model: tf.LayersModel;
  signature: Signature;
  /** Held-out images: `count × 784` pixels in 0..1. */
  pixels: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Train `m1` (filters 8/16, dense 32) on `train` images for `epochs`; hold out `heldOut`. */
export async function trainTiny(
  opts: { train?: number; heldOut?: number; epochs?: number } = {},
): Promise<TrainedTiny> {
  const nTrain = opts.train ?? 2000, nHeld = opts.heldOut ?? 64;
  const set = await debianTrainSubset(nTrain + nHeld);
  const all = Float32Array.from(set.images, (v) => v / 255);
  const model = buildModel({ arch: "m1", seed: 7, dense: 32, filters: [8, 16] });
  const x = tf.tensor4d(all.subarray(0, nTrain * PIXELS), [nTrain, 28, 28, 1]);
  const y = tf.tensor2d(Array.from(set.labels.subarray(0, nTrain)), [nTrain, 1], "float32");
  try {
    // No shuffling: fit's shuffle draws from Math.random, which made the trained model (and the
    // attribution tests' margins) differ from run to run. The training images are in dataset
    // order, already mixed across classes; the weights and dropout masks are seeded.
    await model.fit(x, y, { epochs: opts.epochs ?? 3, batchSize: 64, verbose: 0, shuffle: false });
  } finally {
    tf.dispose([x, y]);
  }
  return {
    model,
    signature: defaultSignature([28, 28, 1], "cnn"),
    pixels: all.slice(nTrain * PIXELS),
    labels: set.labels.slice(nTrain),
    count: nHeld,
  };
}
