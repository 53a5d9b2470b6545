/**
 * The statistical report of an A/B experiment as report sections (for notebooks) and as one
 * self-contained HTML page (for `GET /v1/experiments/ab/{name}/report`): design, sample sizes,
 * SRM check, effect with confidence intervals, the sequential boundary over time, guardrails and
 * the decision.
 */
import { lineChart, type PlotlyFigure, renderHtmlPage, type ReportSection } from "../report/mod.ts";
import type { AbAnalysis, ArmComparison } from "./analysis.ts";

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toPrecision(digits));
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? null : `${(100 * x).toFixed(2)}%`;
const interval = (ci: [number, number] | null | undefined) =>
  ci ? `[${(100 * ci[0]).toFixed(2)}, ${(100 * ci[1]).toFixed(2)}] points` : null;

/** z statistic over the looks against the mSPRT boundary and the fixed 1.96 line. */
export function boundaryChart(c: ArmComparison): PlotlyFigure | null {
  const pts = c.path.filter((p) => Number.isFinite(p.boundary) && Number.isFinite(p.z));
  if (pts.length === 0) return null;
  const x = pts.map((p) => p.n1 + p.n2);
  return lineChart({
    title: `${c.arm} vs ${c.vs}: z statistic and the always-valid boundary`,
    xTitle: "feedback observations (both arms)",
    yTitle: "z",
    height: 380,
    series: [
      { name: "z (treatment − control)", x, y: pts.map((p) => p.z) },
      { name: "mSPRT boundary", x, y: pts.map((p) => p.boundary) },
      { name: "−boundary", x, y: pts.map((p) => -p.boundary) },
      { name: "fixed-horizon ±1.96 (valid only once)", x, y: pts.map(() => 1.96) },
    ],
  });
}

/** Estimated difference over the looks with the always-valid confidence interval. */
export function effectChart(c: ArmComparison): PlotlyFigure | null {
  const pts = c.path.filter((p) => p.ci[1] - p.ci[0] < 2);
  if (pts.length === 0) return null;
  const x = pts.map((p) => p.n1 + p.n2);
  return lineChart({
    title: `${c.arm} − ${c.vs}: accuracy difference with its always-valid interval`,
    xTitle: "feedback observations (both arms)",
    yTitle: "difference",
    height: 340,
    series: [
      { name: "difference", x, y: pts.map((p) => p.diff) },
      { name: "interval low", x, y: pts.map((p) => p.ci[0]) },
      { name: "interval high", x, y: pts.map((p) => p.ci[1]) },
    ],
  });
}

/** The report's sections. */
export function experimentReportSections(a: AbAnalysis): ReportSection[] {
  const e = a.experiment;
  const d = a.design;
  const sections: ReportSection[] = [];
  sections.push({
    title: "Design",
    blocks: [
      {
        kind: "text",
        text: e
          ? `Model ${a.model}: ${e.arms.length} arms, sticky assignment by client key (salt ` +
            `${e.salt.slice(0, 8)}…), ${e.enabled ? "running" : "stopped"}, started ` +
            `${e.startedAt}. Primary metric: accuracy of the predictions clients sent feedback ` +
            `for. Sequential test: mSPRT (Johari, Pekelis & Walsh 2017) with normal mixing ` +
            `τ = ${d.tau}, α = ${d.alpha} split over the treatment arms, no stop before ` +
            `${d.minSamples} observations per arm.`
          : `Model ${a.model} has no experiment configured; the A/B traffic logged is analyzed.`,
      },
      {
        kind: "table",
        table: {
          columns: ["arm", "serves", "weight"],
          rows: (e?.arms ?? []).map((x) => [
            x.name,
            x.version !== undefined ? `version ${x.version}` : `alias ${x.alias}`,
            x.weight,
          ]),
        },
      },
      {
        kind: "table",
        table: {
          columns: ["setting", "value"],
          rows: [
            ["alpha", d.alpha],
            ["mixing τ", d.tau],
            ["min observations per arm", d.minSamples],
            ["planned horizon per arm", d.maxSamplesPerArm ?? "none (run until the test stops)"],
            ["minimum detectable effect", d.mde ?? null],
            [
              "fixed-horizon size for the MDE (power 0.8)",
              a.plan ? `${a.plan.n1} + ${a.plan.n2}` : null,
            ],
            ["SRM threshold", d.srmThreshold],
            [
              "guardrail: p99 latency",
              `≤ ${d.guardrails.latencyP99Ratio}× control + ${d.guardrails.latencyP99SlackMs} ms`,
            ],
            ["guardrail: error rate", `≤ control + ${d.guardrails.errorRateIncrease}`],
            ["automatic decision", d.autoDecide],
          ],
        },
      },
    ],
  });
  sections.push({
    title: "Sample sizes",
    blocks: [{
      kind: "table",
      table: {
        columns: ["arm", "versions", "units", "predictions", "feedback", "correct", "accuracy"],
        rows: a.summary.arms.map((x) => [
          x.arm,
          x.versions.join(", "),
          a.units.find((u) => u.arm === x.arm)?.units ?? 0,
          x.predictions,
          x.feedback,
          x.correct,
          pct(x.accuracy),
        ]),
      },
    }],
  });
  sections.push({
    title: "Sample-ratio mismatch",
    status: a.srm ? (a.srm.mismatch ? "fail" : "ok") : undefined,
    blocks: a.srm
      ? [
        {
          kind: "text",
          text: `χ² = ${num(a.srm.chi2)} on ${a.srm.df} df, p = ${
            num(a.srm.pValue)
          } (threshold ${a.srm.threshold}): ${
            a.srm.mismatch ? "the split is broken; no decision" : "the split matches the weights"
          }.`,
        },
        {
          kind: "table",
          table: {
            columns: ["arm", "share", "expected units", "observed units"],
            rows: a.srm.arms.map((x) => [x.arm, pct(x.share), num(x.expected), x.observed]),
          },
        },
      ]
      : [{ kind: "text", text: "No traffic yet." }],
  });
  const effectRows = a.comparisons.map((c) => [
    `${c.arm} vs ${c.vs}`,
    c.status.replaceAll("_", " "),
    pct(c.sequential?.diff ?? c.fixed?.diff ?? null),
    interval(c.sequential?.ci),
    num(c.sequential?.pValue),
    c.sequential?.stoppedAt ? `${c.sequential.stoppedAt.n1} / ${c.sequential.stoppedAt.n2}` : null,
    interval(c.fixed?.ci),
    num(c.fixed?.pValue ?? null),
  ]);
  const effectBlocks: ReportSection["blocks"][number][] = [{
    kind: "table",
    table: {
      columns: [
        "comparison",
        "status",
        "difference",
        "always-valid CI",
        "always-valid p",
        "stopped at (n treatment / control)",
        "fixed-horizon 95% CI",
        "fixed-horizon p (read once)",
      ],
      rows: effectRows,
    },
  }];
  for (const c of a.comparisons) {
    const b = boundaryChart(c);
    if (b) effectBlocks.push({ kind: "figure", figure: b });
    const f = effectChart(c);
    if (f) effectBlocks.push({ kind: "figure", figure: f });
  }
  if (a.comparisons.length === 0) {
    effectBlocks.push({ kind: "text", text: "No treatment arm has feedback yet." });
  }
  sections.push({ title: "Effect and sequential test", blocks: effectBlocks });
  const breached = a.comparisons.some((c) => c.guardrails.some((g) => g.ok === false));
  sections.push({
    title: "Guardrails",
    status: a.comparisons.length ? (breached ? "warn" : "ok") : undefined,
    blocks: [
      {
        kind: "table",
        table: {
          columns: ["arm", "requests", "errors", "error rate", "p50 latency ms", "p99 latency ms"],
          rows: a.guardrails.map((g) => [
            g.arm,
            g.requests,
            g.errors,
            pct(g.errorRate),
            num(g.latencyP50Ms),
            num(g.latencyP99Ms),
          ]),
        },
      },
      {
        kind: "table",
        table: {
          columns: ["arm", "metric", "value", "control", "limit", "holds"],
          rows: a.comparisons.flatMap((c) =>
            c.guardrails.map((g) => [
              g.arm,
              g.metric,
              num(g.value),
              num(g.control),
              num(g.limit),
              g.ok === null ? "unknown" : g.ok,
            ])
          ),
        },
      },
    ],
  });
  sections.push({
    title: "Decision",
    status: a.decision.action === "blocked" ? "fail" : a.decision.final ? "ok" : "warn",
    blocks: [{
      kind: "text",
      text: `${a.decision.action.replaceAll("_", " ")}${
        a.decision.winner ? ` (winner: ${a.decision.winner})` : ""
      }: ${a.decision.reason}.${e && !e.enabled && e.reason ? ` Recorded: ${e.reason}.` : ""}`,
    }],
  });
  return sections;
}

/** The report as one self-contained HTML page (plotly.js inlined). */
export function experimentReportHtml(a: AbAnalysis, generatedAt = new Date()): string {
  return renderHtmlPage(`A/B experiment report: ${a.model}`, experimentReportSections(a), {
    generatedAt,
  });
}

/** How a run of an experiment went (`deno task experiment:run`): its traffic and its outcome. */
export interface ExperimentRunFacts {
  seed: number;
  /** Concurrent Locust users, the client keys they act for, their think time (ms). */
  users: number;
  clients: number;
  thinkMs: [number, number];
  /** Test images the users drew from. */
  images: number;
  /** From the users' start until they were stopped. */
  durationMs: number;
  /** When the decision was first read final (null: never). */
  decidedAtMs: number | null;
  stoppedBy: string;
  /** Reads of the analysis while the users ran. */
  looks: number;
  /** Requests Locust sent (predict + feedback) and how many failed. */
  requests: number;
  failures: number;
  /** The registry gate's decisions (audit event ids). */
  gates: { arm: string; challenger: number; outcome: string; eventId: number }[];
}

/** The run section: traffic, duration, samples per arm and the recorded gate decisions. */
export function experimentRunSection(a: AbAnalysis, run: ExperimentRunFacts): ReportSection {
  const s = (ms: number | null) => ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`;
  return {
    title: "Run",
    status: run.failures > 0 || run.gates.length === 0 ? "warn" : "ok",
    blocks: [
      {
        kind: "text",
        text: `${run.users} Locust users (seed ${run.seed}) acting for ${run.clients} client ` +
          `keys predicted images drawn from ${run.images} Fashion-MNIST test images (think time ` +
          `${run.thinkMs[0]}–` +
          `${run.thinkMs[1]} ms) and reported the true labels; ${run.requests} requests, ` +
          `${run.failures} failed. The analysis was read ${run.looks} times; the decision was ` +
          `final after ${s(run.decidedAtMs)}; the users were stopped (${
            run.stoppedBy.replaceAll("_", " ")
          }) after ${s(run.durationMs)}. ${
            run.gates.length
              ? `Registry gate: ${
                run.gates.map((g) =>
                  `${g.arm} (version ${g.challenger}) ${g.outcome.replaceAll("_", " ")} ` +
                  `(audit event ${g.eventId})`
                ).join("; ")
              }.`
              : "Nothing was recorded in the registry (the decision was not final)."
          }`,
      },
      {
        kind: "table",
        table: {
          columns: ["arm", "versions", "predictions", "samples (feedback)", "accuracy"],
          rows: a.summary.arms.map((x) => [
            x.arm,
            x.versions.join(", "),
            x.predictions,
            x.feedback,
            pct(x.accuracy),
          ]),
        },
      },
    ],
  };
}

/** The experiment report of a run: the run section, then {@link experimentReportSections}. */
export function experimentRunReportHtml(
  a: AbAnalysis,
  run: ExperimentRunFacts,
  generatedAt = new Date(),
): string {
  return renderHtmlPage(
    `A/B experiment report: ${a.model}`,
    [experimentRunSection(a, run), ...experimentReportSections(a)],
    { generatedAt },
  );
}
