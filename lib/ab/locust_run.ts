/**
 * An A/B experiment driven by Locust against a running service: the labelled images are written
 * for the locustfile (the caller passes `bench/load/experiment.py`), `locust --headless` starts
 * simulated users that predict under sticky client keys and report the true labels as feedback,
 * the service's sequential analysis (`GET /v1/experiments/ab/{model}`) is polled while they run,
 * Locust is stopped (SIGINT: it writes its CSV and HTML reports) as soon as the decision is final
 * (the always-valid test stopped, or every arm reached the design's horizon) or blocked (sample-
 * ratio mismatch), or at the time limit, and the decision is then run through the registry gate
 * (`POST /v1/experiments/ab/{model}/decide`, admin key: the winner is promoted or the champion
 * kept, with the analysis as evidence; a decision that is not final changes nothing).
 */
import { join } from "node:path";
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import { captureOutput } from "./service_process.ts";

/** Options of {@link runLocustExperiment}. */
export const locustRunOptionsSchema = z.strictObject({
  /** The service (e.g. `http://127.0.0.1:8000`). */
  baseUrl: z.url(),
  model: z.string().min(1).max(128),
  /** Admin key of the service (for `…/decide`). */
  adminKey: z.string().min(16),
  /** Feedback key of the service (sent by the simulated users). */
  feedbackKey: z.string().min(16),
  /** The Locust executable. */
  locust: z.string().min(1),
  /** The locustfile (`bench/load/experiment.py`). */
  locustfile: z.string().min(1),
  /** Where the image files, Locust's CSV/HTML reports and its log go. */
  outDir: z.string().min(1),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
  /** Concurrent Locust users. */
  users: z.number().int().min(1).max(10_000).default(8),
  /** Users started per second (default: all in the first second). */
  spawnRate: z.number().positive().optional(),
  /** Distinct people (client keys) the users act for. */
  clients: z.number().int().min(2).max(10_000_000).default(400),
  /** Think time of a user between iterations, uniform in [min, max] ms. */
  thinkMs: z.tuple([z.number().min(0), z.number().min(0)]).default([0, 50])
    .refine(([a, b]) => a <= b, "think time: min must not exceed max"),
  /** Time between reads of the analysis. */
  pollMs: z.number().int().min(50).max(60_000).default(1000),
  /** Locust's run time limit (the experiment then ends undecided unless the horizon was hit). */
  maxDurationS: z.number().int().min(1).max(86_400).default(600),
  /**
   * Versions to warm before the users start (four predicts each on the version's own route, which
   * is not experiment traffic): the service loads a non-champion version on its first request,
   * and that cold start would otherwise land in its arm's latency guardrail.
   */
  warmVersions: z.array(z.number().int().min(1)).default([]),
});
/** Options as callers write them. */
export type LocustRunOptions = z.input<typeof locustRunOptionsSchema>;

/** What the service's analysis says at one look (the fields the runner reads). */
const analysisBodySchema = z.object({
  arms: z.array(z.object({
    arm: z.string(),
    feedback: z.number().int(),
    accuracy: z.number().nullable(),
  })),
  decision: z.object({
    action: z.string(),
    final: z.boolean(),
    winner: z.string().nullable(),
    reason: z.string(),
  }),
});
/** The decision as the service states it. */
export type ServiceDecision = z.infer<typeof analysisBodySchema>["decision"];

/** One read of the analysis during the run. */
export interface ExperimentLook {
  /** Milliseconds since Locust started. */
  atMs: number;
  /** Feedback observations per arm. */
  arms: { arm: string; feedback: number; accuracy: number | null }[];
  action: string;
}

/** Why the users were stopped. */
export type StopReason = "decision" | "blocked" | "max_duration";

/** Result of {@link runLocustExperiment}. */
export interface LocustRunResult {
  stoppedBy: StopReason;
  /** From Locust's start until it exited. */
  durationMs: number;
  /** Since Locust's start when the decision was first seen final (null: never). */
  decidedAtMs: number | null;
  looks: ExperimentLook[];
  /** The last decision read before stopping. */
  decision: ServiceDecision | null;
  /** Whether `…/decide` applied a decision through the registry gate. */
  applied: boolean;
  locust: {
    exitCode: number;
    users: number;
    requests: number;
    failures: number;
    /** Locust's HTML report, its CSV prefix and its log. */
    html: string;
    csvPrefix: string;
    log: string;
  };
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) {
    throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  }
  return res;
}

/** Requests and failures Locust counted (the locustfile writes them when it quits). */
const totalsSchema = z.strictObject({
  requests: z.number().int().min(0),
  failures: z.number().int().min(0),
});

/**
 * Run the experiment's traffic with Locust until the service's decision is final or blocked (or
 * the time limit), then apply the decision; see the module doc. `images` are the labelled images
 * the users send (all of them are written for the locustfile).
 * @throws ZodError for invalid options; Error when Locust fails to start or exits by itself
 *   before the time limit, or a call to the service fails.
 */
export async function runLocustExperiment(
  input: LocustRunOptions,
  images: ImageSet,
): Promise<LocustRunResult> {
  const o = locustRunOptionsSchema.parse(input);
  if (images.count < 1) throw new RangeError("the image set is empty");
  if (images.rows * images.cols !== 784) {
    throw new RangeError(`images must be 28×28, got ${images.rows}×${images.cols}`);
  }
  await Deno.mkdir(o.outDir, { recursive: true });
  const imagesFile = join(o.outDir, "images.u8");
  const labelsFile = join(o.outDir, "labels.u8");
  await Deno.writeFile(imagesFile, images.images.subarray(0, images.count * 784));
  await Deno.writeFile(labelsFile, images.labels.subarray(0, images.count));
  const base = o.baseUrl.replace(/\/$/, "");
  const model = encodeURIComponent(o.model);
  const csvPrefix = join(o.outDir, "locust");
  const logFile = join(o.outDir, "locust.log");
  const totalsFile = join(o.outDir, "locust_totals.json");
  await Deno.remove(totalsFile).catch(() => {});
  const warmInstance = Array.from(images.images.subarray(0, 784), (v) => v / 255);
  // A few requests one after the other, so each inference worker gets to load the version.
  for (const v of o.warmVersions.flatMap((v) => [v, v, v, v])) {
    const res = await ok(
      await fetch(`${base}/v1/models/${model}/versions/${v}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [warmInstance] }),
      }),
      `warming version ${v}`,
    );
    await res.body?.cancel();
  }
  const child = new Deno.Command(o.locust, {
    args: [
      "-f",
      o.locustfile,
      "--headless",
      "--host",
      base,
      "-u",
      String(o.users),
      "-r",
      String(o.spawnRate ?? o.users),
      "-t",
      `${o.maxDurationS}s`,
      "--csv",
      csvPrefix,
      "--html",
      `${csvPrefix}.html`,
      "--only-summary",
      "--stop-timeout",
      "1",
      "--exit-code-on-error",
      "0",
    ],
    env: {
      EXPERIMENT_SEED: String(o.seed),
      EXPERIMENT_MODEL: o.model,
      EXPERIMENT_IMAGES: imagesFile,
      EXPERIMENT_LABELS: labelsFile,
      EXPERIMENT_CLIENTS: String(o.clients),
      EXPERIMENT_FEEDBACK_KEY: o.feedbackKey,
      EXPERIMENT_THINK_MIN_S: String(o.thinkMs[0] / 1000),
      EXPERIMENT_THINK_MAX_S: String(o.thinkMs[1] / 1000),
      EXPERIMENT_TOTALS: totalsFile,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started = performance.now();
  const captured = captureOutput(child, 262144);
  const pumped = captured.done;
  const state: { exit: Deno.CommandStatus | null } = { exit: null };
  const status = child.status.then((s) => (state.exit = s));
  const looks: ExperimentLook[] = [];
  let decision: ServiceDecision | null = null;
  let decidedAtMs: number | null = null;
  let stoppedBy: StopReason = "max_duration";
  try {
    while (state.exit === null) {
      await Promise.race([status, new Promise((r) => setTimeout(r, o.pollMs))]);
      if (state.exit !== null) break;
      const res = await ok(await fetch(`${base}/v1/experiments/ab/${model}`), "the analysis");
      const body = analysisBodySchema.parse(await res.json());
      const atMs = performance.now() - started;
      looks.push({
        atMs,
        arms: body.arms.map((a) => ({ arm: a.arm, feedback: a.feedback, accuracy: a.accuracy })),
        action: body.decision.action,
      });
      decision = body.decision;
      if (decision.final) {
        decidedAtMs = atMs;
        stoppedBy = "decision";
        break;
      }
      if (decision.action === "blocked") {
        stoppedBy = "blocked";
        break;
      }
      if (atMs > (o.maxDurationS + 30) * 1000) break; // Locust missed its own limit
    }
  } finally {
    if (state.exit === null) {
      try {
        child.kill("SIGINT"); // Locust writes its reports on SIGINT
      } catch { /* exited meanwhile */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 20_000);
      await status;
      clearTimeout(timer);
    }
    await pumped;
    await Deno.writeTextFile(logFile, captured.text());
  }
  const durationMs = performance.now() - started;
  const exit = state.exit as Deno.CommandStatus | null;
  const exitCode = exit?.code ?? -1;
  if (stoppedBy === "max_duration" && durationMs < o.maxDurationS * 1000) {
    throw new Error(
      `locust exited (code ${exitCode}) before the time limit:\n${captured.text().slice(-3000)}`,
    );
  }
  let totals: z.infer<typeof totalsSchema>;
  try {
    totals = totalsSchema.parse(JSON.parse(await Deno.readTextFile(totalsFile)));
  } catch (err) {
    throw new Error(
      `locust left no request counts in ${totalsFile} (${(err as Error).message}):\n` +
        captured.text().slice(-3000),
    );
  }
  const decided = await ok(
    await fetch(`${base}/v1/experiments/ab/${model}/decide`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-admin-key": o.adminKey },
      body: JSON.stringify({ actor: "experiment:run" }),
    }),
    "the decision",
  );
  const applied = z.object({ applied: z.boolean() }).parse(await decided.json()).applied;
  return {
    stoppedBy,
    durationMs,
    decidedAtMs,
    looks,
    decision,
    applied,
    locust: {
      exitCode,
      users: o.users,
      ...totals,
      html: `${csvPrefix}.html`,
      csvPrefix,
      log: logFile,
    },
  };
}
