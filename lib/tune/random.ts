/** Random sampler: independent uniform draws in each distribution's internal representation. */
import type { Rng } from "./rng.ts";
import type { Sampler } from "./sampler.ts";
import { type Distribution, fromInternal, internalBounds, type ParamValue } from "./space.ts";

/** Draw one value of `dist` uniformly (log-uniformly for `log` distributions). */
export function sampleUniform(dist: Distribution, rng: Rng): ParamValue {
  if (dist.type === "categorical") return dist.choices[rng.int(dist.choices.length)];
  const b = internalBounds(dist);
  return fromInternal(dist, rng.uniform(b.low, b.high));
}

/** A random sampler. */
export function randomSampler(): Sampler {
  return {
    config: { type: "random" },
    sample: (_name, dist, ctx) => sampleUniform(dist, ctx.rng),
  };
}
