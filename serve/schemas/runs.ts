/**
 * zod/OpenAPI schemas of the tracking and registry-audit routes (`/v1/runs`, `/v1/experiments`,
 * `/v1/registry`). The API answers snake_case: each response schema here is the wire form of a
 * `lib/tracking` or `lib/registry` type (camelCase in TypeScript), and the `…Json` functions
 * beside them convert one into the other field by field, so TypeScript checks both sides.
 */
import { z } from "@hono/zod-openapi";
import { checkedBy, orNull } from "./common.ts";
import {
  type Artifact,
  EngineInfoSchema,
  JsonValueSchema,
  type Lineage,
  MetricPointSchema,
  type MetricSummary,
  type Run,
  RunComparisonSchema,
  type RunDetail,
  RunStatusSchema,
} from "../../lib/tracking/mod.ts";
import {
  type GateDecision,
  GateOutcomeSchema,
  GateTestSchema,
  ModelNameSchema,
  type RegistryEvent,
  RegistryEventKindSchema,
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

/** Where a run's inputs came from (wire form of `lib/tracking`'s `Lineage`). */
const LineageJsonSchema = z
  .object({
    dataset_version: z.string().nullable().openapi({
      description: "content hash of the dataset version trained/evaluated on",
    }),
    git_commit: z.string().nullable().openapi({ description: "null outside git" }),
    git_dirty: z.boolean().nullable().openapi({
      description: "uncommitted changes; null outside git",
    }),
    config: JsonValueSchema.nullable().openapi({
      description: "the run's configuration, as logged",
    }),
    seed: z.number().int().nullable(),
    engine: EngineInfoSchema.nullable(),
  })
  .openapi("Lineage");

/** One run without its logged data (wire form of `lib/tracking`'s `Run`). */
const RunJsonSchema = z
  .object({
    id: z.string(),
    experiment: z.string(),
    name: z.string(),
    status: RunStatusSchema,
    parent_id: z.string().nullable(),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    heartbeat_at: z.string(),
    pid: z.number().int().nullable(),
    host: z.string().nullable(),
    error: z.string().nullable().openapi({ description: "why the run failed or was killed" }),
    lineage: LineageJsonSchema,
  })
  .openapi("Run");
/** One run as the API answers it. */
export type RunJson = z.infer<typeof RunJsonSchema>;

function lineageJson(l: Lineage): z.infer<typeof LineageJsonSchema> {
  return {
    dataset_version: l.datasetVersion,
    git_commit: l.gitCommit,
    git_dirty: l.gitDirty,
    config: l.config,
    seed: l.seed,
    engine: l.engine,
  };
}

/** A run as the API answers it. */
export function runJson(r: Run): RunJson {
  return {
    id: r.id,
    experiment: r.experiment,
    name: r.name,
    status: r.status,
    parent_id: r.parentId,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    heartbeat_at: r.heartbeatAt,
    pid: r.pid,
    host: r.host,
    error: r.error,
    lineage: lineageJson(r.lineage),
  };
}

/** A page of runs, newest first. */
export const RunListSchema = z
  .object({
    runs: z.array(RunJsonSchema),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi("RunList");

const MetricSummaryJsonSchema = z
  .object({
    last: z.number().nullable().openapi({ description: "value at the last step" }),
    last_step: z.number().int(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    count: z.number().int(),
  })
  .openapi("MetricSummary");

const ArtifactJsonSchema = z
  .object({
    name: z.string(),
    key: z.string().openapi({ description: "object-store key of its bytes" }),
    sha256: z.string(),
    size: z.number().int(),
    content_type: z.string(),
    created_at: z.string(),
  })
  .openapi("Artifact");

/** A run with params, tags, metric summaries, artifacts and lineage. */
export const RunDetailJsonSchema = z
  .object({
    ...RunJsonSchema.shape,
    params: z.record(z.string(), JsonValueSchema),
    tags: z.record(z.string(), z.string()),
    metrics: z.record(z.string(), MetricSummaryJsonSchema),
    artifacts: z.array(ArtifactJsonSchema),
  })
  .openapi("RunDetail");

function metricSummaryJson(m: MetricSummary): z.infer<typeof MetricSummaryJsonSchema> {
  return { last: m.last, last_step: m.lastStep, min: m.min, max: m.max, count: m.count };
}

function artifactJson(a: Artifact): z.infer<typeof ArtifactJsonSchema> {
  return {
    name: a.name,
    key: a.key,
    sha256: a.sha256,
    size: a.size,
    content_type: a.contentType,
    created_at: a.createdAt,
  };
}

/** A run with its logged data as the API answers it. */
export function runDetailJson(r: RunDetail): z.infer<typeof RunDetailJsonSchema> {
  return {
    ...runJson(r),
    params: r.params,
    tags: r.tags,
    metrics: Object.fromEntries(
      Object.entries(r.metrics).map(([k, m]) => [k, metricSummaryJson(m)]),
    ),
    artifacts: r.artifacts.map(artifactJson),
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

/**
 * The promotion gate's decision and the numbers behind it (wire form of `lib/registry`'s
 * `GateDecision`): in registry events and in A/B decisions.
 */
export const GateDecisionJsonSchema = z
  .object({
    model: z.string(),
    challenger: z.number().int(),
    champion: z.number().int().nullable().openapi({
      description: "champion version before the decision; null when there was none",
    }),
    outcome: GateOutcomeSchema,
    promoted: z.boolean(),
    reason: z.string(),
    alpha: z.number(),
    n: z.number().int().openapi({ description: "test-set size (A/B: feedback observations)" }),
    challenger_accuracy: z.number(),
    champion_accuracy: z.number().nullable(),
    b: z.number().int().nullable().openapi({ description: "champion right, challenger wrong" }),
    c: z.number().int().nullable().openapi({ description: "champion wrong, challenger right" }),
    method: z.enum(["exact", "chi2", "msprt"]).nullable(),
    statistic: z.number().nullable(),
    p_value: z.number().nullable(),
    test: z.enum([...GateTestSchema.options, "msprt"]),
    bootstrap: z.object({
      difference: z.number(),
      low: z.number(),
      high: z.number(),
      level: z.number(),
      resamples: z.number().int(),
      seed: z.number().int(),
      p_not_better: z.number(),
    }).nullable(),
    behaviour: z.object({ passed: z.boolean(), checks: z.array(z.unknown()) }).nullable(),
    actor: z.string(),
    event_id: z.number().int().openapi({ description: "id of the `gate` audit event" }),
    at: z.string(),
  })
  .openapi("GateDecision");
/** A gate decision as the API answers it. */
export type GateDecisionJson = z.infer<typeof GateDecisionJsonSchema>;

/** A gate decision as the API answers it. */
export function gateDecisionJson(d: GateDecision): GateDecisionJson {
  return {
    model: d.model,
    challenger: d.challenger,
    champion: d.champion,
    outcome: d.outcome,
    promoted: d.promoted,
    reason: d.reason,
    alpha: d.alpha,
    n: d.n,
    challenger_accuracy: d.challengerAccuracy,
    champion_accuracy: d.championAccuracy,
    b: d.b,
    c: d.c,
    method: d.method,
    statistic: d.statistic,
    p_value: d.pValue,
    test: d.test,
    bootstrap: d.bootstrap && {
      difference: d.bootstrap.difference,
      low: d.bootstrap.low,
      high: d.bootstrap.high,
      level: d.bootstrap.level,
      resamples: d.bootstrap.resamples,
      seed: d.bootstrap.seed,
      p_not_better: d.bootstrap.pNotBetter,
    },
    behaviour: d.behaviour,
    actor: d.actor,
    event_id: d.eventId,
    at: d.at,
  };
}

/** An audit event; `gate` events also carry the decision they recorded. */
const AuditEventSchema = z
  .object({
    id: z.number().int(),
    model: z.string(),
    kind: RegistryEventKindSchema,
    alias: z.string().nullable(),
    from_version: z.number().int().nullable(),
    to_version: z.number().int().nullable(),
    actor: z.string(),
    reason: z.string().nullable(),
    details: z.unknown().nullable().openapi({
      description: "what the library recorded with the event, as stored (a `gate` event's " +
        "decision is in `gate`)",
    }),
    at: z.string(),
    gate: orNull(GateDecisionJsonSchema).openapi({
      description: "the decision of a `gate` event; null for other kinds",
    }),
  })
  .openapi("RegistryEvent");
/** An audit event with its gate decision. */
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** An audit event as the API answers it, with the gate decision it recorded (or null). */
export function auditEventJson(e: RegistryEvent, gate: GateDecision | null): AuditEvent {
  return {
    id: e.id,
    model: e.model,
    kind: e.kind,
    alias: e.alias,
    from_version: e.fromVersion,
    to_version: e.toVersion,
    actor: e.actor,
    reason: e.reason,
    details: e.details,
    at: e.at,
    gate: gate && gateDecisionJson(gate),
  };
}

/** The audit log of a registered model, oldest first. */
export const EventListSchema = z
  .object({
    model: z.string(),
    events: z.array(AuditEventSchema),
  })
  .openapi("RegistryEventList");
