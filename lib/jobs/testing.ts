/** Test helpers of the automation stage (not exported from `mod.ts`). */
import { join } from "node:path";
import { freeLoopbackPort, parseSettings } from "../config/mod.ts";
import type { Db } from "../db/mod.ts";
import { openPostgres } from "../db/mod.ts";
import { testDatabaseUrl } from "../db/testing.ts";
import { createLogger } from "../log/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { FsObjectStore } from "../storage/mod.ts";

/**
 * Run `fn` with a full context on `db`: a temp state dir with an FS object store and a temp
 * manifest dir (both removed after), a silent logger, the wasm backend.
 */
export async function withCtx(
  db: Db,
  fn: (ctx: Ctx, dir: string) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-automation-" });
  const settings = parseSettings({ FMNIST_STATE_DIR: dir, FMNIST_BACKEND: "wasm", ...env });
  const store = new FsObjectStore(join(dir, "objects"));
  const log = createLogger({}, { level: "error", sink: () => {} });
  const ctx: Ctx = {
    settings,
    store,
    db,
    log,
    manifestDir: join(dir, "manifests"),
    close: async () => {},
  };
  try {
    await fn(ctx, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The value of a metric series in a Prometheus text exposition (NaN when absent). */
export function metricValue(text: string, series: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  }
  return NaN;
}

/** A Redis for a test: `FMNIST_TEST_REDIS_URL`, else a `redis-server` started on a free port. */
export interface TestRedis {
  url: string;
  close(): Promise<void>;
}

/**
 * The Redis the automation tests use. CI sets `FMNIST_TEST_REDIS_URL`; when it is unset and `CI`
 * is set this throws (a CI run must not silently skip the engine tests); otherwise a throwaway
 * `redis-server` is started on a free port (Debian package redis-server).
 */
export async function testRedis(): Promise<TestRedis> {
  const given = Deno.env.get("FMNIST_TEST_REDIS_URL")?.trim();
  if (given) return { url: given, close: async () => {} };
  if (Deno.env.get("CI")) {
    throw new Error("FMNIST_TEST_REDIS_URL is not set in CI (.ci/services.sh starts Redis)");
  }
  const port = freeLoopbackPort();
  const proc = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return {
        url: `redis://127.0.0.1:${port}`,
        close: async () => {
          proc.kill("SIGTERM");
          await proc.status;
        },
      };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  proc.kill("SIGKILL");
  await proc.status;
  throw new Error("redis-server did not start within 10 s; is it installed (Debian redis-server)?");
}

/** A fresh Postgres database (created from `FMNIST_TEST_DATABASE_URL`, dropped at close). */
export interface TestDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * A fresh database on the test Postgres, for tests whose several processes share it. Null when
 * `FMNIST_TEST_DATABASE_URL` is unset (throws when `CI` is set: CI must not skip these).
 */
export async function testDatabase(): Promise<TestDatabase | null> {
  const base = testDatabaseUrl();
  if (!base) {
    if (Deno.env.get("CI")) {
      throw new Error(
        "FMNIST_TEST_DATABASE_URL is not set in CI (.ci/services.sh starts Postgres)",
      );
    }
    return null;
  }
  const name = `fmnist_auto_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = openPostgres(base, { max: 1 });
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async close() {
      const a = openPostgres(base, { max: 1 });
      try {
        await a.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.close();
      }
    },
  };
}
