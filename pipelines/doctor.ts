/**
 * `deno task doctor`: check and explain the environment — Deno version, compute backend and why,
 * dataset source, state dir, database and migrations, object store, Redis, Prometheus, and
 * whether each champion model loads. Exit 1 (with a fix per failure) when a check fails.
 */
import { z } from "zod";
import type { Settings } from "../lib/config/mod.ts";
import { type Check, doctorExitCode, formatDoctor, runDoctor } from "../lib/doctor/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";

const USAGE = `usage: deno task doctor [--json] [--state-dir DIR] [--prometheus URL]

Check the environment and say what to fix: Deno version, compute backend (and why), dataset
source, state dir (writable, size), database (reachable, migrations current), S3 object store,
Redis, Prometheus, and that every champion model loads. Exits 1 when a check fails.

  --json             print the checks as JSON (default when stdout is not a terminal)
  --state-dir DIR    state directory (default: FMNIST_STATE_DIR or .fmnist)
  --prometheus URL   Prometheus to check (default: PROMETHEUS_URL; skipped when unset)
  -h, --help         show this help`;

const flagsSchema = z.object({
  json: z.boolean().optional(),
  "state-dir": z.string().trim().min(1, "must not be empty").optional(),
  prometheus: z.url().optional(),
  help: z.boolean().optional(),
});
type Flags = z.infer<typeof flagsSchema>;

function report(checks: Check[], flags: Flags): number {
  const json = flags.json ?? !Deno.stdout.isTerminal();
  console.log(
    json ? JSON.stringify({ ok: doctorExitCode(checks) === 0, checks }) : formatDoctor(checks),
  );
  return doctorExitCode(checks);
}

/** Run the doctor; returns the exit code (2 usage/config errors, 1 a failed check). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  const opts = (flags: Flags) => ({ prometheusUrl: flags.prometheus ?? env.PROMETHEUS_URL });
  return runCommand(
    {
      name: "doctor",
      usage: USAGE,
      flags: {
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        prometheus: { type: "string" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      onOpenError: async (error: unknown, settings: Settings, flags: Flags) =>
        report(await runDoctor(settings, { error }, opts(flags)), flags),
      run: async (ctx: Ctx, flags: Flags) =>
        report(await runDoctor(ctx.settings, ctx, opts(flags)), flags),
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
