/**
 * The doctor's checks: each looks at one part of the environment and says, in plain words, what
 * it found and — when something is wrong — how to fix it. No check throws; a failure is a result.
 */
import { Redis } from "ioredis";
import type { Settings } from "../config/mod.ts";
import { loadMigrations, type Queryable } from "../db/mod.ts";
import { initEngine } from "../engine/mod.ts";
import type { Logger } from "../log/mod.ts";
import { OFFICIAL_FILES, resolveSource } from "../data/mod.ts";
import { openStore } from "../storage/mod.ts";
import { listModels } from "../registry/mod.ts";
import { createInference } from "../inference/mod.ts";
import type { Ctx } from "../workspace/mod.ts";

/** Outcome of one check. */
export interface Check {
  /** Short name, e.g. `database`. */
  name: string;
  /** `fail` makes the doctor exit non-zero; `skip` means not configured / not applicable. */
  status: "ok" | "warn" | "fail" | "skip";
  /** What was found. */
  detail: string;
  /** How to fix it (on `warn` and `fail`). */
  hint?: string;
}

const msg = (err: unknown) => err instanceof Error ? err.message : String(err);

/** The Deno version against the one the project pins (CI installs it). */
export function checkDeno(pinned: string, actual: string = Deno.version.deno): Check {
  if (actual === pinned) return { name: "deno", status: "ok", detail: `Deno ${actual}` };
  const [pa, pb] = pinned.split(".").map(Number);
  const [aa, ab] = actual.split(".").map(Number);
  const older = aa < pa || (aa === pa && ab < pb);
  return {
    name: "deno",
    status: older ? "fail" : "warn",
    detail: `Deno ${actual}; the project pins ${pinned}`,
    hint:
      `install the pinned version: npm i -g deno@${pinned} (or deno upgrade --version ${pinned})`,
  };
}

/**
 * Which compute backend tfjs chose, and why the preferred ones were skipped. `log` (the
 * workspace's, when one is open) gets the engine's "ready" line.
 */
export async function checkBackend(settings: Settings, log?: Logger): Promise<Check> {
  try {
    const info = await initEngine(settings, log);
    const why = info.notes.length ? `; skipped: ${info.notes.join("; ")}` : "";
    return {
      name: "backend",
      status: "ok",
      detail: `${info.backend} (asked for ${info.requested}, ${info.threads} thread(s)` +
        `${info.simd ? ", SIMD" : ""})${why}`,
    };
  } catch (err) {
    return {
      name: "backend",
      status: "fail",
      detail: msg(err),
      hint: "set FMNIST_BACKEND=wasm (always available) or install the requested backend",
    };
  }
}

/** Where the dataset would be read from. */
export async function checkDataset(settings: Settings): Promise<Check> {
  try {
    const src = await resolveSource({
      explicit: settings.source,
      names: OFFICIAL_FILES.map((f) => f.name),
    });
    if (src.kind === "dir") {
      return { name: "dataset", status: "ok", detail: `${src.origin} directory ${src.path}` };
    }
    return {
      name: "dataset",
      status: "warn",
      detail: `no local copy; would download from ${src.baseUrls[0]}`,
      hint: "apt-get install dataset-fashion-mnist, or set FMNIST_SOURCE to a directory holding " +
        "the four IDX .gz files (needed offline)",
    };
  } catch (err) {
    return {
      name: "dataset",
      status: "fail",
      detail: msg(err),
      hint: "set FMNIST_SOURCE to a directory or an http(s) base URL",
    };
  }
}

async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const p = `${path}/${e.name}`;
    if (e.isDirectory) total += await dirBytes(p);
    else if (e.isFile) total += (await Deno.stat(p)).size;
  }
  return total;
}

/** The state directory exists (or can be created), is writable, and how big it is. */
export async function checkStateDir(settings: Settings): Promise<Check> {
  const dir = settings.stateDir;
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.doctor-${crypto.randomUUID()}`;
    await Deno.writeTextFile(probe, "ok");
    await Deno.remove(probe);
    const mib = (await dirBytes(dir)) / 2 ** 20;
    return { name: "state dir", status: "ok", detail: `${dir} writable, ${mib.toFixed(1)} MiB` };
  } catch (err) {
    return {
      name: "state dir",
      status: "fail",
      detail: `${dir}: ${msg(err)}`,
      hint: "set FMNIST_STATE_DIR to a writable directory (or fix its owner/permissions)",
    };
  }
}

/** The database answers and its schema matches this code's migrations. */
export async function checkMigrations(db: Queryable, label: string): Promise<Check[]> {
  const out: Check[] = [];
  let applied: number[];
  try {
    applied = (await db.query<{ version: number }>("SELECT version FROM schema_migrations"))
      .map((r) => Number(r.version));
    out.push({ name: "database", status: "ok", detail: `${label} reachable` });
  } catch (err) {
    out.push({
      name: "database",
      status: "fail",
      detail: `${label}: ${msg(err)}`,
      hint: "check DATABASE_URL and that the server runs (pg_isready)",
    });
    return out;
  }
  const known = (await loadMigrations()).map((m) => m.version);
  const pending = known.filter((v) => !applied.includes(v));
  const unknown = applied.filter((v) => !known.includes(v));
  if (unknown.length) {
    out.push({
      name: "migrations",
      status: "fail",
      detail: `the database has migrations this code does not know: ${unknown.join(", ")}`,
      hint: "the database belongs to a newer version of fmnist-lab: deploy that version",
    });
  } else if (pending.length) {
    out.push({
      name: "migrations",
      status: "fail",
      detail: `pending: ${pending.join(", ")}`,
      hint: "open the workspace once (any pipeline, or deno task serve) to apply them",
    });
  } else {
    out.push({ name: "migrations", status: "ok", detail: `${known.length} applied, current` });
  }
  return out;
}

/** The S3 object store answers (skipped for the local store). */
export async function checkObjectStore(settings: Settings): Promise<Check> {
  if (!settings.s3) {
    return { name: "object store", status: "skip", detail: "local directory (S3_ENDPOINT unset)" };
  }
  const store = openStore(settings);
  try {
    await store.list("models/");
    return {
      name: "object store",
      status: "ok",
      detail: `S3 ${settings.s3.endpoint} bucket ${settings.s3.bucket}`,
    };
  } catch (err) {
    return {
      name: "object store",
      status: "fail",
      detail: `S3 ${settings.s3.endpoint}: ${msg(err)}`,
      hint: "check S3_ENDPOINT / S3_ACCESS_KEY / S3_SECRET_KEY and that the bucket exists",
    };
  } finally {
    await store.close().catch(() => {});
  }
}

/** Redis answers PING (skipped when REDIS_URL is unset). */
export async function checkRedis(url: string | undefined, timeoutMs = 2000): Promise<Check> {
  if (!url) return { name: "redis", status: "skip", detail: "in-process cache (REDIS_URL unset)" };
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const pong = await redis.ping();
    return { name: "redis", status: "ok", detail: `${new URL(url).host} answered ${pong}` };
  } catch (err) {
    return {
      name: "redis",
      status: "fail",
      detail: `${new URL(url).host}: ${msg(err)}`,
      hint: "check REDIS_URL and that redis-server runs (redis-cli ping)",
    };
  } finally {
    redis.disconnect();
  }
}

/** Prometheus answers `/-/ready` (skipped when no URL is configured). */
export async function checkPrometheus(url: string | undefined, timeoutMs = 2000): Promise<Check> {
  if (!url) {
    return { name: "prometheus", status: "skip", detail: "PROMETHEUS_URL unset" };
  }
  try {
    const res = await fetch(new URL("/-/ready", url), { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.ok) return { name: "prometheus", status: "ok", detail: `${url} ready` };
    return {
      name: "prometheus",
      status: "fail",
      detail: `${url} answered ${res.status}`,
      hint: "Prometheus is starting or unhealthy: see its log",
    };
  } catch (err) {
    return {
      name: "prometheus",
      status: "fail",
      detail: `${url}: ${msg(err)}`,
      hint: "check PROMETHEUS_URL and that Prometheus runs",
    };
  }
}

/** Every model with a `champion` alias loads the way the service loads it. */
export async function checkChampions(ctx: Ctx): Promise<Check> {
  const names = (await listModels(ctx)).filter((m) => m.aliases.champion !== undefined)
    .map((m) => `${m.name}@${m.aliases.champion}`);
  if (names.length === 0) {
    return {
      name: "champion",
      status: "warn",
      detail: "no model has a champion alias: the service has nothing to serve",
      hint: "train and promote one: deno task pipeline",
    };
  }
  const inf = createInference(ctx, { workers: 0, processMetrics: false, lruEntries: 0 });
  const failed: string[] = [];
  try {
    for (const n of names) {
      try {
        (await inf.pool.acquire(n.split("@")[0], { kind: "default" })).release();
      } catch (err) {
        failed.push(`${n}: ${msg(err)}`);
      }
    }
  } finally {
    await inf.close();
  }
  if (failed.length) {
    return {
      name: "champion",
      status: "fail",
      detail: failed.join("; "),
      hint: "the artifact is missing or corrupt in the object store: re-register the version or " +
        "point the champion alias at a good one",
    };
  }
  return { name: "champion", status: "ok", detail: `loads: ${names.join(", ")}` };
}
