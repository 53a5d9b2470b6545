/**
 * Public face of the A/B stage: experiment configs (with their design) stored in the database,
 * sticky hash-based arm assignment by client key, the `VersionResolver` that routes default
 * predict requests to an arm; and the analysis — per-arm accuracy from feedback, the always-valid
 * sequential test (mSPRT) valid under continuous monitoring, the sample-ratio-mismatch check,
 * guardrails (p99 latency, error rate), fixed-horizon power and sample-size planning, the
 * decision, acting on it through the registry's experiment gate, and the HTML report.
 *
 * ```ts
 * await putAbExperiment(db, "fmnist", abConfigInputSchema.parse({ arms: [
 *   { name: "a", version: 1, weight: 1 }, { name: "b", alias: "challenger", weight: 1 }],
 *   design: { tau: 0.03, maxSamplesPerArm: 5000 } }), "me");
 * const inf = createInference(ctx, {}, { resolver: new AbResolver({ db, log }) });
 * const analysis = await analyzeExperiment(db, "fmnist");
 * if (analysis.decision.final) await applyDecision(ctx, analysis);
 * ```
 */
export { assignArm, hashUnit, unitId } from "./assign.ts";
export {
  abArmSchema,
  abArmsSchema,
  AbConfigError,
  abConfigInputSchema,
  checkArms,
  deleteAbExperiment,
  getAbExperiment,
  listAbExperiments,
  putAbExperiment,
} from "./config.ts";
export type { AbArm, AbConfigInput, AbExperiment } from "./config.ts";
export { abDesignSchema, guardrailLimitsSchema } from "./design.ts";
export type { AbDesign, AbDesignInput, GuardrailLimits } from "./design.ts";
export { AbResolver } from "./resolver.ts";
export type { AbResolverOptions } from "./resolver.ts";
export { abSummary } from "./summary.ts";
export type { AbSummary, ArmSummary } from "./summary.ts";
export {
  msprtLook,
  SequentialMonitor,
  sequentialOptionsSchema,
  sequentialPath,
} from "./sequential.ts";
export type {
  SequentialLook,
  SequentialObservation,
  SequentialOptions,
  SequentialOptionsInput,
  SequentialPathPoint,
  SequentialState,
} from "./sequential.ts";
export { sampleRatioMismatch, SRM_THRESHOLD_DEFAULT, srmInputSchema } from "./srm.ts";
export type { SrmArm, SrmResult } from "./srm.ts";
export {
  cohenH,
  powerInputSchema,
  powerTwoProportions,
  sampleSize,
  sampleSizeInputSchema,
} from "./power.ts";
export type { SampleSizeInput, SampleSizePlan } from "./power.ts";
export { armGuardrails, checkGuardrails } from "./guardrails.ts";
export type { ArmGuardrails, GuardrailCheck } from "./guardrails.ts";
export { armStatus, decide } from "./decision.ts";
export type { AbAction, AbDecision, ArmEvidence, ArmStatus } from "./decision.ts";
export { analyzeExperiment } from "./analysis.ts";
export type { AbAnalysis, AnalyzeOptions, ArmComparison, SequentialSummary } from "./analysis.ts";
export { applyDecision, decisionEvidence } from "./apply.ts";
export { AbDecisionMonitor } from "./monitor.ts";
export type { AbDecisionMonitorOptions } from "./monitor.ts";
export type { AppliedDecision } from "./apply.ts";
export {
  boundaryChart,
  effectChart,
  experimentReportHtml,
  experimentReportSections,
  experimentRunReportHtml,
  experimentRunSection,
} from "./report.ts";
export type { ExperimentRunFacts } from "./report.ts";
export { locustRunOptionsSchema, runLocustExperiment } from "./locust_run.ts";
export type {
  ExperimentLook,
  LocustRunOptions,
  LocustRunResult,
  ServiceDecision,
  StopReason,
} from "./locust_run.ts";
export { startServiceProcess } from "./service_process.ts";
export type { ServiceProcess, ServiceProcessOptions } from "./service_process.ts";
export { simulateExperiments, simulationOptionsSchema } from "./simulate.ts";
export type { PowerRow, SimulationOptionsInput, SimulationResult } from "./simulate.ts";
