/** What the tracking and registry functions need from a pipeline context. */
import type { Db } from "../db/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";

/**
 * The parts of a workspace `Ctx` (`lib/workspace`) that tracking uses; any `Ctx` satisfies it.
 */
export interface TrackingContext {
  db: Db;
  store: ObjectStore;
  log: Logger;
}
