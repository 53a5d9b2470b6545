/** Test helper: a {@link TrackingContext} over a given database and a temp-dir object store. */
import type { Db } from "../db/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { FsObjectStore } from "../storage/mod.ts";
import type { TrackingContext } from "./context.ts";

/** A tracking context for tests, its captured log lines, and a `close()` removing the store. */
export interface TestTrackingContext extends TrackingContext {
  /** Parsed JSON log lines written through `log`. */
  lines: Record<string, unknown>[];
  /** Close the store and remove its temp directory (the db is closed by its owner). */
  close(): Promise<void>;
}

/** Build a tracking context on `db` with an FS object store in a fresh temp directory. */
export async function testTrackingContext(db: Db): Promise<TestTrackingContext> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-tracking-test-" });
  const store = new FsObjectStore(dir);
  const lines: Record<string, unknown>[] = [];
  const log: Logger = createLogger({}, {
    level: "debug",
    sink: (line) => lines.push(JSON.parse(line)),
  });
  return {
    db,
    store,
    log,
    lines,
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
