/**
 * Dropout whose masks are reproducible AND different at every step: the mask of the n-th
 * training call is drawn with seed `seed + n`. The training loop sets n to the optimisation step
 * before every step ({@link setDropoutStep}), so a run resumed from a checkpoint, or a replica
 * started mid-run, draws the masks the uninterrupted run drew. (tfjs's own `dropout({seed})` reseeds its RNG on
 * every call, so it repeats one mask forever; unseeded dropout is not reproducible.) Identity at
 * inference. Registered for (de)serialization, so saved models load wherever this module is
 * imported (the models stage's `mod.ts` does).
 */
import * as tf from "@tensorflow/tfjs";

/** Constructor arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  rate: number;
  seed?: number;
  name?: string;
}

/** Dropout with a per-call seed sequence (see module docs). */
export class SeededDropout extends tf.layers.Layer {
  /** Class name used in serialized models. */
  static className = "SeededDropout";
  readonly rate: number;
  readonly seed: number | undefined;
  #calls = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new RangeError(`dropout rate must be in [0, 1), got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
  }

  /** Training calls so far: the next mask is drawn with seed `seed + calls`. */
  get calls(): number {
    return this.#calls;
  }

  set calls(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`dropout calls must be ≥ 0, got ${n}`);
    this.#calls = n;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training || this.rate === 0) return tf.clone(x);
    const seed = this.seed === undefined ? undefined : this.seed + this.#calls++;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      rate: this.rate,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
tf.serialization.registerClass(SeededDropout);

/**
 * Make every {@link SeededDropout} layer of `model` draw its next mask for optimisation step
 * `step` (seed `seed + step`), whatever ran before in this process.
 */
export function setDropoutStep(model: tf.LayersModel, step: number): void {
  for (const layer of model.layers) if (layer instanceof SeededDropout) layer.calls = step;
}

/** A {@link SeededDropout} layer. */
export function seededDropout(args: SeededDropoutArgs): SeededDropout {
  return new SeededDropout(args);
}
