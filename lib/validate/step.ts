/**
 * The validation pipeline step: run the dataset suite, store the JSON result and HTML report in
 * the object store keyed by dataset version, record a summary row in `validation_runs`, and
 * fail with {@link ValidationFailedError} when a critical expectation failed. Idempotent through
 * the step runner: unchanged (version, config) pairs are not re-validated.
 */
import { z } from "zod";
import type { Dataset } from "../data/mod.ts";
import type { Queryable } from "../db/mod.ts";
import { hashJson, type Json } from "../hashing/mod.ts";
import { runStep, type StepCtx } from "../steps/mod.ts";
import { parseSuiteConfig } from "./config.ts";
import { ValidationFailedError } from "./errors.ts";
import { datasetSuite } from "./expectations.ts";
import { renderValidationHtml } from "./html.ts";
import { runSuite } from "./run.ts";
import { type ValidationResult, validationResultSchema } from "./types.ts";

/** Bump when the suite's code changes what it computes, so stored results are not reused. */
export const VALIDATE_STEP_VERSION = 2;

/** Summary returned by {@link validateStep} (also the step's recorded result). */
export const validateStepResultSchema = z.object({
  datasetVersion: z.string(),
  suite: z.string(),
  configHash: z.string(),
  success: z.boolean(),
  criticalFailures: z.array(z.string()),
  warnings: z.array(z.string()),
  stats: validationResultSchema.shape.stats,
  /** Object-store key of the JSON result. */
  resultKey: z.string(),
  /** Object-store key of the HTML report. */
  reportKey: z.string(),
});

/** Summary of a validation step run. */
export type ValidateStepResult = z.infer<typeof validateStepResultSchema> & {
  /** Whether the step reused an earlier identical run. */
  skipped: boolean;
};

/** Options of {@link validateStep}. */
export interface ValidateStepOptions {
  /** Raw suite config (validated with `datasetSuiteConfigSchema`); defaults when omitted. */
  config?: unknown;
}

/** Object-store keys of a validation run's artifacts. */
export function validationKeys(
  datasetVersion: string,
  configHash: string,
): { resultKey: string; reportKey: string } {
  const base = `validation/${datasetVersion}/${configHash.slice(0, 16)}`;
  return { resultKey: `${base}/result.json`, reportKey: `${base}/report.html` };
}

/**
 * Validate `dataset` with the configured suite (see {@link ValidateStepOptions}).
 * @throws ValidationFailedError naming every failed critical expectation (artifacts and the DB
 * row are written first, so the report is there to read).
 * @throws SuiteConfigError for an invalid config.
 */
export async function validateStep(
  ctx: StepCtx,
  dataset: Dataset,
  opts: ValidateStepOptions = {},
): Promise<ValidateStepResult> {
  const config = parseSuiteConfig(opts.config ?? {});
  const configHash = hashJson(config);
  const { resultKey, reportKey } = validationKeys(dataset.version, configHash);
  const step = await runStep(ctx, {
    name: "validate.dataset",
    inputs: {
      datasetVersion: dataset.version,
      config: config as Json,
      code: VALIDATE_STEP_VERSION,
    },
    run: async ({ runId, log }) => {
      const result = await runSuite(dataset, datasetSuite(config), {
        subject: dataset.version,
        onProgress: (done, total, r) =>
          log.info("expectation evaluated", {
            done,
            total,
            id: r.id,
            success: r.success,
            severity: r.severity,
            ms: Math.round(r.durationMs),
          }),
      });
      const enc = new TextEncoder();
      await ctx.store.put(resultKey, enc.encode(JSON.stringify(result, null, 2)), {
        contentType: "application/json",
      });
      await ctx.store.put(reportKey, enc.encode(renderValidationHtml(result)), {
        contentType: "text/html; charset=utf-8",
      });
      await recordValidation(ctx.db, runId, configHash, result, resultKey, reportKey);
      if (!result.success) {
        log.warn("critical expectations failed", { failed: result.criticalFailures, reportKey });
      } else if (result.warnings.length) {
        log.warn("validation passed with warnings", { warnings: result.warnings, reportKey });
      }
      const summary: z.infer<typeof validateStepResultSchema> = {
        datasetVersion: dataset.version,
        suite: result.suite,
        configHash,
        success: result.success,
        criticalFailures: result.criticalFailures,
        warnings: result.warnings,
        stats: result.stats,
        resultKey,
        reportKey,
      };
      return { result: summary, objects: [resultKey, reportKey] };
    },
  });
  const summary = validateStepResultSchema.parse(step.result);
  if (!summary.success) {
    throw new ValidationFailedError(await loadValidationResult(ctx, summary.resultKey), reportKey);
  }
  return { ...summary, skipped: step.skipped };
}

async function recordValidation(
  db: Queryable,
  id: string,
  configHash: string,
  r: ValidationResult,
  resultKey: string,
  reportKey: string,
): Promise<void> {
  await db.query(
    `INSERT INTO validation_runs (id, dataset_version, suite, config_hash, success, evaluated,
       passed, critical_failed, warning_failed, critical_failures, warnings, result_key,
       report_key, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14)`,
    [
      id,
      r.subject,
      r.suite,
      configHash,
      r.success,
      r.stats.evaluated,
      r.stats.passed,
      r.stats.criticalFailed,
      r.stats.warningFailed,
      JSON.stringify(r.criticalFailures),
      JSON.stringify(r.warnings),
      resultKey,
      reportKey,
      r.durationMs,
    ],
  );
}

/** Read and schema-check a stored validation result. */
export async function loadValidationResult(
  ctx: Pick<StepCtx, "store">,
  resultKey: string,
): Promise<ValidationResult> {
  const bytes = await ctx.store.get(resultKey);
  return validationResultSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** A row of `validation_runs`. */
export interface ValidationRunRow {
  id: string;
  datasetVersion: string;
  suite: string;
  success: boolean;
  criticalFailures: string[];
  warnings: string[];
  resultKey: string;
  reportKey: string;
  createdAt: Date;
}

const rowSchema = z.object({
  id: z.string(),
  dataset_version: z.string(),
  suite: z.string(),
  success: z.boolean(),
  critical_failures: z.preprocess(
    (v) => (typeof v === "string" ? JSON.parse(v) : v),
    z.array(z.string()),
  ),
  warnings: z.preprocess((v) => (typeof v === "string" ? JSON.parse(v) : v), z.array(z.string())),
  result_key: z.string(),
  report_key: z.string(),
  created_at: z.preprocess((v) => (v instanceof Date ? v : new Date(String(v))), z.date()),
});

/** Validation runs recorded for a dataset version, newest first. */
export async function listValidationRuns(
  db: Queryable,
  datasetVersion: string,
): Promise<ValidationRunRow[]> {
  const rows = await db.query(
    `SELECT id, dataset_version, suite, success, critical_failures, warnings, result_key,
       report_key, created_at
     FROM validation_runs WHERE dataset_version = $1 ORDER BY created_at DESC`,
    [datasetVersion],
  );
  return rows.map((row) => {
    const r = rowSchema.parse(row);
    return {
      id: r.id,
      datasetVersion: r.dataset_version,
      suite: r.suite,
      success: r.success,
      criticalFailures: r.critical_failures,
      warnings: r.warnings,
      resultKey: r.result_key,
      reportKey: r.report_key,
      createdAt: r.created_at,
    };
  });
}
