/**
 * The drift report page (lib/report): verdict, per-detector table, per-test detail, reference vs
 * current distributions overlaid (image features, confidence, predicted classes) and example
 * images of the current batch. Self-contained HTML (plotly.js inlined).
 */
import type { ImageSet } from "../data/mod.ts";
import {
  barChart,
  binCounts,
  histogram,
  imageGrid,
  type PlotlyFigure,
  renderHtmlPage,
  type ReportSection,
} from "../report/mod.ts";
import type { DriftReport } from "./detect.ts";
import { column } from "./outputs.ts";
import { type BatchView, classCounts, type Profile, profileRows } from "./profile.ts";

const fmt = (v: number) =>
  Number.isNaN(v) ? "" : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4);

function maxProb(r: { count: number; dim: number; data: Float64Array }): Float64Array {
  const out = new Float64Array(r.count);
  for (let i = 0; i < r.count; i++) {
    let m = 0;
    for (let c = 0; c < r.dim; c++) m = Math.max(m, r.data[i * r.dim + c]);
    out[i] = m;
  }
  return out;
}

function overlay(title: string, ref: Float64Array, cur: Float64Array): PlotlyFigure {
  let min = Infinity, max = -Infinity;
  for (const v of [...ref, ...cur]) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (!(max > min)) max = min + 1;
  const bins = 30;
  const density = (x: Float64Array) => {
    const b = binCounts(x, { bins, min, max });
    return { edges: b.edges, values: b.counts.map((c) => c / x.length) };
  };
  const a = density(ref), b = density(cur);
  return histogram({
    title,
    edges: a.edges,
    series: [{ name: "reference", values: a.values }, { name: "current", values: b.values }],
    yTitle: "share",
    height: 280,
  });
}

/** Render the report page for `report` of batch `view` (`images`: the batch, for examples). */
export function driftReportHtml(
  title: string,
  profile: Profile,
  view: BatchView,
  report: DriftReport,
  images?: ImageSet,
): string {
  const refF = profileRows(profile.sample.features);
  const refP = profileRows(profile.sample.probs);
  const sections: ReportSection[] = [
    {
      title: `Verdict: ${report.verdict}`,
      status: report.drift ? "fail" : "ok",
      blocks: [
        {
          kind: "text",
          text: `${report.count} current images vs the reference profile of ` +
            `${profile.model.name} v${profile.model.version} (${profile.source}). Rule: ` +
            `${report.rule}. Share of drifted image features: ` +
            `${(report.driftedFeatureShare * 100).toFixed(0)}%.`,
        },
        {
          kind: "table",
          table: {
            columns: [
              "detector",
              "statistic",
              "value",
              "p-value",
              "p × detectors",
              "effect",
              "drift",
            ],
            rows: report.detectors.map((d) => [
              d.detector,
              d.statisticName,
              fmt(d.statistic),
              fmt(d.pValue),
              fmt(d.adjusted),
              d.effect
                ? `${d.effect.name} ${fmt(d.effect.value)} (≥ ${d.effect.threshold}${
                  d.effect.applies ? "" : ", not applied below the large-sample size"
                })`
                : "",
              d.drift ? "yes" : "no",
            ]),
          },
        },
      ],
    },
  ];
  for (const d of report.detectors.filter((d) => d.details.length && d.detector !== "labels")) {
    sections.push({
      title: `Per-test detail: ${d.detector}`,
      blocks: [{
        kind: "table",
        table: {
          columns: ["test", "KS D", "p-value", "corrected p", "W1 / sd", "drift"],
          rows: d.details.map((t) => [
            t.name,
            fmt(t.statistic),
            fmt(t.pValue),
            fmt(t.adjusted),
            fmt(t.effect ?? NaN),
            t.drift ? "yes" : "no",
          ]),
        },
      }],
    });
  }
  const figs: PlotlyFigure[] = profile.featureNames.slice(0, 3).map((name, j) =>
    overlay(name, column(refF, j), column(view.features, j))
  );
  const ink = profile.featureNames.indexOf("ink_ratio");
  if (ink >= 3) figs.push(overlay("ink_ratio", column(refF, ink), column(view.features, ink)));
  figs.push(overlay("confidence (max softmax)", maxProb(refP), maxProb(view.probs)));
  const refShare = profile.classCounts.map((c) => c / profile.referenceCount);
  const cur = classCounts(view.probs).map((c) => c / view.count);
  figs.push(barChart({
    title: "predicted classes",
    categories: profile.labels,
    series: [{ name: "reference", values: refShare }, { name: "current", values: cur }],
    yTitle: "share",
    height: 320,
  }));
  sections.push({
    title: "Distributions: reference vs current",
    blocks: figs.map((figure) => ({ kind: "figure" as const, figure })),
  });
  if (images && images.count > 0) {
    const n = Math.min(24, images.count);
    const size = images.rows * images.cols;
    sections.push({
      title: "Example current images",
      blocks: [{
        kind: "figure",
        figure: imageGrid({
          images: Array.from(
            { length: n },
            (_, i) => images.images.subarray(i * size, (i + 1) * size),
          ),
          columns: 12,
          width: images.cols,
          height: images.rows,
        }),
      }],
    });
  }
  return renderHtmlPage(title, sections);
}
