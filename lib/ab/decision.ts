/**
 * The decision rule of an A/B experiment, from the sequential tests, the SRM check and the
 * guardrails (pure; see `analysis.ts` for where the inputs come from):
 *
 * 1. a sample-ratio mismatch blocks every decision (the data cannot be trusted);
 * 2. a treatment arm whose mSPRT rejected with a positive difference and no breached guardrail
 *    wins (the largest difference if several) → `promote`;
 * 3. when every treatment arm is settled — significantly worse, breaching a guardrail (better
 *    or not yet different), or at the planned horizon without a significant difference — →
 *    `keep_control` (a breached guardrail ends the experiment: the treatment is harmful);
 * 4. otherwise → `continue` (keep collecting; looking again later is safe).
 *
 * A guardrail without enough data to judge does not block (it is reported as unknown).
 */
import type { GuardrailCheck } from "./guardrails.ts";

/** What to do with the experiment. */
export type AbAction = "continue" | "promote" | "keep_control" | "blocked";

/** Where one treatment arm stands. */
export type ArmStatus =
  | "running"
  | "better"
  | "better_but_guardrail"
  | "guardrail_breached"
  | "worse"
  | "no_difference";

/** The decision. */
export interface AbDecision {
  action: AbAction;
  /** `promote` and `keep_control` are final: the experiment can stop. */
  final: boolean;
  /** The winning arm (`promote`), else null. */
  winner: string | null;
  /** One sentence saying why. */
  reason: string;
}

/** What the rule needs to know about one treatment arm. */
export interface ArmEvidence {
  arm: string;
  /** Whether the always-valid test rejected "no difference". */
  rejected: boolean;
  /** Observed accuracy difference, treatment − control. */
  diff: number;
  /** Feedback observations of the smaller of the two arms. */
  minObservations: number;
  guardrails: readonly GuardrailCheck[];
}

/** Status of one treatment arm (`maxSamplesPerArm`: the planned horizon, if any). */
export function armStatus(e: ArmEvidence, maxSamplesPerArm?: number): ArmStatus {
  if (e.rejected) {
    if (e.diff < 0) return "worse";
    return e.guardrails.some((g) => g.ok === false) ? "better_but_guardrail" : "better";
  }
  if (e.guardrails.some((g) => g.ok === false)) return "guardrail_breached";
  if (maxSamplesPerArm !== undefined && e.minObservations >= maxSamplesPerArm) {
    return "no_difference";
  }
  return "running";
}

const pct = (x: number) => `${(100 * x).toFixed(2)} points`;

/** Apply the rule (see the module doc) for `control` against `arms`. */
export function decide(opts: {
  control: string | null;
  arms: readonly ArmEvidence[];
  srmMismatch: boolean;
  srmPValue: number | null;
  maxSamplesPerArm?: number;
}): AbDecision {
  if (opts.control === null || opts.arms.length === 0) {
    return {
      action: "continue",
      final: false,
      winner: null,
      reason: "not enough data: need feedback on a control and at least one treatment arm",
    };
  }
  if (opts.srmMismatch) {
    return {
      action: "blocked",
      final: false,
      winner: null,
      reason: `sample-ratio mismatch (p = ${
        opts.srmPValue?.toExponential(2)
      }): the split is broken, fix assignment or logging before deciding`,
    };
  }
  const statuses = opts.arms.map((a) => ({ a, s: armStatus(a, opts.maxSamplesPerArm) }));
  const better = statuses.filter((x) => x.s === "better").sort((x, y) => y.a.diff - x.a.diff);
  if (better.length > 0) {
    const w = better[0].a;
    return {
      action: "promote",
      final: true,
      winner: w.arm,
      reason: `arm ${w.arm} beats control ${opts.control} by ${
        pct(w.diff)
      } (always-valid test rejected no difference; guardrails hold)`,
    };
  }
  if (statuses.every((x) => x.s !== "running")) {
    const why = statuses.map((x) => `${x.a.arm}: ${x.s.replaceAll("_", " ")}`).join("; ");
    return {
      action: "keep_control",
      final: true,
      winner: null,
      reason: `keep control ${opts.control} (${why})`,
    };
  }
  const running = statuses.filter((x) => x.s === "running").map((x) => x.a.arm);
  return {
    action: "continue",
    final: false,
    winner: null,
    reason: `no significant difference yet for ${running.join(", ")}; keep collecting feedback`,
  };
}
