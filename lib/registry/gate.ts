/**
 * The promotion gate: a challenger version becomes `champion` only if it beats the current
 * champion on the held-out test set at level `alpha` — by McNemar's test (default: significant
 * and more accurate) or by a paired bootstrap of the accuracy difference (the lower end of its
 * two-sided `1 − alpha` percentile interval is above 0).
 * With no champion yet it is promoted directly. Every decision, with its numbers, is audited.
 */
import { compareClassifiers, type McnemarMethod, pairedBootstrap } from "../evaluate/mod.ts";
import type { Queryable } from "../db/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { resolveActor } from "./actor.ts";
import { aliasVersion, moveAlias } from "./aliases.ts";
import { RegistryInputError, RegistryNotFoundError } from "./errors.ts";
import { type EventInput, recordEvent } from "./events.ts";
import {
  CHAMPION,
  type GateDecision,
  type GateOutcome,
  type GateTest,
  type RegistryEvent,
} from "./schemas.ts";
import { checkModelName, lockModel } from "./versions.ts";

/** Default significance level of the gate. */
export const GATE_ALPHA_DEFAULT = 0.05;

/** `alpha` when it is a significance level in (0, 1). @throws RegistryInputError. */
export function checkAlpha(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) {
    throw new RegistryInputError(`alpha must be in (0, 1), got ${alpha}`);
  }
  return alpha;
}

/**
 * The preamble of every gate, inside its transaction: lock the model's registry rows, check that
 * the challenger version exists, and return the current champion version (null when none).
 * @throws RegistryNotFoundError for an unknown challenger.
 */
export async function lockForGate(
  tx: Queryable,
  name: string,
  challenger: number,
): Promise<number | null> {
  await lockModel(tx, name);
  const exists = await tx.query(
    `SELECT 1 FROM registry_versions WHERE model = $1 AND version = $2`,
    [name, challenger],
  );
  if (exists.length === 0) {
    throw new RegistryNotFoundError(`model ${name} has no version ${challenger}`);
  }
  return await aliasVersion(tx, name, CHAMPION);
}

/** Options of {@link promoteIfBetter}. */
export interface PromoteOptions {
  /** Registered model name. */
  name: string;
  /** Version number of the challenger. */
  challenger: number;
  /** True labels of the held-out test set. */
  testLabels: ArrayLike<number>;
  /** Challenger's predicted labels on the same examples. */
  challengerPreds: ArrayLike<number>;
  /** Champion's predicted labels; required when a champion exists. */
  championPreds?: ArrayLike<number>;
  /** Significance level (default 0.05). */
  alpha?: number;
  /** McNemar method (default `auto`: exact binomial below 25 discordant pairs). */
  method?: McnemarMethod;
  /** The test that decides (default `mcnemar`; McNemar's figures are recorded either way). */
  test?: GateTest;
  /** The challenger's behavioural suite result, recorded with the decision. */
  behaviour?: { passed: boolean; checks: unknown[] };
  /** A failed behavioural suite blocks the promotion (default false: recorded only). */
  enforceBehaviour?: boolean;
  /** Paired-bootstrap resamples (default 2000) and seed (default 0). */
  resamples?: number;
  seed?: number;
  /** Who asks (default: `FMNIST_ACTOR`, then `USER`). */
  actor?: string;
  /** Free-text context recorded with the decision. */
  note?: string;
}

function checkPreds(name: string, labels: ArrayLike<number>, preds: ArrayLike<number>): void {
  if (preds.length !== labels.length) {
    throw new RegistryInputError(
      `${name} has ${preds.length} predictions for ${labels.length} test labels; ` +
        `predict the whole held-out test set with each model`,
    );
  }
}

function fmt(x: number): string {
  return x.toPrecision(4);
}

/**
 * Decide whether `challenger` replaces the champion and move the `champion` alias if so, in one
 * transaction (a concurrent move of the champion makes this throw AliasConflictError rather than
 * overwrite it). Returns the decision, which is also stored as a `gate` audit event.
 * @throws RegistryInputError for mismatched prediction lengths, a bad alpha or a missing
 *   `championPreds`; RegistryNotFoundError for an unknown model/version.
 */
export async function promoteIfBetter(
  ctx: TrackingContext,
  opts: PromoteOptions,
): Promise<GateDecision> {
  const name = checkModelName(opts.name);
  const alpha = checkAlpha(opts.alpha ?? GATE_ALPHA_DEFAULT);
  const n = opts.testLabels.length;
  if (n === 0) throw new RegistryInputError("the test set is empty: pass the held-out labels");
  checkPreds("the challenger", opts.testLabels, opts.challengerPreds);
  if (opts.championPreds !== undefined) {
    checkPreds("the champion", opts.testLabels, opts.championPreds);
  }
  const actor = resolveActor(opts.actor);

  const decision = await ctx.db.transaction(async (tx) => {
    const champion = await lockForGate(tx, name, opts.challenger);
    let correct = 0;
    for (let i = 0; i < n; i++) if (opts.challengerPreds[i] === opts.testLabels[i]) correct++;
    const base = {
      model: name,
      challenger: opts.challenger,
      champion,
      alpha,
      n,
      challengerAccuracy: correct / n,
      championAccuracy: null as number | null,
      b: null as number | null,
      c: null as number | null,
      method: null as "exact" | "chi2" | null,
      statistic: null as number | null,
      pValue: null as number | null,
      test: opts.test ?? "mcnemar",
      bootstrap: null as GateDecision["bootstrap"],
      behaviour: opts.behaviour ?? null,
      actor,
    };
    let outcome: GateOutcome;
    let reason: string;
    if (champion === null) {
      outcome = "promoted_no_champion";
      reason = `no champion yet: version ${opts.challenger} promoted without a test`;
    } else {
      if (opts.championPreds === undefined) {
        throw new RegistryInputError(
          `model ${name} has champion version ${champion}: pass championPreds (its predictions ` +
            `on the same test set) so the challenger can be tested against it`,
        );
      }
      const cmp = compareClassifiers(
        opts.testLabels,
        opts.championPreds,
        opts.challengerPreds,
        { method: opts.method },
      );
      Object.assign(base, {
        championAccuracy: cmp.referenceAccuracy,
        b: cmp.test.b,
        c: cmp.test.c,
        method: cmp.test.method,
        statistic: cmp.test.statistic,
        pValue: cmp.test.pValue,
      });
      const nums = `b=${cmp.test.b}, c=${cmp.test.c}, p=${
        fmt(cmp.test.pValue)
      } (McNemar ${cmp.test.method})`;
      let better: boolean, significant: boolean, evidence: string;
      if (base.test === "paired_bootstrap") {
        const boot = pairedBootstrap(opts.testLabels, opts.championPreds, opts.challengerPreds, {
          level: 1 - alpha,
          resamples: opts.resamples ?? 2000,
          seed: opts.seed ?? 0,
        });
        base.bootstrap = {
          difference: boot.difference.estimate,
          low: boot.difference.low,
          high: boot.difference.high,
          level: boot.bootstrap.level,
          resamples: boot.bootstrap.resamples,
          seed: boot.bootstrap.seed,
          pNotBetter: boot.pNotBetter,
        };
        better = boot.difference.estimate > 0;
        significant = boot.difference.low > 0;
        evidence = `accuracy difference ${fmt(boot.difference.estimate)}, ${
          Math.round(100 * (1 - alpha))
        }% paired-bootstrap CI [${fmt(boot.difference.low)}, ${
          fmt(boot.difference.high)
        }] (${boot.bootstrap.resamples} resamples)`;
      } else {
        better = cmp.test.c > cmp.test.b;
        significant = cmp.test.pValue < alpha;
        evidence = nums;
      }
      if (champion === opts.challenger) {
        outcome = "already_champion";
        reason = `version ${champion} already is the champion`;
      } else if (better && significant) {
        outcome = "promoted";
        reason = `challenger ${opts.challenger} beats champion ${champion}: ${evidence}` +
          (base.test === "mcnemar" ? ` < alpha=${alpha}` : ` above 0`);
      } else if (!better) {
        outcome = "kept_champion";
        reason =
          `challenger ${opts.challenger} is not more accurate than champion ${champion}: ${evidence}`;
      } else {
        outcome = "kept_champion";
        reason =
          `challenger ${opts.challenger} is not significantly better than champion ${champion}: ${evidence}` +
          (base.test === "mcnemar" ? ` >= alpha=${alpha}` : ` includes 0`);
      }
    }
    if (
      (outcome === "promoted" || outcome === "promoted_no_champion") && opts.behaviour &&
      !opts.behaviour.passed && opts.enforceBehaviour
    ) {
      const failed = opts.behaviour.checks
        .filter((c) => !(c as { passed?: boolean }).passed)
        .map((c) => (c as { name?: string }).name ?? "?");
      outcome = "kept_champion";
      reason =
        `challenger ${opts.challenger} failed its behavioural tests (${failed.join("; ")}); ` +
        `not promoted although: ${reason}`;
    }
    const promoted = outcome === "promoted" || outcome === "promoted_no_champion";
    const numbers = { ...base, outcome, promoted, note: opts.note ?? null };
    const event = await recordGateOutcome(tx, {
      name,
      champion,
      challenger: opts.challenger,
      promoted,
      actor,
      reason,
      details: numbers,
    });
    return { ...base, outcome, promoted, reason, eventId: event.id, at: event.at };
  });
  logGateDecision(ctx, "promotion", decision);
  return decision;
}

/** Log a gate's decision (`gate`: which gate decided). */
export function logGateDecision(ctx: TrackingContext, gate: string, d: GateDecision): void {
  ctx.log.info(`${gate} gate decided`, {
    model: d.model,
    challenger: d.challenger,
    champion: d.champion,
    outcome: d.outcome,
    pValue: d.pValue,
  });
}

/**
 * Record a gate decision as a `gate` audit event and, when it promotes, move `champion` to the
 * challenger — only if `champion` still points where the decision saw it. Both writes go into the
 * caller's transaction; shared by the test-set gate and the experiment gate.
 */
export async function recordGateOutcome(tx: Queryable, o: {
  name: string;
  champion: number | null;
  challenger: number;
  promoted: boolean;
  actor: string;
  reason: string;
  details: EventInput["details"];
}): Promise<RegistryEvent> {
  const event = await recordEvent(tx, {
    model: o.name,
    kind: "gate",
    alias: CHAMPION,
    fromVersion: o.champion,
    toVersion: o.promoted ? o.challenger : o.champion,
    actor: o.actor,
    reason: o.reason,
    details: o.details,
  });
  if (o.promoted) {
    await moveAlias(tx, {
      name: o.name,
      alias: CHAMPION,
      version: o.challenger,
      actor: o.actor,
      reason: o.reason,
      expectedVersion: o.champion,
      details: { gateEventId: event.id },
    });
  }
  return event;
}
