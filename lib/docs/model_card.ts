/**
 * Model cards (Mitchell et al. 2019, "Model Cards for Model Reporting") generated for a registered
 * version from what the workspace recorded: the registry entry and its audit log, the tracking run
 * (params, lineage), its evaluation report (`evaluation.json`) and the drift reference profile.
 * Missing evidence is stated as missing, never invented.
 */
import { z } from "zod";
import { loadProfile } from "../drift/mod.ts";
import { getModelVersion, listEvents, type RegistryEvent } from "../registry/mod.ts";
import {
  getRun,
  loadArtifact,
  type RunDetail,
  type TrackingContext,
  TrackingInputError,
} from "../tracking/mod.ts";
import type { ModelVersion } from "../registry/mod.ts";

const interval = z.object({ estimate: z.number(), low: z.number(), high: z.number() });

/** The part of an evaluation report (`fmnist-evaluation/v1`) a model card shows. */
export const cardEvaluationSchema = z.object({
  format: z.literal("fmnist-evaluation/v1"),
  createdAt: z.string(),
  datasetVersion: z.string(),
  labels: z.array(z.string()),
  test: z.object({
    count: z.number().int(),
    bootstrap: z.record(z.string(), z.unknown()),
    accuracy: interval,
    macroF1: interval,
    weightedF1: interval,
    logLoss: interval,
    brier: interval,
    ece: interval,
    topK: z.record(z.string(), interval),
    perClass: z.array(z.object({
      classId: z.number().int(),
      support: z.number().int(),
      precision: interval,
      recall: interval,
      f1: interval,
    })),
  }),
  calibration: z.object({
    temperature: z.number(),
    before: z.object({ ece: z.number(), mce: z.number() }),
    after: z.object({ ece: z.number(), mce: z.number() }),
    logLossAfter: z.number(),
  }),
  slices: z.object({
    overall: z.number(),
    threshold: z.number(),
    alpha: z.number(),
    slices: z.array(z.object({
      grouping: z.string(),
      slice: z.string(),
      n: z.number().int(),
      accuracy: z.number(),
      low: z.number(),
      high: z.number(),
      pAdjusted: z.number(),
      flagged: z.boolean().optional(),
    })),
  }),
  mistakes: z.array(z.object({
    index: z.number().int(),
    label: z.number().int(),
    predicted: z.number().int(),
    confidence: z.number(),
    overlayPng: z.string(),
  })),
  sanity: z.object({
    methods: z.array(z.object({
      method: z.string(),
      deletionAuc: z.number(),
      randomDeletionAuc: z.number(),
    })),
  }),
});
/** The part of an evaluation report a model card shows. */
export type CardEvaluation = z.infer<typeof cardEvaluationSchema>;

/** What a card is made from. */
export interface ModelCardData {
  version: ModelVersion;
  run: RunDetail | null;
  evaluation: CardEvaluation | null;
  /** Why the evaluation report is missing (no run, no artifact, unreadable). */
  evaluationMissing: string | null;
  drift: { source: string; referenceCount: number; createdAt: string; features: number } | null;
  events: RegistryEvent[];
}

/** Gather the evidence of `name` v`version` (@throws RegistryNotFoundError when unknown). */
export async function collectModelCard(
  ctx: TrackingContext,
  name: string,
  version: number,
): Promise<ModelCardData> {
  const v = await getModelVersion(ctx, name, version);
  let run: RunDetail | null = null;
  let evaluation: CardEvaluation | null = null;
  let evaluationMissing: string | null = null;
  if (v.runId) {
    run = await getRun(ctx, v.runId);
    try {
      const bytes = await loadArtifact(ctx, v.runId, "evaluation.json");
      const parsed = cardEvaluationSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      if (parsed.success) evaluation = parsed.data;
      else evaluationMissing = `evaluation.json of run ${v.runId} is not a readable report`;
    } catch (err) {
      if (!(err instanceof TrackingInputError)) throw err;
      evaluationMissing = `run ${v.runId} logged no evaluation.json`;
    }
  } else {
    evaluationMissing = "the version has no tracking run";
  }
  const profile = await loadProfile(ctx, name, version);
  const events = (await listEvents(ctx, name)).filter((e) =>
    e.toVersion === version || e.fromVersion === version
  );
  return {
    version: v,
    run,
    evaluation,
    evaluationMissing,
    drift: profile
      ? {
        source: profile.source,
        referenceCount: profile.referenceCount,
        createdAt: profile.createdAt,
        features: profile.featureNames.length,
      }
      : null,
    events,
  };
}

const f = (x: number, d = 4) => x.toFixed(d);
const ci = (i: z.infer<typeof interval>) => `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]`;
const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ").replace(/</g, "&lt;");
const short = (s: string | null | undefined, n = 12) => (s ? s.slice(0, n) : "not recorded");

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
}

function eventLine(e: RegistryEvent): string {
  const what = e.kind === "register"
    ? `registered v${e.toVersion}`
    : e.kind === "alias_set"
    ? `alias \`${e.alias}\` → v${e.toVersion}${e.fromVersion ? ` (was v${e.fromVersion})` : ""}`
    : e.kind === "alias_removed"
    ? `alias \`${e.alias}\` removed from v${e.fromVersion}`
    : `gate: v${e.toVersion} vs champion v${e.fromVersion ?? "none"}`;
  const evidence = e.kind === "gate" && e.details
    ? ` — evidence \`${JSON.stringify(e.details)}\``
    : "";
  return `- ${e.at} — ${what} by ${e.actor}${e.reason ? `: ${e.reason}` : ""}${evidence}`;
}

/** The model card of a version as Markdown (sections of Mitchell et al. 2019). */
export function modelCardMarkdown(d: ModelCardData): string {
  const v = d.version;
  const lineage = d.run?.lineage;
  const ev = d.evaluation;
  const labels = ev?.labels ?? [];
  const out: string[] = [
    `# Model card: ${v.model} v${v.version}`,
    "",
    `<!-- generated from the registry, the tracking run and its evaluation report -->`,
    "",
    "## Model details",
    "",
    ...table(["field", "value"], [
      ["model", `${v.model} v${v.version}`],
      ["aliases", v.aliases.join(", ") || "none"],
      ["registered", `${v.createdAt} by ${v.createdBy}`],
      ["artifact sha256", v.sha256],
      ["size", `${v.size} bytes`],
      ["ONNX export", v.onnxSha256 ? `sha256 ${v.onnxSha256}` : "not exported"],
      ["experiment / run", d.run ? `${d.run.experiment} / ${d.run.id}` : "no tracking run"],
      ["type", "image classifier (28×28 grayscale, 10 Fashion-MNIST classes)"],
    ]),
    "",
    "## Intended use",
    "",
    "Classifying 28×28 grayscale images of single clothing items, centred on a dark background as in",
    "Fashion-MNIST, into its 10 classes — for teaching, benchmarking and demonstrating an ML",
    "lifecycle. Out of scope: photographs of people, several items per image, any decision about a",
    "person, and inputs unlike the training distribution (the drift detector flags those).",
    "",
    "## Training data",
    "",
    `Fashion-MNIST (Zalando Research, MIT licence), dataset version \`${
      short(v.datasetVersion ?? lineage?.datasetVersion, 64)
    }\`; the seeded stratified train/validation split of the feature store.`,
    "",
    "## Evaluation data",
    "",
    ev
      ? `The Fashion-MNIST test split (${ev.test.count} images, dataset version \`${
        short(ev.datasetVersion, 64)
      }\`), report of ${ev.createdAt}.`
      : `No evaluation report: ${d.evaluationMissing}.`,
    "",
    "## Metrics",
    "",
  ];
  if (ev) {
    out.push(
      `Bootstrap confidence intervals (${
        Object.entries(ev.test.bootstrap).map(([k, x]) => `${k} ${String(x)}`).join(", ")
      }).`,
      "",
      ...table(["metric", "estimate [CI]"], [
        ["accuracy", ci(ev.test.accuracy)],
        ["macro F1", ci(ev.test.macroF1)],
        ["weighted F1", ci(ev.test.weightedF1)],
        ...Object.entries(ev.test.topK).map(([k, x]) => [`top-${k} accuracy`, ci(x)]),
        ["log loss", ci(ev.test.logLoss)],
        ["Brier", ci(ev.test.brier)],
        ["ECE", ci(ev.test.ece)],
      ]),
      "",
    );
  } else {
    const m = Object.entries(v.metrics);
    out.push(
      m.length
        ? "Metrics recorded at registration (no intervals without an evaluation report):"
        : "No metrics were recorded at registration.",
      "",
      ...(m.length
        ? table(["metric", "value"], m.map(([k, x]) => [k, x === null ? "—" : f(x)]))
        : []),
      "",
    );
  }
  out.push("## Per-class and per-slice results", "");
  if (ev) {
    out.push(
      ...table(
        ["class", "support", "precision", "recall", "F1"],
        ev.test.perClass.map((c) => [
          labels[c.classId] ?? String(c.classId),
          String(c.support),
          ci(c.precision),
          ci(c.recall),
          ci(c.f1),
        ]),
      ),
      "",
    );
    const flagged = ev.slices.slices.filter((s) => s.flagged ?? (s.pAdjusted < ev.slices.alpha));
    out.push(
      `${ev.slices.slices.length} slices tested (gap threshold ${ev.slices.threshold}, Holm ` +
        `α ${ev.slices.alpha}); ${flagged.length} flagged as under-performing:`,
      "",
      ...(flagged.length
        ? table(
          ["grouping", "slice", "n", "accuracy [Wilson CI]", "p (Holm)"],
          flagged.map((s) => [
            s.grouping,
            s.slice,
            String(s.n),
            `${f(s.accuracy)} [${f(s.low)}, ${f(s.high)}]`,
            s.pAdjusted.toExponential(2),
          ]),
        )
        : ["No slice is flagged."]),
      "",
    );
  } else out.push("Not available without an evaluation report.", "");
  out.push("## Calibration", "");
  out.push(
    ev
      ? `Temperature ${
        f(ev.calibration.temperature)
      } (fitted on the validation split, applied by ` +
        `serving). ECE ${f(ev.calibration.before.ece)} before, ${
          f(ev.calibration.after.ece)
        } after scaling; MCE ${f(ev.calibration.before.mce)} → ${
          f(ev.calibration.after.mce)
        }; test log loss after scaling ${f(ev.calibration.logLossAfter)}.`
      : "Not available without an evaluation report.",
    "",
    "## Explainability examples",
    "",
  );
  if (ev && ev.mistakes.length) {
    out.push(
      "The most confident test mistakes with their integrated-gradients overlays:",
      "",
      ...ev.mistakes.slice(0, 4).map((m) =>
        `- test image ${m.index}: ${labels[m.label] ?? m.label} predicted as ${
          labels[m.predicted] ?? m.predicted
        } (${f(m.confidence, 3)})<br><img alt="integrated gradients, test image ${m.index}" ` +
        `width="112" src="data:image/png;base64,${m.overlayPng}">`
      ),
      "",
      ...table(
        ["method", "deletion AUC", "random deletion AUC"],
        ev.sanity.methods.map((s) => [s.method, f(s.deletionAuc), f(s.randomDeletionAuc)]),
      ),
      "",
    );
  } else out.push("Not available without an evaluation report.", "");
  out.push(
    "## Drift reference",
    "",
    d.drift
      ? `Reference profile of ${d.drift.createdAt} (${d.drift.source}; ${d.drift.referenceCount} ` +
        `reference images): ${d.drift.features} image features, softmax outputs and PCA ` +
        "embeddings; " +
        "`deno task drift` and the live detector test new inputs against it."
      : "No drift reference profile is stored for this version.",
    "",
    "## Ethical considerations and limitations",
    "",
    "- Trained on centred, low-resolution product images of one catalogue: accuracy on real photos,",
    "  other catalogues or other image pipelines is unknown and expected to be lower.",
    "- Classes with similar shapes (shirt, T-shirt/top, pullover, coat) are confused most; the",
    "  per-class table above shows by how much.",
    "- The data contain no people and no personal data; the model must not be used to make",
    "  decisions about people.",
    "- Confidence is calibrated on the test distribution only; under drift it is not reliable.",
    "",
    "## Lineage",
    "",
    ...table(["field", "value"], [
      [
        "code commit",
        lineage?.gitCommit
          ? `${lineage.gitCommit}${lineage.gitDirty ? " (uncommitted changes)" : ""}`
          : "not recorded",
      ],
      [
        "seed",
        lineage?.seed === null || lineage?.seed === undefined
          ? "not recorded"
          : String(lineage.seed),
      ],
      [
        "engine",
        lineage?.engine
          ? `${lineage.engine.name}${lineage.engine.backend ? ` (${lineage.engine.backend})` : ""}${
            lineage.engine.versions
              ? " " +
                Object.entries(lineage.engine.versions).map(([k, x]) => `${k} ${x}`).join(", ")
              : ""
          }`
          : "not recorded",
      ],
      ["config", lineage?.config ? `\`${JSON.stringify(lineage.config)}\`` : "not recorded"],
      ["params", d.run ? `\`${JSON.stringify(d.run.params)}\`` : "not recorded"],
    ]),
    "",
    "## Registry history",
    "",
    ...(d.events.length ? d.events.map(eventLine) : ["No registry events."]),
    "",
  );
  return out.join("\n");
}
