/**
 * `deno task doctor`: check and explain the environment — Deno version, compute backend and why,
 * dataset source, state dir, database and migrations, object store, Redis, Prometheus, and
 * whether each champion model loads. Exit 1 (with a fix per failure) when a check fails.
 */
import { z } from "zod";
import { type Check, doctorExitCode, formatDoctor, runDoctor } from "../lib/doctor/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { commandMain, defineCommand, type Output, stateDirFlag } from "../lib/cli/mod.ts";

const flagsSchema = z.object({
  ...stateDirFlag,
  prometheus: z.url().optional().meta({
    description: "Prometheus to check (default: PROMETHEUS_URL; skipped when unset)",
    arg: "URL",
  }),
});

/** The checks, as JSON (`--json`, or when stdout is not a terminal) or text; the exit code. */
function report(checks: Check[], out: Output): number {
  const ok = doctorExitCode(checks);
  const json = out.json || !Deno.stdout.isTerminal();
  out.io.out(json ? JSON.stringify({ ok: ok === 0, checks }) : formatDoctor(checks));
  return ok;
}

export const command = defineCommand({
  name: "doctor",
  summary: "Check the environment and say what to fix: Deno version, compute backend (and why), " +
    "dataset source, state dir (writable, size), database (reachable, migrations current), S3 " +
    "object store, Redis, Prometheus, and that every champion model loads. Exits 1 when a " +
    "check fails.",
  schema: flagsSchema,
  json: true,
  run: async ({ flags, env, settings, open, out }) => {
    const opts = { prometheusUrl: flags.prometheus ?? env.PROMETHEUS_URL };
    let ctx: Ctx;
    try {
      ctx = await open();
    } catch (err) {
      // Still diagnose what can be checked without the workspace (the cause is the reason).
      const error = err instanceof Error && err.cause !== undefined ? err.cause : err;
      return report(await runDoctor(settings(), { error }, opts), out);
    }
    return report(await runDoctor(ctx.settings, ctx, opts), out);
  },
});

/** Run the doctor; returns the exit code (2 usage/config errors, 1 a failed check). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
