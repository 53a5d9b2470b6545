/**
 * Prediction caches keyed by model version + input hash: an in-process LRU (default) and Redis
 * (`ioredis`, with `REDIS_URL`). {@link guardedCache} wraps either so a failing cache never
 * fails a request: the error is counted and the cache bypassed.
 */
import { LRUCache } from "lru-cache";
import { Redis } from "ioredis";
import { Buffer } from "node:buffer";
import type { Logger } from "../log/mod.ts";
import type { InferenceMetrics } from "./metrics.ts";

/** A cache of class-probability vectors. */
export interface PredictionCache {
  /** Backend name used in metrics (`lru`, `redis`). */
  readonly backend: string;
  /** Probabilities for each key (null where missing), in key order. */
  getMany(keys: readonly string[]): Promise<(Float32Array | null)[]>;
  /** Store probabilities under keys. */
  setMany(entries: readonly (readonly [string, Float32Array])[]): Promise<void>;
  /** Whether the backend answers (for readiness); the LRU always does. */
  ping(): Promise<boolean>;
  /** Release connections. */
  close(): Promise<void>;
}

/** Cache key of one instance's prediction under one model version. */
export function predictionKey(model: string, version: number, sha256: string, input: string) {
  // The artifact hash keeps keys distinct if a registry is ever rebuilt with other versions.
  return `fmnist:pred:${model}:${version}:${sha256.slice(0, 16)}:${input}`;
}

/** In-process least-recently-used cache holding at most `maxEntries` vectors. */
export class LruCache implements PredictionCache {
  readonly backend = "lru";
  readonly #lru: LRUCache<string, Float32Array> | null;

  /** @param maxEntries capacity (default 10,000 ≈ 400 KB of 10-class vectors; 0 keeps none). */
  constructor(readonly maxEntries = 10_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`);
    }
    this.#lru = maxEntries === 0 ? null : new LRUCache({ max: maxEntries });
  }

  /** Number of entries held. */
  get size(): number {
    return this.#lru?.size ?? 0;
  }

  getMany(keys: readonly string[]): Promise<(Float32Array | null)[]> {
    return Promise.resolve(keys.map((k) => this.#lru?.get(k) ?? null));
  }

  setMany(entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
    for (const [k, v] of entries) this.#lru?.set(k, v);
    return Promise.resolve();
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.#lru?.clear();
    return Promise.resolve();
  }
}

/** Options of {@link RedisCache}. */
export interface RedisCacheOptions {
  /** Entry lifetime in seconds (default 1 day). */
  ttlSeconds?: number;
  /** Per-command timeout in ms (default 100): a slow Redis is treated as down. */
  commandTimeoutMs?: number;
  log?: Logger;
}

/**
 * Redis-backed cache. Commands fail fast while Redis is unreachable (no offline queue, no
 * retries per request) and the client reconnects in the background.
 */
export class RedisCache implements PredictionCache {
  readonly backend = "redis";
  readonly #redis: Redis;
  readonly #ttl: number;
  #lastErrorLog = 0;

  /** @param url `redis://…` or `rediss://…`. */
  constructor(url: string, opts: RedisCacheOptions = {}) {
    this.#ttl = opts.ttlSeconds ?? 86_400;
    this.#redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 100,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(50 * times, 1_000),
    });
    // Without a listener ioredis prints every connection error; log at most one per 10 s.
    this.#redis.on("error", (err: Error) => {
      const now = Date.now();
      if (now - this.#lastErrorLog > 10_000) {
        this.#lastErrorLog = now;
        opts.log?.warn("redis cache unavailable; predictions bypass the cache", {
          error: err.message,
        });
      }
    });
  }

  async getMany(keys: readonly string[]): Promise<(Float32Array | null)[]> {
    if (keys.length === 0) return [];
    const vals = await this.#redis.mgetBuffer(...keys);
    return vals.map((b) =>
      b && b.byteLength % 4 === 0 ? new Float32Array(Uint8Array.from(b).buffer) : null
    );
  }

  async setMany(entries: readonly (readonly [string, Float32Array])[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.#redis.pipeline();
    for (const [k, v] of entries) {
      p.set(k, Buffer.from(v.buffer, v.byteOffset, v.byteLength), "EX", this.#ttl);
    }
    const res = await p.exec();
    const failed = res?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}

/**
 * Wrap a cache so failures become misses (reads) or no-ops (writes), each counted in
 * `fmnist_cache_errors_total{backend,op}`; hits and misses are counted too.
 */
export function guardedCache(cache: PredictionCache, metrics: InferenceMetrics): PredictionCache {
  const b = cache.backend;
  return {
    backend: b,
    async getMany(keys) {
      let vals: (Float32Array | null)[];
      try {
        vals = await cache.getMany(keys);
      } catch {
        metrics.cacheErrors.inc({ backend: b, op: "get" }, 1);
        metrics.cacheMisses.inc({ backend: b }, keys.length);
        return keys.map(() => null);
      }
      let hits = 0;
      for (const v of vals) if (v) hits++;
      if (hits) metrics.cacheHits.inc({ backend: b }, hits);
      if (keys.length - hits) metrics.cacheMisses.inc({ backend: b }, keys.length - hits);
      return vals;
    },
    async setMany(entries) {
      try {
        await cache.setMany(entries);
      } catch {
        metrics.cacheErrors.inc({ backend: b, op: "set" }, 1);
      }
    },
    ping: () => cache.ping(),
    close: () => cache.close(),
  };
}
