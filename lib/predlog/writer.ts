/**
 * The prediction-log writer: a `PredictionSink` that buffers records in memory and writes them
 * to the `prediction_logs` table in batches (when `batchSize` records are waiting or every
 * `flushIntervalMs`). When a write fails or times out, its batch goes to the local spool
 * (`<state>/spool/`, fsync'd) and the writer treats the database as down: later batches go
 * straight to the spool, and every `retryIntervalMs` it probes the database; once it answers, the
 * spool is replayed. Inserts are idempotent (`ON CONFLICT (request_id, idx) DO NOTHING`), so a
 * batch that was both written (late) and spooled is stored once. Memory is bounded: beyond
 * `maxBuffered` records the buffer is spooled at once. `open` replays what a previous process
 * left in the spool; `close` flushes (to the database or the spool).
 */
import { LRUCache } from "lru-cache";
import { zodErrorText } from "../config/mod.ts";
import type client from "prom-client";
import { z } from "zod";
import type { Queryable } from "../db/mod.ts";
import type { PredictionErrorRecord, PredictionRecord, PredictionSink } from "../inference/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createPredlogMetrics, type PredlogMetrics } from "./metrics.ts";
import { errorInsertStatement, insertStatement } from "./record.ts";
import { Spool } from "./spool.ts";

/** Tunables of the writer. */
export const predictionLogOptionsSchema = z.object({
  /** Records per database insert; a full batch triggers a flush. */
  batchSize: z.number().int().min(1).max(5000).default(256),
  /** Longest time a record waits in memory before a flush, in ms. */
  flushIntervalMs: z.number().int().min(1).max(60_000).default(1000),
  /** Most records held in memory; beyond it the buffer is spooled to disk at once. */
  maxBuffered: z.number().int().min(1).max(10_000_000).default(20_000),
  /** How often to probe a database found unavailable, in ms. */
  retryIntervalMs: z.number().int().min(1).max(600_000).default(2000),
  /** A database write slower than this counts as failed (its batch is spooled), in ms. */
  writeTimeoutMs: z.number().int().min(1).max(600_000).default(5000),
  /** Request ids remembered for feedback lookups (their records may not be in the DB yet). */
  recentRequests: z.number().int().min(0).max(10_000_000).default(100_000),
});
/** Writer options as callers write them. */
export type PredictionLogOptionsInput = z.input<typeof predictionLogOptionsSchema>;
/** Writer options with defaults filled. */
export type PredictionLogOptions = z.output<typeof predictionLogOptionsSchema>;

/** What {@link PredictionLogWriter.open} needs. */
export interface PredictionLogWriterDeps {
  /** The database holding `prediction_logs` (migrated). */
  db: Queryable;
  /** Spool directory, normally `statePaths(stateDir).spool`. */
  spoolDir: string;
  log: Logger;
  /** Prometheus registry to add the writer's metrics to (e.g. the inference metrics' one). */
  registry?: client.Registry;
}

/** Counts since the writer opened. */
export interface PredictionLogStats {
  buffered: number;
  written: number;
  spooled: number;
  replayed: number;
  dropped: number;
  dbDown: boolean;
}

class TimeoutError extends Error {
  override name = "TimeoutError";
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** See the module doc. Create with {@link PredictionLogWriter.open}. */
export class PredictionLogWriter implements PredictionSink {
  readonly options: PredictionLogOptions;
  readonly spool: Spool;
  readonly metrics: PredlogMetrics;
  readonly #db: Queryable;
  readonly #log: Logger;
  #buffer: PredictionRecord[] = [];
  readonly #recent: LRUCache<string, number>;
  readonly #pendingErrors = new Set<Promise<void>>();
  #flushing: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #replaying: Promise<number> | null = null;
  #dbDown = false;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #counts = { written: 0, spooled: 0, replayed: 0, dropped: 0 };

  private constructor(deps: PredictionLogWriterDeps, options: PredictionLogOptions) {
    this.options = options;
    this.#recent = new LRUCache({ max: Math.max(1, options.recentRequests) });
    this.#db = deps.db;
    this.#log = deps.log.child({ component: "predlog" });
    this.spool = new Spool(deps.spoolDir, this.#log);
    this.metrics = createPredlogMetrics(deps.registry, {
      buffered: () => this.#buffer.length,
      spoolBytes: () => this.spool.sizeBytes(),
      dbDown: () => this.#dbDown,
    });
  }

  /**
   * Create a writer, replay any spool left by an earlier process (kept for later when the
   * database is down) and start the flush timer.
   * @throws Error naming invalid options.
   */
  static async open(
    deps: PredictionLogWriterDeps,
    input: PredictionLogOptionsInput = {},
  ): Promise<PredictionLogWriter> {
    const parsed = predictionLogOptionsSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(
        `invalid prediction log options: ${zodErrorText(parsed.error, { oneLine: true })}`,
      );
    }
    const w = new PredictionLogWriter(deps, parsed.data);
    await Deno.mkdir(deps.spoolDir, { recursive: true });
    await w.replay();
    const timer = setInterval(() => {
      if (w.#buffer.length > 0) void w.flush();
    }, w.options.flushIntervalMs);
    Deno.unrefTimer(timer);
    w.#timer = timer;
    return w;
  }

  /** Take records from the predict path: never throws, never waits on the database. */
  record(records: readonly PredictionRecord[]): void {
    if (records.length === 0) return;
    for (const r of records) this.#remember(r.requestId, r.index + 1);
    this.#buffer.push(...records);
    if (this.#closed) {
      void this.flush();
      return;
    }
    if (this.#buffer.length >= this.options.maxBuffered) {
      // The database is slow or down: keep memory bounded by moving the backlog to disk now.
      const backlog = this.#buffer;
      this.#buffer = [];
      void this.#spoolBatch(backlog);
    } else if (this.#buffer.length >= this.options.batchSize) {
      void this.flush();
    }
  }

  /**
   * Take a failed A/B request (the error-rate guardrail): written at once, best effort — it is
   * not spooled, and a failed write is logged and dropped. Never throws.
   */
  recordError(error: PredictionErrorRecord): void {
    const { sql, params } = errorInsertStatement(error);
    const p = withTimeout(this.#db.query(sql, params), this.options.writeTimeoutMs, "error insert")
      .then(() => {}, (err) => {
        this.#log.warn("cannot log a failed A/B request", { error: err, arm: error.arm });
      }).finally(() => this.#pendingErrors.delete(p));
    this.#pendingErrors.add(p);
  }

  #remember(requestId: string, count: number): void {
    if (this.options.recentRequests === 0) return;
    const had = this.#recent.peek(requestId);
    if (had === undefined || count > had) this.#recent.set(requestId, count);
  }

  /**
   * Instances of a request this writer logged recently (buffered, spooled or written), or
   * undefined when it does not remember the request id.
   */
  instanceCount(requestId: string): number | undefined {
    return this.#recent.peek(requestId);
  }

  /** Counts since open. */
  stats(): PredictionLogStats {
    return { ...this.#counts, buffered: this.#buffer.length, dbDown: this.#dbDown };
  }

  /** Write everything buffered now (to the database, or the spool when it is down). */
  flush(): Promise<void> {
    if (this.#flushQueued) return this.#flushing;
    this.#flushQueued = true;
    const run = async () => {
      this.#flushQueued = false;
      await this.#flushNow();
    };
    this.#flushing = this.#flushing.then(run, run);
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.options.batchSize);
      if (this.#dbDown) {
        await this.#spoolBatch(batch);
        continue;
      }
      try {
        await this.#insert(batch);
        this.#counts.written += batch.length;
        this.metrics.written.inc(batch.length);
      } catch (err) {
        this.#markDown(err);
        await this.#spoolBatch(batch);
      }
    }
  }

  async #insert(batch: readonly PredictionRecord[]): Promise<void> {
    const { sql, params } = insertStatement(batch);
    await withTimeout(this.#db.query(sql, params), this.options.writeTimeoutMs, "log insert");
  }

  async #spoolBatch(batch: PredictionRecord[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.spool.append(batch);
      this.#counts.spooled += batch.length;
      this.metrics.spooled.inc(batch.length);
    } catch (err) {
      // Disk failed too: keep the records in memory while there is room, else count the loss.
      const room = this.options.maxBuffered - this.#buffer.length;
      const kept = batch.slice(0, Math.max(0, room));
      this.#buffer.unshift(...kept);
      const lost = batch.length - kept.length;
      if (lost > 0) {
        this.#counts.dropped += lost;
        this.metrics.dropped.inc(lost);
      }
      this.#log.error("cannot spool prediction logs", {
        error: err,
        dir: this.spool.dir,
        kept: kept.length,
        dropped: lost,
        hint: "check that the state dir is writable and the disk has space",
      });
      this.#markDown(err);
    }
  }

  #markDown(err: unknown): void {
    this.metrics.writeErrors.inc();
    if (!this.#dbDown) {
      this.#dbDown = true;
      this.#log.warn("prediction log database unavailable; spooling until it returns", {
        error: err,
      });
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    const timer = setTimeout(async () => {
      this.#retryTimer = undefined;
      await this.replay();
    }, this.options.retryIntervalMs);
    Deno.unrefTimer(timer);
    this.#retryTimer = timer;
  }

  /**
   * Probe the database and, if it answers, replay every spool file nobody is writing. Returns
   * the records replayed; on failure the files stay and a retry is scheduled.
   */
  replay(): Promise<number> {
    if (this.#replaying) return this.#replaying;
    const run = async (): Promise<number> => {
      try {
        await withTimeout(this.#db.query("SELECT 1"), this.options.writeTimeoutMs, "db probe");
      } catch (err) {
        this.#markDown(err);
        return 0;
      }
      if (this.#dbDown) {
        this.#dbDown = false;
        this.#log.info("prediction log database is back; replaying the spool");
      }
      let n = 0;
      try {
        const files = await this.spool.replay(async (records) => {
          await this.#insert(records);
          n += records.length;
          this.#counts.replayed += records.length;
          this.metrics.replayed.inc(records.length);
        }, this.options.batchSize);
        if (files.length > 0) {
          this.#log.info("replayed spooled prediction logs", { records: n, files: files.length });
        }
      } catch (err) {
        this.#markDown(err);
      }
      return n;
    };
    this.#replaying = run().finally(() => (this.#replaying = null));
    return this.#replaying;
  }

  /**
   * Flush, then (when the database is up) replay the spool: afterwards every record taken so
   * far is in the database unless it is unavailable. Used before analysis queries and in tests.
   */
  async sync(): Promise<void> {
    await Promise.all(this.#pendingErrors);
    await this.flush();
    if (!this.#dbDown) await this.replay();
  }

  /** Stop the timers and flush what is buffered (to the database, or the spool). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    await this.#replaying?.catch(() => {});
    await Promise.all(this.#pendingErrors);
    await this.flush();
    await this.spool.close();
  }
}
