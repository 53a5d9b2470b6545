/**
 * Typed workspace settings read from the environment (and CLI overrides), validated with zod.
 * Every setting has a default that needs no running service.
 */
import { z } from "zod";

const optionalString = z.string().trim().min(1).optional();

/** Schema of every environment variable the workspace reads. */
export const envSchema = z.object({
  /** Directory everything a run writes goes under (object store, PGlite data, logs, spool); delete it to reset the workspace. */
  FMNIST_STATE_DIR: z.string().trim().min(1).default(".fmnist"),
  /** Where ingest finds the four IDX `.gz` files (directory or URL); default: the Debian dataset, then the official URLs. */
  FMNIST_SOURCE: optionalString,
  /** Postgres metadata database; unset → embedded PGlite under the state directory (single process). */
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  /** S3/MinIO endpoint of the object store; unset → the local file system under the state directory. */
  S3_ENDPOINT: z.url().optional(),
  /** Access key of `S3_ENDPOINT` (required with it). */
  S3_ACCESS_KEY: optionalString,
  /** Secret key of `S3_ENDPOINT` (required with it). */
  S3_SECRET_KEY: optionalString,
  /** Bucket of the object store on `S3_ENDPOINT`. */
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
    .default("fmnist"),
  /** Region of `S3_ENDPOINT`. */
  S3_REGION: z.string().default("us-east-1"),
  /** Remote of `deno task data:push|pull|status` (a directory or `s3://bucket/prefix`). */
  FMNIST_REMOTE: optionalString,
  /** S3 endpoint of an `s3://` remote when it differs from the workspace store's. */
  FMNIST_REMOTE_S3_ENDPOINT: z.url().optional(),
  /** Access key of `FMNIST_REMOTE_S3_ENDPOINT`. */
  FMNIST_REMOTE_S3_ACCESS_KEY: optionalString,
  /** Secret key of `FMNIST_REMOTE_S3_ENDPOINT`. */
  FMNIST_REMOTE_S3_SECRET_KEY: optionalString,
  /** Region of `FMNIST_REMOTE_S3_ENDPOINT`. */
  FMNIST_REMOTE_S3_REGION: z.string().default("us-east-1"),
  /** Redis holding the prediction cache shared by the service replicas; unset → an in-process cache. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").optional(),
  /** Port `deno task serve` listens on. */
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  /** Interface `deno task serve` binds: loopback unless `0.0.0.0` (or another address) is chosen. */
  HOST: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z.:-]{1,253}$/, "must be an IP address or host name, e.g. 0.0.0.0")
    .default("127.0.0.1"),
  /** Lowest level of log lines written (commands whose lines are for a person default to `warn`). */
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Log lines: `json`, `pretty` (pino-pretty), or `auto` = pretty when stdout is a terminal. */
  FMNIST_LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  /** tfjs backend of training and inference; `auto` picks the fastest that loads. */
  FMNIST_BACKEND: z.enum(["auto", "tensorflow", "native", "wasm", "cpu", "webgpu"]).default("auto"),
  /** Compute threads of the backend; 0 = one per core. */
  FMNIST_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  /**
   * Runtime of inference (service, predict:batch, evaluation): `auto` = ONNX Runtime when it
   * loads, else tfjs with a logged reason.
   */
  FMNIST_INFER_RUNTIME: z.enum(["auto", "onnx", "tfjs"]).default("auto"),
  /** Seed of every random choice (splits, initialisation, bootstrap). */
  FMNIST_SEED: z.coerce.number().int().min(0).default(42),
  /** API key of the service's admin routes; unset → admin routes answer 503. */
  FMNIST_ADMIN_KEY: z.string().trim().min(16, "use at least 16 characters").max(512).optional(),
  /** API key of `POST /v1/feedback` (labelling tools); the admin key is accepted too. */
  FMNIST_FEEDBACK_KEY: z.string().trim().min(16, "use at least 16 characters").max(512)
    .optional(),
});

/** Raw validated environment. */
export type Env = z.infer<typeof envSchema>;

/** S3 connection settings (present when `S3_ENDPOINT` is set). */
export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

/** Resolved settings used by every stage. */
export interface Settings {
  stateDir: string;
  source?: string;
  databaseUrl?: string;
  s3?: S3Settings;
  remote?: string;
  /**
   * S3 endpoint/credentials of the `s3://` remote used by `data:push|pull`, when they differ
   * from the workspace store's (`FMNIST_REMOTE_S3_*`); the bucket comes from the remote URL.
   */
  remoteS3?: Omit<S3Settings, "bucket">;
  redisUrl?: string;
  port: number;
  /** Interface the service binds (`HOST`, default `127.0.0.1`). */
  host: string;
  logLevel: Env["LOG_LEVEL"];
  logFormat: Env["FMNIST_LOG_FORMAT"];
  backend: Env["FMNIST_BACKEND"];
  threads: number;
  /** Runtime of inference and evaluation (`FMNIST_INFER_RUNTIME`). */
  inferRuntime: Env["FMNIST_INFER_RUNTIME"];
  seed: number;
  /** API key of the admin routes (`FMNIST_ADMIN_KEY`); undefined disables them. */
  adminKey?: string;
  /** API key of the feedback route (`FMNIST_FEEDBACK_KEY`); the admin key also works. */
  feedbackKey?: string;
}

/** Variables whose values are never echoed in error messages. */
const SECRET_NAME = /(_KEY|_SECRET|PASSWORD|_URL)$/;

/** Raised when configuration is invalid; the message names each offending variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validate an environment record and resolve it into {@link Settings}.
 * @throws ConfigError naming every invalid variable and what it expects.
 */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") cleaned[key] = v;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = i.path.join(".");
      const shown = SECRET_NAME.test(name) ? "<redacted>" : JSON.stringify(cleaned[name] ?? "");
      return `  ${name}=${shown}: ${i.message}`;
    });
    throw new ConfigError(
      `invalid configuration:\n${lines.join("\n")}\nFix or unset these environment variables.`,
    );
  }
  const e = parsed.data;
  let s3: S3Settings | undefined;
  if (e.S3_ENDPOINT) {
    if (!e.S3_ACCESS_KEY || !e.S3_SECRET_KEY) {
      throw new ConfigError(
        "invalid configuration:\n  S3_ENDPOINT is set but S3_ACCESS_KEY and S3_SECRET_KEY are not; set both or unset S3_ENDPOINT.",
      );
    }
    s3 = {
      endpoint: e.S3_ENDPOINT,
      accessKey: e.S3_ACCESS_KEY,
      secretKey: e.S3_SECRET_KEY,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
    };
  }
  let remoteS3: Settings["remoteS3"];
  if (e.FMNIST_REMOTE_S3_ENDPOINT) {
    if (!e.FMNIST_REMOTE_S3_ACCESS_KEY || !e.FMNIST_REMOTE_S3_SECRET_KEY) {
      throw new ConfigError(
        "invalid configuration:\n  FMNIST_REMOTE_S3_ENDPOINT is set but FMNIST_REMOTE_S3_ACCESS_KEY and FMNIST_REMOTE_S3_SECRET_KEY are not; set both or unset FMNIST_REMOTE_S3_ENDPOINT.",
      );
    }
    remoteS3 = {
      endpoint: e.FMNIST_REMOTE_S3_ENDPOINT,
      accessKey: e.FMNIST_REMOTE_S3_ACCESS_KEY,
      secretKey: e.FMNIST_REMOTE_S3_SECRET_KEY,
      region: e.FMNIST_REMOTE_S3_REGION,
    };
  }
  return {
    stateDir: e.FMNIST_STATE_DIR,
    source: e.FMNIST_SOURCE,
    databaseUrl: e.DATABASE_URL,
    s3,
    remote: e.FMNIST_REMOTE,
    remoteS3,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    logFormat: e.FMNIST_LOG_FORMAT,
    backend: e.FMNIST_BACKEND,
    threads: e.FMNIST_THREADS,
    inferRuntime: e.FMNIST_INFER_RUNTIME,
    seed: e.FMNIST_SEED,
    ...(e.FMNIST_ADMIN_KEY === undefined ? {} : { adminKey: e.FMNIST_ADMIN_KEY }),
    ...(e.FMNIST_FEEDBACK_KEY === undefined ? {} : { feedbackKey: e.FMNIST_FEEDBACK_KEY }),
  };
}

/** Settings from the process environment, with optional overrides (e.g. from CLI flags). */
export function loadSettings(overrides: Record<string, string | undefined> = {}): Settings {
  const env: Record<string, string | undefined> = Deno.env.toObject();
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  return parseSettings(env);
}
