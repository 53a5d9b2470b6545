/**
 * Automatic decisions: every `intervalSeconds` the monitor analyzes each enabled experiment whose
 * design has `autoDecide: true` and, when its decision is final, applies it through the
 * registry's experiment gate (`applyDecision`: promote the winner or keep the champion, record
 * the evidence, disable the experiment). Looking this often is safe: the sequential test's
 * error guarantee holds under continuous monitoring. A failing tick is logged, never thrown.
 */
import type { Logger } from "../log/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { analyzeExperiment } from "./analysis.ts";
import { type AppliedDecision, applyDecision } from "./apply.ts";
import { listAbExperiments } from "./config.ts";

/** Options of {@link AbDecisionMonitor}. */
export interface AbDecisionMonitorOptions {
  ctx: TrackingContext;
  log: Logger;
  /** Seconds between ticks (default 60). */
  intervalSeconds?: number;
  /** Run before each analysis (e.g. flush buffered prediction logs). */
  beforeAnalyze?: () => Promise<void>;
  /** Told after a decision was applied to `model` (e.g. invalidate the resolver's cache). */
  onApplied?: (model: string, applied: AppliedDecision) => void;
  /** Recorded as the actor of the gate decisions (default `ab-monitor`). */
  actor?: string;
}

/** See the module doc. */
export class AbDecisionMonitor {
  readonly #o: AbDecisionMonitorOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<AppliedDecision[]> | null = null;

  constructor(opts: AbDecisionMonitorOptions) {
    const s = opts.intervalSeconds ?? 60;
    if (!(s > 0)) throw new RangeError(`intervalSeconds must be > 0, got ${s}`);
    this.#o = opts;
  }

  /** Start ticking (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      void this.tick();
    }, (this.#o.intervalSeconds ?? 60) * 1000);
    Deno.unrefTimer(this.#timer);
  }

  /** Stop ticking and wait for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over the experiments; returns the decisions applied (one tick at a time). */
  tick(): Promise<AppliedDecision[]> {
    this.#running ??= this.#tick().finally(() => (this.#running = null));
    return this.#running;
  }

  async #tick(): Promise<AppliedDecision[]> {
    const { ctx, log } = this.#o;
    const applied: AppliedDecision[] = [];
    try {
      const experiments = (await listAbExperiments(ctx.db)).filter((e) =>
        e.enabled && e.design.autoDecide
      );
      if (experiments.length === 0) return applied;
      await this.#o.beforeAnalyze?.();
      for (const e of experiments) {
        try {
          const analysis = await analyzeExperiment(ctx.db, e.model);
          if (!analysis.decision.final) continue;
          const r = await applyDecision(ctx, analysis, { actor: this.#o.actor ?? "ab-monitor" });
          if (!r.applied) continue;
          applied.push(r);
          log.info("A/B decision applied automatically", {
            model: e.model,
            action: r.action,
            reason: r.reason,
            gates: r.gates.map((g) => ({ version: g.challenger, outcome: g.outcome })),
          });
          this.#o.onApplied?.(e.model, r);
        } catch (err) {
          log.error("A/B automatic decision failed", { model: e.model, error: err });
        }
      }
    } catch (err) {
      log.error("A/B decision monitor tick failed", { error: err });
    }
    return applied;
  }
}
