/** Test helpers of the automation stage (not exported from `mod.ts`). */
import { join } from "node:path";
import { parseSettings } from "../config/mod.ts";
import type { Db } from "../db/mod.ts";
import { createLogger } from "../log/mod.ts";
import type { Ctx } from "../pipeline/mod.ts";
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
