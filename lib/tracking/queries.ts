/** Reading runs back: get, list, metric history, best run, comparison, artifact bytes. */
import { zodErrorText } from "../config/mod.ts";
import { getContent } from "../storage/mod.ts";
import { diffRuns } from "./compare.ts";
import type { TrackingContext } from "./context.ts";
import { RunNotFoundError, TrackingInputError } from "./errors.ts";
import { finiteOrNull, iso, RUN_COLUMNS, type RunRow, toRun } from "./rows.ts";
import {
  type Artifact,
  type MetricPoint,
  type MetricSummary,
  type Run,
  type RunComparison,
  type RunDetail,
  type RunFilter,
  RunFilterSchema,
} from "./schemas.ts";

/** Shortest id prefix accepted by {@link resolveRunId}. */
export const MIN_ID_PREFIX = 4;

/**
 * The full id of the run whose id is `idOrPrefix` or uniquely starts with it (≥ 4 chars).
 * @throws RunNotFoundError when no run, or more than one, matches.
 */
export async function resolveRunId(ctx: TrackingContext, idOrPrefix: string): Promise<string> {
  const exact = await ctx.db.query<{ id: string }>(`SELECT id FROM tracking_runs WHERE id = $1`, [
    idOrPrefix,
  ]);
  if (exact.length === 1) return exact[0].id;
  if (idOrPrefix.length < MIN_ID_PREFIX || !/^[0-9a-f-]+$/i.test(idOrPrefix)) {
    throw new RunNotFoundError(idOrPrefix);
  }
  const rows = await ctx.db.query<{ id: string }>(
    `SELECT id FROM tracking_runs WHERE id LIKE $1 ORDER BY id LIMIT 5`,
    [`${idOrPrefix.toLowerCase()}%`],
  );
  if (rows.length === 1) return rows[0].id;
  if (rows.length === 0) throw new RunNotFoundError(idOrPrefix);
  throw new RunNotFoundError(
    idOrPrefix,
    ` (ambiguous prefix: matches ${rows.map((r) => r.id).join(", ")}; give more characters)`,
  );
}

/**
 * A run with its params, tags, metric summaries and artifacts.
 * @throws RunNotFoundError for an unknown id (a unique id prefix is accepted).
 */
export async function getRun(ctx: TrackingContext, idOrPrefix: string): Promise<RunDetail> {
  const id = await resolveRunId(ctx, idOrPrefix);
  const runs = await ctx.db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM tracking_runs r WHERE r.id = $1`,
    [id],
  );
  if (runs.length === 0) throw new RunNotFoundError(id);
  const params = await ctx.db.query<{ key: string; value: unknown }>(
    `SELECT key, value FROM tracking_params WHERE run_id = $1 ORDER BY key`,
    [id],
  );
  const tags = await ctx.db.query<{ key: string; value: string }>(
    `SELECT key, value FROM tracking_tags WHERE run_id = $1 ORDER BY key`,
    [id],
  );
  const stats = await ctx.db.query<{
    key: string;
    count: number;
    min: number | null;
    max: number | null;
    last: number;
    last_step: number;
  }>(
    `WITH last AS (
       SELECT DISTINCT ON (key) key, value, step FROM tracking_metrics WHERE run_id = $1
       ORDER BY key, step DESC, ts DESC
     ), agg AS (
       SELECT key, count(*)::int AS count,
         min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS min,
         max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS max
       FROM tracking_metrics WHERE run_id = $1 GROUP BY key
     )
     SELECT agg.key, agg.count, agg.min, agg.max, last.value AS last, last.step AS last_step
     FROM agg JOIN last USING (key) ORDER BY agg.key`,
    [id],
  );
  const metrics: Record<string, MetricSummary> = {};
  for (const s of stats) {
    metrics[s.key] = {
      last: finiteOrNull(s.last),
      lastStep: s.last_step,
      min: s.min,
      max: s.max,
      count: s.count,
    };
  }
  return {
    ...toRun(runs[0]),
    params: Object.fromEntries(params.map((p) => [p.key, p.value])),
    tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    metrics,
    artifacts: await listArtifacts(ctx, id),
  };
}

/** Artifacts recorded for a run, by name. */
export async function listArtifacts(ctx: TrackingContext, runId: string): Promise<Artifact[]> {
  const rows = await ctx.db.query<{
    name: string;
    key: string;
    sha256: string;
    size: number;
    content_type: string;
    created_at: Date | string;
  }>(
    `SELECT name, key, sha256, size, content_type, created_at FROM tracking_artifacts
     WHERE run_id = $1 ORDER BY name`,
    [runId],
  );
  return rows.map((a) => ({
    name: a.name,
    key: a.key,
    sha256: a.sha256,
    size: Number(a.size),
    contentType: a.content_type,
    createdAt: iso(a.created_at),
  }));
}

/**
 * The bytes of a run's artifact, re-verified against their sha256.
 * @throws TrackingInputError when the run has no artifact of that name.
 */
export async function loadArtifact(
  ctx: TrackingContext,
  runId: string,
  name: string,
): Promise<Uint8Array> {
  const rows = await ctx.db.query<{ sha256: string }>(
    `SELECT sha256 FROM tracking_artifacts WHERE run_id = $1 AND name = $2`,
    [runId, name],
  );
  if (rows.length === 0) {
    const have = (await listArtifacts(ctx, runId)).map((a) => a.name);
    throw new TrackingInputError(
      `run ${runId} has no artifact ${JSON.stringify(name)}; it has: ${have.join(", ") || "none"}`,
    );
  }
  return await getContent(ctx.store, rows[0].sha256);
}

/** Every logged value of one metric of a run, by step then time. */
export async function getMetricHistory(
  ctx: TrackingContext,
  runId: string,
  key: string,
): Promise<MetricPoint[]> {
  const rows = await ctx.db.query<{ key: string; value: number; step: number; ts: Date | string }>(
    `SELECT key, value, step, ts FROM tracking_metrics WHERE run_id = $1 AND key = $2
     ORDER BY step, ts`,
    [runId, key],
  );
  return rows.map((r) => ({
    key: r.key,
    value: finiteOrNull(r.value),
    step: r.step,
    timestamp: iso(r.ts),
  }));
}

/**
 * Runs matching `filter`, newest first.
 * @throws TrackingInputError for an invalid filter.
 */
export async function listRuns(ctx: TrackingContext, filter: RunFilter = {}): Promise<Run[]> {
  const parsed = RunFilterSchema.safeParse(filter);
  if (!parsed.success) {
    throw new TrackingInputError(
      `invalid run filter: ${zodErrorText(parsed.error, { oneLine: true })}`,
    );
  }
  const f = parsed.data;
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, v: unknown) => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (f.experiment !== undefined) add((n) => `r.experiment = ${n}`, f.experiment);
  if (f.status !== undefined) add((n) => `r.status = ${n}`, f.status);
  if (f.parentId !== undefined) add((n) => `r.parent_id = ${n}`, f.parentId);
  if (f.tag !== undefined) {
    params.push(f.tag.key);
    let cond = `t.key = $${params.length}`;
    if (f.tag.value !== undefined) {
      params.push(f.tag.value);
      cond += ` AND t.value = $${params.length}`;
    }
    where.push(`EXISTS (SELECT 1 FROM tracking_tags t WHERE t.run_id = r.id AND ${cond})`);
  }
  params.push(f.limit, f.offset);
  const rows = await ctx.db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM tracking_runs r
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY r.started_at DESC, r.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows.map(toRun);
}

/** The best run of an experiment by a metric, and that metric's value. */
export interface BestRun {
  run: Run;
  value: number;
}

/**
 * The finished run of `experiment` with the highest (`max`) or lowest (`min`) value of `metric`
 * at its last logged step; NaN/infinite values are ignored. Null when no finished run logged it.
 */
export async function bestRun(
  ctx: TrackingContext,
  experiment: string,
  metric: string,
  mode: "max" | "min",
): Promise<BestRun | null> {
  if (mode !== "max" && mode !== "min") {
    throw new TrackingInputError(`bestRun mode must be "max" or "min", got ${String(mode)}`);
  }
  const rows = await ctx.db.query<RunRow & { metric_value: number }>(
    `WITH last AS (
       SELECT DISTINCT ON (m.run_id) m.run_id, m.value FROM tracking_metrics m
       JOIN tracking_runs r ON r.id = m.run_id
       WHERE r.experiment = $1 AND r.status = 'finished' AND m.key = $2
       ORDER BY m.run_id, m.step DESC, m.ts DESC
     )
     SELECT ${RUN_COLUMNS}, last.value AS metric_value FROM last
     JOIN tracking_runs r ON r.id = last.run_id
     WHERE last.value NOT IN ('NaN', 'Infinity', '-Infinity')
     ORDER BY last.value ${mode === "max" ? "DESC" : "ASC"}, r.started_at LIMIT 1`,
    [experiment, metric],
  );
  if (rows.length === 0) return null;
  return { run: toRun(rows[0]), value: rows[0].metric_value };
}

/**
 * Side-by-side params, last metric values and tags of runs (ids or unique prefixes), in the
 * given order, with differing keys flagged.
 * @throws TrackingInputError for fewer than two ids, RunNotFoundError for an unknown one.
 */
export async function compareRuns(ctx: TrackingContext, ids: string[]): Promise<RunComparison> {
  if (ids.length < 2) {
    throw new TrackingInputError(`compare needs at least two run ids, got ${ids.length}`);
  }
  const details: RunDetail[] = [];
  for (const id of ids) details.push(await getRun(ctx, id));
  return diffRuns(details);
}
