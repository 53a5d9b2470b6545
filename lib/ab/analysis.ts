/**
 * The full analysis of a model's A/B experiment, from the database: per-arm counts and accuracy
 * (feedback), the SRM check on assignment units, guardrails, and for each treatment arm against
 * the control the always-valid sequential test (every feedback observation is a look, in the
 * order the feedback arrived) beside the fixed-horizon z-test, the planned sample size, and the
 * decision. Only traffic since the experiment's start (its current arms) counts.
 */
import type { Queryable } from "../db/mod.ts";
import type { TwoProportionResult } from "../evaluate/mod.ts";
import { type AbExperiment, getAbExperiment } from "./config.ts";
import { type AbDecision, type ArmStatus, armStatus, decide } from "./decision.ts";
import { type AbDesign, abDesignSchema } from "./design.ts";
import {
  type ArmGuardrails,
  armGuardrails,
  checkGuardrails,
  type GuardrailCheck,
} from "./guardrails.ts";
import { sampleSize, type SampleSizePlan } from "./power.ts";
import {
  type SequentialObservation,
  sequentialPath,
  type SequentialPathPoint,
} from "./sequential.ts";
import { sampleRatioMismatch, type SrmResult } from "./srm.ts";
import { type AbSummary, abSummary } from "./summary.ts";

/** The sequential test of one treatment arm against the control. */
export interface SequentialSummary {
  /** Level of this comparison (the design's alpha split over the treatment arms). */
  alpha: number;
  tau: number;
  minSamples: number;
  /** Looks taken (feedback observations of the two arms). */
  looks: number;
  diff: number;
  /** Always-valid p-value. */
  pValue: number;
  /** Always-valid confidence interval of the difference at `1 − alpha`. */
  ci: [number, number];
  rejected: boolean;
  /** Observations per arm when the test first rejected, null while it has not. */
  stoppedAt: { n1: number; n2: number } | null;
}

/** One treatment arm against the control. */
export interface ArmComparison {
  arm: string;
  vs: string;
  status: ArmStatus;
  /** The fixed-horizon z-test (valid only if read once, at a planned size). */
  fixed: TwoProportionResult | null;
  sequential: SequentialSummary | null;
  /** The sequential test over time (for the boundary plot). */
  path: SequentialPathPoint[];
  guardrails: GuardrailCheck[];
}

/** Everything known about an experiment now. */
export interface AbAnalysis {
  model: string;
  experiment: AbExperiment | null;
  design: AbDesign;
  /** Traffic counted from (the experiment's start), null: all A/B traffic. */
  since: string | null;
  summary: AbSummary;
  /**
   * Assignment units per arm (distinct hashed client keys of logged or failed requests; a request
   * without a key is its own unit).
   */
  units: { arm: string; units: number }[];
  srm: SrmResult | null;
  guardrails: ArmGuardrails[];
  comparisons: ArmComparison[];
  /** Fixed-horizon sample size for the design's `mde` at the control's accuracy (power 0.8). */
  plan: SampleSizePlan | null;
  decision: AbDecision;
  analyzedAt: string;
}

/** Options of {@link analyzeExperiment}. */
export interface AnalyzeOptions {
  /** Count traffic from here instead of the experiment's start. */
  since?: string;
  /** Most points per boundary-plot path (default 400). */
  maxPathPoints?: number;
}

/** Analyze `model`'s experiment (or, with none configured, its logged A/B traffic). */
export async function analyzeExperiment(
  db: Queryable,
  model: string,
  opts: AnalyzeOptions = {},
): Promise<AbAnalysis> {
  const experiment = await getAbExperiment(db, model);
  const design = experiment?.design ?? abDesignSchema.parse({});
  const since = opts.since ?? experiment?.startedAt ?? null;
  const summary = await abSummary(db, model, {
    armOrder: experiment?.arms.map((a) => a.name) ?? [],
    ...(since ? { since } : {}),
  });
  const params: unknown[] = [model];
  let cond = "";
  if (since) {
    params.push(since);
    cond = " AND l.at >= $2";
  }
  // Units assigned to each arm: those with a logged prediction or a failed request.
  const at = since ? " AND at >= $2" : "";
  const units = (await db.query<{ arm: string; units: number }>(
    `SELECT arm, count(DISTINCT u)::int AS units FROM (
       SELECT arm, coalesce(unit, 'request:' || request_id) AS u FROM prediction_logs
        WHERE model = $1 AND arm IS NOT NULL${at}
       UNION ALL
       SELECT arm, coalesce(unit, 'request:' || request_id) AS u FROM prediction_errors
        WHERE model = $1 AND arm IS NOT NULL${at}
     ) x GROUP BY arm`,
    params,
  )).map((r) => ({ arm: r.arm, units: Number(r.units) }));
  const srm = experiment ? srmOf(experiment, units, design.srmThreshold) : null;
  const guardrails = await armGuardrails(db, model, since ?? undefined);
  const feedback = await db.query<{ arm: string; ok: boolean; at: Date | string }>(
    `SELECT l.arm,
            coalesce(f.true_class_id = l.class_id OR f.true_label = l.label, false) AS ok,
            f.received_at AS at
       FROM prediction_logs l
       JOIN prediction_feedback f ON f.request_id = l.request_id AND f.idx = l.idx
      WHERE l.model = $1 AND l.arm IS NOT NULL${cond}
      ORDER BY f.received_at, l.request_id, l.idx`,
    params,
  );
  // Arms without a logged prediction (e.g. every request failed) still get compared.
  const known = new Set(summary.arms.map((a) => a.arm));
  for (
    const name of [
      ...(experiment?.arms.map((a) => a.name) ?? []),
      ...guardrails.map((g) => g.arm),
    ]
  ) {
    if (known.has(name)) continue;
    known.add(name);
    summary.arms.push({
      arm: name,
      versions: [],
      predictions: 0,
      feedback: 0,
      correct: 0,
      accuracy: null,
    });
    if (summary.control !== null && name !== summary.control) {
      summary.tests.push({ arm: name, vs: summary.control, test: null });
    }
  }
  const control = summary.control;
  const treatments = summary.arms.filter((a) => a.arm !== control);
  const alpha = design.alpha / Math.max(1, treatments.length);
  const comparisons: ArmComparison[] = treatments.map((a) => {
    const test = summary.tests.find((t) => t.arm === a.arm)?.test ?? null;
    const obs: SequentialObservation[] = [];
    for (const f of feedback) {
      if (f.arm === a.arm || f.arm === control) {
        obs.push({
          group: f.arm === a.arm ? 1 : 2,
          success: Boolean(f.ok),
          at: new Date(f.at).toISOString(),
        });
      }
    }
    const { state, path } = sequentialPath(
      obs,
      { alpha, tau: design.tau, minSamples: design.minSamples },
      opts.maxPathPoints ?? 400,
    );
    const checks = checkGuardrails(
      guardrails.find((g) => g.arm === a.arm),
      guardrails.find((g) => g.arm === control),
      design.guardrails,
      a.arm,
      design.minSamples,
    );
    const sequential: SequentialSummary | null = state
      ? {
        alpha,
        tau: design.tau,
        minSamples: design.minSamples,
        looks: state.looks,
        diff: state.look.diff,
        pValue: state.pValue,
        ci: state.ci,
        rejected: state.rejected,
        stoppedAt: state.stoppedAt && { n1: state.stoppedAt.n1, n2: state.stoppedAt.n2 },
      }
      : null;
    const base = summary.arms.find((x) => x.arm === control);
    return {
      arm: a.arm,
      vs: control!,
      status: armStatus({
        arm: a.arm,
        rejected: sequential?.rejected ?? false,
        diff: sequential?.diff ?? 0,
        minObservations: Math.min(a.feedback, base?.feedback ?? 0),
        guardrails: checks,
      }, design.maxSamplesPerArm),
      fixed: test,
      sequential,
      path,
      guardrails: checks,
    };
  });
  const decision = decide({
    control: comparisons.length > 0 ? control : null,
    arms: comparisons.map((c) => ({
      arm: c.arm,
      rejected: c.sequential?.rejected ?? false,
      diff: c.sequential?.diff ?? 0,
      minObservations: Math.min(
        summary.arms.find((x) => x.arm === c.arm)?.feedback ?? 0,
        summary.arms.find((x) => x.arm === control)?.feedback ?? 0,
      ),
      guardrails: c.guardrails,
    })),
    srmMismatch: srm?.mismatch ?? false,
    srmPValue: srm?.pValue ?? null,
    maxSamplesPerArm: design.maxSamplesPerArm,
  });
  return {
    model,
    experiment,
    design,
    since,
    summary,
    units,
    srm,
    guardrails,
    comparisons,
    plan: planFor(design, summary),
    decision,
    analyzedAt: new Date().toISOString(),
  };
}

function srmOf(
  exp: AbExperiment,
  units: { arm: string; units: number }[],
  threshold: number,
): SrmResult | null {
  const rows = exp.arms.map((a) => ({
    arm: a.name,
    weight: a.weight,
    observed: units.find((u) => u.arm === a.name)?.units ?? 0,
  }));
  for (const u of units) {
    if (!rows.some((r) => r.arm === u.arm)) rows.push({ arm: u.arm, weight: 0, observed: u.units });
  }
  if (rows.reduce((s, r) => s + r.observed, 0) === 0) return null;
  return sampleRatioMismatch(rows, threshold);
}

function planFor(design: AbDesign, summary: AbSummary): SampleSizePlan | null {
  const base = summary.arms.find((a) => a.arm === summary.control)?.accuracy;
  if (design.mde === undefined || base === null || base === undefined) return null;
  const baseline = Math.min(0.999, Math.max(0.001, base));
  try {
    return sampleSize({ baseline, mde: design.mde, alpha: design.alpha, power: 0.8 });
  } catch {
    return null; // baseline + mde outside (0, 1): nothing to plan
  }
}
