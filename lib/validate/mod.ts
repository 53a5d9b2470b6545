/**
 * Public face of the validate stage: declarative expectation suites over datasets and derived
 * tables, their machine-readable results and HTML reports, and the validation pipeline step.
 */
export type {
  Expectation,
  ExpectationOutcome,
  ExpectationResult,
  JsonValue,
  Severity,
  Suite,
  ValidationResult,
} from "./types.ts";
export { expectationResultSchema, severitySchema, validationResultSchema } from "./types.ts";
export {
  datasetSuiteConfigSchema,
  DEFAULT_INTENSITY_BANDS,
  parseSuiteConfig,
  SuiteConfigError,
} from "./config.ts";
export type { DatasetSuiteConfig } from "./config.ts";
export {
  classCounts,
  datasetSuite,
  expectClassBalance,
  expectClassIntensityBands,
  expectFewNearDuplicates,
  expectImageShape,
  expectLabelDomain,
  expectNoDuplicatesWithinSplit,
  expectNoTrainTestLeakage,
  expectPixelRange,
} from "./expectations.ts";
export { findCrossDuplicates, findDuplicates } from "./duplicates.ts";
export type {
  CrossDuplicates,
  CrossMatch,
  DuplicateGroup,
  WithinDuplicates,
} from "./duplicates.ts";
export { hashImages } from "./image_hash.ts";
export { expectNoMissingValues, expectTableShape, tableSuite } from "./table_expectations.ts";
export type { NamedTable } from "./table_expectations.ts";
export { runSuite } from "./run.ts";
export type { RunSuiteOptions } from "./run.ts";
export { escapeHtml, renderValidationHtml } from "./html.ts";
export { ValidationFailedError } from "./errors.ts";
export {
  listValidationRuns,
  loadValidationResult,
  VALIDATE_STEP_VERSION,
  validateStep,
  validateStepResultSchema,
  validationKeys,
} from "./step.ts";
export type { ValidateStepOptions, ValidateStepResult, ValidationRunRow } from "./step.ts";
