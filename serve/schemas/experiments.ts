/** Zod/OpenAPI schemas of the A/B analysis routes (`/v1/experiments/ab/{name}` and below). */
import { z } from "@hono/zod-openapi";
import { AbExperimentSchema } from "./admin.ts";
import { orNull } from "./common.ts";
import { GateDecisionJsonSchema } from "./runs.ts";

const ci = z.tuple([z.number(), z.number()]);

const SequentialSchema = z.object({
  alpha: z.number().openapi({ description: "Level of this comparison (design alpha / arms)" }),
  tau: z.number().openapi({ description: "Mixing standard deviation of the mSPRT" }),
  min_samples: z.number().int(),
  looks: z.number().int(),
  diff: z.number(),
  p_value: z.number().openapi({ description: "Always-valid p-value (safe to read any time)" }),
  ci: ci.openapi({ description: "Always-valid confidence interval of the difference" }),
  rejected: z.boolean(),
  stopped_at: z.object({ n1: z.number().int(), n2: z.number().int() }).nullable(),
});

const GuardrailCheckSchema = z.object({
  arm: z.string(),
  metric: z.enum(["latency_p99", "error_rate"]),
  value: z.number().nullable(),
  control: z.number().nullable(),
  limit: z.number().nullable(),
  ok: z.boolean().nullable().openapi({ description: "null: not enough data" }),
});

const TestSchema = z.object({
  arm: z.string(),
  vs: z.string(),
  status: z.enum([
    "running",
    "better",
    "better_but_guardrail",
    "guardrail_breached",
    "worse",
    "no_difference",
  ]),
  diff: z.number().nullable(),
  z: z.number().nullable().openapi({ description: "Fixed-horizon z (valid only read once)" }),
  p_value: z.number().nullable().openapi({ description: "Fixed-horizon p (valid only read once)" }),
  ci95: ci.nullable(),
  sequential: SequentialSchema.nullable(),
  guardrails: z.array(GuardrailCheckSchema),
});

const DecisionSchema = z.object({
  action: z.enum(["continue", "promote", "keep_control", "blocked"]),
  final: z.boolean(),
  winner: z.string().nullable(),
  reason: z.string(),
});

/** Answer of `GET /v1/experiments/ab/{name}`. */
export const AbAnalysisSchema = z.object({
  model: z.string(),
  experiment: orNull(AbExperimentSchema),
  since: z.string().nullable().openapi({ description: "Traffic counted from (experiment start)" }),
  control: z.string().nullable(),
  arms: z.array(z.object({
    arm: z.string(),
    versions: z.array(z.number().int()),
    units: z.number().int().openapi({ description: "Assignment units (distinct client keys)" }),
    predictions: z.number().int(),
    feedback: z.number().int(),
    correct: z.number().int(),
    accuracy: z.number().nullable(),
  })),
  srm: z.object({
    chi2: z.number().nullable(),
    df: z.number().int(),
    p_value: z.number(),
    threshold: z.number(),
    mismatch: z.boolean(),
    arms: z.array(z.object({
      arm: z.string(),
      observed: z.number().int(),
      expected: z.number(),
      share: z.number(),
    })),
  }).nullable(),
  guardrails: z.array(z.object({
    arm: z.string(),
    requests: z.number().int(),
    errors: z.number().int(),
    error_rate: z.number().nullable(),
    latency_p50_ms: z.number().nullable(),
    latency_p99_ms: z.number().nullable(),
  })),
  tests: z.array(TestSchema),
  plan: z.object({
    mde: z.number(),
    power: z.number(),
    n1: z.number().int(),
    n2: z.number().int(),
  }).nullable().openapi({ description: "Fixed-horizon sample size for the design's MDE" }),
  decision: DecisionSchema,
  analyzed_at: z.string(),
}).openapi("AbAnalysis");

/** Body of `POST /v1/experiments/ab/{name}/decide`. */
export const DecideBodySchema = z.strictObject({
  actor: z.string().trim().min(1).max(200).optional(),
}).openapi("AbDecideRequest");

/** Answer of `POST /v1/experiments/ab/{name}/decide`. */
export const DecideResponseSchema = z.object({
  applied: z.boolean(),
  decision: DecisionSchema,
  gates: z.array(GateDecisionJsonSchema),
}).openapi("AbDecideResponse");
