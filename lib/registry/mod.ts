/**
 * Public face of the registry stage: registered models with immutable, content-addressed
 * versions; aliases (`champion`, `challenger`, custom) whose every move is audited; and the
 * promotion gate that makes a challenger champion only if McNemar's test says it is better.
 *
 * ```ts
 * const { version } = await registerModelVersion(ctx, { name: "fmnist-cnn", artifact: bytes,
 *   metrics: { accuracy }, runId: run.id, datasetVersion });
 * const decision = await promoteIfBetter(ctx, { name: "fmnist-cnn", challenger: version.version,
 *   testLabels, challengerPreds, championPreds });
 * ```
 */
export { actorEnvSchema, resolveActor } from "./actor.ts";
export { getAliases, removeAlias, setAlias } from "./aliases.ts";
export type { AliasChange, SetAliasOptions } from "./aliases.ts";
export { listEvents } from "./events.ts";
export { GATE_ALPHA_DEFAULT, promoteIfBetter } from "./gate.ts";
export { promoteByExperiment } from "./experiment_gate.ts";
export { type ModelRef, ModelRefSchema } from "./ref.ts";
export type { ExperimentGateOptions } from "./experiment_gate.ts";
export type { PromoteOptions } from "./gate.ts";
export {
  getModel,
  getModelVersion,
  listModels,
  listModelVersions,
  loadModelArtifact,
  registerModelVersion,
} from "./versions.ts";
export type { RegisterOptions, RegisterResult } from "./versions.ts";
export {
  attachOnnx,
  getOnnxFile,
  loadOnnxBytes,
  OnnxEquivalenceSchema,
  OnnxFileSchema,
} from "./onnx.ts";
export type { OnnxFile } from "./onnx.ts";
export { AliasConflictError, RegistryInputError, RegistryNotFoundError } from "./errors.ts";
export {
  AliasSchema,
  CHAMPION,
  GateDecisionSchema,
  GateOutcomeSchema,
  GateTestSchema,
  ModelNameSchema,
  ModelVersionSchema,
  RegisteredModelSchema,
  RegistryEventKindSchema,
  RegistryEventSchema,
} from "./schemas.ts";
export type {
  GateDecision,
  GateOutcome,
  GateTest,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
} from "./schemas.ts";
