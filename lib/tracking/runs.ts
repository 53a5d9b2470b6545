/**
 * Starting runs and logging to them: params, metrics (batched), tags, artifacts, lineage, and a
 * heartbeat so runs whose process dies can be told apart from runs still going.
 */
import { zodErrorText } from "../config/mod.ts";
import { hostname } from "node:os";
import { putContent } from "../storage/mod.ts";
import type { Queryable } from "../db/mod.ts";
import type { TrackingContext } from "./context.ts";
import { RunEndedError, RunNotFoundError, TrackingInputError } from "./errors.ts";
import { gitState } from "./git.ts";
import { placeholders, RUN_COLUMNS, type RunRow, toRun } from "./rows.ts";
import {
  type Artifact,
  KeySchema,
  type LineageInput,
  LineageInputSchema,
  NameSchema,
  type Run,
  type RunStatus,
} from "./schemas.ts";

/** Default interval between heartbeats of a running run. */
export const HEARTBEAT_MS_DEFAULT = 15_000;

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** Experiment name (created on first use). */
  experiment: string;
  /** Human-readable run name; default `run-<first 8 chars of the id>`. */
  name?: string;
  /** Parent run (e.g. the tuning study run of a trial). */
  parentId?: string;
  /** Params logged at start (see {@link RunHandle.logParams}). */
  params?: Record<string, unknown>;
  /** Tags set at start. */
  tags?: Record<string, string>;
  /** Dataset version, config, seed, engine; git commit/dirty are detected from `cwd`. */
  lineage?: LineageInput;
  /** Working tree whose git state is recorded (default: the current directory). */
  cwd?: string;
  /** Heartbeat interval in ms (default 15 s); 0 disables the timer (heartbeat manually). */
  heartbeatMs?: number;
}

/** One metric value for {@link RunHandle.logMetricBatch}. */
export interface MetricInput {
  key: string;
  value: number;
  step: number;
  /** When it was measured (default: now). */
  timestamp?: Date;
}

/** Queues metric points and writes them in batches (see {@link RunHandle.metricBuffer}). */
export interface MetricBuffer {
  /** Queue one point; writes the queue when it reaches the flush size. */
  add(key: string, value: number, step: number): Promise<void>;
  /** Write every queued point now. */
  flush(): Promise<void>;
  /** Points queued and not yet written. */
  readonly pending: number;
}

/** A live run: log to it, then `finish()` or `fail(err)` it exactly once. */
export interface RunHandle {
  /** Run id (UUID). */
  readonly id: string;
  readonly experiment: string;
  readonly name: string;
  /** True once finished, failed or killed through this handle. */
  readonly ended: boolean;
  /**
   * Log params (any JSON values). Params are write-once: logging the same value again is a no-op,
   * a different value throws {@link TrackingInputError}.
   */
  logParams(params: Record<string, unknown>): Promise<void>;
  /** Log one metric value at `step` (a non-negative integer, e.g. epoch or global batch). */
  logMetric(key: string, value: number, step: number): Promise<void>;
  /** Log several metrics at one `step` in a single insert (e.g. `{loss, accuracy}` per epoch). */
  logMetrics(record: Record<string, number>, step: number): Promise<void>;
  /** Log many points in batched inserts (e.g. per-batch losses buffered over an epoch). */
  logMetricBatch(points: MetricInput[]): Promise<void>;
  /**
   * A buffer for high-frequency metrics (e.g. per-batch loss): `add` only queues points, which
   * are written in one batched insert every `flushAt` points (default 1000), on `flush()`, and
   * automatically before the run ends.
   */
  metricBuffer(flushAt?: number): MetricBuffer;
  /** Set (or overwrite) a tag. */
  setTag(key: string, value: string): Promise<void>;
  /** Set (or overwrite) several tags. */
  setTags(tags: Record<string, string>): Promise<void>;
  /**
   * Store `bytes` in the object store (content-addressed) and record them under `name`.
   * Re-logging the same bytes under a name is a no-op; different bytes throw.
   */
  logArtifact(name: string, bytes: Uint8Array, contentType?: string): Promise<Artifact>;
  /** Refresh the heartbeat now (the timer does this every `heartbeatMs`). */
  heartbeat(): Promise<void>;
  /** Mark the run finished. */
  finish(): Promise<Run>;
  /** Mark the run failed, recording the error's message. */
  fail(err: unknown): Promise<Run>;
  /** Mark the run killed (interrupted on purpose), recording `reason`. */
  kill(reason: string): Promise<Run>;
}

/** Message of any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
}

function checkKey(what: string, key: string): string {
  const r = KeySchema.safeParse(key);
  if (!r.success) {
    throw new TrackingInputError(
      `invalid ${what} key ${JSON.stringify(key)}: ${r.error.issues[0]?.message}`,
    );
  }
  return key;
}

function checkName(what: string, name: string): string {
  const r = NameSchema.safeParse(name);
  if (!r.success) {
    throw new TrackingInputError(
      `invalid ${what} name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`,
    );
  }
  return r.data;
}

function checkPoint(p: MetricInput): void {
  checkKey("metric", p.key);
  if (typeof p.value !== "number") {
    throw new TrackingInputError(
      `metric ${p.key} must be a number, got ${typeof p.value} ${JSON.stringify(p.value)}`,
    );
  }
  if (!Number.isInteger(p.step) || p.step < 0 || p.step > 2_147_483_647) {
    throw new TrackingInputError(
      `metric ${p.key} step must be an integer in 0..2147483647, got ${p.step}`,
    );
  }
}

/** Rows per metric insert statement (5 parameters each, well under Postgres' 65535 limit). */
const METRIC_CHUNK = 2000;

async function insertMetrics(db: Queryable, runId: string, points: MetricInput[]): Promise<void> {
  for (const p of points) checkPoint(p);
  const now = new Date();
  for (let off = 0; off < points.length; off += METRIC_CHUNK) {
    const chunk = points.slice(off, off + METRIC_CHUNK);
    const params: unknown[] = [];
    for (const p of chunk) {
      params.push(runId, p.key, p.value, p.step, (p.timestamp ?? now).toISOString());
    }
    await db.query(
      `INSERT INTO tracking_metrics (run_id, key, value, step, ts) VALUES ${
        placeholders(chunk.length, 5, 1, ["", "", "::float8", "::int", "::timestamptz"])
      }`,
      params,
    );
  }
}

function toJsonText(key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TrackingInputError(`param ${key} is not JSON-serializable: ${errorMessage(err)}`);
  }
  if (text === undefined) {
    throw new TrackingInputError(`param ${key} is not JSON-serializable (got ${typeof value})`);
  }
  return text;
}

async function insertParams(
  ctx: TrackingContext,
  runId: string,
  params: Record<string, unknown>,
): Promise<void> {
  const entries = Object.entries(params).map(([k, v]) => [checkKey("param", k), toJsonText(k, v)]);
  if (entries.length === 0) return;
  await ctx.db.transaction(async (tx) => {
    const existing = await tx.query<{ key: string; value: string }>(
      `SELECT key, value::text AS value FROM tracking_params WHERE run_id = $1`,
      [runId],
    );
    const have = new Map(existing.map((r) => [r.key, r.value]));
    const fresh: string[][] = [];
    for (const [k, text] of entries) {
      const old = have.get(k);
      if (old === undefined) fresh.push([k, text]);
      else if (JSON.stringify(JSON.parse(old)) !== JSON.stringify(JSON.parse(text))) {
        throw new TrackingInputError(
          `param ${k} of run ${runId} is already ${old}, cannot change it to ${text}; ` +
            `params are write-once: log the new value as a tag or start a new run`,
        );
      }
    }
    if (fresh.length === 0) return;
    await tx.query(
      `INSERT INTO tracking_params (run_id, key, value) VALUES ${
        placeholders(fresh.length, 3, 1, ["", "", "::jsonb"])
      }`,
      fresh.flatMap(([k, t]) => [runId, k, t]),
    );
  });
}

async function upsertTags(db: Queryable, runId: string, tags: Record<string, string>) {
  const entries = Object.entries(tags);
  for (const [k, v] of entries) {
    checkKey("tag", k);
    if (typeof v !== "string") {
      throw new TrackingInputError(`tag ${k} must be a string, got ${typeof v}`);
    }
  }
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO tracking_tags (run_id, key, value) VALUES ${placeholders(entries.length, 3)}
     ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value`,
    entries.flatMap(([k, v]) => [runId, k, v]),
  );
}

function safeHostname(): string | null {
  try {
    return hostname();
  } catch {
    return null;
  }
}

/**
 * Start a run: create the experiment if new, record lineage (git state detected, the rest passed
 * in), log initial params/tags, and start the heartbeat timer. End the returned handle with
 * `finish()`/`fail()` — or use {@link withRun}, which does it for you.
 * @throws TrackingInputError on bad names/keys/lineage, RunNotFoundError for an unknown parent.
 */
export async function startRun(ctx: TrackingContext, opts: StartRunOptions): Promise<RunHandle> {
  const experiment = checkName("experiment", opts.experiment);
  const id = crypto.randomUUID();
  const name = checkName("run", opts.name ?? `run-${id.slice(0, 8)}`);
  const lin = LineageInputSchema.safeParse(opts.lineage ?? {});
  if (!lin.success) {
    throw new TrackingInputError(
      `invalid lineage: ${zodErrorText(lin.error, { oneLine: true })}`,
    );
  }
  const lineage = lin.data;
  const git = lineage.gitCommit !== undefined
    ? { commit: lineage.gitCommit, dirty: lineage.gitDirty ?? null }
    : await gitState(opts.cwd);
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS_DEFAULT;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 0) {
    throw new TrackingInputError(`heartbeatMs must be >= 0, got ${heartbeatMs}`);
  }
  await ctx.db.transaction(async (tx) => {
    if (opts.parentId !== undefined) {
      const p = await tx.query(`SELECT 1 FROM tracking_runs WHERE id = $1`, [opts.parentId]);
      if (p.length === 0) throw new RunNotFoundError(opts.parentId, " (given as parentId)");
    }
    await tx.query(
      `INSERT INTO tracking_experiments (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [experiment],
    );
    await tx.query(
      `INSERT INTO tracking_runs (id, experiment, name, status, parent_id, pid, host,
         dataset_version, git_commit, git_dirty, config, seed, engine)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::jsonb)`,
      [
        id,
        experiment,
        name,
        opts.parentId ?? null,
        Deno.pid,
        safeHostname(),
        lineage.datasetVersion ?? null,
        git.commit,
        git.dirty,
        lineage.config === undefined ? null : toJsonText("config", lineage.config),
        lineage.seed ?? null,
        lineage.engine === undefined ? null : JSON.stringify(lineage.engine),
      ],
    );
  });
  const log = ctx.log.child({ runId: id, experiment });
  let ended = false;
  let beating: Promise<void> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  const beat = async (): Promise<void> => {
    await ctx.db.query(
      `UPDATE tracking_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`,
      [id],
    );
  };
  if (heartbeatMs > 0) {
    const t = setInterval(() => {
      if (beating !== null || ended) return;
      beating = beat().catch((err) => log.warn("run heartbeat failed", { err })).finally(() => {
        beating = null;
      });
    }, heartbeatMs);
    Deno.unrefTimer(t);
    timer = t; // a forgotten run must not keep the process alive
  }

  const live = (what: string) => {
    if (ended) {
      throw new RunEndedError(
        `cannot ${what}: run ${id} (${name}) has already ended; start a new run to log more`,
      );
    }
  };

  const buffers: MetricBuffer[] = [];
  const end = async (status: Exclude<RunStatus, "running">, error: string | null) => {
    live(`mark it ${status}`);
    for (const b of buffers) {
      await b.flush().catch((err) => log.warn("could not flush buffered metrics", { err }));
    }
    ended = true;
    if (timer !== undefined) clearInterval(timer);
    if (beating !== null) await beating;
    const rows = await ctx.db.query<RunRow>(
      `UPDATE tracking_runs r SET status = $2, ended_at = now(), heartbeat_at = now(), error = $3
       WHERE id = $1 AND status = 'running' RETURNING ${RUN_COLUMNS}`,
      [id, status, error],
    );
    if (rows.length === 0) {
      const cur = await ctx.db.query<{ status: string; error: string | null }>(
        `SELECT status, error FROM tracking_runs WHERE id = $1`,
        [id],
      );
      throw new RunEndedError(
        `cannot mark run ${id} ${status}: it is already ${cur[0]?.status ?? "deleted"}` +
          (cur[0]?.error ? ` (${cur[0].error})` : "") +
          `; it was probably reaped as stale — raise heartbeatMs or the reaper's staleAfterMs`,
      );
    }
    const run = toRun(rows[0]);
    const fields = { status, ...(error ? { error } : {}) };
    if (status === "finished") log.info("run finished", fields);
    else log.warn(`run ${status}`, fields);
    return run;
  };

  const handle: RunHandle = {
    id,
    experiment,
    name,
    get ended() {
      return ended;
    },
    async logParams(params) {
      live("log params");
      await insertParams(ctx, id, params);
    },
    async logMetric(key, value, step) {
      live("log a metric");
      await insertMetrics(ctx.db, id, [{ key, value, step }]);
    },
    async logMetrics(record, step) {
      live("log metrics");
      await insertMetrics(
        ctx.db,
        id,
        Object.entries(record).map(([key, value]) => ({ key, value, step })),
      );
    },
    async logMetricBatch(points) {
      live("log metrics");
      await insertMetrics(ctx.db, id, points);
    },
    metricBuffer(flushAt = 1000) {
      if (!Number.isInteger(flushAt) || flushAt < 1) {
        throw new TrackingInputError(
          `metricBuffer flush size must be a positive integer, got ${flushAt}`,
        );
      }
      let queue: MetricInput[] = [];
      const buf: MetricBuffer = {
        get pending() {
          return queue.length;
        },
        async add(key, value, step) {
          live("log metrics");
          const p = { key, value, step, timestamp: new Date() };
          checkPoint(p);
          queue.push(p);
          if (queue.length >= flushAt) await buf.flush();
        },
        async flush() {
          if (queue.length === 0) return;
          const points = queue;
          queue = [];
          await insertMetrics(ctx.db, id, points);
        },
      };
      buffers.push(buf);
      return buf;
    },
    async setTag(key, value) {
      live("set a tag");
      await upsertTags(ctx.db, id, { [key]: value });
    },
    async setTags(tags) {
      live("set tags");
      await upsertTags(ctx.db, id, tags);
    },
    async logArtifact(name, bytes, contentType = "application/octet-stream") {
      live("log an artifact");
      checkKey("artifact", name);
      if (!(bytes instanceof Uint8Array)) {
        throw new TrackingInputError(`artifact ${name} must be a Uint8Array of bytes`);
      }
      const ref = await putContent(ctx.store, bytes);
      const rows = await ctx.db.query<{ sha256: string; created_at: Date | string }>(
        `INSERT INTO tracking_artifacts (run_id, name, key, sha256, size, content_type)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, name) DO UPDATE SET name = tracking_artifacts.name
         RETURNING sha256, created_at`,
        [id, name, ref.key, ref.sha256, ref.size, contentType],
      );
      if (rows[0].sha256 !== ref.sha256) {
        throw new TrackingInputError(
          `artifact ${name} of run ${id} already holds sha256 ${rows[0].sha256}; ` +
            `artifacts are immutable: log the new bytes under another name`,
        );
      }
      log.debug("artifact logged", { name, sha256: ref.sha256, size: ref.size });
      return {
        name,
        key: ref.key,
        sha256: ref.sha256,
        size: ref.size,
        contentType,
        createdAt: new Date(rows[0].created_at).toISOString(),
      };
    },
    async heartbeat() {
      live("heartbeat");
      await beat();
    },
    finish: () => end("finished", null),
    fail: (err) => end("failed", errorMessage(err)),
    kill: (reason) => end("killed", reason),
  };
  log.info("run started", { name, parentId: opts.parentId ?? null, gitCommit: git.commit });
  try {
    if (opts.params) await handle.logParams(opts.params);
    if (opts.tags) await handle.setTags(opts.tags);
  } catch (err) {
    await handle.fail(err).catch(() => {});
    throw err;
  }
  return handle;
}

/**
 * Run `fn` inside a run: the run is finished when `fn` resolves, and failed (with the error's
 * message) when it throws — the error is rethrown. Returns `fn`'s result.
 */
export async function withRun<T>(
  ctx: TrackingContext,
  opts: StartRunOptions,
  fn: (run: RunHandle) => Promise<T>,
): Promise<T> {
  const run = await startRun(ctx, opts);
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    if (!run.ended) {
      await run.fail(err).catch((e) => ctx.log.error("could not mark run failed", { err: e }));
    }
    throw err;
  }
  if (!run.ended) await run.finish();
  return result;
}
