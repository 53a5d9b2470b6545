/**
 * A full A/B experiment, run end to end against the real service (`deno task experiment:run`):
 *
 * 1. **setup** (workspace open in this process): two registered versions of the model — the
 *    champion as control and a treatment given by reference, or (`setup: "centroid"`) a fresh pair
 *    of nearest-centroid versions of known, different accuracy, the weaker as champion; the
 *    experiment (two pinned arms 50/50, salt from the seed, the design) replaces any earlier one
 *    of the model, so its traffic counts from now; the Fashion-MNIST test split is loaded;
 * 2. **traffic**: the service starts as a child process (production defaults, its own admin and
 *    feedback keys), both versions are warmed (a cold model load would count against its arm's
 *    latency guardrail), and Locust users send the test images under sticky client keys and report
 *    the true labels until the sequential test decides (or the horizon, or the time limit); the
 *    decision goes through the registry's experiment gate over HTTP ({@link runLocustExperiment});
 * 3. **record**: with the service stopped, the analysis is read back from the database and the
 *    HTML report (a run section — duration, samples per arm, the gate's audit events — before
 *    the experiment report the service serves) and a JSON summary are written.
 *
 * Reproducible from the seed: the same models, arms, salt (hence the same client → arm map) and
 * per-user request sequences (see the locustfile; concurrency only changes their interleaving).
 */
import { join } from "node:path";
import { z } from "zod";
import type { Settings } from "../config/mod.ts";
import { type ImageSet, ingest, loadDataset } from "../data/mod.ts";
import { initEngine } from "../engine/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  getAliases,
  getModel,
  getModelVersion,
  listEvents,
  RegistryInputError,
  RegistryNotFoundError,
} from "../registry/mod.ts";
import { openContext } from "../workspace/mod.ts";
import { type AbAnalysis, analyzeExperiment } from "./analysis.ts";
import { registerCentroidModel } from "./centroid_models.ts";
import { abConfigInputSchema, checkArms, deleteAbExperiment, putAbExperiment } from "./config.ts";
import { abDesignSchema } from "./design.ts";
import { type LocustRunResult, runLocustExperiment } from "./locust_run.ts";
import { type ExperimentRunFacts, experimentRunReportHtml } from "./report.ts";
import { startServiceProcess } from "./service_process.ts";

const refSchema = z.union([z.number().int().min(1), z.string().min(1).max(64)]);

/** Options of {@link runExperiment}. */
const experimentRunOptionsSchema = z.strictObject({
  model: z.string().min(1).max(128).default("fmnist"),
  /** `centroid`: register a fresh pair of versions (the model must not exist yet). */
  setup: z.enum(["centroid"]).optional(),
  /** Control arm: must be the champion (the gate promotes over it). */
  control: refSchema.default("champion"),
  /** Treatment arm (required without `setup`). */
  treatment: refSchema.optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  users: z.number().int().min(1).max(10_000).default(8),
  clients: z.number().int().min(2).max(10_000_000).default(400),
  thinkMs: z.tuple([z.number().min(0), z.number().min(0)]).default([0, 50]),
  /** Test images the users draw from (the first N of the test split). */
  images: z.number().int().min(1).max(10_000).default(10_000),
  maxDurationS: z.number().int().min(1).max(86_400).default(600),
  pollMs: z.number().int().min(50).max(60_000).default(1000),
  design: abDesignSchema.default(abDesignSchema.parse({ maxSamplesPerArm: 5000 })),
  outDir: z.string().min(1),
  /** `serve/main.ts`. */
  serviceScript: z.string().min(1),
  /** The Locust executable and the experiment's locustfile (`bench/load/experiment.py`). */
  locust: z.string().min(1),
  locustfile: z.string().min(1),
  /** More environment for the service (on top of this process's). */
  serviceEnv: z.record(z.string(), z.string()).default({}),
});
/** Options as callers write them. */
export type ExperimentRunOptions = z.input<typeof experimentRunOptionsSchema>;

/** One arm's samples and accuracy. */
export interface ArmOutcome {
  arm: string;
  version: number;
  predictions: number;
  /** Feedback observations: the experiment's samples. */
  samples: number;
  accuracy: number | null;
}

/** What a run did and found. */
export interface ExperimentRunSummary {
  model: string;
  seed: number;
  arms: ArmOutcome[];
  /** Treatment − control accuracy, with the always-valid interval at the test's level. */
  effect: {
    arm: string;
    vs: string;
    diff: number;
    ci: [number, number];
    alpha: number;
    pValue: number;
    fixedCi95: [number, number] | null;
  } | null;
  decision: AbAnalysis["decision"];
  /** Whether the registry gate was run (only final decisions are applied). */
  applied: boolean;
  gates: {
    arm: string;
    challenger: number;
    outcome: string;
    promoted: boolean;
    eventId: number;
    /** The stored evidence holds the decision and the sequential test. */
    evidence: boolean;
  }[];
  /** The champion after the run. */
  champion: number | null;
  stoppedBy: LocustRunResult["stoppedBy"];
  durationS: number;
  decidedAfterS: number | null;
  looks: number;
  locust: LocustRunResult["locust"];
  report: string;
  summaryFile: string;
}

/** An experiment that cannot be set up as asked (bad references, an existing model, …). */
export class ExperimentSetupError extends Error {
  override name = "ExperimentSetupError";
}

interface Prepared {
  control: number;
  treatment: number;
  test: ImageSet;
}

async function prepare(
  settings: Settings,
  o: z.output<typeof experimentRunOptionsSchema>,
  ctxOpts: { manifestDir?: string; log?: Logger },
): Promise<Prepared> {
  const ctx = await openContext(settings, ctxOpts);
  try {
    if (o.setup === "centroid") {
      const exists = await getModel(ctx, o.model).then(() => true, (err) => {
        if (err instanceof RegistryNotFoundError) return false;
        throw err;
      });
      if (exists) {
        throw new ExperimentSetupError(
          `model ${o.model} is registered already: --setup centroid registers a fresh pair ` +
            "(use another --model or state dir, or name --treatment to use existing versions)",
        );
      }
    }
    const ds = await loadDataset(ctx, (await ingest(ctx)).version);
    let control: number, treatment: number;
    if (o.setup === "centroid") {
      await initEngine(settings, ctx.log);
      control = await registerCentroidModel(ctx, o.model, ds.train, 20, "champion");
      treatment = await registerCentroidModel(ctx, o.model, ds.train, 2000);
    } else {
      if (o.treatment === undefined) {
        throw new ExperimentSetupError("name the treatment version (or use --setup centroid)");
      }
      const ref = async (r: string | number) => {
        try {
          return (await getModelVersion(ctx, o.model, r)).version;
        } catch (err) {
          if (err instanceof RegistryNotFoundError) {
            throw new ExperimentSetupError((err as Error).message);
          }
          throw err;
        }
      };
      control = await ref(o.control);
      treatment = await ref(o.treatment);
      if (control === treatment) {
        throw new ExperimentSetupError(`control and treatment are both version ${control}`);
      }
      const champion = (await getAliases(ctx, o.model)).champion;
      if (champion !== control) {
        throw new ExperimentSetupError(
          `the control must be the champion (version ${champion ?? "none"}), got version ` +
            `${control}: the registry gate promotes the winner over the champion`,
        );
      }
    }
    const input = abConfigInputSchema.parse({
      arms: [
        { name: "control", version: control, weight: 1 },
        { name: "treatment", version: treatment, weight: 1 },
      ],
      salt: `experiment-run-${o.seed}`,
      reason: `experiment:run seed ${o.seed}: version ${treatment} vs champion ${control}`,
      design: o.design,
    });
    await checkArms(ctx, o.model, input);
    // A new experiment: its start (from which traffic counts) is now, even with the same salt.
    await deleteAbExperiment(ctx.db, o.model);
    await putAbExperiment(ctx.db, o.model, input, "experiment:run");
    const n = Math.min(o.images, ds.test.count);
    const test: ImageSet = {
      ...ds.test,
      count: n,
      images: ds.test.images.subarray(0, n * ds.test.rows * ds.test.cols),
      labels: ds.test.labels.subarray(0, n),
    };
    return { control, treatment, test };
  } finally {
    await ctx.close();
  }
}

/**
 * Run the experiment (see the module doc) and write `report.html` and `summary.json` under
 * `outDir`.
 * @throws ExperimentSetupError when the versions do not fit; Error when the service or Locust
 *   fails.
 */
export async function runExperiment(
  settings: Settings,
  input: ExperimentRunOptions,
  ctxOpts: { manifestDir?: string; log?: Logger } = {},
): Promise<ExperimentRunSummary> {
  const o = experimentRunOptionsSchema.parse(input);
  await Deno.mkdir(o.outDir, { recursive: true });
  const { control, treatment, test } = await prepare(settings, o, ctxOpts);
  const adminKey = crypto.randomUUID();
  const feedbackKey = crypto.randomUUID();
  const service = await startServiceProcess({
    script: o.serviceScript,
    env: {
      FMNIST_STATE_DIR: settings.stateDir,
      FMNIST_ADMIN_KEY: adminKey,
      FMNIST_FEEDBACK_KEY: feedbackKey,
      LOG_LEVEL: "warn",
      FMNIST_LOG_FORMAT: "json",
      ...o.serviceEnv,
    },
    logFile: join(o.outDir, "service.log"),
  });
  let run: LocustRunResult;
  try {
    run = await runLocustExperiment({
      baseUrl: service.url,
      model: o.model,
      adminKey,
      feedbackKey,
      locust: o.locust,
      locustfile: o.locustfile,
      outDir: o.outDir,
      seed: o.seed,
      users: o.users,
      clients: o.clients,
      thinkMs: o.thinkMs,
      pollMs: o.pollMs,
      maxDurationS: o.maxDurationS,
      warmVersions: [control, treatment],
    }, test);
  } finally {
    const status = await service.stop();
    if (!status.success && status.signal !== "SIGTERM") {
      ctxOpts.log?.warn("the service exited with an error", { code: status.code });
    }
  }
  const ctx = await openContext(settings, ctxOpts);
  try {
    const analysis = await analyzeExperiment(ctx.db, o.model);
    const since = analysis.experiment?.startedAt ?? new Date(0).toISOString();
    const events = (await listEvents(ctx, o.model, { kind: "gate" })).filter((e) => {
      const d = e.details as { source?: string } | null;
      return e.at >= since && d?.source === "ab_experiment";
    });
    const versionArm = new Map([[control, "control"], [treatment, "treatment"]]);
    const gates = events.map((e) => {
      const d = e.details as {
        challenger: number;
        outcome: string;
        promoted: boolean;
        evidence?: { decision?: unknown; comparisons?: unknown[] };
      };
      return {
        arm: versionArm.get(d.challenger) ?? "?",
        challenger: d.challenger,
        outcome: d.outcome,
        promoted: d.promoted,
        eventId: e.id,
        evidence: d.evidence?.decision !== undefined && (d.evidence.comparisons?.length ?? 0) > 0,
      };
    });
    if (run.applied && gates.length === 0) {
      throw new RegistryInputError("the decision was applied but no gate event was recorded");
    }
    const arms: ArmOutcome[] = analysis.summary.arms.map((a) => ({
      arm: a.arm,
      version: a.arm === "control" ? control : treatment,
      predictions: a.predictions,
      samples: a.feedback,
      accuracy: a.accuracy,
    }));
    const c = analysis.comparisons[0];
    const effect = c?.sequential
      ? {
        arm: c.arm,
        vs: c.vs,
        diff: c.sequential.diff,
        ci: c.sequential.ci,
        alpha: c.sequential.alpha,
        pValue: c.sequential.pValue,
        fixedCi95: c.fixed?.ci ?? null,
      }
      : null;
    const facts: ExperimentRunFacts = {
      seed: o.seed,
      users: o.users,
      clients: o.clients,
      thinkMs: o.thinkMs,
      images: test.count,
      durationMs: run.durationMs,
      decidedAtMs: run.decidedAtMs,
      stoppedBy: run.stoppedBy,
      looks: run.looks.length,
      requests: run.locust.requests,
      failures: run.locust.failures,
      gates: gates.map((g) => ({
        arm: g.arm,
        challenger: g.challenger,
        outcome: g.outcome,
        eventId: g.eventId,
      })),
    };
    const report = join(o.outDir, "report.html");
    await Deno.writeTextFile(report, experimentRunReportHtml(analysis, facts));
    const summaryFile = join(o.outDir, "summary.json");
    const summary: ExperimentRunSummary = {
      model: o.model,
      seed: o.seed,
      arms,
      effect,
      decision: analysis.decision,
      applied: run.applied,
      gates,
      champion: (await getAliases(ctx, o.model)).champion ?? null,
      stoppedBy: run.stoppedBy,
      durationS: run.durationMs / 1000,
      decidedAfterS: run.decidedAtMs === null ? null : run.decidedAtMs / 1000,
      looks: run.looks.length,
      locust: run.locust,
      report,
      summaryFile,
    };
    await Deno.writeTextFile(summaryFile, JSON.stringify(summary, null, 2) + "\n");
    return summary;
  } finally {
    await ctx.close();
  }
}
