/** The doctor's report: run every check in order, and render the results for people or machines. */
import type { Settings } from "../config/mod.ts";
import { openDb } from "../db/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import {
  type Check,
  checkBackend,
  checkChampions,
  checkDataset,
  checkDeno,
  checkMigrations,
  checkObjectStore,
  checkPrometheus,
  checkRedis,
  checkStateDir,
} from "./checks.ts";

/** The Deno version the project pins (`.ci/run` installs it). */
export const PINNED_DENO = "2.9.6";

/** What the doctor looks at beyond the settings. */
export interface DoctorOptions {
  /** Prometheus base URL (`PROMETHEUS_URL`), checked when given. */
  prometheusUrl?: string;
  /** The pinned Deno version (default {@link PINNED_DENO}). */
  pinnedDeno?: string;
}

/**
 * Run every check. `ctx` is the opened workspace, or the error opening it raised — then the
 * database is probed directly (to tell a down server from a locked embedded one) and the
 * champion check is skipped.
 */
export async function runDoctor(
  settings: Settings,
  ctx: Ctx | { error: unknown },
  opts: DoctorOptions = {},
): Promise<Check[]> {
  const checks: Check[] = [
    checkDeno(opts.pinnedDeno ?? PINNED_DENO),
    await checkBackend(settings, "error" in ctx ? undefined : ctx.log),
    await checkDataset(settings),
    await checkStateDir(settings),
  ];
  const label = settings.databaseUrl ? "Postgres (DATABASE_URL)" : "embedded PGlite";
  if ("error" in ctx) {
    const err = ctx.error;
    const text = err instanceof Error ? err.message : String(err);
    const locked = /lock/i.test(text) && !settings.databaseUrl;
    checks.push({
      name: "database",
      status: "fail",
      detail: `${label}: cannot open the workspace: ${text}`,
      hint: locked
        ? "another process (deno task serve? a notebook?) holds the embedded database: stop it, " +
          "or share a Postgres via DATABASE_URL"
        : "check DATABASE_URL and that the server runs (pg_isready)",
    });
    if (settings.databaseUrl) {
      const db = await openDb(settings).catch(() => undefined);
      if (db) {
        checks.push(...(await checkMigrations(db, label)).filter((c) => c.name !== "database"));
        await db.close();
      }
    }
  } else {
    checks.push(...await checkMigrations(ctx.db, label));
  }
  checks.push(await checkObjectStore(settings));
  checks.push(await checkRedis(settings.redisUrl));
  checks.push(await checkPrometheus(opts.prometheusUrl));
  if ("error" in ctx) {
    checks.push({ name: "champion", status: "skip", detail: "workspace not open" });
  } else {
    checks.push(await checkChampions(ctx));
  }
  return checks;
}

/** Exit code of a report: 1 when any check failed. */
export function doctorExitCode(checks: readonly Check[]): number {
  return checks.some((c) => c.status === "fail") ? 1 : 0;
}

const MARK: Record<Check["status"], string> = {
  ok: "ok  ",
  warn: "WARN",
  fail: "FAIL",
  skip: "skip",
};

/** Human-readable report: one line per check, a fix hint under each warning or failure. */
export function formatDoctor(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => [
    `${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.hint && (c.status === "fail" || c.status === "warn")
      ? [`${" ".repeat(width + 8)}fix: ${c.hint}`]
      : []),
  ]);
  const failed = checks.filter((c) => c.status === "fail").length;
  lines.push(failed ? `\n${failed} check(s) failed` : "\nall checks passed");
  return lines.join("\n");
}
