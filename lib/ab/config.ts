/**
 * A/B experiment configuration, stored in the database (`ab_experiments`, one per model) so it
 * survives restarts and every instance of the service sees the same split.
 */
import { z } from "zod";
import type { Queryable } from "../db/mod.ts";
import {
  AliasSchema,
  getAliases,
  getModel,
  getModelVersion,
  RegistryNotFoundError,
} from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { type AbDesign, abDesignSchema } from "./design.ts";

/** One arm: a name, the version (or alias) it serves, and its share of traffic. */
export const abArmSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, "use 1-32 of A-Z a-z 0-9 _ -"),
  version: z.number().int().min(1).optional(),
  alias: AliasSchema.optional(),
  weight: z.number().finite().min(0).max(1_000_000),
}).refine((a) => (a.version === undefined) !== (a.alias === undefined), {
  message: "give exactly one of version or alias",
});
/** One arm of an experiment. */
export type AbArm = z.output<typeof abArmSchema>;

/** The arms of an experiment: 2–16, unique names, not every weight 0. */
export const abArmsSchema = z.array(abArmSchema)
  .min(2, "an experiment needs at least two arms")
  .max(16)
  .superRefine((arms, ctx) => {
    const names = new Set<string>();
    arms.forEach((a, i) => {
      if (names.has(a.name)) {
        ctx.addIssue({ code: "custom", path: [i, "name"], message: "duplicate arm name" });
      }
      names.add(a.name);
    });
    if (!(arms.reduce((s, a) => s + a.weight, 0) > 0)) {
      ctx.addIssue({ code: "custom", path: [], message: "weights must not all be 0" });
    }
  });

/** An experiment as clients write it (the admin API's body, in camelCase). */
export const abConfigInputSchema = z.strictObject({
  arms: abArmsSchema,
  enabled: z.boolean().default(true),
  /** Mixed into the client-key hash; a new salt reshuffles clients (default: a random one). */
  salt: z.string().min(1).max(100).optional(),
  reason: z.string().max(1000).optional(),
  /** Test level, mixing τ, horizon, guardrail limits, auto-decision (see design.ts). */
  design: abDesignSchema.default(abDesignSchema.parse({})),
});
/** Parsed experiment input. */
export type AbConfigInput = z.output<typeof abConfigInputSchema>;

/** An experiment config that does not fit the registry (an arm names no version or alias). */
export class AbConfigError extends Error {
  override name = "AbConfigError";
}

/**
 * Check that `model` is registered (else `RegistryNotFoundError`) and that every arm of `input`
 * names one of its versions or aliases (else {@link AbConfigError}): what
 * {@link putAbExperiment} expects its caller to have checked.
 */
export async function checkArms(
  ctx: TrackingContext,
  model: string,
  input: Pick<AbConfigInput, "arms">,
): Promise<void> {
  await getModel(ctx, model);
  const aliases = await getAliases(ctx, model);
  for (const arm of input.arms) {
    if (arm.alias !== undefined && aliases[arm.alias] === undefined) {
      throw new AbConfigError(
        `arm ${arm.name}: model ${model} has no alias ${JSON.stringify(arm.alias)} ` +
          `(aliases: ${Object.keys(aliases).join(", ") || "none"})`,
      );
    }
    if (arm.version === undefined) continue;
    try {
      await getModelVersion(ctx, model, arm.version);
    } catch (err) {
      if (err instanceof RegistryNotFoundError) {
        throw new AbConfigError(`arm ${arm.name}: model ${model} has no version ${arm.version}`);
      }
      throw err;
    }
  }
}

/** A stored experiment. */
export interface AbExperiment {
  model: string;
  arms: AbArm[];
  enabled: boolean;
  salt: string;
  reason: string | null;
  design: AbDesign;
  /** When the current arms (and salt) took effect; results count from then. */
  startedAt: string;
  updatedBy: string;
  updatedAt: string;
}

interface Row {
  model: string;
  arms: unknown;
  enabled: boolean;
  salt: string;
  reason: string | null;
  design: unknown;
  started_at: Date | string;
  updated_by: string;
  updated_at: Date | string;
}

function fromRow(r: Row): AbExperiment {
  const arms = z.array(abArmSchema).safeParse(r.arms);
  if (!arms.success) {
    throw new Error(
      `A/B experiment of ${r.model} has malformed arms in the database; PUT a new config`,
    );
  }
  const design = abDesignSchema.safeParse(r.design ?? {});
  if (!design.success) {
    throw new Error(
      `A/B experiment of ${r.model} has a malformed design in the database; PUT a new config`,
    );
  }
  return {
    model: r.model,
    arms: arms.data,
    enabled: r.enabled,
    salt: r.salt,
    reason: r.reason,
    design: design.data,
    startedAt: new Date(r.started_at).toISOString(),
    updatedBy: r.updated_by,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const COLUMNS = "model, arms, enabled, salt, reason, design, started_at, updated_by, updated_at";
const SELECT = `SELECT ${COLUMNS} FROM ab_experiments`;

/** The experiment of `model`, or null. */
export async function getAbExperiment(db: Queryable, model: string): Promise<AbExperiment | null> {
  const rows = await db.query<Row>(`${SELECT} WHERE model = $1`, [model]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Every stored experiment, by model name. */
export async function listAbExperiments(db: Queryable): Promise<AbExperiment[]> {
  return (await db.query<Row>(`${SELECT} ORDER BY model`)).map(fromRow);
}

/**
 * Create or replace the experiment of `model` (the caller checked the arms with
 * {@link checkArms}). The
 * start time is reset when the arms or the salt change (a new experiment); a change of weights
 * only, of `enabled`, the design or the reason keeps it.
 */
export async function putAbExperiment(
  db: Queryable,
  model: string,
  input: AbConfigInput,
  actor: string,
): Promise<AbExperiment> {
  const salt = input.salt ?? crypto.randomUUID();
  const rows = await db.query<Row>(
    `INSERT INTO ab_experiments (model, arms, enabled, salt, reason, design, updated_by)
     VALUES ($1, $2::jsonb, $3, $4, $5, $6::jsonb, $7)
     ON CONFLICT (model) DO UPDATE SET arms = EXCLUDED.arms, enabled = EXCLUDED.enabled,
       salt = EXCLUDED.salt, reason = EXCLUDED.reason, design = EXCLUDED.design,
       updated_by = EXCLUDED.updated_by, updated_at = now(),
       started_at = CASE WHEN ${armsChanged} THEN now() ELSE ab_experiments.started_at END
     RETURNING ${COLUMNS}`,
    [
      model,
      JSON.stringify(input.arms),
      input.enabled,
      salt,
      input.reason ?? null,
      JSON.stringify(input.design),
      actor,
    ],
  );
  return fromRow(rows[0]);
}

/** The arms (names and refs; weights may change) or the salt differ from the stored ones. */
const armsChanged = `ab_experiments.salt IS DISTINCT FROM EXCLUDED.salt OR
  (SELECT jsonb_agg(a.value - 'weight' ORDER BY a.ordinality)
     FROM jsonb_array_elements(ab_experiments.arms) WITH ORDINALITY a)
  IS DISTINCT FROM
  (SELECT jsonb_agg(a.value - 'weight' ORDER BY a.ordinality)
     FROM jsonb_array_elements(EXCLUDED.arms) WITH ORDINALITY a)`;

/** Delete the experiment of `model`; returns whether there was one. */
export async function deleteAbExperiment(db: Queryable, model: string): Promise<boolean> {
  const rows = await db.query(`DELETE FROM ab_experiments WHERE model = $1 RETURNING model`, [
    model,
  ]);
  return rows.length > 0;
}
