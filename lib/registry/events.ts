/** The registry's append-only audit log. */
import type { Queryable } from "../db/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import type { RegistryEvent } from "./schemas.ts";

/** A `registry_events` row. */
interface EventRow {
  id: number;
  model: string;
  kind: RegistryEvent["kind"];
  alias: string | null;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string | null;
  details: unknown;
  at: Date | string;
}

function toEvent(r: EventRow): RegistryEvent {
  return {
    id: Number(r.id),
    model: r.model,
    kind: r.kind,
    alias: r.alias,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    actor: r.actor,
    reason: r.reason,
    details: r.details ?? null,
    at: new Date(r.at).toISOString(),
  };
}

/** What to record; `id` and `at` are assigned by the database. */
export type EventInput = Omit<RegistryEvent, "id" | "at">;

/** Append one event (inside the caller's transaction) and return it. */
export async function recordEvent(db: Queryable, e: EventInput): Promise<RegistryEvent> {
  const rows = await db.query<EventRow>(
    `INSERT INTO registry_events (model, kind, alias, from_version, to_version, actor, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING *`,
    [
      e.model,
      e.kind,
      e.alias,
      e.fromVersion,
      e.toVersion,
      e.actor,
      e.reason,
      e.details === null || e.details === undefined ? null : JSON.stringify(e.details),
    ],
  );
  return toEvent(rows[0]);
}

/** Audit log of a model, oldest first (all models when `model` is omitted). */
export async function listEvents(
  ctx: TrackingContext,
  model?: string,
  opts: { kind?: RegistryEvent["kind"]; limit?: number } = {},
): Promise<RegistryEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (model !== undefined) {
    params.push(model);
    where.push(`model = $${params.length}`);
  }
  if (opts.kind !== undefined) {
    params.push(opts.kind);
    where.push(`kind = $${params.length}`);
  }
  params.push(Math.max(1, Math.min(opts.limit ?? 1000, 10_000)));
  const rows = await ctx.db.query<EventRow>(
    `SELECT * FROM registry_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY id LIMIT $${params.length}`,
    params,
  );
  return rows.map(toEvent);
}
