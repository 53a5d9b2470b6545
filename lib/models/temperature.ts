/**
 * Temperature scaling of class probabilities (Guo et al. 2017): the served probabilities of a
 * version whose signature holds a temperature `T` are `softmax(logits / T)`. Kept with the
 * models so every runtime (tfjs, the ONNX export, its equivalence check) computes the same thing.
 */

/**
 * Temperature-scaled probabilities `softmax(log p / T)` (the same as dividing the logits by `T`,
 * since `log p` differs from the logits by a per-row constant). Probabilities are clipped at
 * 1e-12 before the log. `T = 1` returns a copy.
 * @throws RangeError when `t` is not a positive finite number.
 */
export function applyTemperature(probs: Float32Array, classes: number, t: number): Float32Array {
  if (!(t > 0) || !Number.isFinite(t)) {
    throw new RangeError(`temperature must be a positive finite number, got ${t}`);
  }
  const out = new Float32Array(probs.length);
  const z = new Float64Array(classes);
  for (let off = 0; off < probs.length; off += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      z[c] = Math.log(Math.max(probs[off + c], 1e-12)) / t;
      if (z[c] > max) max = z[c];
    }
    let s = 0;
    for (let c = 0; c < classes; c++) {
      z[c] = Math.exp(z[c] - max);
      s += z[c];
    }
    for (let c = 0; c < classes; c++) out[off + c] = z[c] / s;
  }
  return out;
}
