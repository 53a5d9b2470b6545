/** Grid sampler: enumerates every combination of a declared space, each point exactly once. */
import { createRng } from "./rng.ts";
import type { FixedPointSampler } from "./sampler.ts";
import {
  contains,
  type Distribution,
  enumerate,
  type Params,
  type ParamValue,
  type SearchSpace,
} from "./space.ts";
import type { z } from "zod";
import type { gridSamplerSchema } from "./sampler.ts";
import { TuneInputError } from "./errors.ts";

/** Grid sampler configuration (defaults applied). */
export type GridSamplerConfig = z.infer<typeof gridSamplerSchema>;

/** Most points a grid may have. */
const MAX_GRID_POINTS = 1_000_000;

function axisValues(
  name: string,
  dist: Distribution,
  cfg: GridSamplerConfig,
): ParamValue[] {
  const explicit = cfg.grid?.[name];
  if (explicit) {
    for (const v of explicit) {
      if (!contains(dist, v)) {
        throw new Error(
          `grid value ${JSON.stringify(v)} for "${name}" is outside its distribution; fix the grid`,
        );
      }
    }
    return [...explicit];
  }
  const finite = enumerate(dist);
  if (finite) return finite;
  if (dist.type !== "float") throw new Error("unreachable");
  const n = cfg.pointsPerFloat;
  return Array.from({ length: n }, (_, i) => {
    const f = i / (n - 1);
    const v = dist.log
      ? Math.exp(Math.log(dist.low) + f * (Math.log(dist.high) - Math.log(dist.low)))
      : dist.low + f * (dist.high - dist.low);
    return Number.parseFloat(v.toPrecision(12));
  });
}

/**
 * A grid sampler over `space`. Point `k` is the k-th combination in a seeded shuffled order
 * (or lexicographic order with `shuffle: false`); the study storage hands each k out once.
 * @throws Error when the grid is empty of space or larger than {@link MAX_GRID_POINTS}.
 */
export function gridSampler(
  space: SearchSpace | undefined,
  cfg: GridSamplerConfig,
  seed: number,
): FixedPointSampler {
  if (!space || Object.keys(space).length === 0) {
    throw new TuneInputError(
      "the grid sampler needs a declared search space; give the study a `space` (or pick another sampler)",
    );
  }
  for (const name of Object.keys(cfg.grid ?? {})) {
    if (!(name in space)) {
      throw new TuneInputError(`grid names "${name}", which is not in the search space`);
    }
  }
  const names = Object.keys(space).sort();
  const axes = names.map((n) => axisValues(n, space[n], cfg));
  const size = axes.reduce((acc, a) => acc * a.length, 1);
  if (size > MAX_GRID_POINTS) {
    throw new Error(
      `grid has ${size} points (more than ${MAX_GRID_POINTS}); lower pointsPerFloat or give explicit grid values`,
    );
  }
  let order: Uint32Array | undefined;
  if (cfg.shuffle) {
    order = new Uint32Array(size);
    for (let i = 0; i < size; i++) order[i] = i;
    const rng = createRng(seed, "grid-order");
    for (let i = size - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  const point = (k: number): Params => {
    if (!Number.isInteger(k) || k < 0 || k >= size) {
      throw new RangeError(`grid point ${k} out of range 0..${size - 1}`);
    }
    let idx = order ? order[k] : k;
    const out: Params = {};
    for (let d = names.length - 1; d >= 0; d--) {
      const axis = axes[d];
      out[names[d]] = axis[idx % axis.length];
      idx = Math.floor(idx / axis.length);
    }
    return out;
  };
  return {
    config: cfg,
    size,
    point,
    sample: (name) => {
      throw new TuneInputError(
        `the grid sampler fixes every parameter up front, but "${name}" is not in the study's search space; declare it in the space`,
      );
    },
  };
}
