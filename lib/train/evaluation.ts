/**
 * The evaluation report of a trained classifier, written by the pipeline's evaluate step and
 * served per model version: test-set scores with bootstrap intervals, calibration before and
 * after temperature scaling (fitted on the validation split), slices (per class and by image
 * properties from the feature store, plus any caller grouping) with significance flags, the most
 * confident mistakes with integrated-gradients overlays, and attribution sanity checks. JSON for
 * machines, one self-contained HTML page (plotly inlined, no CDN) for people.
 */
import type * as tf from "@tensorflow/tfjs";
import { Buffer } from "node:buffer";
import {
  applyTemperature,
  type Calibration,
  calibration,
  type CiMethod,
  quantileBuckets,
  scoreClassifier,
  type Scores,
  sliceAnalysis,
  type SliceGrouping,
  type SliceReport,
  type TemperatureFit,
} from "../evaluate/mod.ts";
import {
  cascadingRandomisation,
  deletionInsertion,
  explain,
  EXPLAIN_METHODS,
  type ExplainMethod,
  overlayPng,
  PIXELS,
  randomisationChart,
  type RandomisationStep,
  Scorer,
} from "../explain/mod.ts";
import type { Signature } from "../models/mod.ts";
import {
  barChart,
  escapeHtml,
  heatmap,
  type PlotlyFigure,
  renderHtmlPage,
  type ReportSection,
} from "../report/mod.ts";

/** Tracking artifact names of the report. */
export const EVALUATION_JSON = "evaluation.json";
export const EVALUATION_HTML = "evaluation.html";

/** Image-property columns of the feature store that slices are bucketed by. */
export const SLICE_FEATURES = ["mean_intensity", "ink_ratio", "bbox_area", "symmetry_h"] as const;

/** One of the most confident mistakes, with its attribution overlay. */
export interface MistakeEntry {
  index: number;
  label: number;
  predicted: number;
  confidence: number;
  /** PNG (base64) of the image with the integrated-gradients map for the predicted class. */
  overlayPng: string;
}

/** Sanity-check figures of one attribution method. */
export interface MethodSanity {
  method: ExplainMethod;
  /** Milliseconds per image on this machine (the report's batch). */
  msPerImage: number;
  randomisation: RandomisationStep[];
  deletionAuc: number;
  insertionAuc: number;
  randomDeletionAuc: number;
  randomInsertionAuc: number;
  /** Integrated gradients: mean |Σ attribution − Δlogit| / |Δlogit|. */
  completenessRelGap?: number;
}

/** The evaluation report (JSON). */
export interface EvaluationReport {
  format: "fmnist-evaluation/v1";
  createdAt: string;
  artifactSha256: string;
  datasetVersion: string;
  runId: string;
  labels: string[];
  test: Scores;
  calibration: {
    temperature: number;
    fit: TemperatureFit;
    before: Calibration;
    after: Calibration;
    /** Test log loss after scaling. */
    logLossAfter: number;
  };
  slices: SliceReport;
  mistakes: MistakeEntry[];
  sanity: { images: number; methods: MethodSanity[] };
  /**
   * The background set of GradientSHAP (here and in the explain API): evenly spaced test images,
   * `count × 784` bytes, base64.
   */
  background: { count: number; indices: number[]; images: string };
}

/** Inputs of {@link buildEvaluationReport}. */
export interface EvaluationInputs {
  model: tf.LayersModel;
  signature: Signature;
  artifactSha256: string;
  datasetVersion: string;
  runId: string;
  /** Test images (bytes, `count × 784`), labels and the model's test probabilities. */
  testImages: Uint8Array;
  testLabels: ArrayLike<number>;
  testProbs: Float32Array;
  /** The temperature fit on the validation split. */
  fit: TemperatureFit;
  /** Feature-store columns of the test images, in image order. */
  features: Record<string, ArrayLike<number>>;
  /** Extra groupings (any user column), one value per test image. */
  groupings?: SliceGrouping[];
  /** Bootstrap settings (default 1000 percentile resamples, seed 0). */
  resamples?: number;
  ciMethod?: CiMethod;
  seed?: number;
  /** Slice flag threshold (default 0.05) and family-wise alpha (default 0.05). */
  sliceThreshold?: number;
  sliceAlpha?: number;
  /** Mistakes shown (default 12) and images used by the sanity checks (default 4). */
  mistakes?: number;
  sanityImages?: number;
}

function toPixels(bytes: Uint8Array, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * PIXELS);
  indices.forEach((idx, k) => {
    for (let p = 0; p < PIXELS; p++) out[k * PIXELS + p] = bytes[idx * PIXELS + p] / 255;
  });
  return out;
}

/** Compute the evaluation report (pure apart from the model's compute). */
export async function buildEvaluationReport(inp: EvaluationInputs): Promise<EvaluationReport> {
  const classes = inp.signature.labels.length;
  const labels = inp.testLabels;
  const n = labels.length;
  const test = scoreClassifier(labels, inp.testProbs, classes, {
    resamples: inp.resamples ?? 1000,
    method: inp.ciMethod ?? "percentile",
    seed: inp.seed ?? 0,
  });
  const scaled = applyTemperature(inp.testProbs, classes, inp.fit.temperature);
  let nllAfter = 0;
  for (let i = 0; i < n; i++) {
    nllAfter -= Math.log(Math.max(1e-15, scaled[i * classes + labels[i]]));
  }
  const pred = new Int32Array(n), conf = new Float64Array(n), correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (inp.testProbs[i * classes + c] > inp.testProbs[i * classes + best]) best = c;
    }
    pred[i] = best;
    conf[i] = inp.testProbs[i * classes + best];
    correct[i] = best === labels[i] ? 1 : 0;
  }
  const groupings: SliceGrouping[] = [
    { name: "class", values: Array.from(labels, (l) => inp.signature.labels[l] ?? String(l)) },
  ];
  for (const f of SLICE_FEATURES) {
    const v = inp.features[f];
    if (v) groupings.push(quantileBuckets(f, v, 4));
  }
  groupings.push(...(inp.groupings ?? []));
  const slices = sliceAnalysis(correct, groupings, {
    threshold: inp.sliceThreshold,
    alpha: inp.sliceAlpha,
  });

  const scorer = new Scorer(inp.model, inp.signature);
  const wrong = Array.from({ length: n }, (_, i) => i).filter((i) => !correct[i])
    .sort((a, b) => conf[b] - conf[a]).slice(0, inp.mistakes ?? 12);
  const mistakes: MistakeEntry[] = [];
  if (wrong.length > 0) {
    const px = toPixels(inp.testImages, wrong);
    const ig = explain(scorer, "integrated_gradients", px, wrong.length, {
      steps: 32,
      targets: wrong.map((i) => pred[i]),
    });
    wrong.forEach((i, k) => {
      const png = overlayPng(
        px.subarray(k * PIXELS, (k + 1) * PIXELS),
        ig.maps.subarray(k * PIXELS, (k + 1) * PIXELS),
        4,
      );
      mistakes.push({
        index: i,
        label: labels[i],
        predicted: pred[i],
        confidence: conf[i],
        overlayPng: Buffer.from(png).toString("base64"),
      });
    });
  }

  // Sanity checks on the first correctly classified images of each class in turn.
  const m = inp.sanityImages ?? 4;
  const picked: number[] = [];
  for (let i = 0; i < n && picked.length < m; i++) {
    if (correct[i] && !picked.some((j) => labels[j] === labels[i])) picked.push(i);
  }
  const sx = toPixels(inp.testImages, picked);
  const bgIndices = Array.from({ length: Math.min(32, n) }, (_, k) => Math.floor((k * n) / 32));
  const background = toPixels(inp.testImages, bgIndices);
  const bgBytes = new Uint8Array(bgIndices.length * PIXELS);
  bgIndices.forEach((idx, k) =>
    bgBytes.set(inp.testImages.subarray(idx * PIXELS, (idx + 1) * PIXELS), k * PIXELS)
  );
  const methods: MethodSanity[] = [];
  const opts = { steps: 16, samples: 8, stride: 4, background };
  for (const method of EXPLAIN_METHODS) {
    if (method === "gradcam" && !hasConv(inp.model)) continue;
    const t0 = performance.now();
    const a = explain(scorer, method, sx, picked.length, opts);
    const ms = (performance.now() - t0) / picked.length;
    const f = deletionInsertion(scorer, sx, picked.length, a.maps, a.targets, { steps: 10 });
    const r = await cascadingRandomisation(
      inp.model,
      inp.signature,
      method,
      sx,
      picked.length,
      opts,
    );
    const entry: MethodSanity = {
      method,
      msPerImage: ms,
      randomisation: r,
      deletionAuc: f.deletionAuc,
      insertionAuc: f.insertionAuc,
      randomDeletionAuc: f.randomDeletionAuc,
      randomInsertionAuc: f.randomInsertionAuc,
    };
    if (a.completenessGap && a.delta) {
      let s = 0;
      for (let k = 0; k < picked.length; k++) {
        s += Math.abs(a.completenessGap[k]) / Math.max(1e-6, Math.abs(a.delta[k]));
      }
      entry.completenessRelGap = s / picked.length;
    }
    methods.push(entry);
  }

  return {
    format: "fmnist-evaluation/v1",
    createdAt: new Date().toISOString(),
    artifactSha256: inp.artifactSha256,
    datasetVersion: inp.datasetVersion,
    runId: inp.runId,
    labels: [...inp.signature.labels],
    test,
    calibration: {
      temperature: inp.fit.temperature,
      fit: inp.fit,
      before: calibration(inp.testProbs, classes, labels, test.calibration.bins.length),
      after: calibration(scaled, classes, labels, test.calibration.bins.length),
      logLossAfter: nllAfter / n,
    },
    slices,
    mistakes,
    sanity: { images: picked.length, methods },
    background: {
      count: bgIndices.length,
      indices: bgIndices,
      images: Buffer.from(bgBytes).toString("base64"),
    },
  };
}

function hasConv(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.getClassName() === "Conv2D") &&
    model.getClassName() === "Sequential";
}

const f4 = (v: number) => v.toFixed(4);
const ci = (v: { estimate: number; low: number; high: number }) =>
  `${f4(v.estimate)} [${f4(v.low)}, ${f4(v.high)}]`;

/** Reliability diagram: accuracy vs confidence per bin, before and after scaling. */
export function reliabilityChart(before: Calibration, after: Calibration): PlotlyFigure {
  const trace = (name: string, c: Calibration) => {
    const bins = c.bins.filter((b) => b.count > 0);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: `${name} (ECE ${f4(c.ece)})`,
      x: bins.map((b) => b.confidence),
      y: bins.map((b) => b.accuracy),
      text: bins.map((b) => `${b.count} images`),
    };
  };
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: "perfect",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dot" },
      },
      trace("uncalibrated", before),
      trace("temperature-scaled", after),
    ],
    layout: {
      title: { text: "Reliability diagram (test set)" },
      xaxis: { title: { text: "mean confidence in bin" }, range: [0, 1] },
      yaxis: { title: { text: "accuracy in bin" }, range: [0, 1] },
      height: 420,
    },
  };
}

/** Per-class F1 with its bootstrap interval as error bars. */
export function perClassChart(test: Scores, labels: readonly string[]): PlotlyFigure {
  return {
    data: (["precision", "recall", "f1"] as const).map((k) => ({
      type: "bar",
      name: k,
      x: test.perClass.map((c) => labels[c.classId] ?? String(c.classId)),
      y: test.perClass.map((c) => c[k].estimate),
      error_y: {
        type: "data",
        symmetric: false,
        array: test.perClass.map((c) => c[k].high - c[k].estimate),
        arrayminus: test.perClass.map((c) => c[k].estimate - c[k].low),
      },
    })),
    layout: {
      title: {
        text: `Per-class metrics with ${
          Math.round(test.bootstrap.level * 100)
        }% ${test.bootstrap.method} bootstrap CIs`,
      },
      barmode: "group",
      yaxis: { range: [0, 1.05] },
      height: 420,
    },
  };
}

/** Slice accuracies with Wilson intervals; flagged slices in red. */
export function sliceChart(slices: SliceReport): PlotlyFigure {
  const s = slices.slices;
  return {
    data: [{
      type: "bar",
      orientation: "h",
      x: s.map((r) => r.accuracy),
      y: s.map((r) => `${r.grouping}: ${r.slice}`),
      marker: { color: s.map((r) => (r.flagged ? "#d62728" : "#1f77b4")) },
      error_x: {
        type: "data",
        symmetric: false,
        array: s.map((r) => r.high - r.accuracy),
        arrayminus: s.map((r) => r.accuracy - r.low),
      },
    }],
    layout: {
      title: {
        text: `Accuracy by slice (overall ${
          f4(slices.overall)
        }; red: below by > ${slices.threshold}, Holm p < ${slices.alpha})`,
      },
      xaxis: { range: [0, 1] },
      yaxis: { autorange: "reversed", automargin: true },
      height: 120 + 18 * s.length,
      shapes: [{
        type: "line",
        x0: slices.overall,
        x1: slices.overall,
        yref: "paper",
        y0: 0,
        y1: 1,
        line: { dash: "dot" },
      }],
    },
  };
}

/** The self-contained HTML page of a report (plotly inlined). */
export function evaluationReportHtml(r: EvaluationReport, title = "Model evaluation"): string {
  const t = r.test;
  const b = t.bootstrap;
  const sections: ReportSection[] = [
    {
      title: "Test-set metrics",
      blocks: [
        {
          kind: "text",
          text:
            `${t.count} test images; ${b.resamples} ${b.method} bootstrap resamples (seed ${b.seed}), ${
              Math.round(b.level * 100)
            }% intervals. Artifact ${
              r.artifactSha256.slice(0, 12)
            }, dataset ${r.datasetVersion}, run ${r.runId.slice(0, 8)}.`,
        },
        {
          kind: "table",
          table: {
            columns: ["metric", "estimate [CI]"],
            rows: [
              ["accuracy", ci(t.accuracy)],
              ...Object.entries(t.topK).map(([k, v]) => [`top-${k} accuracy`, ci(v)]),
              ["macro precision", ci(t.macroPrecision)],
              ["macro recall", ci(t.macroRecall)],
              ["macro F1", ci(t.macroF1)],
              ["weighted F1", ci(t.weightedF1)],
              ["log loss", ci(t.logLoss)],
              ["Brier score", ci(t.brier)],
              ["ECE", ci(t.ece)],
              ["MCE", f4(t.mce)],
            ],
          },
        },
        { kind: "figure", figure: perClassChart(t, r.labels) },
        {
          kind: "figure",
          figure: heatmap({
            z: t.confusion,
            x: r.labels,
            y: r.labels,
            showValues: true,
            title: "Confusion matrix (rows: true class)",
            xTitle: "predicted",
            yTitle: "true",
          }),
        },
      ],
    },
    {
      title: "Calibration",
      blocks: [
        {
          kind: "text",
          text: `Temperature T = ${
            r.calibration.temperature.toFixed(4)
          } fitted on ${r.calibration.fit.count} validation images (NLL ${
            f4(r.calibration.fit.nllBefore)
          } → ${
            f4(r.calibration.fit.nllAfter)
          }); served probabilities are softmax(log p / T). Test ECE ${
            f4(r.calibration.before.ece)
          } → ${f4(r.calibration.after.ece)}, MCE ${f4(r.calibration.before.mce)} → ${
            f4(r.calibration.after.mce)
          }, log loss ${f4(t.logLoss.estimate)} → ${f4(r.calibration.logLossAfter)}.`,
        },
        { kind: "figure", figure: reliabilityChart(r.calibration.before, r.calibration.after) },
      ],
    },
    {
      title: "Slices",
      status: r.slices.slices.some((s) => s.flagged) ? "warn" : "ok",
      blocks: [
        {
          kind: "text",
          text: `A slice is flagged when its accuracy is below the overall ${
            f4(r.slices.overall)
          } by more than ${r.slices.threshold} and the one-sided binomial test of "accuracy ≥ overall − threshold" rejects at ${r.slices.alpha} after Holm's correction over ${
            r.slices.slices.filter((s) => !Number.isNaN(s.pAdjusted)).length
          } slices.`,
        },
        { kind: "figure", figure: sliceChart(r.slices) },
        {
          kind: "table",
          table: {
            columns: ["grouping", "slice", "n", "accuracy", "95% CI", "gap", "p (Holm)", "flagged"],
            rows: r.slices.slices.map((s) => [
              s.grouping,
              s.slice,
              s.n,
              +s.accuracy.toFixed(4),
              `[${f4(s.low)}, ${f4(s.high)}]`,
              +s.gap.toFixed(4),
              Number.isNaN(s.pAdjusted) ? null : +s.pAdjusted.toPrecision(3),
              s.flagged,
            ]),
          },
        },
      ],
    },
    {
      title: "Most confident mistakes (integrated gradients for the predicted class)",
      blocks: [{
        kind: "html",
        html: `<div style="display:flex;flex-wrap:wrap;gap:12px">${
          r.mistakes.map((m) =>
            `<figure style="margin:0;width:120px"><img alt="test image ${m.index}" width="112" height="112" src="data:image/png;base64,${m.overlayPng}"><figcaption style="font-size:12px">#${m.index}: ${
              escapeHtml(r.labels[m.label])
            } → ${escapeHtml(r.labels[m.predicted])} (${
              (m.confidence * 100).toFixed(1)
            }%)</figcaption></figure>`
          ).join("")
        }</div>`,
      }],
    },
    {
      title: "Attribution sanity checks",
      blocks: [
        {
          kind: "text",
          text:
            `${r.sanity.images} correctly classified test images. Cascading randomisation (Adebayo et al. 2018): Spearman correlation with the trained model's map as layers are re-drawn from the output down; deletion/insertion AUC of the target probability (Petsiuk et al. 2018) against a random pixel order.`,
        },
        {
          kind: "figure",
          figure: randomisationChart(
            Object.fromEntries(r.sanity.methods.map((m) => [m.method, m.randomisation])),
          ),
        },
        {
          kind: "figure",
          figure: randomisationChart(
            Object.fromEntries(r.sanity.methods.map((m) => [m.method, m.randomisation])),
            { signed: true },
          ),
        },
        {
          kind: "table",
          table: {
            columns: [
              "method",
              "ms / image",
              "rank corr. after full randomisation (|·| / signed)",
              "deletion AUC (random)",
              "insertion AUC (random)",
              "IG completeness gap",
            ],
            rows: r.sanity.methods.map((m) => {
              const last = m.randomisation.at(-1);
              return [
                m.method,
                +m.msPerImage.toFixed(1),
                last
                  ? `${last.rankCorrelation.toFixed(3)} / ${last.signedRankCorrelation.toFixed(3)}`
                  : null,
                `${f4(m.deletionAuc)} (${f4(m.randomDeletionAuc)})`,
                `${f4(m.insertionAuc)} (${f4(m.randomInsertionAuc)})`,
                m.completenessRelGap === undefined ? null : +m.completenessRelGap.toFixed(4),
              ];
            }),
          },
        },
        {
          kind: "figure",
          figure: barChart({
            categories: r.sanity.methods.map((m) => m.method),
            series: [
              { name: "deletion AUC", values: r.sanity.methods.map((m) => m.deletionAuc) },
              { name: "insertion AUC", values: r.sanity.methods.map((m) => m.insertionAuc) },
            ],
            title: "Faithfulness (deletion: lower is better; insertion: higher is better)",
          }),
        },
      ],
    },
  ];
  return renderHtmlPage(title, sections, { generatedAt: new Date(r.createdAt) });
}
