/**
 * The promotion gate fed by an online A/B experiment instead of the held-out test set: the
 * experiment's always-valid sequential test is the evidence. The challenger becomes `champion`
 * only when that evidence says it is significantly more accurate (and its guardrails hold, which
 * the caller folds into `significantlyBetter`); the champion must still be the version the
 * experiment's control served (compare-and-set, so a promotion made meanwhile is not
 * overwritten). Every decision, with the evidence, is a `gate` audit event.
 */
import type { TrackingContext } from "../tracking/mod.ts";
import { resolveActor } from "./actor.ts";
import { AliasConflictError, RegistryInputError } from "./errors.ts";
import { checkAlpha, lockForGate, logGateDecision, recordGateOutcome } from "./gate.ts";
import type { GateDecision, GateOutcome } from "./schemas.ts";
import { checkModelName } from "./versions.ts";

/** Options of {@link promoteByExperiment}. */
export interface ExperimentGateOptions {
  name: string;
  /** Version the winning (or tested) treatment arm served. */
  challenger: number;
  /**
   * Version the experiment's control arm served: the champion must still be it (null: there
   * must be no champion). Omit to skip the check.
   */
  expectedChampion?: number | null;
  /** The experiment found the challenger significantly better with its guardrails holding. */
  significantlyBetter: boolean;
  /** Level of the test that decided. */
  alpha: number;
  /** Always-valid p-value of the challenger against the control. */
  pValue: number;
  /** Feedback observations of the two arms together. */
  n: number;
  challengerAccuracy: number;
  championAccuracy: number | null;
  /** Why, in one sentence (the experiment's decision). */
  reason: string;
  /** The experiment's evidence (stored with the audit event). */
  evidence: unknown;
  actor?: string;
}

/**
 * Decide on `challenger` from an experiment's evidence and move `champion` if it won, in one
 * transaction. Returns the decision (also the `gate` audit event).
 * @throws RegistryNotFoundError for an unknown version; AliasConflictError when the champion is
 *   no longer `expectedChampion`; RegistryInputError for a bad alpha or p-value.
 */
export async function promoteByExperiment(
  ctx: TrackingContext,
  opts: ExperimentGateOptions,
): Promise<GateDecision> {
  const name = checkModelName(opts.name);
  checkAlpha(opts.alpha);
  if (!(opts.pValue >= 0 && opts.pValue <= 1)) {
    throw new RegistryInputError(`pValue must be in [0, 1], got ${opts.pValue}`);
  }
  const actor = resolveActor(opts.actor);
  const decision = await ctx.db.transaction(async (tx) => {
    const champion = await lockForGate(tx, name, opts.challenger);
    if (opts.expectedChampion !== undefined && champion !== opts.expectedChampion) {
      throw new AliasConflictError(
        `the experiment's control served version ${opts.expectedChampion} but the champion of ` +
          `${name} is now ${champion ?? "unset"}: the evidence no longer applies`,
      );
    }
    let outcome: GateOutcome;
    if (champion === opts.challenger) outcome = "already_champion";
    else if (!opts.significantlyBetter) outcome = "kept_champion";
    else outcome = champion === null ? "promoted_no_champion" : "promoted";
    const promoted = outcome === "promoted" || outcome === "promoted_no_champion";
    const reason = `A/B experiment: ${opts.reason}`;
    const base = {
      model: name,
      challenger: opts.challenger,
      champion,
      alpha: opts.alpha,
      n: opts.n,
      challengerAccuracy: opts.challengerAccuracy,
      championAccuracy: opts.championAccuracy,
      b: null,
      c: null,
      method: "msprt" as const,
      statistic: null,
      pValue: opts.pValue,
      test: "msprt" as const,
      bootstrap: null,
      behaviour: null,
      actor,
    };
    const event = await recordGateOutcome(tx, {
      name,
      champion,
      challenger: opts.challenger,
      promoted,
      actor,
      reason,
      details: { ...base, outcome, promoted, source: "ab_experiment", evidence: opts.evidence },
    });
    return { ...base, outcome, promoted, reason, eventId: event.id, at: event.at };
  });
  logGateDecision(ctx, "experiment", decision);
  return decision;
}
