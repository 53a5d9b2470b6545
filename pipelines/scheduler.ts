/**
 * `deno task scheduler`: upserts the cron schedules (data daily, drift hourly, retrain weekly by
 * default; `FMNIST_SCHEDULE_*`) as BullMQ job schedulers and turns their ticks into DAG runs —
 * the drift tick runs the closed loop (drift events → guard rails → retrain). Needs `REDIS_URL`;
 * the steps run on `deno task worker` processes. Stops on SIGINT/SIGTERM.
 */
import { z } from "zod";
import { automationSettings, SCHEDULES, startScheduler } from "../lib/jobs/mod.ts";
import { CommandError, commandMain, defineCommand, stateDirFlag } from "../lib/cli/mod.ts";
import { untilSignal } from "./signals.ts";

/** The scheduler command. */
export const command = defineCommand({
  name: "scheduler",
  summary: "Register the schedules and submit their DAG runs until stopped (Ctrl-C / SIGTERM).",
  description: 'data: FMNIST_SCHEDULE_DATA (default "0 3 * * *": ingest → validate → features); ' +
    'drift: FMNIST_SCHEDULE_DRIFT (default "0 * * * *": drift events → retrain, with guard ' +
    'rails); retrain: FMNIST_SCHEDULE_RETRAIN (default "0 4 * * 1": train → evaluate → gate → ' +
    "profile). Guard rails: FMNIST_RETRAIN_COOLDOWN_S, FMNIST_MAX_CONCURRENT_TRAININGS, " +
    "FMNIST_AUTOMATION_KILL_SWITCH=on (docs/automation.md). Needs REDIS_URL.",
  schema: z.object({ ...stateDirFlag }),
  run: async ({ open, env, out }) => {
    const ctx = await open();
    const url = ctx.settings.redisUrl;
    if (!url) {
      throw new CommandError(
        "REDIS_URL is not set (redis://host:port); schedules need the queue",
        2,
      );
    }
    const settings = automationSettings(env);
    const scheduler = await startScheduler(ctx, settings, url);
    for (const name of SCHEDULES) {
      out.line(`schedule  ${name.padEnd(8)} ${settings.schedules[name]}`);
    }
    await untilSignal();
    await scheduler.close();
  },
});

/** Run the scheduler; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
