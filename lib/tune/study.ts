/**
 * Studies: create/load a study in the metadata DB and optimise an objective with one or more
 * workers. Within one process, `workers: N` runs N async workers on the same `Db` (PGlite or
 * Postgres); across processes/machines, start one worker process per core against a shared
 * Postgres (PGlite is single-process — see `assertMultiProcessCapable`).
 */
import { zodErrorText } from "../config/mod.ts";
import { hostname } from "node:os";
import { z } from "zod";
import type { Db } from "../db/mod.ts";
import { log as rootLog, type Logger } from "../log/mod.ts";
import { gridSampler } from "./grid.ts";
import {
  createPruner,
  type Pruner,
  type PrunerConfigInput,
  prunerConfigSchema,
} from "./pruners.ts";
import { randomSampler } from "./random.ts";
import {
  isFixedPointSampler,
  type Sampler,
  type SamplerConfig,
  type SamplerConfigInput,
  samplerConfigSchema,
} from "./sampler.ts";
import { parseSearchSpace, type SearchSpace, type SearchSpaceInput } from "./space.ts";
import {
  bestTrial,
  claimTrial,
  countRunningElsewhere,
  countTrials,
  finishTrial,
  getStudy,
  heartbeat,
  insertStudy,
  loadFinishedTrialsExcept,
  loadTrials,
  requeueStaleTrials,
  type StudyRecord,
  type TrialRecord,
} from "./storage.ts";
import { tpeSampler } from "./tpe.ts";
import type { TuneTracker } from "./tracker.ts";
import { Trial, TrialLost, TrialPruned } from "./trial.ts";
import { type Direction, directionSchema, oriented, type TrialState } from "./types.ts";
import { TuneInputError } from "./errors.ts";

/** The function being optimised: returns the trial's final value. */
export type Objective = (trial: Trial) => Promise<number> | number;

/** Options of {@link createStudy} (zod-checked). */
export const studyOptionsSchema = z.object({
  name: z.string().trim().min(1).max(200).regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
    "use letters, digits, and _ . : - (starting with a letter or digit)",
  ),
  direction: directionSchema.default("minimize"),
  sampler: samplerConfigSchema.prefault({ type: "tpe" }),
  pruner: prunerConfigSchema.default({ type: "none" }),
  space: z.unknown().optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
  objective: z.string().min(1).optional(),
});

/** Options of {@link createStudy} as written by a caller. */
export interface StudyOptions {
  name: string;
  direction?: Direction;
  sampler?: SamplerConfigInput;
  pruner?: PrunerConfigInput;
  /** Declared search space (required by the grid sampler; used by `trial.suggestSpace()`). */
  space?: SearchSpaceInput;
  seed?: number;
  /** Registry name of the objective, stored so worker processes can resolve it. */
  objective?: string;
}

/** Raised when a study exists with a different configuration than requested. */
export class StudyConflictError extends Error {
  override name = "StudyConflictError";
}

function parseStudyOptions(opts: StudyOptions) {
  const r = studyOptionsSchema.safeParse(opts);
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new TuneInputError(`invalid study options:\n${lines}`);
  }
  const space = opts.space === undefined ? null : parseSearchSpace(opts.space);
  return { ...r.data, space };
}

/** The sampler for a study's stored configuration. */
export function createSampler(
  cfg: SamplerConfig,
  space: SearchSpace | null,
  seed: number,
): Sampler {
  switch (cfg.type) {
    case "random":
      return randomSampler();
    case "grid":
      return gridSampler(space ?? undefined, cfg, seed);
    case "tpe":
      return tpeSampler(cfg);
  }
}

/** Options of {@link Study.optimize}. */
export interface OptimizeOptions {
  /** Stop creating trials once the study holds this many in total (resuming counts old ones). */
  nTrials: number;
  /** Async workers in this process (default 1). */
  workers?: number;
  /** Prefix of worker ids (default `host:pid:random`). */
  workerPrefix?: string;
  /** Heartbeat period while a trial runs, ms (default 10 s). */
  heartbeatMs?: number;
  /** A running trial whose heartbeat is older than this is requeued, ms (default 60 s). */
  staleAfterMs?: number;
  /**
   * When no work is left but other workers still run trials, keep polling (every heartbeat
   * period) in case one of them dies and its trial is requeued (default true).
   */
  waitForRunning?: boolean;
  /** Re-throw objective errors instead of recording the trial as failed (default false). */
  throwOnError?: boolean;
  /** Stop claiming new trials once aborted. */
  signal?: AbortSignal;
  /** Called after each trial this process finishes. */
  onTrialFinished?: (t: FinishedTrial) => void;
  /** Optional experiment tracking (each trial becomes a child run of the study run). */
  tracker?: TuneTracker;
  logger?: Logger;
}

/** What happened to one trial run by this process. */
export interface FinishedTrial {
  number: number;
  state: Exclude<TrialState, "queued" | "running"> | "lost";
  value: number | null;
  params: Record<string, unknown>;
  workerId: string;
  attempts: number;
  error?: string;
  /** Best complete value known to this worker after this trial (others may have found better). */
  best: number | null;
}

/** Summary of an {@link Study.optimize} call. */
export interface OptimizeSummary {
  /** Trials this call ran, in finishing order. */
  finished: FinishedTrial[];
  /** Best complete trial of the study (all workers, all sessions), if any. */
  best: TrialRecord | undefined;
  /** Trial counts per state after the call. */
  counts: Record<TrialState, number>;
}

const processToken = crypto.randomUUID().slice(0, 8);

/** Worker-id prefix unique to this process: `host:pid:token`. */
export function processWorkerPrefix(): string {
  return `${hostname()}:${Deno.pid}:${processToken}`;
}

/** A study bound to a database. */
export class Study {
  /** The stored row. */
  readonly record: StudyRecord;
  /** Its sampler. */
  readonly sampler: Sampler;
  /** Its pruner. */
  readonly pruner: Pruner;
  readonly #db: Db;
  /** Finished trials seen so far (they never change), by number. */
  readonly #finished = new Map<number, TrialRecord>();

  /** @internal Use {@link createStudy} / {@link loadStudy}. */
  constructor(db: Db, record: StudyRecord) {
    this.#db = db;
    this.record = record;
    this.sampler = createSampler(record.sampler, record.space, record.seed);
    this.pruner = createPruner(record.pruner);
  }

  /** Study name. */
  get name(): string {
    return this.record.name;
  }

  /** Direction. */
  get direction(): Direction {
    return this.record.direction;
  }

  /** Every trial, by number. */
  trials(): Promise<TrialRecord[]> {
    return loadTrials(this.#db, this.record.id);
  }

  /** Trial counts per state. */
  counts(): Promise<Record<TrialState, number>> {
    return countTrials(this.#db, this.record.id);
  }

  /** The best complete trial, or undefined. */
  bestTrial(): Promise<TrialRecord | undefined> {
    return bestTrial(this.#db, this.record.id, this.direction);
  }

  /** Requeue running trials whose heartbeat is older than `staleAfterMs`; returns their numbers. */
  requeueStale(staleAfterMs: number): Promise<number[]> {
    return requeueStaleTrials(this.#db, this.record.id, staleAfterMs);
  }

  /**
   * Run `objective` until the study holds `nTrials` trials (and none is queued), with
   * `workers` concurrent async workers in this process.
   */
  async optimize(objective: Objective, opts: OptimizeOptions): Promise<OptimizeSummary> {
    if (!Number.isInteger(opts.nTrials) || opts.nTrials < 0) {
      throw new Error(`nTrials must be an integer >= 0, got ${opts.nTrials}`);
    }
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new Error(`workers must be an integer >= 1, got ${workers}`);
    }
    const logger = (opts.logger ?? rootLog).child({ study: this.name });
    const prefix = opts.workerPrefix ?? processWorkerPrefix();
    if (this.#db.kind === "pglite") {
      // PGlite is locked to one process, so a running trial of another process is a dead one.
      const requeued = await requeueStaleTrials(this.#db, this.record.id, 0, prefix);
      if (requeued.length) {
        logger.warn("requeued trials left running by a previous process", { trials: requeued });
      }
    }
    if (opts.tracker) await opts.tracker.studyStarted(this.record);
    const finished: FinishedTrial[] = [];
    const loops = Array.from(
      { length: workers },
      (_, i) => this.#workerLoop(objective, opts, i, prefix, logger, finished),
    );
    await Promise.all(loops);
    return {
      finished,
      best: await this.bestTrial(),
      counts: await this.counts(),
    };
  }

  /** Finished trials, fetching only those not seen before. */
  async #finishedTrials(): Promise<TrialRecord[]> {
    const fresh = await loadFinishedTrialsExcept(this.#db, this.record.id, this.#finished.keys());
    for (const t of fresh) this.#finished.set(t.number, t);
    return [...this.#finished.values()].sort((a, b) => a.number - b.number);
  }

  async #workerLoop(
    objective: Objective,
    opts: OptimizeOptions,
    workerIndex: number,
    prefix: string,
    logger: Logger,
    finished: FinishedTrial[],
  ): Promise<void> {
    const workerId = `${prefix}:${workerIndex}`;
    const heartbeatMs = opts.heartbeatMs ?? 10_000;
    const staleAfterMs = opts.staleAfterMs ?? 60_000;
    const grid = isFixedPointSampler(this.sampler) ? this.sampler : undefined;
    // Stale trials are looked for at most every staleAfterMs/4 (and whenever idle).
    let lastRequeueCheck = -Infinity;
    while (!opts.signal?.aborted) {
      let requeued: number[] = [];
      if (performance.now() - lastRequeueCheck >= staleAfterMs / 4) {
        lastRequeueCheck = performance.now();
        requeued = await requeueStaleTrials(this.#db, this.record.id, staleAfterMs);
      }
      if (requeued.length) {
        logger.warn("requeued stale trials (their worker stopped sending heartbeats)", {
          trials: requeued,
          staleAfterMs,
        });
      }
      const claimed = await claimTrial(
        this.#db,
        this.record.id,
        { workerId, maxTrials: opts.nTrials, gridSize: grid?.size },
        grid ? (k) => grid.point(k) : undefined,
      );
      if (!claimed) {
        if (opts.waitForRunning === false) return;
        const elsewhere = await countRunningElsewhere(this.#db, this.record.id, prefix);
        if (elsewhere === 0) return;
        lastRequeueCheck = -Infinity;
        // Other processes still run trials: wait, in case one dies and its trial is requeued.
        await sleep(Math.min(1000, heartbeatMs, staleAfterMs / 2), opts.signal);
        continue;
      }
      finished.push(await this.#runTrial(objective, opts, workerId, claimed, logger));
      opts.onTrialFinished?.(finished.at(-1)!);
    }
  }

  async #runTrial(
    objective: Objective,
    opts: OptimizeOptions,
    workerId: string,
    claimed: { id: number; number: number; fixedParams: Record<string, unknown>; attempts: number },
    logger: Logger,
  ): Promise<FinishedTrial> {
    const db = this.#db;
    const history = await this.#finishedTrials();
    const tracked = opts.tracker
      ? await opts.tracker.trialStarted(this.record, {
        id: claimed.id,
        number: claimed.number,
        workerId,
      })
      : undefined;
    const trial = new Trial({
      db,
      studyId: this.record.id,
      studyName: this.name,
      direction: this.direction,
      seed: this.record.seed,
      space: this.record.space,
      sampler: this.sampler,
      pruner: this.pruner,
      workerId,
      trialId: claimed.id,
      number: claimed.number,
      fixedParams: claimed.fixedParams as TrialRecord["fixedParams"],
      history: history.filter((t) => t.number !== claimed.number),
      onReport: tracked ? (step, value) => tracked.reported(step, value) : undefined,
    });
    const beat = setInterval(() => {
      heartbeat(db, claimed.id, workerId).then((ok) => {
        if (!ok) trial.markLost();
      }).catch((err) => logger.warn("heartbeat failed", { trial: claimed.number, error: err }));
    }, opts.heartbeatMs ?? 10_000);
    let state: FinishedTrial["state"];
    let value: number | null = null;
    let error: string | undefined;
    let rethrow: unknown;
    try {
      const v = await objective(trial);
      if (typeof v !== "number" || !Number.isFinite(v)) {
        state = "failed";
        error = `objective returned ${String(v)}; it must return a finite number`;
      } else {
        state = "complete";
        value = v;
      }
    } catch (err) {
      if (err instanceof TrialPruned) {
        state = "pruned";
        const last = trial.intermediate.at(-1);
        value = last && Number.isFinite(last.value) ? last.value : null;
      } else if (err instanceof TrialLost) {
        state = "lost";
        error = err.message;
      } else {
        state = "failed";
        error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (opts.throwOnError) rethrow = err;
      }
    } finally {
      clearInterval(beat);
    }
    if (state !== "lost") {
      const ok = await finishTrial(db, claimed.id, workerId, {
        state,
        value,
        params: trial.params,
        distributions: trial.distributions,
        intermediate: trial.intermediate,
        error,
      });
      if (!ok) {
        state = "lost";
        error = "the trial was requeued by another worker before it finished; result discarded";
      }
    }
    if (state === "lost") {
      logger.warn("trial lost to a requeue; discarded", { trial: claimed.number, workerId });
    } else if (state === "failed") {
      logger.warn("trial failed", { trial: claimed.number, error });
    }
    if (tracked) await tracked.finished(state, value, trial.params, error);
    if (rethrow !== undefined) throw rethrow;
    // Best known to this worker: finished trials seen at start, plus this one.
    const best = bestOf(
      state === "complete" ? [...history, { state, value } as TrialRecord] : history,
      this.direction,
    );
    return {
      number: claimed.number,
      state,
      value,
      params: trial.params,
      workerId,
      attempts: claimed.attempts,
      error,
      best: best?.value ?? null,
    };
  }
}

/** The best complete trial of `trials` for `direction`, or undefined. */
export function bestOf(
  trials: readonly TrialRecord[],
  direction: Direction,
): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.state !== "complete" || t.value === null) continue;
    if (!best || oriented(direction, t.value) < oriented(direction, best.value!)) best = t;
  }
  return best;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

function configKey(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      x && typeof x === "object" && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
        : x,
  );
}

/**
 * Create the study `opts.name`, or load it when it exists with the same configuration
 * (direction, sampler, pruner, space, seed, objective) — so rerunning a command resumes it.
 * @throws StudyConflictError when it exists with a different configuration.
 */
export async function createStudy(db: Db, opts: StudyOptions): Promise<Study> {
  const o = parseStudyOptions(opts);
  if (o.sampler.type === "grid") gridSampler(o.space ?? undefined, o.sampler, o.seed); // validate
  const { study } = await insertStudy(db, {
    name: o.name,
    direction: o.direction,
    objective: o.objective ?? null,
    sampler: o.sampler,
    pruner: o.pruner,
    space: o.space,
    seed: o.seed,
  });
  const want = {
    direction: o.direction,
    objective: o.objective ?? null,
    sampler: o.sampler,
    pruner: o.pruner,
    space: o.space,
    seed: o.seed,
  };
  const have = {
    direction: study.direction,
    objective: study.objective,
    sampler: study.sampler,
    pruner: study.pruner,
    space: study.space,
    seed: study.seed,
  };
  const diff = (Object.keys(want) as (keyof typeof want)[]).filter((k) =>
    configKey(want[k]) !== configKey(have[k])
  );
  if (diff.length) {
    throw new StudyConflictError(
      `study "${o.name}" already exists with a different ${diff.join(", ")} (` +
        diff.map((k) => `stored ${configKey(have[k])}, requested ${configKey(want[k])}`).join(
          "; ",
        ) + `); resume it with the same settings (or just --study NAME), or pick a new name`,
    );
  }
  return new Study(db, study);
}

/**
 * Load an existing study by name.
 * @throws Error naming the study when it does not exist.
 */
export async function loadStudy(db: Db, name: string): Promise<Study> {
  const rec = await getStudy(db, name);
  if (!rec) {
    throw new Error(
      `no study named "${name}" in the ${db.kind} database; create it first (give --objective)`,
    );
  }
  return new Study(db, rec);
}

/**
 * Fail unless `db` can be shared by several worker processes: PGlite is single-process, so
 * multi-process workers need Postgres (`DATABASE_URL`).
 */
export function assertMultiProcessCapable(db: Db): void {
  if (db.kind !== "postgres") {
    throw new Error(
      "several worker processes need a shared Postgres: PGlite is embedded and single-process. " +
        "Set DATABASE_URL=postgres://… (all workers, on any machine, pointing at it), " +
        "or run async workers inside one process instead",
    );
  }
}
