/**
 * The closed loop: drift events recorded by the service's live monitors (or batch checks) in
 * `drift_events` trigger a `retrain` run (train on the current data version → evaluate → the
 * registry's promotion gate → the `champion` alias moves, which serving replicas pick up within
 * their alias TTL, no restart). The gate's decision — a promotion or a rejection — is the run's
 * outcome, with its evidence (test, counts, p-value).
 *
 * Every drift event read gets one `automation_triggers` row (unique per event, so two schedulers
 * never trigger twice for it) with the decision: `started` (and the run id), or the guard rail
 * that held it back: `kill_switch` (setting on), `max_concurrent` (that many retrain runs are
 * queued or running), `cooldown` (a triggered retrain started less than the cool-down ago).
 * While a scheduler decides, the row reads `pending`; a claim left `pending` for longer than
 * {@link STALE_CLAIM_SECONDS} (its scheduler died mid-decision) is taken over by the next pass.
 */
import type { Ctx } from "../workspace/mod.ts";
import type { Json } from "../hashing/mod.ts";
import { DAGS, parseDagParams } from "./dag.ts";
import type { Engine } from "./engine.ts";
import type { AutomationSettings } from "./settings.ts";

const CURSOR = "drift_events";

/** Seconds after which a `pending` claim is considered abandoned and is decided again. */
export const STALE_CLAIM_SECONDS = 300;

/** One trigger decision. */
export interface TriggerDecision {
  driftEventId: number;
  model: string;
  /** `pending` only while a scheduler is deciding (never returned by {@link processDriftEvents}). */
  decision: "pending" | "started" | "kill_switch" | "cooldown" | "max_concurrent";
  runId: string | null;
  detail: Json;
}

async function readCursor(ctx: Ctx): Promise<number> {
  const rows = await ctx.db.query<{ value: string | number }>(
    `SELECT value FROM automation_cursors WHERE name = $1`,
    [CURSOR],
  );
  return rows.length ? Number(rows[0].value) : 0;
}

async function guardRail(
  ctx: Ctx,
  settings: AutomationSettings,
): Promise<
  { decision: Exclude<TriggerDecision["decision"], "pending">; detail: Record<string, Json> }
> {
  if (settings.killSwitch) {
    return { decision: "kill_switch", detail: { setting: "FMNIST_AUTOMATION_KILL_SWITCH=on" } };
  }
  const active = await ctx.db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM dag_runs WHERE dag = 'retrain' AND status IN ('queued', 'running')`,
  );
  const n = Number(active[0].n);
  if (n >= settings.maxConcurrentTrainings) {
    return {
      decision: "max_concurrent",
      detail: { active: n, max: settings.maxConcurrentTrainings },
    };
  }
  const last = await ctx.db.query<{ at: Date | string }>(
    `SELECT at FROM automation_triggers WHERE decision = 'started' AND model = $1
     ORDER BY at DESC LIMIT 1`,
    [settings.model],
  );
  if (last.length) {
    const ago = (Date.now() - new Date(last[0].at).getTime()) / 1000;
    if (ago < settings.cooldownSeconds) {
      return {
        decision: "cooldown",
        detail: {
          lastStartedSecondsAgo: Math.round(ago),
          cooldownSeconds: settings.cooldownSeconds,
        },
      };
    }
  }
  return { decision: "started", detail: {} };
}

/**
 * Read the drift events of `settings.model` recorded since the last call, decide for each (guard
 * rails) and submit a retrain run for the first one allowed. Returns the decisions.
 */
export async function processDriftEvents(
  ctx: Ctx,
  engine: Engine,
  settings: AutomationSettings,
): Promise<TriggerDecision[]> {
  const cursor = await readCursor(ctx);
  const events = await ctx.db.query<{ id: string | number; version: number; detectors: string[] }>(
    `SELECT id, version, detectors FROM drift_events WHERE model = $1 AND id > $2 ORDER BY id`,
    [settings.model, cursor],
  );
  const out: TriggerDecision[] = [];
  for (const e of events) {
    const id = Number(e.id);
    // Claim the event (unique per event); a claim abandoned mid-decision is taken over.
    const claimed = await ctx.db.query(
      `INSERT INTO automation_triggers (drift_event_id, model, decision, detail)
       VALUES ($1, $2, 'pending', '{}'::jsonb)
       ON CONFLICT (drift_event_id) DO UPDATE SET at = now()
         WHERE automation_triggers.decision = 'pending'
           AND automation_triggers.at < now() - make_interval(secs => $3)
       RETURNING id`,
      [id, settings.model, STALE_CLAIM_SECONDS],
    );
    if (!claimed.length) continue; // another scheduler took it (or is deciding it now)
    const g = await guardRail(ctx, settings);
    const detail: Record<string, Json> = {
      ...g.detail,
      servedVersion: e.version,
      detectors: e.detectors,
    };
    let runId: string | null = null;
    if (g.decision === "started") {
      const params = parseDagParams({
        model: settings.model,
        recipe: settings.retrain.recipe,
        epochs: settings.retrain.epochs,
        limit: settings.retrain.limit,
        driftEventId: id,
      });
      runId = await engine.submit(DAGS.retrain, params, {
        trigger: "drift",
        triggeredBy: `drift event ${id}`,
      }).catch(async (err) => {
        await ctx.db.query(`DELETE FROM automation_triggers WHERE drift_event_id = $1`, [id]);
        throw err;
      });
    }
    await ctx.db.query(
      `UPDATE automation_triggers SET decision = $2, run_id = $3, detail = $4::jsonb
       WHERE drift_event_id = $1`,
      [id, g.decision, runId, JSON.stringify(detail)],
    );
    ctx.log.info("drift event handled", { driftEventId: id, decision: g.decision, runId });
    out.push({ driftEventId: id, model: settings.model, decision: g.decision, runId, detail });
  }
  if (events.length) {
    const max = Math.max(...events.map((e) => Number(e.id)));
    await ctx.db.query(
      `INSERT INTO automation_cursors (name, value) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET value = GREATEST(automation_cursors.value, EXCLUDED.value)`,
      [CURSOR, max],
    );
  }
  return out;
}

/** Recorded trigger decisions, newest first. */
export async function listTriggers(ctx: Pick<Ctx, "db">, limit = 50): Promise<TriggerDecision[]> {
  const rows = await ctx.db.query<
    {
      drift_event_id: string | number;
      model: string;
      decision: string;
      run_id: string | null;
      detail: Json;
    }
  >(
    `SELECT drift_event_id, model, decision, run_id, detail FROM automation_triggers
     ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    driftEventId: Number(r.drift_event_id),
    model: r.model,
    decision: r.decision as TriggerDecision["decision"],
    runId: r.run_id,
    detail: r.detail,
  }));
}
