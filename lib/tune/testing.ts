/**
 * In-memory driver for sampler tests and benchmarks: runs a sampler sequentially over a declared
 * space without a database (the DB-backed path is `Study.optimize`).
 */
import { createRng } from "./rng.ts";
import type { Sampler } from "./sampler.ts";
import type { Params, SearchSpace } from "./space.ts";
import type { Direction, FrozenTrial } from "./types.ts";

/**
 * Run `n` trials of `fn` with `sampler` over `space` (seeded like a study with `seed`), and
 * return the trials in order.
 */
export function runSamplerInMemory(
  sampler: Sampler,
  space: SearchSpace,
  fn: (p: Params) => number,
  n: number,
  seed: number,
  direction: Direction = "minimize",
): FrozenTrial[] {
  const history: FrozenTrial[] = [];
  for (let number = 0; number < n; number++) {
    const params: Params = {};
    for (const [name, dist] of Object.entries(space)) {
      params[name] = sampler.sample(name, dist, {
        history,
        trialNumber: number,
        direction,
        rng: createRng(seed, "sample", number, name),
      });
    }
    history.push({
      number,
      state: "complete",
      params,
      distributions: { ...space },
      value: fn(params),
      intermediate: [],
    });
  }
  return history;
}
