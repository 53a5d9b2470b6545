/**
 * The A/B `VersionResolver`: for a request to a model's default predict route, look up the
 * model's experiment (database, cached in-process for `ttlSeconds`) and pick the arm for the
 * request's client key. A stale entry keeps serving while it is re-read in the background, and a
 * failed re-read keeps the last known config (the database being down never fails a request);
 * with no config ever read, requests go to the champion.
 */
import type { Queryable } from "../db/mod.ts";
import type { Resolution, ResolveRequest, VersionResolver } from "../inference/mod.ts";
import type { Logger } from "../log/mod.ts";
import { assignArm, unitId } from "./assign.ts";
import { type AbExperiment, getAbExperiment } from "./config.ts";

/** Options of {@link AbResolver}. */
export interface AbResolverOptions {
  db: Queryable;
  log: Logger;
  /** Seconds a read config is trusted (default 5). */
  ttlSeconds?: number;
  /** Source of random points for requests without a client key (default `Math.random`). */
  random?: () => number;
}

interface CacheEntry {
  experiment: AbExperiment | null;
  fetchedAt: number;
  refreshing: Promise<void> | null;
}

/** See the module doc. */
export class AbResolver implements VersionResolver {
  readonly #db: Queryable;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #random: () => number;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(opts: AbResolverOptions) {
    const ttl = opts.ttlSeconds ?? 5;
    if (!(ttl >= 0)) throw new RangeError(`ttlSeconds must be ≥ 0, got ${ttl}`);
    this.#db = opts.db;
    this.#log = opts.log;
    this.#ttlMs = ttl * 1000;
    this.#random = opts.random ?? Math.random;
  }

  /** The arm for this request, or null (no enabled experiment: the champion serves). */
  async resolve(req: ResolveRequest): Promise<Resolution | null> {
    const exp = await this.experiment(req.model);
    if (!exp || !exp.enabled) return null;
    const arm = assignArm(exp.arms, exp.salt, req.clientKey, this.#random);
    return {
      ref: arm.version !== undefined
        ? { kind: "version", version: arm.version }
        : { kind: "alias", alias: arm.alias! },
      arm: arm.name,
      ...(req.clientKey === undefined ? {} : { unit: unitId(exp.salt, req.clientKey) }),
    };
  }

  /** The experiment of `model` as this resolver sees it (refreshing when stale). */
  async experiment(model: string): Promise<AbExperiment | null> {
    let e = this.#cache.get(model);
    if (!e) {
      let experiment: AbExperiment | null = null;
      try {
        experiment = await getAbExperiment(this.#db, model);
      } catch (err) {
        this.#log.warn("cannot read the A/B config; serving the champion", { model, error: err });
        return null; // not cached: try again on the next request
      }
      e = this.#cache.get(model) ?? { experiment, fetchedAt: performance.now(), refreshing: null };
      this.#cache.set(model, e);
      return e.experiment;
    }
    if (performance.now() - e.fetchedAt > this.#ttlMs && !e.refreshing) {
      const entry = e;
      entry.refreshing = getAbExperiment(this.#db, model).then(
        (x) => {
          entry.experiment = x;
        },
        (err) => {
          this.#log.warn("A/B config refresh failed; keeping the cached one", {
            model,
            error: err,
          });
        },
      ).finally(() => {
        entry.fetchedAt = performance.now();
        entry.refreshing = null;
      });
    }
    return e.experiment;
  }

  /** Forget cached configs (after a change made through this process). */
  invalidate(model?: string): void {
    if (model === undefined) this.#cache.clear();
    else this.#cache.delete(model);
  }
}
