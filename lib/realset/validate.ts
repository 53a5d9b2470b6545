/**
 * Validation of a registered model version on a folder of real images (`validate:real`): the
 * service's preprocessing and its served probabilities (logits ÷ the version's temperature), then
 * accuracy with bootstrap intervals over images and over drawings (cluster bootstrap), per-class
 * scores and the confusion matrix, calibration, accuracy by source, the most confident failures
 * with the 28×28 the model saw and its integrated-gradients overlay, and drift statistics of the
 * set against the version's training reference profile.
 */
import * as tf from "@tensorflow/tfjs";
import { Buffer } from "node:buffer";
import { join } from "node:path";
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import { LABEL_NAMES } from "../data/mod.ts";
import {
  detectDrift,
  DriftInputError,
  type DriftReport,
  ensureProfile,
  loadDriftModel,
  viewBatch,
} from "../drift/mod.ts";
import {
  bootstrap,
  type Interval,
  scoreClassifier,
  type Scores,
  sliceAnalysis,
  type SliceReport,
} from "../evaluate/mod.ts";
import { explain, overlayPng, PIXELS, Scorer } from "../explain/mod.ts";
import type { PreprocessOptions } from "../inference/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { escapeHtml, heatmap, renderHtmlPage, type ReportSection } from "../report/mod.ts";
import { perClassChart, reliabilityChart } from "../train/mod.ts";
import { type LabelledImages, readLabelledImages, RealInputError } from "./images.ts";
import { type RealSplit, splitDrawings } from "./split.ts";

/** Options of {@link validateReal}. */
export interface ValidateRealOptions {
  model: string;
  /** Version number, alias or `latest`. */
  ref: number | string;
  imagesDir: string;
  /** CSV of labels; without it labels come from file names. */
  labelsCsv?: string;
  /** Report folder. */
  outDir: string;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  seed?: number;
  /** Failures shown in the gallery (default 24). */
  failures?: number;
  /** Skip the drift statistics. */
  noDrift?: boolean;
  /** Preprocessing options (default: the service's). */
  preprocess?: PreprocessOptions;
  /** Most reference images when the version's drift profile must be computed (10,000). */
  maxReference?: number;
  /** Test-time augmentation (default: none); see {@link TtaOptions}. */
  tta?: TtaOptions;
}

/**
 * Test-time augmentation: the probabilities of each image averaged over variants of its
 * preprocessed input — the object's longer side at each of `fits` (default: the preprocessing's
 * own) and each of those moved by up to `shift` pixels along x or y (1: the image and its four
 * 1-px shifts).
 */
export interface TtaOptions {
  fits?: number[];
  shift?: number;
}

/** The image offsets of a TTA shift radius: (0, 0), then ±1…±r along x and along y. */
export function ttaShifts(radius: number): [number, number][] {
  if (!Number.isInteger(radius) || radius < 0 || radius > 4) {
    throw new RangeError(`the TTA shift must be an integer in 0..4, got ${radius}`);
  }
  const out: [number, number][] = [[0, 0]];
  for (let d = 1; d <= radius; d++) out.push([d, 0], [-d, 0], [0, d], [0, -d]);
  return out;
}

/** `count` packed 28×28 images moved by (dx, dy) pixels, zeros shifted in. */
export function shiftImages(pixels: Float32Array, count: number, dx: number, dy: number) {
  const out = new Float32Array(count * PIXELS);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < 28; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= 28) continue;
      for (let x = 0; x < 28; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < 28) out[i * PIXELS + y * 28 + x] = pixels[i * PIXELS + sy * 28 + sx];
      }
    }
  }
  return out;
}

/** One failure of the gallery. */
export interface FailureEntry {
  file: string;
  label: number;
  predicted: number;
  confidence: number;
  /** PNG (base64) of the 28×28 input the model saw, 4× enlarged. */
  inputPng: string;
  /** PNG (base64) of the input with the integrated-gradients map for the predicted class. */
  overlayPng: string;
}

/** The validation report (`real.json`). */
export interface RealValidationReport {
  model: string;
  version: number;
  imagesDir: string;
  labels: readonly string[];
  temperature: number;
  /** Preprocessing options used (empty: the service's defaults). */
  preprocess: PreprocessOptions;
  /** Test-time augmentation used (null: none). */
  tta: { fits: number[]; shifts: [number, number][] } | null;
  count: number;
  groups: number;
  skipped: LabelledImages["skipped"];
  /** Scores of the served (temperature-scaled) probabilities, intervals over images. */
  scores: Scores;
  /** Accuracy with a cluster bootstrap over drawings (groups). */
  groupAccuracy: Interval;
  /**
   * Accuracy on each half of the drawings (`split.ts`: by drawing, stratified by class, fixed
   * seed), cluster bootstrap over drawings: choose preprocessing on `dev`, report `holdout`.
   */
  splits: {
    split: RealSplit;
    count: number;
    groups: number;
    correct: number;
    accuracy: Interval | null;
  }[];
  /** Calibration of the raw softmax (before temperature). */
  calibrationRaw: Scores["calibration"];
  /** Accuracy by class and by source package, Holm-corrected flags. */
  slices: SliceReport;
  failures: FailureEntry[];
  /** Drift of this set against the version's reference profile, or why it was not tested. */
  drift: DriftReport | { skipped: string };
  /** Predicted class and confidence per file. */
  predictions: {
    file: string;
    label: number;
    predicted: number;
    confidence: number;
    split: RealSplit;
  }[];
}

/** What {@link validateReal} returns. */
export interface ValidateRealResult {
  report: RealValidationReport;
  jsonPath: string;
  htmlPath: string;
}

function png28(pixels: Float32Array, scale = 4): string {
  const side = 28 * scale;
  const png = new PNG({ width: side, height: side });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = Math.round(
        255 * Math.min(1, Math.max(0, pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)])),
      );
      const o = (y * side + x) * 4;
      png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
      png.data[o + 3] = 255;
    }
  }
  return Buffer.from(PNG.sync.write(png)).toString("base64");
}

/** Logits of `scorer` over packed pixels in batches; no tensor outlives the call. */
function logitsOf(scorer: Scorer, pixels: Float32Array, count: number, batch = 128) {
  const out = new Float32Array(count * scorer.classes);
  for (let s = 0; s < count; s += batch) {
    const e = Math.min(count, s + batch);
    const t = tf.tidy(() =>
      scorer.logits(tf.tensor2d(pixels.subarray(s * PIXELS, e * PIXELS), [e - s, PIXELS]))
    );
    out.set(t.dataSync(), s * scorer.classes);
    t.dispose();
  }
  return out;
}

/** Row-wise softmax of `logits / t`. */
export function softmaxRows(logits: Float32Array, classes: number, t = 1): Float32Array {
  const p = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += classes) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[i + c] / t);
    let z = 0;
    for (let c = 0; c < classes; c++) z += p[i + c] = Math.exp(logits[i + c] / t - m);
    for (let c = 0; c < classes; c++) p[i + c] /= z;
  }
  return p;
}

/**
 * Accuracy with a cluster bootstrap: drawings (groups) are resampled whole, so near-duplicate
 * renderings of one drawing do not narrow the interval.
 */
export function clusterAccuracy(
  correct: ArrayLike<number>,
  groups: readonly string[],
  opts: { resamples?: number; seed?: number } = {},
): { interval: Interval; groups: number } {
  const index = new Map<string, number>();
  const hits: number[] = [], sizes: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    let g = index.get(groups[i]);
    if (g === undefined) {
      g = index.size;
      index.set(groups[i], g);
      hits.push(0);
      sizes.push(0);
    }
    hits[g] += correct[i];
    sizes[g]++;
  }
  const { intervals } = bootstrap(hits.length, (w) => {
    let h = 0, n = 0;
    for (let g = 0; g < w.length; g++) {
      h += w[g] * hits[g];
      n += w[g] * sizes[g];
    }
    return [n > 0 ? h / n : 0];
  }, { resamples: opts.resamples ?? 1000, seed: opts.seed ?? 0 });
  return { interval: intervals[0], groups: hits.length };
}

/** Validate a version on a folder of real images; see the module doc. */
export async function validateReal(ctx: Ctx, o: ValidateRealOptions): Promise<ValidateRealResult> {
  const set = await readLabelledImages(o.imagesDir, o.labelsCsv, o.preprocess);
  const m = await loadDriftModel(ctx, o.model, o.ref);
  try {
    const classes = m.signature.labels.length;
    const t = m.signature.temperature ?? 1;
    const n = set.files.length;
    const scorer = new Scorer(m.model, m.signature);
    // Served (÷ T) and raw probabilities, averaged over the TTA variants (one without TTA).
    const baseFit = o.preprocess?.fit ?? 28;
    const fits = o.tta?.fits?.length ? o.tta.fits : [baseFit];
    const shifts = ttaShifts(o.tta?.shift ?? 0);
    const probs = new Float32Array(n * classes), raw = new Float32Array(n * classes);
    for (const fit of fits) {
      const v = fit === baseFit
        ? set
        : await readLabelledImages(o.imagesDir, o.labelsCsv, { ...o.preprocess, fit });
      if (v.files.length !== n || v.files.some((f, i) => f !== set.files[i])) {
        throw new RealInputError(`TTA at fit ${fit} read other files than the preprocessing`);
      }
      for (const [dx, dy] of shifts) {
        const px = dx || dy ? shiftImages(v.pixels, n, dx, dy) : v.pixels;
        const logits = logitsOf(scorer, px, n);
        const p = softmaxRows(logits, classes, t), r = softmaxRows(logits, classes, 1);
        for (let k = 0; k < p.length; k++) {
          probs[k] += p[k];
          raw[k] += r[k];
        }
      }
    }
    const variants = fits.length * shifts.length;
    for (let k = 0; k < probs.length; k++) {
      probs[k] /= variants;
      raw[k] /= variants;
    }
    const opts = { resamples: o.resamples ?? 1000, seed: o.seed ?? 0 };
    const scores = scoreClassifier(set.labels, probs, classes, opts);
    const rawScores = scoreClassifier(set.labels, raw, classes, { ...opts, resamples: 10 });
    const pred = new Int32Array(n), conf = new Float64Array(n), correct = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let b = 0;
      for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + b]) b = c;
      pred[i] = b;
      conf[i] = probs[i * classes + b];
      correct[i] = b === set.labels[i] ? 1 : 0;
    }
    const cluster = clusterAccuracy(correct, set.groups, opts);
    const halves = splitDrawings(set.groups, set.labels);
    const splitOf = set.groups.map((g) => halves.get(g)!);
    const splits = (["dev", "holdout"] as const).map((split) => {
      const idx = splitOf.flatMap((h, i) => h === split ? [i] : []);
      const hits = idx.map((i) => correct[i]);
      const r = idx.length
        ? clusterAccuracy(hits, idx.map((i) => set.groups[i]), opts)
        : { interval: null, groups: 0 };
      return {
        split,
        count: idx.length,
        groups: r.groups,
        correct: hits.reduce((a, b) => a + b, 0),
        accuracy: r.interval,
      };
    });
    const groupings = [{
      name: "class",
      values: Array.from(set.labels, (l) => m.signature.labels[l] ?? String(l)),
    }];
    if (set.sources.some((s) => s !== "")) {
      groupings.push({ name: "source", values: set.sources.map((s) => s || "(unknown)") });
    }
    const slices = sliceAnalysis(correct, groupings);

    const wrong = Array.from({ length: n }, (_, i) => i).filter((i) => !correct[i])
      .sort((a, b) => conf[b] - conf[a]).slice(0, o.failures ?? 24);
    const failures: FailureEntry[] = [];
    if (wrong.length > 0) {
      const px = new Float32Array(wrong.length * PIXELS);
      wrong.forEach((i, k) =>
        px.set(set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS)
      );
      const ig = explain(scorer, "integrated_gradients", px, wrong.length, {
        steps: 32,
        targets: wrong.map((i) => pred[i]),
      });
      wrong.forEach((i, k) => {
        const image = px.subarray(k * PIXELS, (k + 1) * PIXELS);
        failures.push({
          file: set.files[i],
          label: set.labels[i],
          predicted: pred[i],
          confidence: conf[i],
          inputPng: png28(image),
          overlayPng: Buffer.from(
            overlayPng(image, ig.maps.subarray(k * PIXELS, (k + 1) * PIXELS), 4),
          ).toString("base64"),
        });
      });
    }

    let drift: RealValidationReport["drift"];
    if (o.noDrift) drift = { skipped: "--no-drift" };
    else {
      const { profile } = await ensureProfile(ctx, m, {
        seed: o.seed ?? 0,
        maxReference: o.maxReference,
      });
      const images = Uint8Array.from(set.pixels, (v) => Math.round(v * 255));
      const batch = { count: n, rows: 28, cols: 28, images, labels: Uint8Array.from(set.labels) };
      try {
        drift = detectDrift(
          profile,
          viewBatch(m.model, profile, batch, m.signature.normalization),
          {
            seed: o.seed ?? 0,
          },
        );
      } catch (err) {
        if (!(err instanceof DriftInputError)) throw err;
        drift = { skipped: err.message };
      }
    }

    const report: RealValidationReport = {
      model: m.version.model,
      version: m.version.version,
      imagesDir: o.imagesDir,
      labels: m.signature.labels,
      temperature: t,
      preprocess: o.preprocess ?? {},
      tta: variants > 1 ? { fits, shifts } : null,
      count: n,
      groups: cluster.groups,
      skipped: set.skipped,
      scores,
      groupAccuracy: cluster.interval,
      splits,
      calibrationRaw: rawScores.calibration,
      slices,
      failures,
      drift,
      predictions: set.files.map((file, i) => ({
        file,
        label: set.labels[i],
        predicted: pred[i],
        confidence: conf[i],
        split: splitOf[i],
      })),
    };
    await Deno.mkdir(o.outDir, { recursive: true });
    const jsonPath = join(o.outDir, "real.json");
    const htmlPath = join(o.outDir, "real.html");
    await Deno.writeTextFile(jsonPath, JSON.stringify(report, null, 2));
    await Deno.writeTextFile(htmlPath, realReportHtml(report));
    return { report, jsonPath, htmlPath };
  } finally {
    m.model.dispose();
  }
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const ci = (v: Interval) => `${pct(v.estimate)} [${pct(v.low)}, ${pct(v.high)}]`;

/** The report's sections (shared by the HTML page and the notebook). */
export function realReportSections(r: RealValidationReport): ReportSection[] {
  const s = r.scores;
  const names = r.labels.length ? r.labels : LABEL_NAMES;
  const gallery = r.failures.map((f) =>
    `<figure style="display:inline-block;margin:4px;text-align:center;font-size:.75rem">` +
    `<img alt="input" src="data:image/png;base64,${f.inputPng}" width="84">` +
    `<img alt="attribution" src="data:image/png;base64,${f.overlayPng}" width="84">` +
    `<figcaption>${escapeHtml(f.file)}<br>${escapeHtml(names[f.label])} → <b>${
      escapeHtml(names[f.predicted])
    }</b> ${pct(f.confidence)}</figcaption></figure>`
  ).join("");
  const drift = "skipped" in r.drift
    ? [{ kind: "text" as const, text: `Not tested: ${r.drift.skipped}` }]
    : [
      { kind: "text" as const, text: `Verdict: ${r.drift.verdict} (${r.drift.rule}).` },
      {
        kind: "table" as const,
        table: {
          columns: ["detector", "drift", "adjusted p", "statistic"],
          rows: r.drift.detectors.map((d) => [
            d.detector,
            d.drift ? "yes" : "no",
            d.adjusted.toPrecision(3),
            `${d.statisticName} ${d.statistic.toPrecision(4)}`,
          ]),
        },
      },
    ];
  return [
    {
      title: "Accuracy",
      blocks: [
        {
          kind: "text",
          text: `${r.count} images (${r.groups} drawings) from ${r.imagesDir}; model ${r.model} ` +
            `v${r.version}, served probabilities (logits ÷ T = ${r.temperature.toFixed(3)}). ` +
            `${s.bootstrap.resamples} bootstrap resamples, 95% intervals.` +
            (r.tta
              ? ` Test-time augmentation: probabilities averaged over ${r.tta.fits.length} ` +
                `object size(s) (${r.tta.fits.join(", ")} px) × ${r.tta.shifts.length} shift(s).`
              : ""),
        },
        {
          kind: "table",
          table: {
            columns: ["metric", "estimate [CI]"],
            rows: [
              ["accuracy (over images)", ci(s.accuracy)],
              ["accuracy (cluster bootstrap over drawings)", ci(r.groupAccuracy)],
              ...(r.splits ?? []).map((x) => [
                `${x.split} half: ${x.count} images, ${x.groups} drawings`,
                x.accuracy ? ci(x.accuracy) : "—",
              ]),
              ...Object.entries(s.topK).map(([k, v]) => [`top-${k} accuracy`, ci(v)]),
              ["macro F1", ci(s.macroF1)],
              ["log loss", s.logLoss.estimate.toFixed(3)],
              ["ECE (served)", s.ece.estimate.toFixed(3)],
              ["ECE (raw softmax)", r.calibrationRaw.ece.toFixed(3)],
            ],
          },
        },
        { kind: "figure", figure: perClassChart(s, names) },
        {
          kind: "figure",
          figure: heatmap({
            z: s.confusion,
            x: [...names],
            y: [...names],
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
      blocks: [{ kind: "figure", figure: reliabilityChart(r.calibrationRaw, s.calibration) }],
    },
    {
      title: "Slices (class, source)",
      status: r.slices.slices.some((x) => x.flagged) ? "warn" : "ok",
      blocks: [{
        kind: "table",
        table: {
          columns: ["grouping", "slice", "n", "accuracy [Wilson CI]", "flagged"],
          rows: r.slices.slices.map((x) => [
            x.grouping,
            x.slice,
            x.n,
            `${pct(x.accuracy)} [${pct(x.low)}, ${pct(x.high)}]`,
            x.flagged ? "yes" : "",
          ]),
        },
      }],
    },
    {
      title: `Failures (${r.failures.length} most confident)`,
      blocks: [{
        kind: "html",
        html: gallery ||
          "<p>No failures.</p>",
      }, {
        kind: "text",
        text: "Left: the 28×28 input the model saw; right: integrated gradients for the " +
          "predicted class.",
      }],
    },
    { title: "Drift against the training reference", blocks: drift },
    ...(r.skipped.length
      ? [{
        title: `Skipped files (${r.skipped.length})`,
        blocks: [{
          kind: "table" as const,
          table: { columns: ["file", "reason"], rows: r.skipped.map((x) => [x.file, x.reason]) },
        }],
      }]
      : []),
  ];
}

/** The self-contained HTML page of a report. */
export function realReportHtml(r: RealValidationReport): string {
  return renderHtmlPage(`Real-image validation: ${r.model} v${r.version}`, realReportSections(r));
}
