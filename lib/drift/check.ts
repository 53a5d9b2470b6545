/**
 * One batch drift check, as `deno task drift` runs it: load the model version, its reference
 * profile (computed and stored first when missing), read the current batch, optionally simulate
 * a shift, run the detectors, write the JSON and HTML reports and record a drift event.
 */
import { join } from "node:path";
import { z } from "zod";
import { mulberry32 } from "../features/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { detectDrift, type DetectOptionsInput, type DriftReport } from "./detect.ts";
import { readCurrentBatch } from "./input.ts";
import { pickImages } from "./outputs.ts";
import { sampleIndices, viewBatch } from "./profile.ts";
import { driftReportHtml } from "./report.ts";
import { applyShift, priorShiftIndices, type Severity, SHIFT_KINDS } from "./shifts.ts";
import { ensureProfile, loadDriftModel, recordDriftEvent } from "./store.ts";

/** A simulated shift, `KIND:SEVERITY` on the command line. */
export const shiftSpecSchema = z.string().regex(
  new RegExp(`^(${SHIFT_KINDS.join("|")}):[123]$`),
  `use KIND:SEVERITY with KIND one of ${SHIFT_KINDS.join(", ")} and SEVERITY 1, 2 or 3`,
).transform((s) => {
  const [kind, sev] = s.split(":");
  return { kind: kind as typeof SHIFT_KINDS[number], severity: Number(sev) as Severity };
});

/** Options of {@link checkDrift}. */
export interface CheckOptions {
  model: string;
  /** Version number, alias or `latest`. */
  ref: number | string;
  /** See `readCurrentBatch`. */
  input: string;
  limit?: number;
  /** Test a seeded random sample of this many input images. */
  sample?: number;
  shift?: z.output<typeof shiftSpecSchema>;
  detect?: DetectOptionsInput;
  /** Where the reports go. */
  outDir: string;
  /** Record a drift event when the verdict is drift (default true). */
  record?: boolean;
  seed?: number;
  /** Most reference images when the profile must be computed (default 10,000). */
  maxReference?: number;
}

/** What {@link checkDrift} did. */
export interface CheckResult {
  model: string;
  version: number;
  source: string;
  profileCreated: boolean;
  skipped: string[];
  report: DriftReport;
  jsonPath: string;
  htmlPath: string;
  eventId: number | null;
}

/** Run one check; see the module doc. */
export async function checkDrift(ctx: Ctx, o: CheckOptions): Promise<CheckResult> {
  const m = await loadDriftModel(ctx, o.model, o.ref);
  try {
    const { profile, created } = await ensureProfile(ctx, m, {
      seed: o.seed ?? 0,
      maxReference: o.maxReference,
    });
    const batch = await readCurrentBatch(ctx, o.input, o.limit);
    let images = batch.images;
    let source = batch.source;
    const rand = mulberry32((o.seed ?? 0) + 17);
    if (o.shift?.kind === "prior") {
      const n = Math.min(o.sample ?? images.count, images.count);
      images = pickImages(images, priorShiftIndices(images.labels, n, o.shift.severity, rand));
    } else if (o.sample && o.sample < images.count) {
      images = pickImages(images, sampleIndices(images.count, o.sample, rand));
    }
    if (o.sample) source += `, random sample of ${images.count}`;
    if (o.shift) {
      if (o.shift.kind !== "prior") {
        images = applyShift(images, o.shift.kind, o.shift.severity, rand);
      }
      source += `, simulated shift ${o.shift.kind}:${o.shift.severity}`;
    }
    const view = viewBatch(m.model, profile, images, m.signature.normalization);
    const report = detectDrift(profile, view, { seed: o.seed ?? 0, ...o.detect });
    await Deno.mkdir(o.outDir, { recursive: true });
    const jsonPath = join(o.outDir, "drift.json");
    const htmlPath = join(o.outDir, "drift.html");
    const title = `Drift: ${m.version.model} v${m.version.version} — ${source}`;
    await Deno.writeTextFile(
      jsonPath,
      JSON.stringify(
        { model: m.version.model, version: m.version.version, source, ...report },
        null,
        2,
      ),
    );
    await Deno.writeTextFile(htmlPath, driftReportHtml(title, profile, view, report, images));
    const eventId = report.drift && (o.record ?? true)
      ? await recordDriftEvent(ctx.db, {
        model: m.version.model,
        version: m.version.version,
        origin: "batch",
        report,
      })
      : null;
    return {
      model: m.version.model,
      version: m.version.version,
      source,
      profileCreated: created,
      skipped: batch.skipped,
      report,
      jsonPath,
      htmlPath,
      eventId,
    };
  } finally {
    m.model.dispose();
  }
}
