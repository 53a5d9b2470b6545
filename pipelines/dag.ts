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
} from "../lib/jobs/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { formatDuration } from "../lib/progress/mod.ts";
import {
  type Command,
  type CommandGroup,
  commandMain,
  defineCommand,
  type FlagsSchema,
  nonEmpty,
  stateDirFlag,
  UsageError,
} from "../lib/cli/mod.ts";
import { resolveActor } from "../lib/registry/mod.ts";

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use YYYY-MM-DD").refine(
  (v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  "not a date",
);

/** Domain errors that are the caller's to fix (exit 2). */
const exitCodes: NonNullable<Command<FlagsSchema>["exitCodes"]> = [
  [AutomationConfigError, 2],
  [DagError, 2],
];

const paramFlags = {
  recipe: z.enum(["default", "quick"]).optional().meta({
    description: "training recipe (default: default)",
  }),
  epochs: z.coerce.number().int().positive().max(1000).optional().meta({
    description: "override the recipe's epochs",
    arg: "N",
  }),
  limit: z.coerce.number().int().positive().optional().meta({
    description: "train on at most N images",
    arg: "N",
  }),
  model: nonEmpty().optional().meta({
    description: "registered model (default: fmnist)",
    arg: "NAME",
  }),
  source: nonEmpty().optional().meta({ description: "dataset source of ingest", arg: "DIR" }),
  ...stateDirFlag,
};
const waitFlag = {
  wait: z.boolean().optional().meta({
    description: "with bullmq: wait until the run finished (exit 1 if it failed)",
  }),
};
type ParamFlags = { [K in keyof typeof paramFlags]?: unknown };

function dagParams(flags: ParamFlags) {
  return parseDagParams({
    model: flags.model,
    recipe: flags.recipe,
    epochs: flags.epochs,
    limit: flags.limit,
    source: flags.source,
  });
}

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

const run = defineCommand({
  summary: "start a run of DAG NAME (data, pipeline or retrain) and show its steps",
  schema: z.object({ ...paramFlags, ...waitFlag }),
  args: { usage: "NAME", min: 1, max: 1 },
  exitCodes,
  run: async ({ flags, positionals, open, env, out }) => {
    const dag = dagByName(positionals[0]);
    const params = dagParams(flags);
    const settings = automationSettings(env);
    const ctx = await open();
    const engine = openEngine(ctx, settings);
    try {
      let runId: string;
      try {
        runId = await engine.submit(dag, params, {
          trigger: "manual",
          triggeredBy: resolveActor(),
        });
      } catch (err) {
        const [last] = await listRuns(ctx.db, { dag: dag.name, limit: 1 });
        if (last) out.line(describe(last).join("\n"));
        throw err;
      }
      const done = engine.kind === "embedded" || flags.wait
        ? await waitFor(ctx, runId)
        : await getRun(ctx.db, runId);
      out.line(describe(done).join("\n"));
      return done.status === "failed" ? 1 : 0;
    } finally {
      await engine.close();
    }
  },
});

const status = defineCommand({
  summary: "show DAG runs and their step states (one run with RUN_ID)",
  schema: z.object({
    dag: dagNameSchema.optional().meta({ description: "only runs of this DAG" }),
    limit: z.coerce.number().int().positive().max(1000).default(20).meta({
      description: "at most N runs",
      arg: "N",
    }),
    ...stateDirFlag,
  }),
  args: { usage: "[RUN_ID]", min: 0, max: 1 },
  json: true,
  exitCodes,
  run: async ({ flags, positionals, open, out }) => {
    const ctx = await open();
    const [id] = positionals;
    const runs = id ? [await getRun(ctx.db, id)] : await listRuns(ctx.db, flags);
    out.result(
      id ? runs[0] : runs,
      () => runs.length ? runs.map((r) => describe(r).join("\n")) : ["no DAG runs yet"],
    );
  },
});

const retry = defineCommand({
  summary: "re-run a failed run from its failed step",
  schema: z.object({ ...waitFlag, ...stateDirFlag }),
  args: { usage: "RUN_ID", min: 1, max: 1 },
  exitCodes,
  run: async ({ flags, positionals, open, env, out }) => {
    const settings = automationSettings(env);
    const ctx = await open();
    const id = positionals[0];
    await getRun(ctx.db, id);
    const engine = openEngine(ctx, settings);
    try {
      await engine.retry(id);
      const done = engine.kind === "embedded" || flags.wait
        ? await waitFor(ctx, id)
        : await getRun(ctx.db, id);
      out.line(describe(done).join("\n"));
      return done.status === "failed" ? 1 : 0;
    } finally {
      await engine.close();
    }
  },
});

const backfill = defineCommand({
  summary: "run DAG NAME once per logical date from --from to --to (at most 366 days)",
  schema: z.object({
    from: date.meta({ description: "first logical date", arg: "YYYY-MM-DD" }),
    to: date.meta({ description: "last logical date", arg: "YYYY-MM-DD" }),
    ...paramFlags,
  }),
  args: { usage: "NAME", min: 1, max: 1 },
  exitCodes,
  run: async ({ flags, positionals, open, env, out }) => {
    const dag = dagByName(positionals[0]);
    const days = daysBetween(flags.from, flags.to);
    const params = dagParams(flags);
    const settings = automationSettings(env);
    const ctx = await open();
    const engine = openEngine(ctx, settings);
    const who = resolveActor();
    try {
      let failed = 0;
      for (const day of days) {
        const id = await engine.submit(dag, params, {
          trigger: "backfill",
          triggeredBy: who,
          logicalDate: day,
        }).catch(() => null);
        if (id === null) failed++;
        out.line(`backfill  ${day}  ${id ?? "failed (see deno task dag status)"}`);
      }
      return failed ? 1 : 0;
    } finally {
      await engine.close();
    }
  },
});

/** `deno task dag run|status|retry|backfill`. */
export const command: CommandGroup = {
  name: "dag",
  summary: "Start, inspect, retry and backfill DAG runs.",
  description: "DAGs: data (ingest → validate → features), pipeline and retrain (… → train → " +
    "register with the promotion gate → drift profile). Runs on FMNIST_AUTOMATION_ENGINE: " +
    "embedded (default: in this process, returns when done) or bullmq (REDIS_URL: queued for " +
    "`deno task worker`).",
  commands: { run, status, retry, backfill },
};

/** Run the command; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
