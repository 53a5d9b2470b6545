/**
 * Automation settings (zod), read from the environment: the engine, the schedules (cron
 * expressions, validated with cron-parser — the parser BullMQ's job schedulers use), job retries
 * and the closed loop's guard rails.
 *
 * Each variable is documented above its key in {@link automationEnvSchema} (and so in the
 * configuration reference that `deno task docs` generates).
 */
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

const cron = z.string().trim().refine((v) => {
  try {
    CronExpressionParser.parse(v);
    return true;
  } catch {
    return false;
  }
}, "must be a cron expression, e.g. `0 3 * * *`");

const envInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Schema of the automation environment variables (all optional; defaults above). */
export const automationEnvSchema = z.object({
  /** Job engine: `embedded` (in-process) or `bullmq` (needs `REDIS_URL`). */
  FMNIST_AUTOMATION_ENGINE: z.enum(["embedded", "bullmq"]).default("embedded"),
  /** Queue-name prefix (one set of queues per deployment). */
  FMNIST_AUTOMATION_QUEUE: z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/, "use a-z, 0-9, _ and -")
    .default("fmnist"),
  /** Cron schedule of ingest + validate + features (default daily). */
  FMNIST_SCHEDULE_DATA: cron.default("0 3 * * *"),
  /** Cron schedule of reading the live monitors' drift events, which may trigger a retrain. */
  FMNIST_SCHEDULE_DRIFT: cron.default("0 * * * *"),
  /** Cron schedule of retrain → evaluate → gate (default weekly). */
  FMNIST_SCHEDULE_RETRAIN: cron.default("0 4 * * 1"),
  /** Attempts per step before the run is failed. */
  FMNIST_JOB_ATTEMPTS: envInt(1, 20).default(3),
  /** First retry delay in ms (exponential backoff). */
  FMNIST_JOB_BACKOFF_MS: envInt(0, 3_600_000).default(10_000),
  /** Job lock in ms; a dead worker's job is retried after about this. */
  FMNIST_JOB_LOCK_MS: envInt(1000, 3_600_000).default(30_000),
  /** Least time in seconds between two drift-triggered retrains. */
  FMNIST_RETRAIN_COOLDOWN_S: envInt(0, 30 * 86_400).default(21_600),
  /** Retrain runs queued or running at once. */
  FMNIST_MAX_CONCURRENT_TRAININGS: envInt(1, 64).default(1),
  /** `on`: triggers are recorded but start nothing. */
  FMNIST_AUTOMATION_KILL_SWITCH: z.enum(["on", "off"]).default("off"),
  /** Training recipe of triggered retrains (`default`, `quick`). */
  FMNIST_RETRAIN_RECIPE: z.enum(["default", "quick"]).default("default"),
  /** Epochs of triggered retrains (default: the recipe's). */
  FMNIST_RETRAIN_EPOCHS: envInt(1, 1000).optional(),
  /** Training images of triggered retrains (default: the recipe's). */
  FMNIST_RETRAIN_LIMIT: envInt(1, 1_000_000).optional(),
  /** Registered model the loop watches and retrains. */
  FMNIST_AUTOMATION_MODEL: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/).default("fmnist"),
});

/** Validated automation settings. */
export interface AutomationSettings {
  engine: "embedded" | "bullmq";
  queue: string;
  schedules: { data: string; drift: string; retrain: string };
  attempts: number;
  backoffMs: number;
  lockMs: number;
  cooldownSeconds: number;
  maxConcurrentTrainings: number;
  killSwitch: boolean;
  model: string;
  retrain: { recipe: "default" | "quick"; epochs?: number; limit?: number };
}

/** Raised for invalid automation settings; the message names every bad variable. */
export class AutomationConfigError extends Error {
  override name = "AutomationConfigError";
}

/** Automation settings from `env` (unset or empty variables take their defaults). */
export function automationSettings(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): AutomationSettings {
  const picked = Object.fromEntries(
    Object.keys(automationEnvSchema.shape).filter((k) => env[k] !== undefined && env[k] !== "")
      .map((k) => [k, env[k]]),
  );
  const r = automationEnvSchema.safeParse(picked);
  if (!r.success) {
    throw new AutomationConfigError(
      `invalid automation settings: ${
        r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")
      }`,
    );
  }
  const e = r.data;
  return {
    engine: e.FMNIST_AUTOMATION_ENGINE,
    queue: e.FMNIST_AUTOMATION_QUEUE,
    schedules: {
      data: e.FMNIST_SCHEDULE_DATA,
      drift: e.FMNIST_SCHEDULE_DRIFT,
      retrain: e.FMNIST_SCHEDULE_RETRAIN,
    },
    attempts: e.FMNIST_JOB_ATTEMPTS,
    backoffMs: e.FMNIST_JOB_BACKOFF_MS,
    lockMs: e.FMNIST_JOB_LOCK_MS,
    cooldownSeconds: e.FMNIST_RETRAIN_COOLDOWN_S,
    maxConcurrentTrainings: e.FMNIST_MAX_CONCURRENT_TRAININGS,
    killSwitch: e.FMNIST_AUTOMATION_KILL_SWITCH === "on",
    model: e.FMNIST_AUTOMATION_MODEL,
    retrain: {
      recipe: e.FMNIST_RETRAIN_RECIPE,
      ...(e.FMNIST_RETRAIN_EPOCHS ? { epochs: e.FMNIST_RETRAIN_EPOCHS } : {}),
      ...(e.FMNIST_RETRAIN_LIMIT ? { limit: e.FMNIST_RETRAIN_LIMIT } : {}),
    },
  };
}
