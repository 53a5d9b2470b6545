/** Aliases (`champion`, `challenger`, custom): each points at one version; every move is audited. */
import type { Queryable } from "../db/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { resolveActor } from "./actor.ts";
import { AliasConflictError, RegistryInputError, RegistryNotFoundError } from "./errors.ts";
import { recordEvent } from "./events.ts";
import { AliasSchema, type RegistryEvent } from "./schemas.ts";
import { checkModelName, lockModel } from "./versions.ts";

/** Options of {@link setAlias}. */
export interface SetAliasOptions {
  name: string;
  alias: string;
  version: number;
  /** Why (recorded in the audit log). */
  reason?: string;
  /** Who (default: `FMNIST_ACTOR`, then `USER`). */
  actor?: string;
  /**
   * Compare-and-set: the version the alias must point at now (null: must be unset); a mismatch
   * throws {@link AliasConflictError} and moves nothing.
   */
  expectedVersion?: number | null;
}

/** Result of an alias change: the audit event, or null when nothing changed. */
export interface AliasChange {
  from: number | null;
  to: number | null;
  event: RegistryEvent | null;
}

function checkAlias(alias: string): string {
  const r = AliasSchema.safeParse(alias);
  if (!r.success) {
    throw new RegistryInputError(
      `invalid alias ${JSON.stringify(alias)}: ${r.error.issues[0]?.message}`,
    );
  }
  return alias;
}

/** Current version of `alias`, or null (inside the caller's transaction). */
export async function aliasVersion(
  db: Queryable,
  name: string,
  alias: string,
): Promise<number | null> {
  const rows = await db.query<{ version: number }>(
    `SELECT version FROM registry_aliases WHERE model = $1 AND alias = $2`,
    [name, alias],
  );
  return rows[0]?.version ?? null;
}

/**
 * Point `alias` at `version` within an open transaction whose model row is locked; records an
 * `alias_set` event with extra `details`. No-op (null event) when it already points there.
 */
export async function moveAlias(
  tx: Queryable,
  o: {
    name: string;
    alias: string;
    version: number;
    actor: string;
    reason: string | null;
    expectedVersion?: number | null;
    details?: unknown;
  },
): Promise<AliasChange> {
  const exists = await tx.query(
    `SELECT 1 FROM registry_versions WHERE model = $1 AND version = $2`,
    [o.name, o.version],
  );
  if (exists.length === 0) {
    throw new RegistryNotFoundError(`model ${o.name} has no version ${o.version} to alias`);
  }
  const from = await aliasVersion(tx, o.name, o.alias);
  if (o.expectedVersion !== undefined && from !== o.expectedVersion) {
    throw new AliasConflictError(
      `alias ${o.alias} of ${o.name} points at ${from ?? "nothing"}, expected ${
        o.expectedVersion ?? "nothing"
      }; someone moved it meanwhile: re-read it and retry`,
    );
  }
  if (from === o.version) return { from, to: o.version, event: null };
  await tx.query(
    `INSERT INTO registry_aliases (model, alias, version) VALUES ($1, $2, $3)
     ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
    [o.name, o.alias, o.version],
  );
  const event = await recordEvent(tx, {
    model: o.name,
    kind: "alias_set",
    alias: o.alias,
    fromVersion: from,
    toVersion: o.version,
    actor: o.actor,
    reason: o.reason,
    details: o.details ?? null,
  });
  return { from, to: o.version, event };
}

/**
 * Point `alias` of model `name` at `version` (a stage transition), recording who, when, why and
 * from→to in the audit log. Setting it to where it already points changes and records nothing.
 * @throws RegistryNotFoundError, RegistryInputError, AliasConflictError (see `expectedVersion`).
 */
export async function setAlias(ctx: TrackingContext, opts: SetAliasOptions): Promise<AliasChange> {
  const name = checkModelName(opts.name);
  const alias = checkAlias(opts.alias);
  const actor = resolveActor(opts.actor);
  const change = await ctx.db.transaction(async (tx) => {
    await lockModel(tx, name);
    return await moveAlias(tx, {
      name,
      alias,
      version: opts.version,
      actor,
      reason: opts.reason ?? null,
      expectedVersion: opts.expectedVersion,
    });
  });
  if (change.event) {
    ctx.log.info("alias moved", { model: name, alias, from: change.from, to: change.to, actor });
  }
  return change;
}

/** Remove `alias` (audited). No-op (null event) when it is not set. */
export async function removeAlias(
  ctx: TrackingContext,
  opts: { name: string; alias: string; reason?: string; actor?: string },
): Promise<AliasChange> {
  const name = checkModelName(opts.name);
  const alias = checkAlias(opts.alias);
  const actor = resolveActor(opts.actor);
  return await ctx.db.transaction(async (tx) => {
    await lockModel(tx, name);
    const from = await aliasVersion(tx, name, alias);
    if (from === null) return { from, to: null, event: null };
    await tx.query(`DELETE FROM registry_aliases WHERE model = $1 AND alias = $2`, [name, alias]);
    const event = await recordEvent(tx, {
      model: name,
      kind: "alias_removed",
      alias,
      fromVersion: from,
      toVersion: null,
      actor,
      reason: opts.reason ?? null,
      details: null,
    });
    return { from, to: null, event };
  });
}

/** alias → version of a model. */
export async function getAliases(
  ctx: TrackingContext,
  name: string,
): Promise<Record<string, number>> {
  checkModelName(name);
  const rows = await ctx.db.query<{ alias: string; version: number }>(
    `SELECT alias, version FROM registry_aliases WHERE model = $1 ORDER BY alias`,
    [name],
  );
  return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
}
