/**
 * Acting on an experiment's final decision: each treatment arm goes through the registry's
 * experiment gate with the analysis as evidence (the winner is promoted to `champion`; a kept
 * control is recorded as `kept_champion` for every treatment), then the experiment is disabled
 * (traffic returns to the champion) with the decision as its reason.
 */
import {
  type GateDecision,
  promoteByExperiment,
  RegistryInputError,
  resolveActor,
} from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import type { AbAnalysis } from "./analysis.ts";
import { putAbExperiment } from "./config.ts";

/** Result of {@link applyDecision}. */
export interface AppliedDecision {
  /** Whether anything was done (only final decisions are applied). */
  applied: boolean;
  action: AbAnalysis["decision"]["action"];
  reason: string;
  /** One gate decision per treatment arm (empty when not applied). */
  gates: GateDecision[];
}

/** The one version an arm served (from its config, else from the logs). */
function armVersion(analysis: AbAnalysis, arm: string): number {
  const cfg = analysis.experiment?.arms.find((a) => a.name === arm);
  if (cfg?.version !== undefined) return cfg.version;
  const served = analysis.summary.arms.find((a) => a.arm === arm)?.versions ?? [];
  if (served.length !== 1) {
    throw new RegistryInputError(
      `arm ${arm} served ${served.length === 0 ? "no" : "several"} versions (${served.join(", ")}` +
        `): pin each arm to one version to decide by the registry gate`,
    );
  }
  return served[0];
}

/** The analysis without the plot paths: what is stored with each gate decision. */
export function decisionEvidence(analysis: AbAnalysis): unknown {
  const e = analysis.experiment;
  return {
    experiment: e && {
      model: e.model,
      arms: e.arms,
      salt: e.salt,
      startedAt: e.startedAt,
      design: e.design,
    },
    since: analysis.since,
    arms: analysis.summary.arms,
    units: analysis.units,
    srm: analysis.srm,
    guardrails: analysis.guardrails,
    comparisons: analysis.comparisons.map(({ path: _path, ...c }) => c),
    plan: analysis.plan,
    decision: analysis.decision,
    analyzedAt: analysis.analyzedAt,
  };
}

/**
 * Apply `analysis.decision` when it is final and the experiment still enabled (see the module
 * doc); otherwise do nothing.
 * @throws RegistryInputError when an arm served several versions; AliasConflictError when the
 *   champion moved since the control was served.
 */
export async function applyDecision(
  ctx: TrackingContext,
  analysis: AbAnalysis,
  opts: { actor?: string } = {},
): Promise<AppliedDecision> {
  const d = analysis.decision;
  if (!d.final || !analysis.experiment) {
    return { applied: false, action: d.action, reason: d.reason, gates: [] };
  }
  if (!analysis.experiment.enabled) {
    return {
      applied: false,
      action: d.action,
      reason: `the experiment is disabled (${analysis.experiment.reason ?? "stopped"}); ` +
        "start a new one to decide again",
      gates: [],
    };
  }
  const control = analysis.summary.control!;
  const controlVersion = armVersion(analysis, control);
  const evidence = decisionEvidence(analysis);
  const gates: GateDecision[] = [];
  // The winner last, so the losers' records name the champion they were kept against.
  const order = [...analysis.comparisons].sort((a, b) =>
    Number(a.arm === d.winner) - Number(b.arm === d.winner)
  );
  for (const c of order) {
    const arm = analysis.summary.arms.find((a) => a.arm === c.arm)!;
    const base = analysis.summary.arms.find((a) => a.arm === control)!;
    const won = c.arm === d.winner;
    gates.push(
      await promoteByExperiment(ctx, {
        name: analysis.model,
        challenger: armVersion(analysis, c.arm),
        expectedChampion: controlVersion,
        significantlyBetter: won,
        alpha: c.sequential?.alpha ?? analysis.design.alpha,
        pValue: c.sequential?.pValue ?? 1,
        n: arm.feedback + base.feedback,
        challengerAccuracy: arm.accuracy ?? 0,
        championAccuracy: base.accuracy,
        reason: `${c.arm} vs ${control}: ${c.status.replaceAll("_", " ")}; ${d.reason}`,
        evidence,
        actor: opts.actor,
      }),
    );
  }
  const e = analysis.experiment;
  await putAbExperiment(ctx.db, e.model, {
    arms: e.arms,
    enabled: false,
    salt: e.salt,
    reason: `decided: ${d.action} — ${d.reason}`.slice(0, 1000),
    design: e.design,
  }, resolveActor(opts.actor));
  return { applied: true, action: d.action, reason: d.reason, gates };
}
