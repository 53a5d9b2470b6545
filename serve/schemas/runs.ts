/**
 * zod/OpenAPI schemas of the tracking and registry-audit routes (`/v1/runs`, `/v1/experiments`,
 * `/v1/registry`). The API answers snake_case: each response schema here is the library's schema
 * (`lib/tracking`, `lib/registry`, camelCase in TypeScript) with its keys in snake_case
 * ({@link snakeKeys} over its shape), and the `…Json` functions convert values the same way, so
 * a field is written once, in the library, and TypeScript checks both sides.
 */
import { z } from "@hono/zod-openapi";
import { checkedBy, orNull, snakeKeys } from "./common.ts";
import {
  ArtifactSchema,
  LineageSchema,
  MetricPointSchema,
  MetricSummarySchema,
  type Run,
  RunComparisonSchema,
  type RunDetail,
  RunDetailSchema,
  RunSchema,
  RunStatusSchema,
} from "../../lib/tracking/mod.ts";
import {
  type GateDecision,
  GateDecisionSchema,
  ModelNameSchema,
  type RegistryEvent,
  RegistryEventKindSchema,
  RegistryEventSchema,
} from "../../lib/registry/mod.ts";
import { intQuery } from "./datasets.ts";

/** Largest page of runs. */
const RUNS_MAX_LIMIT = 1000;
/** Default page size of runs. */
export const RUNS_DEFAULT_LIMIT = 50;
/** Most runs one comparison may hold. */
const COMPARE_MAX_RUNS = 20;
/** Largest page of registry events. */
const EVENTS_MAX_LIMIT = 10_000;

/** Run ids (UUIDs) or unique prefixes of at least 4 hex characters. */
const RUN_ID_RE = /^[0-9a-fA-F][0-9a-fA-F-]{3,63}$/;

const runIdParam = z
  .string()
  .regex(RUN_ID_RE, "must be a run id or a unique prefix of at least 4 hex characters")
  .openapi({
    param: { name: "id", in: "path" },
    description: "run id, or a unique prefix of it (at least 4 characters)",
    example: "3f2a9c1e",
  });

/** Metric keys as accepted by `lib/tracking` (`/` must be sent as `%2F`). */
const metricKey = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9_.\-/: ]+$/, "metric keys use letters, digits, space and _ . - / :");

/** `{id}` path parameter. */
export const RunIdParamsSchema = z.object({ id: runIdParam });

/** `{id}/metrics/{key}` path parameters. */
export const MetricParamsSchema = z.object({
  id: runIdParam,
  key: metricKey.openapi({
    param: { name: "key", in: "path" },
    description: "metric key (URL-encode `/` as `%2F`)",
    example: "val_accuracy",
  }),
});

/** Query of `GET /v1/runs`. */
export const RunsQuerySchema = z.object({
  experiment: z.string().trim().min(1).max(200).optional().openapi({
    param: { name: "experiment", in: "query" },
    description: "only runs of this experiment",
    example: "cnn",
  }),
  status: RunStatusSchema.optional().openapi({
    param: { name: "status", in: "query" },
    description: "only runs in this state",
  }),
  limit: intQuery("limit", 1, RUNS_MAX_LIMIT, `page size (default ${RUNS_DEFAULT_LIMIT})`)
    .optional(),
  offset: intQuery("offset", 0, 1_000_000_000, "runs to skip (default 0)").optional(),
  parent: z.string().regex(RUN_ID_RE, "must be a run id").optional().openapi({
    param: { name: "parent", in: "query" },
    description: "only children of this run (e.g. the trials of a tuning study's run)",
  }),
  tag: z.string().trim().regex(
    /^[A-Za-z0-9_.\-/: ]{1,250}(=.{0,500})?$/,
    "use KEY or KEY=VALUE",
  ).optional().openapi({
    param: { name: "tag", in: "query" },
    description: "only runs carrying this tag (`KEY`), or with this value (`KEY=VALUE`)",
    example: "tune.role=study",
  }),
});

/** `{id}/artifacts/{name}` path parameters. */
export const ArtifactParamsSchema = z.object({
  id: runIdParam,
  name: z.string().min(1).max(500).openapi({
    param: { name: "name", in: "path" },
    description: "artifact name as logged (URL-encode `/` as `%2F`)",
    example: "evaluation.html",
  }),
});

/** Query of `GET /v1/runs/compare`: `ids=a,b,c`. */
export const CompareQuerySchema = z.object({
  ids: z
    .string()
    .transform((s) => s.split(",").map((p) => p.trim()).filter((p) => p.length > 0))
    .pipe(
      z.array(z.string().regex(RUN_ID_RE, "each id must be a run id or a unique prefix"))
        .min(2, "give at least two run ids")
        .max(COMPARE_MAX_RUNS, `give at most ${COMPARE_MAX_RUNS} run ids`),
    )
    .openapi({
      param: { name: "ids", in: "query" },
      type: "string",
      description: `2–${COMPARE_MAX_RUNS} comma-separated run ids (or unique prefixes)`,
      example: "3f2a9c1e,8b01d7aa",
    }),
});

/** `{name}` of an experiment. */
export const ExperimentParamsSchema = z.object({
  name: z.string().trim().min(1).max(200).openapi({
    param: { name: "name", in: "path" },
    example: "cnn",
  }),
});

/** Query of `GET /v1/experiments/{name}/best`. */
export const BestQuerySchema = z.object({
  metric: metricKey.openapi({
    param: { name: "metric", in: "query" },
    description: "metric compared at each finished run's last step",
    example: "test_accuracy",
  }),
  mode: z.enum(["max", "min"]).default("max").openapi({
    param: { name: "mode", in: "query" },
    description: "`max` (default) or `min`",
  }),
});

/** `{name}` of a registered model. */
export const ModelParamsSchema = z.object({
  name: checkedBy(ModelNameSchema).openapi({
    param: { name: "name", in: "path" },
    example: "fmnist",
  }),
});

/** Query of `GET /v1/registry/models/{name}/events`. */
export const EventsQuerySchema = z.object({
  kind: RegistryEventKindSchema.optional().openapi({
    param: { name: "kind", in: "query" },
    description: "only events of this kind",
  }),
  limit: intQuery("limit", 1, EVENTS_MAX_LIMIT, "most events returned (default 1000)").optional(),
});

/** Where a run's inputs came from (`lib/tracking`'s `Lineage`, snake_case). */
const LineageJsonSchema = z.object(snakeKeys(LineageSchema.shape)).openapi("Lineage");

/** One run without its logged data (`lib/tracking`'s `Run`, snake_case). */
const RunJsonSchema = z
  .object({ ...snakeKeys(RunSchema.shape), lineage: LineageJsonSchema })
  .openapi("Run");
/** One run as the API answers it. */
export type RunJson = z.infer<typeof RunJsonSchema>;

/** A run as the API answers it. */
export function runJson(r: Run): RunJson {
  return { ...snakeKeys(r), lineage: snakeKeys(r.lineage) };
}

/** A page of runs, newest first. */
export const RunListSchema = z
  .object({
    runs: z.array(RunJsonSchema),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi("RunList");

/** A run with params, tags, metric summaries, artifacts and lineage. */
export const RunDetailJsonSchema = z
  .object({
    ...RunJsonSchema.shape,
    params: RunDetailSchema.shape.params,
    tags: RunDetailSchema.shape.tags,
    metrics: z.record(
      z.string(),
      z.object(snakeKeys(MetricSummarySchema.shape)).openapi("MetricSummary"),
    ),
    artifacts: z.array(z.object(snakeKeys(ArtifactSchema.shape)).openapi("Artifact")),
  })
  .openapi("RunDetail");

/** A run with its logged data as the API answers it. */
export function runDetailJson(r: RunDetail): z.infer<typeof RunDetailJsonSchema> {
  const metrics = Object.entries(r.metrics).map(([k, m]) => [k, snakeKeys(m)]);
  return {
    ...runJson(r),
    params: r.params,
    tags: r.tags,
    metrics: Object.fromEntries(metrics),
    artifacts: r.artifacts.map(snakeKeys),
  };
}

/** Every logged value of one metric of a run. */
export const MetricHistorySchema = z
  .object({
    run_id: z.string(),
    key: z.string(),
    points: z.array(MetricPointSchema),
  })
  .openapi("MetricHistory");

/** Side-by-side comparison of runs (the library's schema: its names are single words). */
export const RunComparisonDocSchema = RunComparisonSchema;

/** The best finished run of an experiment by a metric. */
export const BestRunSchema = z
  .object({
    experiment: z.string(),
    metric: z.string(),
    mode: z.enum(["max", "min"]),
    value: z.number(),
    run: RunJsonSchema,
  })
  .openapi("BestRun");

const gate = GateDecisionSchema.shape;

/**
 * The promotion gate's decision and the numbers behind it (`lib/registry`'s `GateDecision`,
 * snake_case): in registry events and in A/B decisions.
 */
export const GateDecisionJsonSchema = z
  .object({
    ...snakeKeys(gate),
    bootstrap: orNull(z.object(snakeKeys(gate.bootstrap.unwrap().unwrap().shape))),
  })
  .openapi("GateDecision");
/** A gate decision as the API answers it. */
export type GateDecisionJson = z.infer<typeof GateDecisionJsonSchema>;

/** A gate decision as the API answers it. */
export function gateDecisionJson(d: GateDecision): GateDecisionJson {
  return { ...snakeKeys(d), bootstrap: d.bootstrap && snakeKeys(d.bootstrap) };
}

/** An audit event; `gate` events also carry the decision they recorded. */
const AuditEventSchema = z
  .object({
    ...snakeKeys(RegistryEventSchema.shape),
    details: RegistryEventSchema.shape.details.describe(
      "what the library recorded with the event, as stored (a `gate` event's decision is in `gate`)",
    ),
    gate: orNull(GateDecisionJsonSchema).openapi({
      description: "the decision of a `gate` event; null for other kinds",
    }),
  })
  .openapi("RegistryEvent");
/** An audit event with its gate decision. */
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** An audit event as the API answers it, with the gate decision it recorded (or null). */
export function auditEventJson(e: RegistryEvent, decision: GateDecision | null): AuditEvent {
  return { ...snakeKeys(e), gate: decision && gateDecisionJson(decision) };
}

/** The audit log of a registered model, oldest first. */
export const EventListSchema = z
  .object({
    model: z.string(),
    events: z.array(AuditEventSchema),
  })
  .openapi("RegistryEventList");
