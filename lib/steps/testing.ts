/** Test helpers of the step runner (not exported from `mod.ts`: keeps tests out of prod code). */
import { join } from "node:path";
import type { Db } from "../db/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { FsObjectStore, type ObjectStore } from "../storage/mod.ts";

/** What {@link withStepCtx} hands out: enough for every step (`StepCtx`) and stage context. */
export interface TestStepCtx {
  store: ObjectStore;
  db: Db;
  log: Logger;
}

/**
 * Run `fn` with a step context on `db`: a fresh FS object store in a temp dir (removed after)
 * and a silent logger unless `log` is given. `fn` also gets the temp dir.
 */
export async function withStepCtx(
  db: Db,
  fn: (ctx: TestStepCtx, dir: string) => Promise<void>,
  opts: { log?: Logger; prefix?: string } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: opts.prefix ?? "fmnist-step-" });
  const store = new FsObjectStore(join(dir, "objects"));
  const log = opts.log ?? createLogger({}, { level: "error", sink: () => {} });
  try {
    await fn({ store, db, log }, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}
