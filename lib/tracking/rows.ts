/** Mapping database rows of `tracking_runs` into {@link Run} values, shared by the queries. */
import type { EngineInfo, Run, RunStatus } from "./schemas.ts";

/** Columns selected for a {@link Run}; use with {@link toRun}. */
export const RUN_COLUMNS = `r.id, r.experiment, r.name, r.status, r.parent_id, r.started_at,
  r.ended_at, r.heartbeat_at, r.pid, r.host, r.error, r.dataset_version, r.git_commit,
  r.git_dirty, r.config, r.seed, r.engine`;

/** A `tracking_runs` row as both engines return it. */
export interface RunRow {
  id: string;
  experiment: string;
  name: string;
  status: RunStatus;
  parent_id: string | null;
  started_at: Date | string;
  ended_at: Date | string | null;
  heartbeat_at: Date | string;
  pid: number | null;
  host: string | null;
  error: string | null;
  dataset_version: string | null;
  git_commit: string | null;
  git_dirty: boolean | null;
  config: unknown;
  seed: number | null;
  engine: EngineInfo | null;
}

/** ISO-8601 string of a timestamptz value. */
export function iso(v: Date | string): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

/** A {@link Run} from a row selected with {@link RUN_COLUMNS}. */
export function toRun(r: RunRow): Run {
  return {
    id: r.id,
    experiment: r.experiment,
    name: r.name,
    status: r.status,
    parentId: r.parent_id,
    startedAt: iso(r.started_at),
    endedAt: r.ended_at === null ? null : iso(r.ended_at),
    heartbeatAt: iso(r.heartbeat_at),
    pid: r.pid,
    host: r.host,
    error: r.error,
    lineage: {
      datasetVersion: r.dataset_version,
      gitCommit: r.git_commit,
      gitDirty: r.git_dirty,
      config: r.config ?? null,
      seed: r.seed === null ? null : Number(r.seed),
      engine: r.engine ?? null,
    },
  };
}

/** A metric value as JSON can carry it: non-finite numbers become null. */
export function finiteOrNull(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

/** `($1, $2, …), (…)` placeholders for `rows` rows of `cols` columns, starting at `$start`. */
export function placeholders(rows: number, cols: number, start = 1, casts: string[] = []): string {
  const out: string[] = [];
  let n = start;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < cols; c++) cells.push(`$${n++}${casts[c] ?? ""}`);
    out.push(`(${cells.join(", ")})`);
  }
  return out.join(", ");
}
