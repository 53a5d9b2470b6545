/**
 * Attribution methods over a tfjs image classifier, batched, leaving no tensors behind:
 *
 * - `saliency`: |∂ logit_t / ∂ x| (Simonyan et al. 2014);
 * - `smoothgrad`: the mean |gradient| over `samples` copies with Gaussian noise of std `noise`
 *   (Smilkov et al. 2017);
 * - `integrated_gradients`: (x − x₀) · mean gradient along the straight path from the black
 *   image x₀ in `steps` midpoint steps (Sundararajan et al. 2017); completeness: Σ attribution ≈
 *   logit_t(x) − logit_t(x₀), reported per example;
 * - `gradient_shap`: expected gradients against a background set — mean over `samples` draws of
 *   ∂ logit_t(b + α (x − b)) · (x − b) with b from the background and α ~ U(0, 1)
 *   (Lundberg & Lee 2017; Erion et al. 2021);
 * - `occlusion`: the drop of logit_t when a `patch`×`patch` square (stride `stride`) is set to 0,
 *   averaged over the windows covering each pixel (Zeiler & Fergus 2014);
 * - `gradcam`: ReLU(Σ_k α_k A_k) on the last Conv2D layer, α_k the spatial mean gradient,
 *   bilinearly upsampled to 28×28 (Selvaraju et al. 2017).
 *
 * Targets default to the predicted class. Random draws are seeded (`seed`), so a call is
 * reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { ExplainInputError, PIXELS, Scorer } from "./scorer.ts";

/** The attribution methods, as named in the API (`?method=`). */
export const EXPLAIN_METHODS = [
  "saliency",
  "integrated_gradients",
  "smoothgrad",
  "occlusion",
  "gradcam",
  "gradient_shap",
] as const;
/** An attribution method name. */
export type ExplainMethod = typeof EXPLAIN_METHODS[number];

/** Options with their bounds (the HTTP API validates requests with this schema). */
export const explainOptionsSchema = z.object({
  /** Integrated-gradients path steps. */
  steps: z.number().int().min(2).max(256).default(32),
  /** SmoothGrad / GradientSHAP samples per image. */
  samples: z.number().int().min(1).max(128).default(16),
  /** SmoothGrad noise std on the 0..1 pixel scale (GradientSHAP adds none by default). */
  noise: z.number().min(0).max(1).default(0.15),
  /** Occlusion square side and stride in pixels. */
  patch: z.number().int().min(1).max(14).default(4),
  stride: z.number().int().min(1).max(14).default(2),
  /** Seed of the random draws. */
  seed: z.number().int().min(0).default(0),
  /** Rows per forward/backward pass. */
  batchSize: z.number().int().min(1).max(4096).default(256),
});
/** Options of {@link explain} (all optional). */
export type ExplainOptions = z.input<typeof explainOptionsSchema>;

/** Attribution maps of `count` images. */
export interface Attribution {
  method: ExplainMethod;
  count: number;
  /** Class explained per image. */
  targets: Int32Array;
  /** Target logit per image. */
  scores: Float32Array;
  /** `count × 784` attributions, row-major 28×28 per image. */
  maps: Float32Array;
  /** Integrated gradients: Σ attribution − (logit(x) − logit(black)) per image. */
  completenessGap?: Float32Array;
  /** Integrated gradients: logit(x) − logit(black) per image. */
  delta?: Float32Array;
  /** Grad-CAM: the layer used. */
  layer?: string;
}

/** Forward/backward passes an explanation costs per image (for request budgets). */
export function passesPerImage(method: ExplainMethod, opts: ExplainOptions = {}): number {
  const o = explainOptionsSchema.parse(opts);
  switch (method) {
    case "saliency":
    case "gradcam":
      return 1;
    case "integrated_gradients":
      return o.steps;
    case "smoothgrad":
    case "gradient_shap":
      return o.samples;
    case "occlusion": {
      const k = Math.floor((28 - o.patch) / o.stride) + 1;
      return k * k;
    }
  }
}

/** Gradient of each row's target logit w.r.t. its pixels, `rows × 784`, in batches. */
function gradients(
  scorer: Scorer,
  x: Float32Array,
  targets: Int32Array,
  rows: number,
  batch: number,
): Float32Array {
  const out = new Float32Array(rows * PIXELS);
  for (let s = 0; s < rows; s += batch) {
    const e = Math.min(rows, s + batch);
    const grad = tf.tidy(() => {
      const t = tf.tensor1d(targets.subarray(s, e), "int32");
      const g = tf.grad((p: tf.Tensor) => tf.sum(Scorer.pick(scorer.logits(p), t)));
      return g(tf.tensor2d(x.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS]));
    });
    out.set(grad.dataSync() as Float32Array, s * PIXELS);
    grad.dispose();
  }
  return out;
}

/** Target logits of `rows` pixel rows. */
export function targetScores(
  scorer: Scorer,
  x: Float32Array,
  targets: Int32Array,
  rows: number,
  batch = 256,
): Float32Array {
  const out = new Float32Array(rows);
  for (let s = 0; s < rows; s += batch) {
    const e = Math.min(rows, s + batch);
    const v = tf.tidy(() =>
      Scorer.pick(
        scorer.logits(tf.tensor2d(x.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS])),
        tf.tensor1d(targets.subarray(s, e), "int32"),
      )
    );
    out.set(v.dataSync() as Float32Array, s);
    v.dispose();
  }
  return out;
}

/** Logits `rows × classes` of pixel rows. */
export function logitsOf(scorer: Scorer, x: Float32Array, rows: number, batch = 256): Float32Array {
  const out = new Float32Array(rows * scorer.classes);
  for (let s = 0; s < rows; s += batch) {
    const e = Math.min(rows, s + batch);
    const v = tf.tidy(() =>
      scorer.logits(tf.tensor2d(x.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS]))
    );
    out.set(v.dataSync() as Float32Array, s * scorer.classes);
    v.dispose();
  }
  return out;
}

function argmaxRows(v: Float32Array, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (v[i * k + c] > v[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Repeat each image's target `times` times. */
function repeatTargets(targets: Int32Array, times: number): Int32Array {
  const out = new Int32Array(targets.length * times);
  for (let i = 0; i < targets.length; i++) out.fill(targets[i], i * times, (i + 1) * times);
  return out;
}

/** Seeded uniform numbers in [0, 1) (tfjs' seeded generator, so no second PRNG here). */
function uniforms(n: number, seed: number): Float32Array {
  const t = tf.randomUniform([n], 0, 1, "float32", seed);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

function normals(n: number, std: number, seed: number): Float32Array {
  if (std === 0) return new Float32Array(n);
  const t = tf.randomNormal([n], 0, std, "float32", seed);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** Options of {@link explain} beyond the numeric ones. */
export interface ExplainTargets {
  /** Class to explain per image (default: the predicted class). */
  targets?: ArrayLike<number>;
  /** GradientSHAP background images (`k × 784` pixels in 0..1; required for it). */
  background?: Float32Array;
}

/**
 * Attribution maps of `count` images (`pixels`: `count × 784` in 0..1) by `method`.
 * @throws ExplainInputError for bad sizes/targets or a method the model cannot support.
 */
export function explain(
  scorer: Scorer,
  method: ExplainMethod,
  pixels: Float32Array,
  count: number,
  opts: ExplainOptions & ExplainTargets = {},
): Attribution {
  const o = explainOptionsSchema.parse({
    steps: opts.steps,
    samples: opts.samples,
    noise: opts.noise,
    patch: opts.patch,
    stride: opts.stride,
    seed: opts.seed,
    batchSize: opts.batchSize,
  });
  if (!Number.isInteger(count) || count < 1 || pixels.length < count * PIXELS) {
    throw new ExplainInputError(`need ${count} images of 784 pixels, got ${pixels.length} values`);
  }
  const x = pixels.subarray(0, count * PIXELS);
  const logits = logitsOf(scorer, x, count, o.batchSize);
  let targets: Int32Array;
  if (opts.targets) {
    if (opts.targets.length !== count) {
      throw new ExplainInputError(`${opts.targets.length} targets for ${count} images`);
    }
    targets = Int32Array.from(opts.targets);
    for (const t of targets) {
      if (!(t >= 0 && t < scorer.classes)) {
        throw new ExplainInputError(`target class ${t} is out of range 0..${scorer.classes - 1}`);
      }
    }
  } else {
    targets = argmaxRows(logits, count, scorer.classes);
  }
  const scores = new Float32Array(count);
  for (let i = 0; i < count; i++) scores[i] = logits[i * scorer.classes + targets[i]];
  const base = { method, count, targets, scores };
  switch (method) {
    case "saliency": {
      const g = gradients(scorer, x, targets, count, o.batchSize);
      return { ...base, maps: g.map(Math.abs) };
    }
    case "smoothgrad": {
      const m = o.samples;
      const noisy = new Float32Array(count * m * PIXELS);
      const eps = normals(noisy.length, o.noise, o.seed);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < m; j++) {
          const off = (i * m + j) * PIXELS;
          for (let p = 0; p < PIXELS; p++) noisy[off + p] = x[i * PIXELS + p] + eps[off + p];
        }
      }
      const g = gradients(scorer, noisy, repeatTargets(targets, m), count * m, o.batchSize);
      return { ...base, maps: meanAbsOver(g, count, m) };
    }
    case "integrated_gradients": {
      const m = o.steps;
      const path = new Float32Array(count * m * PIXELS);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < m; j++) {
          const a = (j + 0.5) / m;
          const off = (i * m + j) * PIXELS;
          for (let p = 0; p < PIXELS; p++) path[off + p] = a * x[i * PIXELS + p];
        }
      }
      const g = gradients(scorer, path, repeatTargets(targets, m), count * m, o.batchSize);
      const maps = new Float32Array(count * PIXELS);
      for (let i = 0; i < count; i++) {
        for (let p = 0; p < PIXELS; p++) {
          let s = 0;
          for (let j = 0; j < m; j++) s += g[(i * m + j) * PIXELS + p];
          maps[i * PIXELS + p] = (x[i * PIXELS + p] * s) / m;
        }
      }
      const black = targetScores(scorer, new Float32Array(count * PIXELS), targets, count);
      const delta = new Float32Array(count), completenessGap = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        let s = 0;
        for (let p = 0; p < PIXELS; p++) s += maps[i * PIXELS + p];
        delta[i] = scores[i] - black[i];
        completenessGap[i] = s - delta[i];
      }
      return { ...base, maps, delta, completenessGap };
    }
    case "gradient_shap": {
      const bg = opts.background;
      if (!bg || bg.length < PIXELS) {
        throw new ExplainInputError("gradient_shap needs a background set of ≥ 1 image");
      }
      const k = Math.floor(bg.length / PIXELS);
      const m = o.samples;
      const u = uniforms(count * m * 2, o.seed);
      const eps = normals(count * m * PIXELS, opts.noise === undefined ? 0 : o.noise, o.seed + 1);
      const pts = new Float32Array(count * m * PIXELS);
      const diffs = new Float32Array(count * m * PIXELS);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < m; j++) {
          const r = i * m + j;
          const b = Math.min(k - 1, Math.floor(u[2 * r] * k)) * PIXELS;
          const a = u[2 * r + 1];
          for (let p = 0; p < PIXELS; p++) {
            const d = x[i * PIXELS + p] - bg[b + p];
            diffs[r * PIXELS + p] = d;
            pts[r * PIXELS + p] = bg[b + p] + a * d + eps[r * PIXELS + p];
          }
        }
      }
      const g = gradients(scorer, pts, repeatTargets(targets, m), count * m, o.batchSize);
      for (let q = 0; q < g.length; q++) g[q] *= diffs[q];
      return { ...base, maps: meanOver(g, count, m) };
    }
    case "occlusion":
      return { ...base, maps: occlusion(scorer, x, count, targets, scores, o) };
    case "gradcam": {
      const { layer, maps } = gradcam(scorer, x, count, targets, o.batchSize);
      return { ...base, maps, layer };
    }
  }
}

function meanOver(g: Float32Array, count: number, m: number): Float32Array {
  const out = new Float32Array(count * PIXELS);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < m; j++) {
      const off = (i * m + j) * PIXELS;
      for (let p = 0; p < PIXELS; p++) out[i * PIXELS + p] += g[off + p] / m;
    }
  }
  return out;
}

function meanAbsOver(g: Float32Array, count: number, m: number): Float32Array {
  for (let q = 0; q < g.length; q++) g[q] = Math.abs(g[q]);
  return meanOver(g, count, m);
}

function occlusion(
  scorer: Scorer,
  x: Float32Array,
  count: number,
  targets: Int32Array,
  scores: Float32Array,
  o: z.output<typeof explainOptionsSchema>,
): Float32Array {
  const pos: number[] = [];
  for (let r = 0; r + o.patch <= 28; r += o.stride) pos.push(r);
  const windows = pos.length * pos.length;
  const maps = new Float32Array(count * PIXELS);
  const cover = new Float32Array(PIXELS);
  for (const r of pos) {
    for (const c of pos) {
      for (let dr = 0; dr < o.patch; dr++) {
        for (let dc = 0; dc < o.patch; dc++) cover[(r + dr) * 28 + c + dc]++;
      }
    }
  }
  for (let i = 0; i < count; i++) {
    const occl = new Float32Array(windows * PIXELS);
    let w = 0;
    for (const r of pos) {
      for (const c of pos) {
        occl.set(x.subarray(i * PIXELS, (i + 1) * PIXELS), w * PIXELS);
        for (let dr = 0; dr < o.patch; dr++) {
          occl.fill(0, w * PIXELS + (r + dr) * 28 + c, w * PIXELS + (r + dr) * 28 + c + o.patch);
        }
        w++;
      }
    }
    const s = targetScores(
      scorer,
      occl,
      new Int32Array(windows).fill(targets[i]),
      windows,
      o.batchSize,
    );
    w = 0;
    for (const r of pos) {
      for (const c of pos) {
        const drop = scores[i] - s[w++];
        for (let dr = 0; dr < o.patch; dr++) {
          for (let dc = 0; dc < o.patch; dc++) maps[i * PIXELS + (r + dr) * 28 + c + dc] += drop;
        }
      }
    }
    for (let p = 0; p < PIXELS; p++) if (cover[p] > 0) maps[i * PIXELS + p] /= cover[p];
  }
  return maps;
}

function gradcam(
  scorer: Scorer,
  x: Float32Array,
  count: number,
  targets: Int32Array,
  batch: number,
): { layer: string; maps: Float32Array } {
  const split = scorer.convSplit();
  const maps = new Float32Array(count * PIXELS);
  for (let s = 0; s < count; s += batch) {
    const e = Math.min(count, s + batch);
    const cam = tf.tidy(() => {
      const a = split.features(tf.tensor2d(x.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS]));
      const t = tf.tensor1d(targets.subarray(s, e), "int32");
      const g = tf.grad((act: tf.Tensor) => tf.sum(Scorer.pick(split.head(act), t)))(a);
      const alpha = tf.mean(g, [1, 2], true);
      const weighted = tf.relu(tf.sum(tf.mul(alpha, a), -1, true)) as tf.Tensor4D;
      return tf.image.resizeBilinear(weighted, [28, 28]).reshape([e - s, PIXELS]);
    });
    maps.set(cam.dataSync() as Float32Array, s * PIXELS);
    cam.dispose();
  }
  return { layer: split.layer, maps };
}

export { ExplainInputError };
