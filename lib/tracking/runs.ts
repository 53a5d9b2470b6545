/**
 * Starting runs and logging to them: params, metrics (batched), tags, artifacts, lineage, and a
 * heartbeat so runs whose process dies can be told apart from runs still going.
 */
import { zodErrorText } from "../config/mod.ts";
import { hostname } from "node:os";
import type { z } from "zod";
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

/** A run as {@link startRun} checked it, before it is recorded. */
interface NewRun {
  id: string;
  experiment: string;
  name: string;
  parentId: string | null;
  lineage: z.output<typeof LineageInputSchema>;
  git: { commit: string | null; dirty: boolean | null };
  heartbeatMs: number;
}

/** Check the options of {@link startRun} and detect what they leave out (id, name, git state). */
async function checkNewRun(opts: StartRunOptions): Promise<NewRun> {
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
  return { id, experiment, name, parentId: opts.parentId ?? null, lineage, git, heartbeatMs };
}

/** Record a new running run (and its experiment, if new). @throws RunNotFoundError (parent). */
async function insertRun(ctx: TrackingContext, r: NewRun): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    if (r.parentId !== null) {
      const p = await tx.query(`SELECT 1 FROM tracking_runs WHERE id = $1`, [r.parentId]);
      if (p.length === 0) throw new RunNotFoundError(r.parentId, " (given as parentId)");
    }
    await tx.query(
      `INSERT INTO tracking_experiments (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [r.experiment],
    );
    await tx.query(
      `INSERT INTO tracking_runs (id, experiment, name, status, parent_id, pid, host,
         dataset_version, git_commit, git_dirty, config, seed, engine)
       VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::jsonb)`,
      [
        r.id,
        r.experiment,
        r.name,
        r.parentId,
        Deno.pid,
        safeHostname(),
        r.lineage.datasetVersion ?? null,
        r.git.commit,
        r.git.dirty,
        r.lineage.config === undefined ? null : toJsonText("config", r.lineage.config),
        r.lineage.seed ?? null,
        r.lineage.engine === undefined ? null : JSON.stringify(r.lineage.engine),
      ],
    );
  });
}

/** A {@link MetricBuffer} writing to run `runId`; `live` throws once the run has ended. */
function metricBuffer(
  db: Queryable,
  runId: string,
  flushAt: number,
  live: (what: string) => void,
): MetricBuffer {
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
      await insertMetrics(db, runId, points);
    },
  };
  return buf;
}

/** The {@link RunHandle} of a running run: logs to it, beats its heartbeat, ends it. */
class LiveRun implements RunHandle {
  readonly id: string;
  readonly experiment: string;
  readonly name: string;
  readonly #ctx: TrackingContext;
  readonly #log: TrackingContext["log"];
  readonly #buffers: MetricBuffer[] = [];
  #ended = false;
  #beating: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ctx: TrackingContext, r: NewRun) {
    this.id = r.id;
    this.experiment = r.experiment;
    this.name = r.name;
    this.#ctx = ctx;
    this.#log = ctx.log.child({ runId: r.id, experiment: r.experiment });
    if (r.heartbeatMs > 0) this.#startHeartbeat(r.heartbeatMs);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The run's logger (run id and experiment in every line). */
  get log(): TrackingContext["log"] {
    return this.#log;
  }

  #startHeartbeat(ms: number): void {
    const t = setInterval(() => {
      if (this.#beating !== null || this.#ended) return;
      this.#beating = this.#beat()
        .catch((err) => this.#log.warn("run heartbeat failed", { err }))
        .finally(() => {
          this.#beating = null;
        });
    }, ms);
    Deno.unrefTimer(t); // a forgotten run must not keep the process alive
    this.#timer = t;
  }

  async #beat(): Promise<void> {
    await this.#ctx.db.query(
      `UPDATE tracking_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`,
      [this.id],
    );
  }

  /** Throw {@link RunEndedError} when the run has ended (`what` is the refused action). */
  #live(what: string): void {
    if (this.#ended) {
      throw new RunEndedError(
        `cannot ${what}: run ${this.id} (${this.name}) has already ended; start a new run to ` +
          "log more",
      );
    }
  }

  async logParams(params: Record<string, unknown>): Promise<void> {
    this.#live("log params");
    await insertParams(this.#ctx, this.id, params);
  }

  async logMetric(key: string, value: number, step: number): Promise<void> {
    this.#live("log a metric");
    await insertMetrics(this.#ctx.db, this.id, [{ key, value, step }]);
  }

  async logMetrics(record: Record<string, number>, step: number): Promise<void> {
    this.#live("log metrics");
    await insertMetrics(
      this.#ctx.db,
      this.id,
      Object.entries(record).map(([key, value]) => ({ key, value, step })),
    );
  }

  async logMetricBatch(points: MetricInput[]): Promise<void> {
    this.#live("log metrics");
    await insertMetrics(this.#ctx.db, this.id, points);
  }

  metricBuffer(flushAt = 1000): MetricBuffer {
    const buf = metricBuffer(this.#ctx.db, this.id, flushAt, (what) => this.#live(what));
    this.#buffers.push(buf);
    return buf;
  }

  async setTag(key: string, value: string): Promise<void> {
    this.#live("set a tag");
    await upsertTags(this.#ctx.db, this.id, { [key]: value });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.#live("set tags");
    await upsertTags(this.#ctx.db, this.id, tags);
  }

  async logArtifact(
    name: string,
    bytes: Uint8Array,
    contentType = "application/octet-stream",
  ): Promise<Artifact> {
    this.#live("log an artifact");
    checkKey("artifact", name);
    if (!(bytes instanceof Uint8Array)) {
      throw new TrackingInputError(`artifact ${name} must be a Uint8Array of bytes`);
    }
    const ref = await putContent(this.#ctx.store, bytes);
    const rows = await this.#ctx.db.query<{ sha256: string; created_at: Date | string }>(
      `INSERT INTO tracking_artifacts (run_id, name, key, sha256, size, content_type)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id, name) DO UPDATE SET name = tracking_artifacts.name
       RETURNING sha256, created_at`,
      [this.id, name, ref.key, ref.sha256, ref.size, contentType],
    );
    if (rows[0].sha256 !== ref.sha256) {
      throw new TrackingInputError(
        `artifact ${name} of run ${this.id} already holds sha256 ${rows[0].sha256}; ` +
          `artifacts are immutable: log the new bytes under another name`,
      );
    }
    this.#log.debug("artifact logged", { name, sha256: ref.sha256, size: ref.size });
    return {
      name,
      key: ref.key,
      sha256: ref.sha256,
      size: ref.size,
      contentType,
      createdAt: new Date(rows[0].created_at).toISOString(),
    };
  }

  async heartbeat(): Promise<void> {
    this.#live("heartbeat");
    await this.#beat();
  }

  finish(): Promise<Run> {
    return this.#end("finished", null);
  }

  fail(err: unknown): Promise<Run> {
    return this.#end("failed", errorMessage(err));
  }

  kill(reason: string): Promise<Run> {
    return this.#end("killed", reason);
  }

  /** Flush the metric buffers, stop the heartbeat and record the final status. */
  async #end(status: Exclude<RunStatus, "running">, error: string | null): Promise<Run> {
    this.#live(`mark it ${status}`);
    for (const b of this.#buffers) {
      await b.flush().catch((err) => this.#log.warn("could not flush buffered metrics", { err }));
    }
    this.#ended = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#beating !== null) await this.#beating;
    const rows = await this.#ctx.db.query<RunRow>(
      `UPDATE tracking_runs r SET status = $2, ended_at = now(), heartbeat_at = now(), error = $3
       WHERE id = $1 AND status = 'running' RETURNING ${RUN_COLUMNS}`,
      [this.id, status, error],
    );
    if (rows.length === 0) throw await this.#alreadyEnded(status);
    const run = toRun(rows[0]);
    const fields = { status, ...(error ? { error } : {}) };
    if (status === "finished") this.#log.info("run finished", fields);
    else this.#log.warn(`run ${status}`, fields);
    return run;
  }

  /** The error for ending a run that someone else ended (e.g. the reaper). */
  async #alreadyEnded(status: string): Promise<RunEndedError> {
    const cur = await this.#ctx.db.query<{ status: string; error: string | null }>(
      `SELECT status, error FROM tracking_runs WHERE id = $1`,
      [this.id],
    );
    return new RunEndedError(
      `cannot mark run ${this.id} ${status}: it is already ${cur[0]?.status ?? "deleted"}` +
        (cur[0]?.error ? ` (${cur[0].error})` : "") +
        `; it was probably reaped as stale — raise heartbeatMs or the reaper's staleAfterMs`,
    );
  }
}

/**
 * Start a run: create the experiment if new, record lineage (git state detected, the rest passed
 * in), log initial params/tags, and start the heartbeat timer. End the returned handle with
 * `finish()`/`fail()` — or use {@link withRun}, which does it for you.
 * @throws TrackingInputError on bad names/keys/lineage, RunNotFoundError for an unknown parent.
 */
export async function startRun(ctx: TrackingContext, opts: StartRunOptions): Promise<RunHandle> {
  const r = await checkNewRun(opts);
  await insertRun(ctx, r);
  const run = new LiveRun(ctx, r);
  run.log.info("run started", { name: r.name, parentId: r.parentId, gitCommit: r.git.commit });
  try {
    if (opts.params) await run.logParams(opts.params);
    if (opts.tags) await run.setTags(opts.tags);
  } catch (err) {
    await run.fail(err).catch(() => {});
    throw err;
  }
  return run;
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
