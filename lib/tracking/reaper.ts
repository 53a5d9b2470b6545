/**
 * The crash guard: runs left `running` by a process that died are marked `failed`. A run is
 * reaped when its process is known to be gone (same host, no such pid) or when its heartbeat is
 * older than `staleAfterMs` and its process is not known to be alive. Call on pipeline start-up.
 */
import { hostname } from "node:os";
import type { TrackingContext } from "./context.ts";
import { HEARTBEAT_MS_DEFAULT } from "./runs.ts";
import type { ReapResult } from "./schemas.ts";

/** Default heartbeat age after which a running run counts as dead (8 missed heartbeats). */
export const STALE_AFTER_MS_DEFAULT = 8 * HEARTBEAT_MS_DEFAULT;

/** Options of {@link reapStaleRuns}. */
export interface ReapOptions {
  /** Heartbeat age (ms) after which a run whose process cannot be checked is dead. */
  staleAfterMs?: number;
  /** Whether a process id is alive on this host: true/false, or null when unknown. */
  processAlive?: (pid: number) => boolean | null;
}

/** Whether `pid` is alive on this machine, via `/proc` on Linux; null elsewhere or if unsure. */
export function processAlive(pid: number): boolean | null {
  if (Deno.build.os !== "linux") return null;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    return err instanceof Deno.errors.NotFound ? false : null;
  }
}

function thisHost(): string | null {
  try {
    return hostname();
  } catch {
    return null;
  }
}

/** Mark dead `running` runs `failed`, with the reason in their `error`. Returns what it reaped. */
export async function reapStaleRuns(
  ctx: TrackingContext,
  opts: ReapOptions = {},
): Promise<ReapResult> {
  const staleAfterMs = opts.staleAfterMs ?? STALE_AFTER_MS_DEFAULT;
  const alive = opts.processAlive ?? processAlive;
  const host = thisHost();
  const rows = await ctx.db.query<{
    id: string;
    pid: number | null;
    host: string | null;
    age_ms: number;
  }>(
    `SELECT id, pid, host,
       (extract(epoch FROM (now() - heartbeat_at)) * 1000)::float8 AS age_ms
     FROM tracking_runs WHERE status = 'running' ORDER BY started_at`,
  );
  const reaped: ReapResult["reaped"] = [];
  for (const r of rows) {
    const local = host !== null && r.host === host && r.pid !== null;
    if (local && r.pid === Deno.pid) continue; // this very process: alive by definition
    const up = local ? alive(r.pid as number) : null;
    const where = `pid ${r.pid ?? "?"} on ${r.host ?? "?"}`;
    let reason: string | null = null;
    if (up === false) reason = `process died: ${where} is gone (run was never ended)`;
    else if (up === null && r.age_ms > staleAfterMs) {
      reason = `process presumed dead: no heartbeat for ${Math.round(r.age_ms / 1000)} s ` +
        `(${where}; stale after ${Math.round(staleAfterMs / 1000)} s)`;
    }
    if (reason === null) continue;
    const done = await ctx.db.query<{ id: string }>(
      `UPDATE tracking_runs SET status = 'failed', ended_at = now(), error = $2
       WHERE id = $1 AND status = 'running' RETURNING id`,
      [r.id, reason],
    );
    if (done.length === 1) {
      reaped.push({ id: r.id, status: "failed", reason });
      ctx.log.warn("reaped dead run", { runId: r.id, reason });
    }
  }
  return { reaped };
}
