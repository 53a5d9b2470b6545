/**
 * Search spaces: zod-checked distribution definitions (float uniform/log/step, int step/log,
 * categorical) and the conversions samplers use between values and a continuous "internal"
 * representation.
 */
import { zodErrorText } from "../config/mod.ts";
import { z } from "zod";
import { TuneInputError } from "./errors.ts";

/** A categorical choice: JSON scalars only, so it round-trips through the database. */
export const choiceSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
/** A categorical choice value. */
export type Choice = z.infer<typeof choiceSchema>;

const finite = z.number().refine(Number.isFinite, "must be a finite number");

/** Float distribution: uniform, log-uniform (`log`), or discretized by `step`. */
const floatDistSchema = z
  .object({
    type: z.literal("float"),
    low: finite,
    high: finite,
    log: z.boolean().default(false),
    step: finite.positive().optional(),
  })
  .refine((d) => d.low <= d.high, { message: "low must be <= high" })
  .refine((d) => !d.log || d.low > 0, { message: "log scale needs low > 0" })
  .refine((d) => !(d.log && d.step !== undefined), { message: "step and log cannot be combined" });

/** Integer distribution: every `step`-th integer from `low`, or log-uniform (`log`). */
const intDistSchema = z
  .object({
    type: z.literal("int"),
    low: z.number().int(),
    high: z.number().int(),
    step: z.number().int().positive().default(1),
    log: z.boolean().default(false),
  })
  .refine((d) => d.low <= d.high, { message: "low must be <= high" })
  .refine((d) => !d.log || d.low >= 1, { message: "log scale needs low >= 1" })
  .refine((d) => !(d.log && d.step !== 1), { message: "step and log cannot be combined" });

/** Categorical distribution over a non-empty list of distinct JSON scalars. */
const categoricalDistSchema = z.object({
  type: z.literal("categorical"),
  choices: z.array(choiceSchema).min(1).refine(
    (cs) => new Set(cs.map((c) => JSON.stringify(c))).size === cs.length,
    { message: "choices must be distinct" },
  ),
});

/** Any distribution. */
export const distributionSchema = z.union([floatDistSchema, intDistSchema, categoricalDistSchema]);
/** A float distribution (defaults applied). */
export type FloatDist = z.infer<typeof floatDistSchema>;
/** An int distribution (defaults applied). */
export type IntDist = z.infer<typeof intDistSchema>;
/** A categorical distribution. */
export type CategoricalDist = z.infer<typeof categoricalDistSchema>;
/** Any distribution (defaults applied). */
export type Distribution = z.infer<typeof distributionSchema>;
/** A distribution as written by a caller (defaults optional). */
export type DistributionInput = z.input<typeof distributionSchema>;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A declared search space (zod schema). */
export const searchSpaceSchema = z.record(
  z.string().regex(PARAM_NAME, "parameter names are identifiers"),
  distributionSchema,
);
/** A declared search space (defaults applied). */
export type SearchSpace = z.infer<typeof searchSpaceSchema>;
/** A search space as written by a caller. */
export type SearchSpaceInput = z.input<typeof searchSpaceSchema>;

/** A parameter value: a number for float/int, a choice for categorical. */
export type ParamValue = number | Choice;
/** Parameters of one trial. */
export type Params = Record<string, ParamValue>;

/** Validate a search space, throwing an error that names each bad parameter. */
export function parseSearchSpace(input: unknown): SearchSpace {
  if (input && typeof input === "object" && !Array.isArray(input)) {
    const bad = Object.keys(input).filter((k) => !PARAM_NAME.test(k));
    if (bad.length) {
      throw new TuneInputError(
        `invalid search space: parameter names must be identifiers (letters, digits, _ . -), got ${
          bad.map((b) => JSON.stringify(b)).join(", ")
        }`,
      );
    }
  }
  const r = searchSpaceSchema.safeParse(input);
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new TuneInputError(`invalid search space:\n${lines}`);
  }
  return r.data;
}

/** Validate one distribution; `name` is used in the error message. */
export function parseDistribution(name: string, input: unknown): Distribution {
  const r = distributionSchema.safeParse(input);
  if (!r.success) {
    throw new Error(
      `invalid distribution for parameter "${name}": ${zodErrorText(r.error, { oneLine: true })}`,
    );
  }
  return r.data;
}

/** Whether `value` is a legal value of `dist`. */
export function contains(dist: Distribution, value: unknown): boolean {
  if (dist.type === "categorical") {
    return dist.choices.some((c) => JSON.stringify(c) === JSON.stringify(value));
  }
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (value < dist.low - 1e-12 || value > dist.high + 1e-12) return false;
  if (dist.type === "int" && !Number.isInteger(value)) return false;
  if (dist.step !== undefined) {
    const k = (value - dist.low) / dist.step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  return true;
}

/** Equality of two distributions (same kind and bounds). */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Bounds of a numeric distribution in its continuous internal representation. */
export interface NumericBounds {
  low: number;
  high: number;
}

/**
 * Internal (continuous) bounds of a numeric distribution: log-space for `log`, and widened by
 * half a step for discrete ones so every value owns an equal-width bin (as Optuna does).
 */
export function internalBounds(dist: FloatDist | IntDist): NumericBounds {
  if (dist.type === "int") {
    if (dist.log) return { low: Math.log(dist.low - 0.5), high: Math.log(dist.high + 0.5) };
    return { low: dist.low - dist.step / 2, high: dist.high + dist.step / 2 };
  }
  if (dist.log) return { low: Math.log(dist.low), high: Math.log(dist.high) };
  if (dist.step !== undefined) {
    return { low: dist.low - dist.step / 2, high: dist.high + dist.step / 2 };
  }
  return { low: dist.low, high: dist.high };
}

/** Map a value to the internal representation. */
export function toInternal(dist: FloatDist | IntDist, value: number): number {
  return dist.log ? Math.log(value) : value;
}

/** Map an internal value back to a legal value (rounded to the step / integer, clipped). */
export function fromInternal(dist: FloatDist | IntDist, x: number): number {
  let v = dist.log ? Math.exp(x) : x;
  if (dist.type === "int") {
    v = dist.log ? Math.round(v) : dist.low + Math.round((v - dist.low) / dist.step) * dist.step;
    const top = dist.log ? dist.high : dist.low + Math.floor((dist.high - dist.low) / dist.step) *
        dist.step;
    return Math.min(Math.max(v, dist.low), top);
  }
  if (dist.step !== undefined) {
    const n = Math.floor((dist.high - dist.low) / dist.step + 1e-9);
    const k = Math.min(Math.max(Math.round((v - dist.low) / dist.step), 0), n);
    return roundFloat(dist.low + k * dist.step);
  }
  return Math.min(Math.max(v, dist.low), dist.high);
}

function roundFloat(v: number): number {
  return Number.parseFloat(v.toPrecision(12));
}

/** Every value of a finite distribution (int, stepped float, categorical), or undefined. */
export function enumerate(dist: Distribution): ParamValue[] | undefined {
  if (dist.type === "categorical") return [...dist.choices];
  if (dist.type === "int") {
    const out: number[] = [];
    for (let v = dist.low; v <= dist.high; v += dist.step) out.push(v);
    return out;
  }
  if (dist.step !== undefined) {
    const n = Math.floor((dist.high - dist.low) / dist.step + 1e-9);
    return Array.from({ length: n + 1 }, (_, k) => roundFloat(dist.low + k * dist.step!));
  }
  return undefined;
}

/** Parameters as stored (JSON object of scalars). */
export const paramsSchema = z.record(z.string(), z.union([z.number(), choiceSchema]));
