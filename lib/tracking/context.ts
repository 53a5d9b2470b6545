/** What the tracking and registry functions need from the workspace context. */
import type { Ctx } from "../workspace/mod.ts";

/**
 * The parts of the workspace {@link Ctx} (`lib/workspace`) that tracking and the registry use:
 * the metadata database, the object store and the logger. A `Pick` of the one context (as
 * `StepCtx` and `DataCtx` are), so any `Ctx` is one, and tests can pass just these three.
 */
export type TrackingContext = Pick<Ctx, "db" | "store" | "log">;
