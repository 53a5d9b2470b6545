/**
 * `deno task experiment:run`: a full A/B experiment against the real service, driven by Locust
 * users that send Fashion-MNIST test images under sticky client keys and report the true labels;
 * the sequential test stops it, the registry gate records the decision with its evidence, and the
 * report (HTML) and summary (JSON) are written (see lib/ab/experiment_run.ts).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ExperimentSetupError, runExperiment } from "../lib/ab/experiment_run.ts";
import type { ExperimentRunSummary } from "../lib/ab/experiment_run.ts";
import {
  commandMain,
  dataDirFlag,
  defineCommand,
  nonEmpty,
  sourceFlag,
  stateDirFlag,
  UsageError,
} from "../lib/cli/mod.ts";
import { statePaths } from "../lib/config/mod.ts";
import { RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";
import { requireBinary } from "../lib/doctor/mod.ts";

const SERVICE = fileURLToPath(new URL("../serve/main.ts", import.meta.url));
const LOCUSTFILE = fileURLToPath(new URL("../bench/load/experiment.py", import.meta.url));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const ref = z.string().trim().min(1).transform((r) => /^\d+$/.test(r) ? Number(r) : r);

const pct = (x: number | null) => x === null ? "n/a" : `${(100 * x).toFixed(2)}%`;
const pts = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;

/** Human lines of a summary. */
function formatSummary(s: ExperimentRunSummary): string[] {
  const e = s.effect;
  return [
    `experiment ${s.model} (seed ${s.seed}): ${s.locust.users} Locust users, ` +
    `${s.locust.requests} requests (${s.locust.failures} failed), ${s.durationS.toFixed(1)} s` +
    ` (decision final after ${s.decidedAfterS === null ? "—" : `${s.decidedAfterS.toFixed(1)} s`}` +
    `, stopped by ${s.stoppedBy.replaceAll("_", " ")})`,
    ...s.arms.map((a) =>
      `  ${a.arm.padEnd(10)} version ${String(a.version).padEnd(4)} samples ` +
      `${String(a.samples).padStart(6)}  accuracy ${pct(a.accuracy)}`
    ),
    e
      ? `effect ${e.arm} − ${e.vs}: ${pts(e.diff)} points, always-valid ${
        100 * (1 - e.alpha)
      }% CI [${pts(e.ci[0])}, ${pts(e.ci[1])}], p = ${e.pValue.toPrecision(3)}` +
        (e.fixedCi95
          ? ` (fixed-horizon 95% CI [${pts(e.fixedCi95[0])}, ${pts(e.fixedCi95[1])}])`
          : "")
      : "effect: not enough feedback",
    `decision: ${s.decision.action.replaceAll("_", " ")}${
      s.decision.winner ? ` (${s.decision.winner})` : ""
    } — ${s.decision.reason}`,
    s.gates.length
      ? `registry gate: ${
        s.gates.map((g) =>
          `version ${g.challenger} ${g.outcome.replaceAll("_", " ")} (event ${g.eventId})`
        )
          .join("; ")
      }; champion is version ${s.champion}`
      : "registry gate: not run (the decision was not final)",
    `report: ${s.report}`,
  ];
}

/** The experiment:run command. */
export const command = defineCommand({
  name: "experiment:run",
  summary: "Run an A/B experiment end to end: the real service, Locust users sending test " +
    "images and feedback, the sequential test, the registry gate, the report.",
  description: "Arms: the champion (--control) against --treatment REF, or with --setup " +
    "centroid a fresh pair of nearest-centroid versions of a new --model (about 41% and 67% " +
    "test accuracy, the weaker as champion). The service starts with production defaults and " +
    "keys of its own; Locust users (bench/load/experiment.py) predict test images under sticky " +
    "client keys and report the true labels; the analysis is polled every --poll-ms and Locust " +
    "stopped when the decision is final (or blocked, or after --max-duration); the decision " +
    "then goes through the registry's experiment gate. Writes report.html and summary.json " +
    "(and Locust's reports) under --out. Exit 1 when no final decision was reached.",
  schema: z.object({
    model: nonEmpty().default("fmnist").meta({ description: "model name", arg: "NAME" }),
    setup: z.enum(["centroid"]).optional().meta({
      description: "register a fresh pair of versions for the experiment",
    }),
    control: ref.default("champion").meta({
      description: "control version or alias (must be the champion)",
      arg: "REF",
    }),
    treatment: ref.optional().meta({ description: "treatment version or alias", arg: "REF" }),
    seed: int(0, 2 ** 31 - 1).default(1).meta({ description: "seed", arg: "N" }),
    users: int(1, 10_000).default(8).meta({ description: "concurrent Locust users", arg: "N" }),
    clients: int(2, 10_000_000).default(400).meta({
      description: "client keys (people) the users act for",
      arg: "N",
    }),
    "think-ms": z.string().regex(/^\d+-\d+$/, "use MIN-MAX, e.g. 0-50").default("0-50")
      .transform((s) => s.split("-").map(Number) as [number, number])
      .refine(([a, b]) => a <= b, "MIN must not exceed MAX")
      .meta({ description: "think time between a user's iterations (ms)", arg: "MIN-MAX" }),
    images: int(1, 10_000).default(10_000).meta({
      description: "test images the users draw from",
      arg: "N",
    }),
    tau: z.coerce.number().gt(0).max(1).default(0.05).meta({
      description: "mSPRT mixing τ (near the effect to detect)",
      arg: "X",
    }),
    alpha: z.coerce.number().gt(0).lt(0.5).default(0.05).meta({ description: "level", arg: "X" }),
    "min-samples": int(1, 1_000_000).default(100).meta({
      description: "feedback per arm before the test may stop",
      arg: "N",
    }),
    "max-samples": int(1, 100_000_000).default(5000).meta({
      description: "horizon per arm (keep the champion without a difference)",
      arg: "N",
    }),
    mde: z.coerce.number().gt(-1).lt(1).optional().meta({
      description: "minimum detectable effect (reported, with the fixed-horizon size)",
      arg: "X",
    }),
    "latency-ratio": z.coerce.number().min(1).max(100).default(1.5).meta({
      description: "guardrail: treatment p99 ≤ ratio × control p99 + slack",
      arg: "X",
    }),
    "latency-slack-ms": z.coerce.number().min(0).max(60_000).default(5).meta({
      description: "guardrail slack (ms)",
      arg: "MS",
    }),
    "max-duration": int(1, 86_400).default(600).meta({
      description: "time limit of the traffic (s)",
      arg: "S",
    }),
    "poll-ms": int(50, 60_000).default(1000).meta({
      description: "time between reads of the analysis",
      arg: "MS",
    }),
    out: nonEmpty().optional().meta({
      description: "output folder (default <state>/experiments/<model>-<time>)",
      arg: "DIR",
    }),
    ...stateDirFlag,
    ...dataDirFlag,
    ...sourceFlag,
  }),
  json: true,
  exitCodes: [[ExperimentSetupError, 2], [RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags: f, settings, out }) => {
    if (f.setup && f.treatment !== undefined) {
      throw new UsageError("give --setup centroid or --treatment, not both");
    }
    if (!f.setup && f.treatment === undefined) {
      throw new UsageError("name the treatment: --treatment REF (or --setup centroid)");
    }
    const s = settings();
    const outDir = f.out ?? join(
      statePaths(s.stateDir).root,
      "experiments",
      `${f.model}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    );
    const summary = await runExperiment(s, {
      model: f.model,
      setup: f.setup,
      control: f.control,
      treatment: f.treatment,
      seed: f.seed,
      users: f.users,
      clients: f.clients,
      thinkMs: f["think-ms"],
      images: f.images,
      maxDurationS: f["max-duration"],
      pollMs: f["poll-ms"],
      design: {
        alpha: f.alpha,
        tau: f.tau,
        minSamples: f["min-samples"],
        maxSamplesPerArm: f["max-samples"],
        mde: f.mde,
        guardrails: {
          latencyP99Ratio: f["latency-ratio"],
          latencyP99SlackMs: f["latency-slack-ms"],
        },
      },
      outDir,
      serviceScript: SERVICE,
      locust: requireBinary("locust"),
      locustfile: LOCUSTFILE,
    }, { manifestDir: f["data-dir"] });
    out.result(summary, formatSummary);
    return summary.applied ? 0 : 1;
  },
});

/** Run the CLI; returns the exit code (2 usage/setup errors, 1 no final decision or failure). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
