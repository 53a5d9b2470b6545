/**
 * The design of an A/B experiment, stored with it: the sequential test's level and mixing
 * parameter, when a look may first reject, the planned horizon, the guardrail limits, the SRM
 * threshold, and whether the service may act on the decision by itself.
 */
import { z } from "zod";
import { sequentialOptionsSchema } from "./sequential.ts";
import { SRM_THRESHOLD_DEFAULT } from "./srm.ts";

/** Guardrail limits: a treatment arm breaching one cannot win. */
export const guardrailLimitsSchema = z.strictObject({
  /** Treatment p99 latency may be at most this multiple of the control's … */
  latencyP99Ratio: z.number().min(1).max(100).default(1.5),
  /** … plus this many milliseconds (absorbs noise at tiny latencies). */
  latencyP99SlackMs: z.number().min(0).max(60_000).default(5),
  /** Treatment error rate may exceed the control's by at most this (absolute). */
  errorRateIncrease: z.number().min(0).max(1).default(0.01),
});
/** Guardrail limits with defaults. */
export type GuardrailLimits = z.output<typeof guardrailLimitsSchema>;

/** An experiment's design (every field has a default). */
export const abDesignSchema = z.strictObject({
  /** Overall type-I error; split evenly (Bonferroni) over the treatment arms. */
  alpha: sequentialOptionsSchema.shape.alpha,
  /** Mixing standard deviation of the mSPRT over the accuracy difference (see sequential.ts). */
  tau: sequentialOptionsSchema.shape.tau,
  /** Feedback observations each arm needs before the test may stop. */
  minSamples: sequentialOptionsSchema.shape.minSamples,
  /**
   * Planned horizon in feedback observations per arm: when every treatment arm has reached it
   * without a significant difference, the decision is to keep the control. Unset: run until the
   * test stops (or someone ends it).
   */
  maxSamplesPerArm: z.number().int().min(1).max(1_000_000_000).optional(),
  /** The minimum detectable effect the experiment was planned for (reported; informs τ). */
  mde: z.number().gt(-1).lt(1).optional(),
  /** SRM p-value below which a decision is blocked. */
  srmThreshold: z.number().gt(0).lt(1).default(SRM_THRESHOLD_DEFAULT),
  guardrails: guardrailLimitsSchema.default(guardrailLimitsSchema.parse({})),
  /** Let the service's experiment monitor apply a final decision through the registry gate. */
  autoDecide: z.boolean().default(false),
});
/** An experiment's design with defaults. */
export type AbDesign = z.output<typeof abDesignSchema>;
/** An experiment's design as written. */
export type AbDesignInput = z.input<typeof abDesignSchema>;
