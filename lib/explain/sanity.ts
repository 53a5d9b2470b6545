/**
 * Sanity checks of attribution methods:
 *
 * - **cascading model-parameter randomisation** (Adebayo et al. 2018): re-draw the weights of the
 *   layers from the output towards the input, one more layer each step, on a copy of the model, and
 *   measure the Spearman rank correlation of each image's |attribution| with the original. A
 *   method that explains the model (not the image) decorrelates as layers are randomised;
 * - **deletion / insertion** (Petsiuk et al. 2018): remove (set to 0) the most important pixels
 *   first and track the target-class probability — a faithful map makes it fall fast (low
 *   deletion AUC); insert them into a black image — it rises fast (high insertion AUC). A seeded
 *   random pixel order gives the reference.
 * (Integrated gradients' completeness gap is part of its {@link Attribution}.)
 */
import * as tf from "@tensorflow/tfjs";
import { deserializeModel, serializeModel, type Signature } from "../models/mod.ts";
import {
  explain,
  type ExplainMethod,
  type ExplainOptions,
  type ExplainTargets,
  logitsOf,
} from "./methods.ts";
import { PIXELS, Scorer } from "./scorer.ts";

/** Average ranks (ties share their mean rank). */
function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation of two equal-length vectors (0 when one is constant). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) {
    throw new RangeError(`spearman needs two equal vectors of ≥ 2 values`);
  }
  const ra = ranks(a), rb = ranks(b);
  const n = a.length;
  const m = (n + 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i] - m, y = rb[i] - m;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Mean over images of the Spearman correlation of the maps (of |maps| when `abs`). */
export function meanRankCorrelation(
  a: Float32Array,
  b: Float32Array,
  count: number,
  abs = true,
): number {
  let s = 0;
  for (let i = 0; i < count; i++) {
    let x = a.subarray(i * PIXELS, (i + 1) * PIXELS);
    let y = b.subarray(i * PIXELS, (i + 1) * PIXELS);
    if (abs) {
      x = x.map(Math.abs);
      y = y.map(Math.abs);
    }
    s += spearman(x, y);
  }
  return s / count;
}

/** One step of the cascade: layers randomised so far and the resulting correlation. */
export interface RandomisationStep {
  /** The layer randomised at this step (its name). */
  layer: string;
  /** Layers randomised so far, output side first. */
  randomised: number;
  /** Mean Spearman correlation of |attribution| with the trained model's (Adebayo et al.). */
  rankCorrelation: number;
  /** The same without the absolute value (sign flips count as change). */
  signedRankCorrelation: number;
}

/**
 * Cascading randomisation of `model`'s weighted layers (output to input) on a copy; `model`
 * itself is untouched. Targets stay those of the trained model.
 */
export async function cascadingRandomisation(
  model: tf.LayersModel,
  signature: Signature,
  method: ExplainMethod,
  pixels: Float32Array,
  count: number,
  opts: ExplainOptions & ExplainTargets = {},
): Promise<RandomisationStep[]> {
  const original = explain(new Scorer(model, signature), method, pixels, count, opts);
  const ser = await serializeModel(model);
  const copy = await deserializeModel(ser.modelTopology, ser.weightSpecs, ser.weights);
  try {
    const scorer = new Scorer(copy, signature);
    const layers = copy.layers.filter((l) => l.countParams() > 0).reverse();
    const steps: RandomisationStep[] = [];
    let seed = (opts.seed ?? 0) + 1000;
    for (const [i, layer] of layers.entries()) {
      const fresh = layer.getWeights().map((w) =>
        tf.tidy(() => {
          const { variance } = tf.moments(w);
          const std = Math.max(Math.sqrt(variance.dataSync()[0]), 1e-2);
          return tf.randomNormal(w.shape, 0, std, "float32", seed++);
        })
      );
      layer.setWeights(fresh);
      tf.dispose(fresh);
      const now = explain(scorer, method, pixels, count, { ...opts, targets: original.targets });
      steps.push({
        layer: layer.name,
        randomised: i + 1,
        rankCorrelation: meanRankCorrelation(original.maps, now.maps, count),
        signedRankCorrelation: meanRankCorrelation(original.maps, now.maps, count, false),
      });
    }
    return steps;
  } finally {
    copy.dispose();
  }
}

/** Deletion and insertion curves' areas (target-class probability vs share of pixels). */
export interface Faithfulness {
  /** Mean AUC of the deletion curve (lower = more faithful). */
  deletionAuc: number;
  /** Mean AUC of the insertion curve (higher = more faithful). */
  insertionAuc: number;
  /** The same with a seeded random pixel order (the reference). */
  randomDeletionAuc: number;
  randomInsertionAuc: number;
  /** Curve points per image: fraction of pixels changed at each point. */
  fractions: number[];
  /** Mean probability at each point. */
  deletionCurve: number[];
  insertionCurve: number[];
}

function softmaxAt(logits: Float32Array, row: number, k: number, t: number): number {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, logits[row * k + c]);
  let s = 0;
  for (let c = 0; c < k; c++) s += Math.exp(logits[row * k + c] - max);
  return Math.exp(logits[row * k + t] - max) / s;
}

function trapezoid(y: number[], x: number[]): number {
  let s = 0;
  for (let i = 1; i < y.length; i++) s += ((y[i] + y[i - 1]) / 2) * (x[i] - x[i - 1]);
  return s;
}

/**
 * Deletion/insertion AUCs of attribution `maps` (`count × 784`, larger = more important) for
 * `targets`, in `steps` equal steps of pixels, against a random order seeded by `seed`.
 */
export function deletionInsertion(
  scorer: Scorer,
  pixels: Float32Array,
  count: number,
  maps: Float32Array,
  targets: Int32Array,
  opts: { steps?: number; seed?: number } = {},
): Faithfulness {
  const steps = opts.steps ?? 16;
  const fractions = Array.from({ length: steps + 1 }, (_, j) => j / steps);
  const curves = (orderOf: (i: number) => Int32Array) => {
    const del = new Array<number>(steps + 1).fill(0), ins = new Array<number>(steps + 1).fill(0);
    let dAuc = 0, iAuc = 0;
    for (let i = 0; i < count; i++) {
      const order = orderOf(i);
      const rows = new Float32Array(2 * (steps + 1) * PIXELS);
      const img = pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
      for (let j = 0; j <= steps; j++) {
        const k = Math.round(fractions[j] * PIXELS);
        const d = rows.subarray(j * PIXELS, (j + 1) * PIXELS);
        d.set(img);
        const ins = rows.subarray((steps + 1 + j) * PIXELS, (steps + 2 + j) * PIXELS);
        for (let q = 0; q < k; q++) {
          d[order[q]] = 0;
          ins[order[q]] = img[order[q]];
        }
      }
      const logits = logitsOf(scorer, rows, 2 * (steps + 1));
      const yd: number[] = [], yi: number[] = [];
      for (let j = 0; j <= steps; j++) {
        yd.push(softmaxAt(logits, j, scorer.classes, targets[i]));
        yi.push(softmaxAt(logits, steps + 1 + j, scorer.classes, targets[i]));
        del[j] += yd[j] / count;
        ins[j] += yi[j] / count;
      }
      dAuc += trapezoid(yd, fractions) / count;
      iAuc += trapezoid(yi, fractions) / count;
    }
    return { del, ins, dAuc, iAuc };
  };
  const byMap = curves((i) => {
    const m = maps.subarray(i * PIXELS, (i + 1) * PIXELS);
    return Int32Array.from({ length: PIXELS }, (_, p) => p).sort((a, b) => m[b] - m[a]);
  });
  const u = tf.randomUniform([count * PIXELS], 0, 1, "float32", opts.seed ?? 0);
  const r = u.dataSync() as Float32Array;
  u.dispose();
  const byRandom = curves((i) => {
    const m = r.subarray(i * PIXELS, (i + 1) * PIXELS);
    return Int32Array.from({ length: PIXELS }, (_, p) => p).sort((a, b) => m[b] - m[a]);
  });
  return {
    deletionAuc: byMap.dAuc,
    insertionAuc: byMap.iAuc,
    randomDeletionAuc: byRandom.dAuc,
    randomInsertionAuc: byRandom.iAuc,
    fractions,
    deletionCurve: byMap.del,
    insertionCurve: byMap.ins,
  };
}
