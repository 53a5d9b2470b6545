/**
 * Adam in one pass per parameter on the wasm heap: tfjs's `AdamOptimizer` spends ~10 small
 * element-wise kernels per variable per step (~80 kernel calls for M1); here each variable's
 * moments and new value are written in one loop over heap views, with the
 * same state layout (`getWeights` / `setWeights`, checkpoints) as `tf.train.adam`. Other backends
 * use the stock update.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

/** What `applyGradients` takes (a name → gradient map, or named tensors). */
type Gradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

const heap = (b: BackendWasm, t: tf.Tensor) => b.typedArrayFromHeap(t) as Float32Array;

/** `tf.train.adam` with the per-variable update fused into one pass on the wasm backend. */
export class FusedAdam extends tf.AdamOptimizer {
  /** Registered with the tfjs serialization registry under the stock name (same config). */
  static override get className(): string {
    return "Adam";
  }

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(grads: Gradients): void {
    if (tf.getBackend() !== "wasm") return super.applyGradients(grads);
    const pairs = Array.isArray(grads)
      ? grads.map((g) => [g.name, g.tensor] as const)
      : Object.entries(grads).map(([n, t]) => [n, t] as const);
    const st = this as unknown as AdamState;
    const backend = tf.backend() as unknown as BackendWasm;
    const b1 = this.beta1, b2 = this.beta2, eps = this.epsilon, lr = this.learningRate;
    const c1 = 1 - st.accBeta1.dataSync()[0], c2 = 1 - st.accBeta2.dataSync()[0];
    pairs.forEach(([name, grad], i) => {
      const value = tf.engine().registeredVariables[name];
      if (!grad || grad.dtype !== "float32" || value.dtype !== "float32") {
        throw new Error(`FusedAdam: variable ${name} needs a float32 gradient`);
      }
      st.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      st.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const m = st.accumulatedFirstMoment[i]!.variable;
      const v = st.accumulatedSecondMoment[i]!.variable;
      // Every output goes to a fresh tensor: a caller may hold the old value, and the wasm
      // `Identity` shares buffers (kernels/alias.ts), so nothing is updated in place. Views are
      // taken after the allocations.
      const fresh = () =>
        tf.engine().makeTensorFromTensorInfo(backend.makeOutput(value.shape, "float32"));
      const out = fresh(), mOut = fresh(), vOut = fresh();
      const mv = heap(backend, m), vv = heap(backend, v), gv = heap(backend, grad);
      const xv = heap(backend, value), ov = heap(backend, out);
      const mo = heap(backend, mOut), vo = heap(backend, vOut);
      for (let k = 0; k < ov.length; k++) {
        const g = gv[k];
        const mk = b1 * mv[k] + (1 - b1) * g;
        const vk = b2 * vv[k] + (1 - b2) * g * g;
        mo[k] = mk;
        vo[k] = vk;
        ov[k] = xv[k] - lr * ((mk / c1) / (Math.sqrt(vk / c2) + eps));
      }
      m.assign(mOut);
      v.assign(vOut);
      mOut.dispose();
      vOut.dispose();
      value.assign(out);
      out.dispose();
    });
    tf.tidy(() => {
      st.accBeta1.assign(tf.mul(st.accBeta1, b1));
      st.accBeta2.assign(tf.mul(st.accBeta2, b2));
    });
    st.incrementIterations();
  }
}
