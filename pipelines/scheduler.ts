/**
 * `deno task scheduler`: upserts the cron schedules (data daily, drift hourly, retrain weekly by
 * default; `FMNIST_SCHEDULE_*`) as BullMQ job schedulers and turns their ticks into DAG runs —
 * the drift tick runs the closed loop (drift events → guard rails → retrain). Needs `REDIS_URL`;
 * the steps run on `deno task worker` processes. Stops on SIGINT/SIGTERM.
 */
import { z } from "zod";
import { automationSettings, SCHEDULES, startScheduler } from "../lib/automation/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";

const USAGE = `usage: deno task scheduler [--state-dir DIR]

Registers the schedules and submits their runs until stopped (Ctrl-C / SIGTERM):
  data     FMNIST_SCHEDULE_DATA    (default "0 3 * * *": ingest → validate → features)
  drift    FMNIST_SCHEDULE_DRIFT   (default "0 * * * *": drift events → retrain, with guard rails)
  retrain  FMNIST_SCHEDULE_RETRAIN (default "0 4 * * 1": train → evaluate → gate → profile)
Guard rails: FMNIST_RETRAIN_COOLDOWN_S, FMNIST_MAX_CONCURRENT_TRAININGS,
FMNIST_AUTOMATION_KILL_SWITCH=on (docs/automation.md).

  --state-dir DIR   state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help        show this help`;

const flagsSchema = z.object({
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});

async function schedule(ctx: Ctx, env: Record<string, string | undefined>): Promise<number> {
  const url = ctx.settings.redisUrl;
  if (!url) {
    console.error("scheduler: REDIS_URL is not set (redis://host:port); schedules need the queue");
    return 2;
  }
  const settings = automationSettings(env);
  const scheduler = await startScheduler(ctx, settings, url);
  for (const name of SCHEDULES) {
    console.log(`schedule  ${name.padEnd(8)} ${settings.schedules[name]}`);
  }
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await scheduler.close();
  return 0;
}

/** Run the scheduler; returns the exit code. */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "scheduler",
      usage: USAGE,
      flags: { "state-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: (ctx) => schedule(ctx, env),
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
