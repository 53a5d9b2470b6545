/**
 * Evaluation of the detectors by repeated sampling: the clean false-alarm rate per batch size
 * (batches drawn from held-out clean images) and the detection rate per detector × shift kind ×
 * severity × batch size (batches drawn from the same images after a shift). The pool's features
 * and model outputs are computed once per shift; each batch is a random subset of the pool.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { mulberry32 } from "../features/mod.ts";
import type { Signature } from "../models/mod.ts";
import { detectDrift, type DetectOptionsInput, type DetectorName, DETECTORS } from "./detect.ts";
import { pickRows } from "./outputs.ts";
import { type BatchView, type Profile, sampleIndices, viewBatch } from "./profile.ts";
import {
  applyShift,
  priorShiftIndices,
  SEVERITIES,
  type Severity,
  SHIFT_KINDS,
  type ShiftKind,
} from "./shifts.ts";

/** Options of {@link evaluateDetectors}. */
export interface EvaluateOptions {
  sizes: number[];
  /** Clean batches per size (≥ 200 for the calibration claim). */
  cleanBatches: number;
  /** Shifted batches per kind × severity × size. */
  shiftBatches: number;
  kinds?: readonly ShiftKind[];
  severities?: readonly Severity[];
  seed?: number;
  detect?: DetectOptionsInput;
  /** Called after each cell (progress). */
  onCell?: (cell: EvaluationCell) => void;
}

/** Alarm rates of one cell of the table. */
export interface EvaluationCell {
  /** `clean`, or a shift kind. */
  shift: ShiftKind | "clean";
  severity: Severity | 0;
  size: number;
  batches: number;
  /** Share of batches with verdict `drift`. */
  overall: number;
  /** Share of batches where each detector fired. */
  byDetector: Record<DetectorName, number>;
}

/** The evaluation table. */
export interface EvaluationTable {
  alpha: number;
  poolSize: number;
  cells: EvaluationCell[];
}

function subView(v: BatchView, idx: ArrayLike<number>): BatchView {
  return {
    count: idx.length,
    features: pickRows(v.features, idx),
    probs: pickRows(v.probs, idx),
    embeddings: pickRows(v.embeddings, idx),
  };
}

/** Run the evaluation (see the module doc). `pool` must not overlap the profile's images. */
export function evaluateDetectors(
  model: tf.LayersModel,
  profile: Profile,
  pool: ImageSet,
  normalization: Signature["normalization"],
  opts: EvaluateOptions,
): EvaluationTable {
  const seed = opts.seed ?? 0;
  const rand = mulberry32(seed + 1);
  const cells: EvaluationCell[] = [];
  for (const size of opts.sizes) {
    if (size > pool.count) throw new Error(`batch size ${size} exceeds the pool (${pool.count})`);
  }
  let batchSeed = seed * 1_000_003;
  const run = (
    shift: ShiftKind | "clean",
    severity: Severity | 0,
    size: number,
    batches: number,
    draw: () => BatchView,
  ) => {
    let overall = 0;
    const by = Object.fromEntries(DETECTORS.map((d) => [d, 0])) as Record<DetectorName, number>;
    for (let b = 0; b < batches; b++) {
      const r = detectDrift(profile, draw(), { ...opts.detect, seed: batchSeed++ });
      if (r.drift) overall++;
      for (const d of r.detectors) if (d.drift) by[d.detector]++;
    }
    const cell: EvaluationCell = {
      shift,
      severity,
      size,
      batches,
      overall: overall / batches,
      byDetector: Object.fromEntries(
        Object.entries(by).map(([k, v]) => [k, v / batches]),
      ) as Record<DetectorName, number>,
    };
    cells.push(cell);
    opts.onCell?.(cell);
  };
  const clean = viewBatch(model, profile, pool, normalization);
  for (const size of opts.sizes) {
    run(
      "clean",
      0,
      size,
      opts.cleanBatches,
      () => subView(clean, sampleIndices(pool.count, size, rand)),
    );
  }
  for (const kind of opts.kinds ?? SHIFT_KINDS) {
    for (const sev of opts.severities ?? SEVERITIES) {
      const view = kind === "prior" ? clean : viewBatch(
        model,
        profile,
        applyShift(pool, kind, sev, mulberry32(seed + sev)),
        normalization,
      );
      for (const size of opts.sizes) {
        run(kind, sev, size, opts.shiftBatches, () =>
          subView(
            view,
            kind === "prior"
              ? priorShiftIndices(pool.labels, size, sev, rand)
              : sampleIndices(pool.count, size, rand),
          ));
      }
    }
  }
  return { alpha: opts.detect?.alpha ?? 0.05, poolSize: pool.count, cells };
}

/** The table as Markdown: one row per shift × severity × size, one column per detector. */
export function evaluationMarkdown(t: EvaluationTable): string {
  const head = `| shift | severity | batch | batches | overall | ${DETECTORS.join(" | ")} |`;
  const sep = `|${" --- |".repeat(5 + DETECTORS.length)}`;
  const pct = (v: number) => (v * 100).toFixed(1);
  const rows = t.cells.map((c) =>
    `| ${c.shift} | ${c.severity || "-"} | ${c.size} | ${c.batches} | ${pct(c.overall)} | ${
      DETECTORS.map((d) => pct(c.byDetector[d])).join(" | ")
    } |`
  );
  return [head, sep, ...rows].join("\n");
}
