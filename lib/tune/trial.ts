/**
 * The trial handle an objective receives: Optuna-style `suggest*` calls, `report` of
 * intermediate values and `shouldPrune`.
 */
import type { Db } from "../db/mod.ts";
import type { Pruner } from "./pruners.ts";
import { createRng } from "./rng.ts";
import type { Sampler } from "./sampler.ts";
import {
  type Choice,
  contains,
  type Distribution,
  type DistributionInput,
  type Params,
  type ParamValue,
  parseDistribution,
  sameDistribution,
  type SearchSpace,
} from "./space.ts";
import { loadTrials, saveProgress } from "./storage.ts";
import type { Direction, FrozenTrial, Intermediate } from "./types.ts";

/** Throw from an objective (after `shouldPrune()` said so) to end the trial as pruned. */
export class TrialPruned extends Error {
  override name = "TrialPruned";
  constructor(message = "trial pruned") {
    super(message);
  }
}

/** Raised when the trial was taken away from this worker (it was requeued as stale). */
export class TrialLost extends Error {
  override name = "TrialLost";
}

/** Options of numeric suggestions. */
export interface NumericOptions {
  /** Sample on a log scale (needs low > 0). */
  log?: boolean;
  /** Discretisation step. */
  step?: number;
}

/** Everything a trial handle needs from its study (internal wiring). */
export interface TrialContext {
  db: Db;
  studyId: number;
  studyName: string;
  direction: Direction;
  seed: number;
  space: SearchSpace | null;
  sampler: Sampler;
  pruner: Pruner;
  workerId: string;
  trialId: number;
  number: number;
  fixedParams: Params;
  /** All trials of the study when this one started (sampler input). */
  history: readonly FrozenTrial[];
  /** Called after each stored report (tracking hook). */
  onReport?: (step: number, value: number) => Promise<void>;
}

/** A running trial. */
export class Trial {
  readonly #ctx: TrialContext;
  readonly #params: Params = {};
  readonly #dists: Record<string, Distribution> = {};
  readonly #intermediate: Intermediate[] = [];
  #lastJudgedStep = -1;
  #lost = false;

  /** @internal Created by the study's worker loop. */
  constructor(ctx: TrialContext) {
    this.#ctx = ctx;
  }

  /** Trial number within the study (0, 1, 2…). */
  get number(): number {
    return this.#ctx.number;
  }

  /** Name of the study. */
  get studyName(): string {
    return this.#ctx.studyName;
  }

  /** Id of the worker running this trial. */
  get workerId(): string {
    return this.#ctx.workerId;
  }

  /** Parameters suggested so far (a copy). */
  get params(): Params {
    return { ...this.#params };
  }

  /** Distributions of the parameters suggested so far (a copy). */
  get distributions(): Record<string, Distribution> {
    return { ...this.#dists };
  }

  /** Intermediate values reported so far, by step (a copy). */
  get intermediate(): Intermediate[] {
    return this.#intermediate.map((iv) => ({ ...iv }));
  }

  /** True once another worker requeued this trial (this worker's results are discarded). */
  get lost(): boolean {
    return this.#lost;
  }

  /** @internal Mark the trial as taken away. */
  markLost(): void {
    this.#lost = true;
  }

  /**
   * Value for parameter `name` from `dist`: the fixed value (grid point / enqueued), the value
   * already suggested in this trial, or a fresh one from the study's sampler.
   * @throws Error when `dist` is invalid or conflicts with an earlier suggestion of `name`.
   */
  suggest(name: string, dist: DistributionInput): ParamValue {
    const d = parseDistribution(name, dist);
    const prev = this.#dists[name];
    if (prev) {
      if (!sameDistribution(prev, d)) {
        throw new Error(
          `parameter "${name}" was suggested twice with different distributions ` +
            `(${JSON.stringify(prev)} then ${JSON.stringify(d)}); use one definition`,
        );
      }
      return this.#params[name];
    }
    let value: ParamValue;
    if (name in this.#ctx.fixedParams) {
      value = this.#ctx.fixedParams[name];
      if (!contains(d, value)) {
        throw new Error(
          `fixed value ${JSON.stringify(value)} of "${name}" (grid point / enqueued trial) is ` +
            `outside ${JSON.stringify(d)}; make the space and the suggestion agree`,
        );
      }
    } else {
      value = this.#ctx.sampler.sample(name, d, {
        history: this.#ctx.history,
        trialNumber: this.#ctx.number,
        direction: this.#ctx.direction,
        rng: createRng(this.#ctx.seed, "sample", this.#ctx.number, name),
      });
    }
    this.#params[name] = value;
    this.#dists[name] = d;
    return value;
  }

  /** A float in [low, high] (log-uniform with `log`, on a grid with `step`). */
  suggestFloat(name: string, low: number, high: number, opts: NumericOptions = {}): number {
    return this.suggest(name, {
      type: "float",
      low,
      high,
      log: opts.log,
      step: opts.step,
    }) as number;
  }

  /** An integer in [low, high] (every `step`-th from low, or log-uniform with `log`). */
  suggestInt(name: string, low: number, high: number, opts: NumericOptions = {}): number {
    return this.suggest(name, { type: "int", low, high, log: opts.log, step: opts.step }) as number;
  }

  /** One of `choices`. */
  suggestCategorical<T extends Choice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, { type: "categorical", choices: [...choices] }) as T;
  }

  /**
   * Values for every parameter of a declared space (the study's own by default).
   * @throws Error when no space is given and the study has none.
   */
  suggestSpace(space: SearchSpace | null = this.#ctx.space): Params {
    if (!space) {
      throw new Error(
        `study "${this.#ctx.studyName}" has no declared search space; pass one or use suggest*()`,
      );
    }
    const out: Params = {};
    for (const [name, dist] of Object.entries(space)) out[name] = this.suggest(name, dist);
    return out;
  }

  /**
   * Record the objective's intermediate `value` at `step` (an integer ≥ 0) and save it; a step
   * already reported is ignored (as in Optuna). Also refreshes the heartbeat.
   * @throws TrialLost when the trial was requeued by another worker meanwhile.
   */
  async report(value: number, step: number): Promise<void> {
    if (!Number.isInteger(step) || step < 0) {
      throw new Error(`report(): step must be an integer >= 0, got ${step}`);
    }
    if (typeof value !== "number") throw new Error(`report(): value must be a number`);
    if (this.#intermediate.some((iv) => iv.step === step)) return;
    this.#intermediate.push({ step, value });
    this.#intermediate.sort((a, b) => a.step - b.step);
    const ok = await saveProgress(this.#ctx.db, this.#ctx.trialId, this.#ctx.workerId, {
      params: this.#params,
      distributions: this.#dists,
      intermediate: this.#intermediate,
    });
    if (!ok) {
      this.#lost = true;
      throw new TrialLost(
        `trial ${this.number} of study "${this.studyName}" was requeued by another worker ` +
          `(heartbeat too old); this worker's result is discarded`,
      );
    }
    await this.#ctx.onReport?.(step, value);
  }

  /** Whether the study's pruner says to stop this trial now (then throw {@link TrialPruned}). */
  async shouldPrune(): Promise<boolean> {
    if (this.#intermediate.length === 0 || this.#ctx.pruner.config.type === "none") return false;
    const others = (await loadTrials(this.#ctx.db, this.#ctx.studyId)).filter((t) =>
      t.number !== this.number
    );
    const decision = this.#ctx.pruner.prune({
      trial: { number: this.number, intermediate: this.#intermediate },
      others,
      direction: this.#ctx.direction,
      lastJudgedStep: this.#lastJudgedStep,
    });
    this.#lastJudgedStep = this.#intermediate.at(-1)!.step;
    return decision;
  }
}
