/**
 * `deno task dag run|status|retry|backfill`: start a DAG run (on the engine the settings name:
 * embedded in this process by default, or BullMQ workers), show runs and their step states,
 * re-run a failed run from its failed step, or run a DAG once per day of a date range.
 */
import { z } from "zod";
import {
  AutomationConfigError,
  automationSettings,
  dagByName,
  DagError,
  dagNameSchema,
  type DagRunRecord,
  getRun,
  listRuns,
  openEngine,
  parseDagParams,
} from "../lib/automation/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { formatDuration } from "../lib/progress/mod.ts";
import { runCommand, UsageError } from "../lib/pipeline/mod.ts";
import { resolveActor } from "../lib/registry/mod.ts";

const USAGE =
  `usage: deno task dag run NAME [--recipe default|quick] [--epochs N] [--limit N] [--wait]
       deno task dag status [RUN_ID] [--dag NAME] [--limit N] [--json]
       deno task dag retry RUN_ID [--wait]
       deno task dag backfill NAME --from YYYY-MM-DD --to YYYY-MM-DD

DAGs: data (ingest → validate → features), pipeline and retrain (… → train → register with the
promotion gate → drift profile). Runs on FMNIST_AUTOMATION_ENGINE: embedded (default: in this
process, returns when done) or bullmq (REDIS_URL: queued for \`deno task worker\`).

  --recipe NAME   training recipe (default: default)
  --epochs N      override the recipe's epochs
  --limit N       train on at most N images
  --model NAME    registered model (default: fmnist)
  --source DIR    dataset source of ingest
  --wait          with bullmq: wait until the run finished (exit 1 if it failed)
  --from/--to     backfill: first and last logical date (at most 366 days)
  --dag NAME      status: only runs of this DAG
  --json          status: JSON for machines
  --state-dir DIR state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help      show this help`;

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use YYYY-MM-DD").refine(
  (v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  "not a date",
);
const flagsSchema = z.object({
  recipe: z.enum(["default", "quick"]).optional(),
  epochs: z.coerce.number().int().positive().max(1000).optional(),
  limit: z.coerce.number().int().positive().optional(),
  model: z.string().optional(),
  source: z.string().trim().min(1).optional(),
  wait: z.boolean().optional(),
  from: date.optional(),
  to: date.optional(),
  dag: dagNameSchema.optional(),
  json: z.boolean().optional(),
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});
type Flags = z.infer<typeof flagsSchema>;

function describe(run: DagRunRecord): string[] {
  const took = run.startedAt && run.finishedAt
    ? ` in ${formatDuration((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}`
    : "";
  const lines = [
    `run ${run.id}  ${run.dag}  ${run.status}${took}  (${run.trigger} by ${run.triggeredBy}, ` +
    `${run.engine}${run.logicalDate ? `, ${run.logicalDate}` : ""})`,
  ];
  for (const s of run.steps) {
    const extra = [
      s.cached ? "cached" : "",
      s.attempts > 1 ? `${s.attempts} attempts` : "",
      s.durationMs !== null && s.status === "completed" ? formatDuration(s.durationMs / 1000) : "",
      s.error ? `error: ${s.error}` : "",
    ].filter(Boolean).join(", ");
    lines.push(`  ${s.step.padEnd(9)} ${s.status.padEnd(9)} ${extra}`);
  }
  if (run.error) lines.push(`  error: ${run.error}`);
  return lines;
}

async function waitFor(ctx: Ctx, runId: string): Promise<DagRunRecord> {
  for (;;) {
    const run = await getRun(ctx.db, runId);
    if (run.status === "completed" || run.status === "failed") return run;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function daysBetween(from: string, to: string): string[] {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  if (b < a) throw new UsageError("--to is before --from");
  const n = Math.round((b - a) / 86_400_000) + 1;
  if (n > 366) throw new UsageError("a backfill covers at most 366 days");
  return Array.from(
    { length: n },
    (_, i) => new Date(a + i * 86_400_000).toISOString().slice(0, 10),
  );
}

async function dagCommand(
  ctx: Ctx,
  flags: Flags,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const [cmd, arg] = args;
  if (cmd === "status") {
    const runs = arg
      ? [await getRun(ctx.db, arg)]
      : await listRuns(ctx.db, { dag: flags.dag, limit: flags.limit ?? 20 });
    if (flags.json) console.log(JSON.stringify(arg ? runs[0] : runs, null, 2));
    else if (!runs.length) console.log("no DAG runs yet");
    else for (const r of runs) console.log(describe(r).join("\n"));
    return 0;
  }
  if (cmd !== "run" && cmd !== "retry" && cmd !== "backfill") {
    throw new UsageError(
      `unknown command ${cmd ? `"${cmd}"` : "(none)"}: use run, status, retry or backfill`,
    );
  }
  if (!arg) throw new UsageError(`${cmd} needs ${cmd === "retry" ? "a run id" : "a DAG name"}`);
  const settings = automationSettings(env);
  const engine = openEngine(ctx, settings);
  try {
    if (cmd === "retry") {
      await getRun(ctx.db, arg);
      await engine.retry(arg);
      const run = engine.kind === "embedded" || flags.wait
        ? await waitFor(ctx, arg)
        : await getRun(ctx.db, arg);
      console.log(describe(run).join("\n"));
      return run.status === "failed" ? 1 : 0;
    }
    const dag = dagByName(arg);
    const params = parseDagParams({
      model: flags.model,
      recipe: flags.recipe,
      epochs: flags.epochs,
      limit: flags.limit,
      source: flags.source,
    });
    const who = resolveActor();
    if (cmd === "backfill") {
      if (!flags.from || !flags.to) throw new UsageError("backfill needs --from and --to");
      let failed = 0;
      for (const day of daysBetween(flags.from, flags.to)) {
        const id = await engine.submit(dag, params, {
          trigger: "backfill",
          triggeredBy: who,
          logicalDate: day,
        })
          .catch(() => null);
        if (id === null) failed++;
        console.log(`backfill  ${day}  ${id ?? "failed (see deno task dag status)"}`);
      }
      return failed ? 1 : 0;
    }
    let runId: string;
    try {
      runId = await engine.submit(dag, params, { trigger: "manual", triggeredBy: who });
    } catch (err) {
      const [last] = await listRuns(ctx.db, { dag: dag.name, limit: 1 });
      if (last) console.log(describe(last).join("\n"));
      throw err;
    }
    const run = engine.kind === "embedded" || flags.wait
      ? await waitFor(ctx, runId)
      : await getRun(ctx.db, runId);
    console.log(describe(run).join("\n"));
    return run.status === "failed" ? 1 : 0;
  } finally {
    await engine.close();
  }
}

/** Run the command; returns the exit code (2 for usage/config errors, 1 for failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "dag",
      usage: USAGE,
      positionals: true,
      flags: {
        recipe: { type: "string" },
        epochs: { type: "string" },
        limit: { type: "string" },
        model: { type: "string" },
        source: { type: "string" },
        wait: { type: "boolean" },
        from: { type: "string" },
        to: { type: "string" },
        dag: { type: "string" },
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, flags, positionals) => {
        try {
          return await dagCommand(ctx, flags, positionals, env);
        } catch (err) {
          if (
            err instanceof UsageError || err instanceof AutomationConfigError ||
            err instanceof DagError
          ) {
            console.error(`dag: ${err.message}`);
            return 2;
          }
          throw err;
        }
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
