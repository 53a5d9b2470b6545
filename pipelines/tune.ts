/**
 * `deno task tune`: run (or resume) a hyperparameter study on a registered objective.
 *
 *   deno task tune --study branin-tpe --objective branin --trials 60 --sampler tpe
 *   deno task tune --study branin-tpe --trials 100          # resume: continue to 100 trials
 *
 * With DATABASE_URL (Postgres), `--workers N` spawns N worker processes (this script with
 * `--role worker`) that share the study; any machine pointing at the same Postgres can join with
 * `deno task tune --study NAME --trials N`. Without it (embedded PGlite, single-process) the N
 * workers are async tasks in this process.
 */
import { z } from "zod";
import {
  commandMain,
  defineCommand,
  type Output,
  stateDirFlag,
  UsageError,
} from "../lib/cli/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import {
  createStudy,
  type FinishedTrial,
  getObjective,
  getStudy,
  listObjectives,
  loadStudy,
  processWorkerPrefix,
  type Study,
  StudyConflictError,
  type StudyOptions,
  TuneInputError,
} from "../lib/tune/mod.ts";
import { spawnWorkerProcesses, waitForWorkers } from "../lib/tune/processes.ts";
import { startStudyRun, trialRunTracker } from "../lib/tune/tracking.ts";
// Registers the `cnn` objective (trains a model); bound to the workspace once it is open.
import { configureCnnObjective } from "../lib/train/mod.ts";

const count = (what: string) =>
  z.coerce.number({ error: `${what} must be a number` }).int(`${what} must be an integer`);

const seconds = () => z.coerce.number().positive("must be a positive number of seconds");

const flagsSchema = z.object({
  study: z.string().trim().regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
    "use letters, digits, and _ . : - (starting with a letter or digit)",
  ).optional().meta({ description: "study name (required)", arg: "NAME" }),
  objective: z.string().trim().min(1).optional().meta({
    description: "registered objective (required to create a study); see --list",
    arg: "NAME",
  }),
  trials: count("--trials").min(0).max(1_000_000).default(50).meta({
    description: "run until the study holds N trials in total",
  }),
  workers: count("--workers").min(1).max(256).default(1).meta({
    description: "concurrent workers: worker processes with DATABASE_URL (Postgres), async " +
      "workers in this process with embedded PGlite",
  }),
  sampler: z.enum(["tpe", "random", "grid"]).optional().meta({ description: "(default tpe)" }),
  pruner: z.enum(["none", "median", "asha"]).optional().meta({ description: "(default none)" }),
  seed: count("--seed").min(0).max(2 ** 32 - 1).optional().meta({
    description: "sampler seed (default FMNIST_SEED or 42)",
  }),
  limit: count("--limit").min(10).max(60_000).optional().meta({
    description: "objectives that train (cnn): training images per trial (default 6000)",
  }),
  epochs: count("--epochs").min(1).max(100).optional().meta({
    description: "objectives that train (cnn): epochs per trial (default 3)",
  }),
  "stale-after": seconds().default(60).meta({
    description: "a running trial without heartbeat for S seconds is requeued",
    arg: "S",
  }),
  heartbeat: seconds().default(10).meta({ description: "heartbeat period in seconds", arg: "S" }),
  "no-track": z.boolean().default(false).meta({
    description: "do not record runs in lib/tracking",
  }),
  ...stateDirFlag,
  role: z.enum(["main", "worker"]).default("main").meta({
    description: "internal: worker processes get --role worker",
  }),
  list: z.boolean().default(false).meta({ description: "list the registered objectives" }),
});
type Flags = z.infer<typeof flagsSchema>;

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  return JSON.stringify(v);
}

function fmtParams(p: Record<string, unknown>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${fmt(v)}`).join(" ");
}

/** The study to run: loaded when it exists (flags must agree), else created from the flags. */
async function openStudy(ctx: Ctx, flags: Flags, seed: number): Promise<Study> {
  const name = flags.study!;
  const stored = await getStudy(ctx.db, name);
  const objectiveName = flags.objective ?? stored?.objective ?? undefined;
  if (!objectiveName) {
    throw new UsageError(
      `study "${name}" does not exist yet: give --objective (one of ${
        listObjectives().map((o) => o.name).join(", ")
      })`,
    );
  }
  const def = getObjective(objectiveName);
  if (
    stored && flags.sampler === undefined && flags.pruner === undefined &&
    flags.seed === undefined &&
    (flags.objective === undefined || flags.objective === stored.objective)
  ) {
    return await loadStudy(ctx.db, name);
  }
  const opts: StudyOptions = {
    name,
    direction: def.direction,
    objective: def.name,
    space: def.space,
    sampler: flags.sampler ? { type: flags.sampler } : stored?.sampler ?? { type: "tpe" },
    pruner: flags.pruner ? { type: flags.pruner } : stored?.pruner ?? { type: "none" },
    seed: flags.seed ?? stored?.seed ?? seed,
  };
  return await createStudy(ctx.db, opts);
}

function progressLine(t: FinishedTrial, total: number, done: number, prefix = ""): string {
  const value = t.value === null ? "-" : fmt(t.value);
  const best = t.best === null ? "-" : fmt(t.best);
  const err = t.error ? `  (${t.error.slice(0, 120)})` : "";
  return `${prefix}trial ${t.number} ${t.state} value=${value} best=${best} [${done}/${total}]  ` +
    `${fmtParams(t.params)}${err}`;
}

/** Run (or resume) the study of `flags.study`; returns the exit code. */
async function tune(
  ctx: Ctx,
  flags: Flags,
  env: Record<string, string | undefined>,
  out: Output,
): Promise<number> {
  configureCnnObjective(ctx, { limit: flags.limit, epochs: flags.epochs });
  let study = await openStudy(ctx, flags, ctx.settings.seed);
  const def = getObjective(study.record.objective!);
  const track = !flags["no-track"];
  const common = {
    nTrials: flags.trials,
    heartbeatMs: flags.heartbeat * 1000,
    staleAfterMs: flags["stale-after"] * 1000,
    logger: ctx.log,
  };
  const before = await study.counts();
  const existing = Object.values(before).reduce((a, b) => a + b, 0);
  let done = existing;

  if (flags.role === "worker") {
    // A worker process: run trials and print one progress line per trial (the parent relays).
    await study.optimize(def.objective, {
      ...common,
      tracker: track ? trialRunTracker(ctx) : undefined,
      onTrialFinished: (t) => out.line(progressLine(t, flags.trials, ++done)),
    });
    return 0;
  }

  const run = track ? await startStudyRun(ctx, study.record) : undefined;
  if (run) study = await loadStudy(ctx.db, study.name); // picks up the study's run id
  out.line(
    `study ${study.name}: objective=${def.name} sampler=${study.record.sampler.type} ` +
      `pruner=${study.record.pruner.type} seed=${study.record.seed} ${ctx.db.kind}; ` +
      `${existing} trial(s) so far, target ${flags.trials}, ${flags.workers} worker(s)` +
      (run ? `, run ${run.id.slice(0, 8)}` : ""),
  );
  const t0 = performance.now();
  try {
    if (flags.workers > 1 && ctx.db.kind === "postgres") {
      const self = new URL(import.meta.url);
      const args = [
        "--role=worker",
        `--study=${study.name}`,
        `--trials=${flags.trials}`,
        `--stale-after=${flags["stale-after"]}`,
        `--heartbeat=${flags.heartbeat}`,
        ...(flags["state-dir"] ? [`--state-dir=${flags["state-dir"]}`] : []),
        ...(flags.limit !== undefined ? [`--limit=${flags.limit}`] : []),
        ...(flags.epochs !== undefined ? [`--epochs=${flags.epochs}`] : []),
        ...(track ? [] : ["--no-track"]),
      ];
      out.line(`spawning ${flags.workers} worker processes (parent ${processWorkerPrefix()})`);
      const workers = spawnWorkerProcesses({
        script: self,
        n: flags.workers,
        args: () => args,
        // The children see exactly this invocation's settings (DATABASE_URL, state dir…).
        env: Object.fromEntries(
          Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        onLine: (i, line) => {
          const m = /\[(\d+)\/\d+\]/.exec(line);
          out.line(`[w${i}] ${m ? line.replace(m[0], `[${++done}/${flags.trials}]`) : line}`);
        },
      });
      await waitForWorkers(workers);
    } else {
      if (flags.workers > 1) {
        out.line(
          `PGlite is single-process: running ${flags.workers} async workers in this process ` +
            `(set DATABASE_URL=postgres://… for worker processes on one or more machines)`,
        );
      }
      await study.optimize(def.objective, {
        ...common,
        workers: flags.workers,
        tracker: track ? trialRunTracker(ctx) : undefined,
        onTrialFinished: (t) => out.line(progressLine(t, flags.trials, ++done)),
      });
    }
  } catch (err) {
    await run?.fail(err);
    throw err;
  }
  const counts = await study.counts();
  const best = await study.bestTrial();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  out.line(
    `study ${study.name}: ${counts.complete} complete, ${counts.pruned} pruned, ` +
      `${counts.failed} failed, ${counts.running} running, ${counts.queued} queued (${secs}s)`,
  );
  if (best) {
    out.line(
      `best trial ${best.number}: value=${fmt(best.value)}` +
        (def.optimum !== undefined ? ` (known optimum ${fmt(def.optimum)})` : ""),
    );
    out.line(`best params: ${fmtParams(best.params)}`);
    if (run) await run.logMetric("best_value", best.value!, 0);
  } else {
    out.line("no complete trial yet");
  }
  await run?.finish();
  return 0;
}

export const command = defineCommand({
  name: "tune",
  summary: "Run or resume a hyperparameter study. Rerunning with the same --study continues it " +
    "(flags left out are taken from the stored study; flags given must match it).",
  schema: flagsSchema,
  exitCodes: [[StudyConflictError, 2], [TuneInputError, 2]],
  run: async ({ flags, env, settings, open, out }) => {
    if (flags.list) {
      for (const o of listObjectives()) out.line(`${o.name.padEnd(18)} ${o.description}`);
      return 0;
    }
    if (!flags.study) throw new UsageError("--study NAME is required");
    if (flags.role === "worker" && !settings().databaseUrl) {
      throw new UsageError(
        "--role worker needs DATABASE_URL: worker processes share a study through Postgres " +
          "(PGlite is single-process)",
      );
    }
    return await tune(await open(), flags, env, out);
  },
});

/** Run the CLI; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
