/**
 * One replica's share of a training step: the loss of a batch shard (cross-entropy with label
 * smoothing and class weights) and its gradients with respect to the trainable variables.
 * Imported by the training loop (replica 0, on the calling thread) and by the replica workers,
 * so every replica computes exactly the same function.
 */
import * as tf from "@tensorflow/tfjs";

/** What the loss needs besides predictions and labels. */
export interface LossSpec {
  /** Number of classes of the softmax output. */
  classes: number;
  /** Label smoothing of the one-hot targets (0 = none). */
  labelSmoothing: number;
}

/**
 * Sum over the shard of the (class-weighted, label-smoothed) cross-entropy, divided by
 * `divisor` — the size of the WHOLE batch, so the shards' values (and gradients) add up to the
 * batch mean. `weights` holds one weight per class, or null.
 */
function shardLoss(
  probs: tf.Tensor,
  labels: tf.Tensor1D,
  spec: LossSpec,
  weights: tf.Tensor1D | null,
  divisor: number,
): tf.Scalar {
  const target = tf.oneHot(labels, spec.classes);
  const smoothed = spec.labelSmoothing > 0
    ? tf.add(tf.mul(target, 1 - spec.labelSmoothing), spec.labelSmoothing / spec.classes)
    : target;
  const ce = tf.neg(tf.sum(tf.mul(smoothed, tf.log(tf.clipByValue(probs, 1e-7, 1))), 1));
  const weighted = weights ? tf.mul(ce, tf.gather(weights, labels)) : ce;
  return tf.div(tf.sum(weighted), divisor) as tf.Scalar;
}

/** Gradients and statistics of one shard. */
export interface ShardGradients {
  /** One gradient per variable, in the order of `vars` (caller disposes). */
  grads: tf.Tensor[];
  /** The shard's loss contribution (see {@link shardLoss}). */
  loss: number;
  /** Correct arg-max predictions in the shard. */
  hits: number;
}

/**
 * Forward (training mode: dropout on, BatchNorm on batch statistics and updating its moving
 * averages) and backward pass of `model` on one shard. Leaves only the returned gradients.
 */
export function shardGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  x: tf.Tensor,
  labels: tf.Tensor1D,
  spec: LossSpec,
  weights: tf.Tensor1D | null,
  divisor: number,
): ShardGradients {
  let hits: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as tf.Tensor;
    hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), labels), "float32")));
    return shardLoss(p, labels, spec, weights, divisor);
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  const h = hits as tf.Tensor | null;
  const hitCount = h ? h.dataSync()[0] : 0;
  h?.dispose();
  const ordered = vars.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for variable ${v.name}; is it used by the model?`);
    return g;
  });
  return { grads: ordered, loss, hits: hitCount };
}

/** Total number of elements of `shapes`. */
function flatSize(shapes: readonly (readonly number[])[]): number {
  return shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
}

/** Copy tensors (float32) one after another into `out` (allocated when omitted). */
export function flattenTensors(tensors: readonly tf.Tensor[], out?: Float32Array): Float32Array {
  const total = flatSize(tensors.map((t) => t.shape));
  const flat = out ?? new Float32Array(total);
  if (flat.length !== total) {
    throw new Error(`flattenTensors: buffer has ${flat.length} floats, tensors hold ${total}`);
  }
  let off = 0;
  for (const t of tensors) {
    const d = t.dataSync() as Float32Array;
    flat.set(d, off);
    off += d.length;
  }
  return flat;
}

/** Tensors of `shapes` read one after another from `flat` (caller disposes). */
export function unflattenTensors(
  flat: Float32Array,
  shapes: readonly (readonly number[])[],
): tf.Tensor[] {
  if (flat.length !== flatSize(shapes)) {
    throw new Error(
      `unflattenTensors: ${flat.length} floats for shapes holding ${flatSize(shapes)}`,
    );
  }
  let off = 0;
  return shapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.subarray(off, off + n), shape as number[]);
    off += n;
    return t;
  });
}
