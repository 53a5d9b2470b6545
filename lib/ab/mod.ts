/**
 * Public face of the A/B stage: experiment configs stored in the database, sticky hash-based
 * arm assignment by client key, the `VersionResolver` that routes default predict requests to
 * an arm, and the per-arm summary (accuracy from feedback, two-proportion tests).
 *
 * ```ts
 * await putAbExperiment(db, "fmnist", abConfigInputSchema.parse({ arms: [
 *   { name: "a", version: 1, weight: 1 }, { name: "b", alias: "challenger", weight: 1 }] }), "me");
 * const inf = createInference(ctx, {}, { resolver: new AbResolver({ db, log }) });
 * const summary = await abSummary(db, "fmnist");
 * ```
 */
export { assignArm, hashUnit } from "./assign.ts";
export {
  abArmSchema,
  abConfigInputSchema,
  deleteAbExperiment,
  getAbExperiment,
  listAbExperiments,
  putAbExperiment,
} from "./config.ts";
export type { AbArm, AbConfigInput, AbExperiment } from "./config.ts";
export { AbResolver } from "./resolver.ts";
export type { AbResolverOptions } from "./resolver.ts";
export { abSummary } from "./summary.ts";
export type { AbSummary, ArmSummary } from "./summary.ts";
