/** Zod schemas of what the registry accepts and returns (exported for HTTP routes and CLIs). */
import { z } from "zod";

/** Registered model names: `[A-Za-z0-9][A-Za-z0-9_.-]*`, up to 128 chars. */
export const ModelNameSchema = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/,
  "use 1-128 letters, digits, _ . - (starting with a letter or digit)",
);

/** Alias names: lower-case, starting with a letter (so they never look like version numbers). */
export const AliasSchema = z.string().regex(
  /^[a-z][a-z0-9_-]{0,62}$/,
  "use 1-63 of a-z 0-9 _ - starting with a letter (e.g. champion, challenger)",
);

/** The alias the promotion gate moves. */
export const CHAMPION = "champion";

/** One immutable model version. Times are ISO-8601 strings. */
export const ModelVersionSchema = z.object({
  model: z.string(),
  version: z.number().int().positive(),
  /** Object-store key of the model artifact (content-addressed). */
  artifactKey: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  /** Input/output signature of the model (shape, dtype, classes…). */
  signature: z.unknown().nullable(),
  /** Evaluation metrics at registration. */
  metrics: z.record(z.string(), z.number().nullable()),
  /** The tracking run that produced it. */
  runId: z.string().nullable(),
  datasetVersion: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  /** Aliases pointing at this version now. */
  aliases: z.array(z.string()),
  /** sha256 of its ONNX export (content-addressed in the store), null until attached. */
  onnxSha256: z.string().nullable(),
});
/** One immutable model version. */
export type ModelVersion = z.infer<typeof ModelVersionSchema>;

/** A registered model with its versions count and aliases. */
export const RegisteredModelSchema = z.object({
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  latestVersion: z.number().int().nullable(),
  /** alias → version. */
  aliases: z.record(z.string(), z.number().int()),
});
/** A registered model. */
export type RegisteredModel = z.infer<typeof RegisteredModelSchema>;

/** Kinds of audit-log entries. */
export const RegistryEventKindSchema = z.enum(["register", "alias_set", "alias_removed", "gate"]);

/** One audit-log entry: who did what to which alias/version, when and why. */
export const RegistryEventSchema = z.object({
  id: z.number().int(),
  model: z.string(),
  kind: RegistryEventKindSchema,
  alias: z.string().nullable(),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int().nullable(),
  actor: z.string(),
  reason: z.string().nullable(),
  details: z.unknown().nullable(),
  at: z.string(),
});
/** One audit-log entry. */
export type RegistryEvent = z.infer<typeof RegistryEventSchema>;

/** Which paired test the promotion gate uses. */
export const GateTestSchema = z.enum(["mcnemar", "paired_bootstrap"]);
/** Which paired test the promotion gate uses. */
export type GateTest = z.infer<typeof GateTestSchema>;

/** What the promotion gate decided. */
export const GateOutcomeSchema = z.enum([
  /** Challenger beat the champion significantly and is now champion. */
  "promoted",
  /** There was no champion; the challenger became champion without a test. */
  "promoted_no_champion",
  /** Challenger did not beat the champion significantly; champion unchanged. */
  "kept_champion",
  /** The challenger already is the champion; nothing moved. */
  "already_champion",
]);
/** What the promotion gate decided. */
export type GateOutcome = z.infer<typeof GateOutcomeSchema>;

/** The promotion gate's decision and the numbers behind it (also stored in the audit log). */
export const GateDecisionSchema = z.object({
  model: z.string(),
  challenger: z.number().int(),
  /** Champion version before the decision, null when there was none. */
  champion: z.number().int().nullable(),
  outcome: GateOutcomeSchema,
  promoted: z.boolean(),
  /** One sentence explaining the outcome. */
  reason: z.string(),
  alpha: z.number(),
  /** Test-set size (A/B: feedback observations of the two arms). */
  n: z.number().int(),
  challengerAccuracy: z.number(),
  championAccuracy: z.number().nullable(),
  /** Champion right, challenger wrong (null without a champion). */
  b: z.number().int().nullable(),
  /** Champion wrong, challenger right. */
  c: z.number().int().nullable(),
  /** McNemar's (`exact`, `chi2`) on the test set, or an A/B experiment's mSPRT (`msprt`). */
  method: z.enum(["exact", "chi2", "msprt"]).nullable(),
  statistic: z.number().nullable(),
  pValue: z.number().nullable(),
  /**
   * The test the decision rests on: McNemar's (b, c, method, statistic, pValue above) or the
   * paired bootstrap of the accuracy difference (`bootstrap` below), or an A/B experiment's
   * always-valid sequential test (`msprt`, decided by the experiment gate). Absent in decisions
   * recorded before the choice existed (they used McNemar).
   */
  test: z.enum([...GateTestSchema.options, "msprt"]).default("mcnemar"),
  /** Paired-bootstrap evidence (null unless `test` is `paired_bootstrap` and a champion exists). */
  bootstrap: z.object({
    /** Challenger minus champion accuracy and its two-sided (1 − alpha) percentile interval. */
    difference: z.number(),
    low: z.number(),
    high: z.number(),
    level: z.number(),
    resamples: z.number().int(),
    seed: z.number().int(),
    /** Share of resamples where the challenger was not more accurate. */
    pNotBetter: z.number(),
  }).nullable().default(null),
  /**
   * The challenger's behavioural test suite, run before the decision (null when not run); a
   * failed suite blocks the promotion when the gate enforces it.
   */
  behaviour: z.object({ passed: z.boolean(), checks: z.array(z.unknown()) }).nullable()
    .default(null),
  actor: z.string(),
  /** Id of the `gate` audit event. */
  eventId: z.number().int(),
  at: z.string(),
});
/** The promotion gate's decision. */
export type GateDecision = z.infer<typeof GateDecisionSchema>;
