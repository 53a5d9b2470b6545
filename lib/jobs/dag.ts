/**
 * DAG definitions over the existing pipeline steps. Each step of a DAG is one job; its handler
 * calls the stage's own cached step (`ingest`, `validateStep`, `featuresStep`, `trainCandidate`,
 * `registerCandidate`, `ensureProfile`), so input-hash caching is kept: a step whose inputs are
 * unchanged returns its recorded result (`cached: true`) instead of recomputing.
 *
 * | DAG | steps | run by |
 * |---|---|---|
 * | `data` | ingest → validate → features | the daily schedule, backfills |
 * | `pipeline` | data steps → train → register (evaluate + gate) → profile | `deno task dag run pipeline` |
 * | `retrain` | the same as `pipeline`, with the automation settings' retrain recipe | the weekly schedule, drift events |
 *
 * A step receives the results of the steps before it (`results`), read from the run record, so a
 * step can run on any worker.
 */
import { z } from "zod";
import { ensureProfile, loadDriftModel } from "../drift/mod.ts";
import { ingest, loadDataset } from "../data/mod.ts";
import { featuresStep } from "../features/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import type { Json } from "../hashing/mod.ts";
import {
  type CandidateResult,
  recipeNameSchema,
  RECIPES,
  registerCandidate,
  trainCandidate,
} from "../train/mod.ts";
import { validateStep } from "../validate/mod.ts";

/** Names of the DAGs. */
export const dagNameSchema = z.enum(["data", "pipeline", "retrain"]);
/** A DAG name. */
export type DagName = z.infer<typeof dagNameSchema>;

/** Names of the steps. */
export const stepNameSchema = z.enum([
  "ingest",
  "validate",
  "features",
  "train",
  "register",
  "profile",
]);
/** A step name. */
export type StepName = z.infer<typeof stepNameSchema>;

/** One step of a DAG and the steps it needs. */
export interface DagStep {
  name: StepName;
  needs: StepName[];
}

/** A DAG: its steps in a topological order. */
export interface DagDefinition {
  name: DagName;
  description: string;
  steps: DagStep[];
}

const DATA_STEPS: DagStep[] = [
  { name: "ingest", needs: [] },
  { name: "validate", needs: ["ingest"] },
  { name: "features", needs: ["ingest"] },
];
const MODEL_STEPS: DagStep[] = [
  ...DATA_STEPS,
  { name: "train", needs: ["ingest", "features"] },
  { name: "register", needs: ["train"] },
  { name: "profile", needs: ["register"] },
];

/** The DAGs by name. */
export const DAGS: Record<DagName, DagDefinition> = {
  data: { name: "data", description: "ingest → validate → features", steps: DATA_STEPS },
  pipeline: {
    name: "pipeline",
    description: "ingest → validate → features → train → register (evaluate, gate) → profile",
    steps: MODEL_STEPS,
  },
  retrain: {
    name: "retrain",
    description: "retrain on the current data version → evaluate → gate → profile",
    steps: MODEL_STEPS,
  },
};

/** Parameters of a DAG run (recorded with it; zod-validated at every entry). */
export const dagParamsSchema = z.object({
  model: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, "use a-z, 0-9, _ and -").default("fmnist"),
  recipe: recipeNameSchema.default("default"),
  epochs: z.number().int().positive().max(1000).optional(),
  limit: z.number().int().positive().optional(),
  alpha: z.number().gt(0).lt(1).default(0.05),
  gateTest: z.enum(["mcnemar", "paired_bootstrap"]).default("mcnemar"),
  behaviour: z.enum(["record", "enforce", "off"]).default("record"),
  resamples: z.number().int().min(10).max(100_000).default(1000),
  /** Dataset source for ingest (default: the worker's settings). */
  source: z.string().trim().min(1).optional(),
  /** The drift event that triggered the run, if any. */
  driftEventId: z.number().int().positive().optional(),
});
/** Parameters of a DAG run. */
export type DagParams = z.infer<typeof dagParamsSchema>;
/** Parameters as callers write them. */
export type DagParamsInput = z.input<typeof dagParamsSchema>;

/** What a step handler gets. */
export interface StepEnv {
  ctx: Ctx;
  params: DagParams;
  /** Results of the steps already completed in this run. */
  results: Partial<Record<StepName, Json>>;
}

/** What a step handler returns: its JSON result and whether it was a cache hit. */
export interface StepOutcome {
  result: Json;
  cached: boolean;
}

/** Raised when a DAG or step name, or an upstream result, is not what it must be. */
export class DagError extends Error {
  override name = "DagError";
}

function upstream<T extends z.ZodType>(env: StepEnv, step: StepName, schema: T): z.infer<T> {
  const r = schema.safeParse(env.results[step]);
  if (!r.success) throw new DagError(`step ${step} has no usable result in this run`);
  return r.data;
}

const versionResult = z.object({ version: z.string() });

/** Step handlers: each calls the stage's cached step. */
export const STEP_HANDLERS: Record<StepName, (env: StepEnv) => Promise<StepOutcome>> = {
  async ingest({ ctx, params }) {
    const r = await ingest(ctx, params.source ? { source: params.source } : {});
    return { result: r, cached: r.skipped };
  },
  async validate(env) {
    const { version } = upstream(env, "ingest", versionResult);
    const r = await validateStep(env.ctx, await loadDataset(env.ctx, version));
    return {
      result: { suite: r.suite, warnings: r.warnings.length, reportKey: r.reportKey },
      cached: r.skipped,
    };
  },
  async features(env) {
    const { version } = upstream(env, "ingest", versionResult);
    const dataset = await loadDataset(env.ctx, version);
    const r = await featuresStep(env.ctx, dataset, { seed: env.ctx.settings.seed });
    return { result: { id: r.id }, cached: r.skipped };
  },
  async train(env) {
    const { version } = upstream(env, "ingest", versionResult);
    const p = env.params;
    const recipe = RECIPES[p.recipe];
    const { skipped, ...cand } = await trainCandidate(env.ctx, {
      dataset: version,
      experiment: p.model,
      model: recipe.model,
      train: { ...recipe.train, ...(p.epochs ? { epochs: p.epochs } : {}) },
      limit: p.limit ?? recipe.limit,
      resamples: p.resamples,
    });
    return { result: cand, cached: skipped };
  },
  async register(env) {
    const cand = env.results.train as CandidateResult | undefined;
    if (!cand || typeof cand.artifactSha256 !== "string") {
      throw new DagError("step train has no usable result in this run");
    }
    const p = env.params;
    const reg = await registerCandidate(env.ctx, {
      name: p.model,
      candidate: cand,
      alpha: p.alpha,
      test: p.gateTest,
      behaviour: p.behaviour,
      note: p.driftEventId ? `retrain triggered by drift event ${p.driftEventId}` : undefined,
    });
    return {
      result: {
        version: reg.version.version,
        created: reg.created,
        champion: reg.champion,
        promoted: reg.decision?.promoted ?? false,
        // The gate's decision is the evidence of a promotion or a rejection.
        decision: reg.decision ? (JSON.parse(JSON.stringify(reg.decision)) as Json) : null,
      },
      cached: !reg.created,
    };
  },
  async profile(env) {
    const { version } = upstream(env, "register", z.object({ version: z.number().int() }));
    const dm = await loadDriftModel(env.ctx, env.params.model, version);
    try {
      const p = await ensureProfile(env.ctx, dm, { seed: env.ctx.settings.seed });
      return { result: { version, source: p.profile.source }, cached: !p.created };
    } finally {
      dm.model.dispose();
    }
  },
};

/** The DAG named `name`, or a {@link DagError} listing the known ones. */
export function dagByName(name: string): DagDefinition {
  const r = dagNameSchema.safeParse(name);
  if (!r.success) {
    throw new DagError(`unknown DAG "${name}" (known: ${dagNameSchema.options.join(", ")})`);
  }
  return DAGS[r.data];
}

/** Parse run parameters, naming every invalid field. */
export function parseDagParams(raw: unknown): DagParams {
  const r = dagParamsSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new DagError(
      `invalid DAG parameters: ${
        r.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ")
      }`,
    );
  }
  return r.data;
}
