/** Zod/OpenAPI schemas of the admin, feedback and A/B experiment routes. */
import { z } from "@hono/zod-openapi";
import { checkedBy } from "./common.ts";
import type { AbExperiment } from "../../lib/ab/mod.ts";
import { AliasSchema, ModelNameSchema } from "../../lib/registry/mod.ts";
import { NameParamsSchema } from "./models.ts";

/** `{name}` path parameter. */
export const ModelParamSchema = NameParamsSchema;

/** Body of `POST /v1/admin/models/{name}/promote`. */
export const PromoteBodySchema = z.strictObject({
  version: z.number().int().min(1).openapi({ example: 2 }),
  alias: checkedBy(AliasSchema).default("champion").openapi({ example: "champion" }),
  reason: z.string().trim().min(1, "say why (recorded in the audit log)").max(1000),
  actor: z.string().trim().min(1).max(200).optional(),
  expected_version: z.number().int().min(1).nullable().optional().openapi({
    description: "Compare-and-set: the version the alias must point at now (null: unset)",
  }),
}).openapi("PromoteRequest");

/** Answer of a promotion. */
export const PromoteResponseSchema = z.object({
  model: z.string(),
  alias: z.string(),
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  changed: z.boolean(),
  event_id: z.number().int().nullable(),
}).openapi("PromoteResponse");

/** Body of `POST /v1/admin/reload`. */
export const ReloadBodySchema = z.strictObject({
  model: checkedBy(ModelNameSchema).optional().openapi({
    description: "Only this model (default: all)",
  }),
}).openapi("ReloadRequest");

const LoadedSchema = z.object({ name: z.string(), version: z.number().int() });

/** Answer of a reload. */
export const ReloadResponseSchema = z.object({
  unloaded: z.array(LoadedSchema),
  loaded: z.array(LoadedSchema),
}).openapi("ReloadResponse");

const ArmSchema = z.object({
  name: z.string(),
  version: z.number().int().optional(),
  alias: z.string().optional(),
  weight: z.number(),
});

/** A stored A/B experiment. */
export const AbExperimentSchema = z.object({
  model: z.string(),
  arms: z.array(ArmSchema),
  enabled: z.boolean(),
  salt: z.string(),
  reason: z.string().nullable(),
  /** Test level, mixing τ, horizon, guardrail limits, auto-decision (lib/ab/design.ts). */
  design: z.record(z.string(), z.unknown()),
  /** When the current arms took effect (results count from then). */
  started_at: z.string(),
  updated_by: z.string(),
  updated_at: z.string(),
}).openapi("AbExperiment");

/** An experiment as the API shows it (admin and experiment routes). */
export function experimentJson(e: AbExperiment): z.infer<typeof AbExperimentSchema> {
  return {
    model: e.model,
    arms: e.arms,
    enabled: e.enabled,
    salt: e.salt,
    reason: e.reason,
    design: e.design,
    started_at: e.startedAt,
    updated_by: e.updatedBy,
    updated_at: e.updatedAt,
  };
}

/** Body of `POST /v1/feedback`. */
export const FeedbackBodySchema = z.strictObject({
  request_id: z.string().trim().min(1).max(200).openapi({
    description: "The x-request-id of the predict response",
  }),
  index: z.number().int().min(0).max(100_000).default(0).openapi({
    description: "Instance within that request (default 0)",
  }),
  label: z.union([z.number().int().min(0).max(10_000), z.string().trim().min(1).max(200)])
    .openapi({ description: "True class id, or label name", example: 3 }),
  replace: z.boolean().default(false).openapi({
    description: "Change a label already given for this instance (409 without it); the change " +
      "is recorded with who and when, and the first label is kept",
  }),
}).openapi("FeedbackRequest");

const LabelSchema = z.object({
  class_id: z.number().int().nullable(),
  label: z.string().nullable(),
});

/** Answer of `POST /v1/feedback`. */
export const FeedbackResponseSchema = z.object({
  request_id: z.string(),
  index: z.number().int(),
  true_class_id: z.number().int().nullable(),
  true_label: z.string().nullable(),
  received_at: z.string(),
  updated_by: z.string(),
  outcome: z.enum(["created", "unchanged", "replaced"]),
  first: LabelSchema.extend({ by: z.string(), at: z.string() }),
  previous: LabelSchema.nullable(),
  revisions: z.number().int(),
}).openapi("FeedbackResponse");
