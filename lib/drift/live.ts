/**
 * Live drift detection in the service. Every served input is offered to a {@link DriftMonitor}
 * (an observer the inference service calls after answering); per model version it keeps a
 * bounded window of recent inputs and tests it against the version's reference profile, off the
 * request path.
 *
 * - **Window**: the last `window` admitted images (a ring buffer of bytes: 784 B each). When
 *   traffic exceeds `maxAdmitPerSecond`, inputs are admitted with probability
 *   `maxAdmitPerSecond / rate` (rate: an exponentially smoothed inputs-per-second), so memory and
 *   evaluation cost stay bounded while the window still spans a random sample of recent traffic.
 * - **Off the request path**: evaluations run in a worker thread (`lib/drift/live_worker.ts`,
 *   its own engine and model copy), so they never block the event loop serving requests.
 * - **Schedule**: an evaluation runs (on a timer, never inside a request) after `every` newly
 *   admitted images, or `intervalSeconds` after the last one if at least `minWindow` new images
 *   arrived, but never sooner than `minIntervalSeconds` (30) after the previous one — so the
 *   detector's CPU is bounded whatever the traffic; one evaluation at a time per version.
 * - **Alarms**: each evaluation applies the detectors' rule (false alarm ≤ α per evaluation).
 *   With `every` = `window` (the default) consecutive windows are disjoint, hence independent
 *   under no drift; the version's state becomes `drift` — and one drift event is recorded — only
 *   after `confirmations` (default 2) consecutive drift verdicts, so on clean traffic a false
 *   event needs α² (0.25 % per evaluation at α = 0.05). Shifted traffic is flagged after at most
 *   `window × (confirmations + 1)` shifted images (the window holding pre-shift images first
 *   flushes out). The state returns to `no drift` after `confirmations` clean verdicts.
 *
 * Metrics (prom-client, on the service registry): `fmnist_drift_statistic`,
 * `fmnist_drift_p_value` (family p × detectors), `fmnist_drift_detected` (per detector and
 * `overall`: the last verdict; `state` for the confirmed state), `fmnist_drift_window_size`,
 * `fmnist_drift_evaluations_total`, `fmnist_drift_inputs_total{outcome=admitted|sampled_out}`.
 */
import { zodErrorText } from "../config/mod.ts";
import * as tf from "@tensorflow/tfjs";
import client from "prom-client";
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { detectDrift, type DetectOptionsInput, type DriftReport } from "./detect.ts";
import { type Profile, viewBatch } from "./profile.ts";
import type { FromLiveWorker, ToLiveWorker } from "./live_worker.ts";
import { readArtifactManifest } from "../models/mod.ts";
import { getContent } from "../storage/mod.ts";
import { getModelVersion } from "../registry/mod.ts";
import {
  type DriftModel,
  ensureProfile,
  loadDriftModel,
  loadProfile,
  recordDriftEvent,
} from "./store.ts";

/** Options of a {@link DriftMonitor} (zod-validated). */
export const liveOptionsSchema = z.object({
  /** Images kept per model version. */
  window: z.number().int().min(8).max(100_000).default(500),
  /** Evaluate after this many newly admitted images (default: the window size). */
  every: z.number().int().min(1).optional(),
  /** Evaluate at least this often (seconds) when ≥ `minWindow` new images arrived. */
  intervalSeconds: z.number().positive().max(86_400).default(60),
  /**
   * Evaluate at most this often (seconds): at high traffic the window refills in seconds, and
   * the detector's CPU must not grow with traffic.
   */
  minIntervalSeconds: z.number().min(0).max(86_400).default(30),
  /** Fewest images an evaluation uses. */
  minWindow: z.number().int().min(8).default(100),
  /** Admission rate cap (images per second per version); above it inputs are sampled. */
  maxAdmitPerSecond: z.number().positive().default(200),
  /** Consecutive drift verdicts before the state flips (and an event is recorded). */
  confirmations: z.number().int().min(1).max(10).default(2),
  /** Compute a version's missing profile from its reference data (slow, once). */
  computeMissingProfiles: z.boolean().default(true),
  /** Most reference images when computing a missing profile. */
  maxReference: z.number().int().min(20).default(10_000),
  /**
   * Evaluate in a worker thread (default): the forward pass and tests of a window never block
   * the service's event loop. `false` evaluates on the main thread (between requests).
   */
  worker: z.boolean().default(true),
});
/** Live options as callers write them. */
export type LiveOptionsInput = z.input<typeof liveOptionsSchema>;

/** The live state of one model version. */
export interface LiveStatus {
  model: string;
  version: number;
  /** `warming up` until the first evaluation; `unavailable` without a profile. */
  state: "warming up" | "no drift" | "drift" | "unavailable";
  windowSize: number;
  windowCapacity: number;
  /** Inputs seen / admitted into the window. */
  observed: number;
  admitted: number;
  evaluations: number;
  lastEvaluatedAt: string | null;
  /** The last evaluation's report. */
  last: DriftReport | null;
  detail?: string;
}

interface Track {
  model: string;
  version: number;
  ring: Uint8Array;
  next: number;
  size: number;
  observed: number;
  admitted: number;
  sinceEval: number;
  lastEvalAt: number;
  rate: number;
  rateAt: number;
  evaluating: boolean;
  timer?: ReturnType<typeof setTimeout>;
  evaluations: number;
  streak: number;
  state: LiveStatus["state"];
  last: DriftReport | null;
  lastEvaluatedAt: string | null;
  detail?: string;
  model$?: Promise<{ m: DriftModel; profile: Profile }>;
  setup$?: Promise<void>;
}

/** Live drift detection; see the module doc. Implements the inference service's observer. */
export class DriftMonitor {
  readonly #ctx: Ctx;
  readonly #log: Logger;
  readonly #o: z.output<typeof liveOptionsSchema> & { every: number };
  readonly #detect: DetectOptionsInput;
  readonly #tracks = new Map<string, Track>();
  readonly #random: () => number;
  #closed = false;
  #pending = new Set<Promise<void>>();
  #worker?: Worker;
  #nextId = 0;
  readonly #waiting = new Map<
    number,
    { resolve: (r: DriftReport) => void; reject: (e: Error) => void }
  >();
  readonly #statistic: client.Gauge<"model" | "version" | "detector">;
  readonly #pValue: client.Gauge<"model" | "version" | "detector">;
  readonly #detected: client.Gauge<"model" | "version" | "detector">;
  readonly #windowSize: client.Gauge<"model" | "version">;
  readonly #evaluationsTotal: client.Counter<"model" | "version" | "verdict">;
  readonly #inputs: client.Counter<"model" | "version" | "outcome">;

  constructor(
    ctx: Ctx,
    opts: {
      registry: client.Registry;
      live?: LiveOptionsInput;
      detect?: DetectOptionsInput;
      log?: Logger;
      random?: () => number;
    },
  ) {
    this.#ctx = ctx;
    this.#log = opts.log ?? ctx.log;
    const o = liveOptionsSchema.parse(opts.live ?? {});
    this.#o = { ...o, every: o.every ?? o.window };
    this.#detect = opts.detect ?? {};
    this.#random = opts.random ?? Math.random;
    const registers = [opts.registry];
    const mv = ["model", "version"] as const;
    this.#statistic = new client.Gauge({
      name: "fmnist_drift_statistic",
      help: "Drift test statistic of the last live evaluation, by detector",
      labelNames: [...mv, "detector"],
      registers,
    });
    this.#pValue = new client.Gauge({
      name: "fmnist_drift_p_value",
      help: "Family p-value × detectors (compare with alpha) of the last live evaluation",
      labelNames: [...mv, "detector"],
      registers,
    });
    this.#detected = new client.Gauge({
      name: "fmnist_drift_detected",
      help: "1 when the last live evaluation found drift (detector=overall: verdict; " +
        "detector=state: confirmed state)",
      labelNames: [...mv, "detector"],
      registers,
    });
    this.#windowSize = new client.Gauge({
      name: "fmnist_drift_window_size",
      help: "Images in the live drift window",
      labelNames: [...mv],
      registers,
    });
    this.#evaluationsTotal = new client.Counter({
      name: "fmnist_drift_evaluations_total",
      help: "Live drift evaluations by verdict",
      labelNames: [...mv, "verdict"],
      registers,
    });
    this.#inputs = new client.Counter({
      name: "fmnist_drift_inputs_total",
      help: "Inputs offered to the live drift window (admitted or sampled out at high traffic)",
      labelNames: [...mv, "outcome"],
      registers,
    });
  }

  /**
   * Offer served inputs (`count` images of 784 floats in 0..1). Cheap and synchronous: copies
   * admitted images into the window and schedules an evaluation when due.
   */
  observe(model: string, version: number, pixels: Float32Array, count: number): void {
    if (this.#closed) return;
    const key = `${model}\u0000${version}`;
    let t = this.#tracks.get(key);
    if (!t) {
      t = {
        model,
        version,
        ring: new Uint8Array(this.#o.window * 784),
        next: 0,
        size: 0,
        observed: 0,
        admitted: 0,
        sinceEval: 0,
        lastEvalAt: performance.now(),
        rate: 0,
        rateAt: performance.now(),
        evaluating: false,
        evaluations: 0,
        streak: 0,
        state: "warming up",
        last: null,
        lastEvaluatedAt: null,
      };
      this.#tracks.set(key, t);
    }
    // Exponentially smoothed arrival rate (inputs / s, ~1 s time constant).
    const now = performance.now();
    const dt = Math.max(1e-3, (now - t.rateAt) / 1000);
    const w = Math.exp(-dt);
    t.rate = w * t.rate + (1 - w) * (count / dt);
    t.rateAt = now;
    const admitP = t.rate > this.#o.maxAdmitPerSecond ? this.#o.maxAdmitPerSecond / t.rate : 1;
    let admitted = 0;
    for (let i = 0; i < count; i++) {
      if (admitP < 1 && this.#random() >= admitP) continue;
      const dst = t.next * 784;
      const src = i * 784;
      for (let j = 0; j < 784; j++) {
        const v = pixels[src + j];
        t.ring[dst + j] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
      t.next = (t.next + 1) % this.#o.window;
      t.size = Math.min(this.#o.window, t.size + 1);
      admitted++;
    }
    t.observed += count;
    t.admitted += admitted;
    t.sinceEval += admitted;
    const labels = { model, version: String(version) };
    if (admitted) this.#inputs.inc({ ...labels, outcome: "admitted" }, admitted);
    if (count > admitted) this.#inputs.inc({ ...labels, outcome: "sampled_out" }, count - admitted);
    this.#windowSize.set(labels, t.size);
    this.#schedule(t);
  }

  #schedule(t: Track): void {
    if (t.evaluating || t.state === "unavailable") return;
    const due = t.sinceEval >= this.#o.every && t.size >= this.#o.minWindow;
    const wait = this.#o.minIntervalSeconds * 1000 - (performance.now() - t.lastEvalAt);
    if (due && wait > 0 && t.evaluations > 0) {
      // Due but too soon after the last one: evaluate when the minimum interval has passed.
      if (t.timer === undefined) {
        const timer = setTimeout(() => {
          t.timer = undefined;
          this.#schedule(t);
        }, wait);
        Deno.unrefTimer(timer);
        t.timer = timer;
      }
      return;
    }
    if (due) {
      if (t.timer !== undefined) clearTimeout(t.timer);
      t.timer = undefined;
      t.evaluating = true;
      // A timer, not a microtask: the request that triggered it answers first.
      const p = new Promise<void>((resolve) => {
        setTimeout(() => this.#evaluate(t).finally(resolve), 0);
      });
      this.#pending.add(p);
      p.finally(() => this.#pending.delete(p));
      return;
    }
    if (t.timer === undefined && t.sinceEval > 0) {
      const timer = setTimeout(() => {
        t.timer = undefined;
        if (t.sinceEval >= this.#o.minWindow && t.size >= this.#o.minWindow) {
          t.sinceEval = Math.max(t.sinceEval, this.#o.every);
          this.#schedule(t);
        }
      }, this.#o.intervalSeconds * 1000);
      Deno.unrefTimer(timer);
      t.timer = timer;
    }
  }

  /** The version's model and profile on this thread (computing a missing profile if allowed). */
  #load(t: Track): Promise<{ m: DriftModel; profile: Profile }> {
    t.model$ ??= (async () => {
      const m = await loadDriftModel(this.#ctx, t.model, t.version);
      try {
        if (this.#o.computeMissingProfiles) {
          const { profile } = await ensureProfile(this.#ctx, m, {
            maxReference: this.#o.maxReference,
          });
          return { m, profile };
        }
        const profile = await loadProfile(this.#ctx, t.model, t.version);
        if (!profile) {
          throw new Error(
            `${t.model} v${t.version} has no reference profile (run deno task drift once)`,
          );
        }
        return { m, profile };
      } catch (err) {
        m.model.dispose();
        throw err;
      }
    })();
    return t.model$;
  }

  #startWorker(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL("./live_worker.ts", import.meta.url), { type: "module" });
    w.onmessage = (e: MessageEvent) => {
      const msg = e.data as FromLiveWorker;
      const waiter = this.#waiting.get(msg.id);
      if (!waiter) return;
      this.#waiting.delete(msg.id);
      if (msg.type === "report") waiter.resolve(msg.report);
      else waiter.reject(new Error(msg.message));
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      for (const waiter of this.#waiting.values()) {
        waiter.reject(new Error(`live drift worker failed: ${e.message}`));
      }
      this.#waiting.clear();
      this.#worker = undefined;
      for (const t of this.#tracks.values()) t.setup$ = undefined;
      w.terminate();
    };
    const backend = tf.getBackend() === "cpu" ? "cpu" : "wasm";
    w.postMessage({ type: "init", backend, logLevel: this.#log.level } satisfies ToLiveWorker);
    this.#worker = w;
    return w;
  }

  async #evaluateInWorker(t: Track, images: Uint8Array, count: number): Promise<DriftReport> {
    const key = `${t.model}\u0000${t.version}`;
    const w = this.#startWorker();
    t.setup$ ??= (async () => {
      // A stored profile needs no model on this thread: only its bytes go to the worker.
      const version = await getModelVersion(this.#ctx, t.model, t.version);
      const profile = await loadProfile(this.#ctx, t.model, t.version) ??
        (await this.#load(t)).profile;
      const manifest = await readArtifactManifest(this.#ctx.store, version.sha256);
      const weights = await getContent(this.#ctx.store, manifest.weightsSha256);
      w.postMessage(
        {
          type: "setup",
          key,
          modelTopology: manifest.modelTopology,
          weightSpecs: manifest.weightSpecs,
          weights,
          normalization: manifest.signature.normalization,
          profile,
        } satisfies ToLiveWorker,
      );
    })();
    await t.setup$;
    const id = ++this.#nextId;
    const report = new Promise<DriftReport>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
    });
    w.postMessage(
      {
        type: "evaluate",
        id,
        key,
        images,
        count,
        detect: { ...this.#detect, seed: t.evaluations },
      } satisfies ToLiveWorker,
      [images.buffer],
    );
    return await report;
  }

  async #evaluate(t: Track): Promise<void> {
    try {
      const n = t.size;
      const images = t.ring.slice(0, n * 784);
      t.sinceEval = 0;
      let report: DriftReport;
      if (this.#o.worker) report = await this.#evaluateInWorker(t, images, n);
      else {
        const { m, profile } = await this.#load(t);
        if (this.#closed) return;
        const view = viewBatch(m.model, profile, {
          count: n,
          rows: 28,
          cols: 28,
          images,
          labels: new Uint8Array(n),
        }, m.signature.normalization);
        // Let queued requests run between the forward pass and the tests.
        await new Promise((r) => setTimeout(r, 0));
        report = detectDrift(profile, view, { ...this.#detect, seed: t.evaluations });
      }
      if (this.#closed) return;
      this.#apply(t, report);
    } catch (err) {
      if (this.#closed) return;
      t.state = "unavailable";
      t.detail = err instanceof Error ? err.message : String(err);
      t.model$ = undefined;
      t.setup$ = undefined;
      this.#log.warn("live drift detection unavailable for this version", {
        model: t.model,
        version: t.version,
        error: err,
      });
    } finally {
      t.evaluating = false;
    }
  }

  #apply(t: Track, report: DriftReport): void {
    const labels = { model: t.model, version: String(t.version) };
    t.evaluations++;
    t.last = report;
    t.lastEvaluatedAt = new Date().toISOString();
    t.lastEvalAt = performance.now();
    this.#evaluationsTotal.inc({ ...labels, verdict: report.verdict });
    for (const d of report.detectors) {
      this.#statistic.set({ ...labels, detector: d.detector }, d.statistic);
      this.#pValue.set({ ...labels, detector: d.detector }, d.adjusted);
      this.#detected.set({ ...labels, detector: d.detector }, d.drift ? 1 : 0);
    }
    this.#detected.set({ ...labels, detector: "overall" }, report.drift ? 1 : 0);
    const before = t.state;
    // streak > 0 counts consecutive drift verdicts, < 0 consecutive clean ones.
    t.streak = report.drift ? Math.max(1, t.streak + 1) : Math.min(-1, t.streak - 1);
    if (before !== "drift") {
      t.state = t.streak >= this.#o.confirmations ? "drift" : "no drift";
    } else if (-t.streak >= this.#o.confirmations) t.state = "no drift";
    this.#detected.set({ ...labels, detector: "state" }, t.state === "drift" ? 1 : 0);
    if (t.state === "drift" && before !== "drift") {
      this.#log.warn("drift detected", {
        model: t.model,
        version: t.version,
        detectors: report.detectors.filter((d) => d.drift).map((d) => d.detector),
      });
      const p = recordDriftEvent(this.#ctx.db, {
        model: t.model,
        version: t.version,
        origin: "live",
        report,
      }).then(() => {}, (err) => this.#log.error("drift event not recorded", { error: err }));
      this.#pending.add(p);
      p.finally(() => this.#pending.delete(p));
    }
  }

  /** Live status of every version of `model` seen so far (newest version first). */
  status(model: string): LiveStatus[] {
    return [...this.#tracks.values()].filter((t) => t.model === model)
      .sort((a, b) => b.version - a.version)
      .map((t) => ({
        model: t.model,
        version: t.version,
        state: t.state,
        windowSize: t.size,
        windowCapacity: this.#o.window,
        observed: t.observed,
        admitted: t.admitted,
        evaluations: t.evaluations,
        lastEvaluatedAt: t.lastEvaluatedAt,
        last: t.last,
        ...(t.detail ? { detail: t.detail } : {}),
      }));
  }

  /** Wait for running evaluations and event writes (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** Stop observing, wait for running evaluations, release the models. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#tracks.values()) if (t.timer !== undefined) clearTimeout(t.timer);
    for (const waiter of this.#waiting.values()) waiter.reject(new Error("drift monitor closed"));
    this.#waiting.clear();
    await this.idle();
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const t of this.#tracks.values()) {
      const loaded = await t.model$?.catch(() => undefined);
      loaded?.m.model.dispose();
    }
  }
}

const envInt = z.string().trim().regex(/^[0-9]+$/, "must be a whole number").transform(Number)
  .optional();

/** Environment variables of live drift detection (all optional). */
export const liveEnvSchema = z.object({
  /** Live drift detection of the served versions: `on` (default) or `off`. */
  FMNIST_DRIFT: z.enum(["on", "off"]).optional(),
  /** Images kept per model version (default 500). */
  FMNIST_DRIFT_WINDOW: envInt,
  /** Evaluate after this many newly admitted images (default: the window size). */
  FMNIST_DRIFT_EVERY: envInt,
  /** Evaluate at least this often, in seconds, when enough new images arrived (default 60). */
  FMNIST_DRIFT_INTERVAL_S: envInt,
  /** Evaluate at most this often, in seconds (default 30). */
  FMNIST_DRIFT_MIN_INTERVAL_S: envInt,
  /** Images admitted per second per version; above it inputs are sampled (default 200). */
  FMNIST_DRIFT_MAX_RATE: envInt,
});

/**
 * Live drift options from the environment: `FMNIST_DRIFT` (on|off), `FMNIST_DRIFT_WINDOW`,
 * `FMNIST_DRIFT_EVERY`, `FMNIST_DRIFT_INTERVAL_S`, `FMNIST_DRIFT_MIN_INTERVAL_S`,
 * `FMNIST_DRIFT_MAX_RATE` (admitted images per
 * second). Null when switched off.
 * @throws Error naming each invalid variable.
 */
export function liveOptionsFromEnv(
  env: Record<string, string | undefined>,
): LiveOptionsInput | null {
  const picked = Object.fromEntries(
    Object.keys(liveEnvSchema.shape).filter((k) => env[k] !== undefined && env[k] !== "")
      .map((k) => [k, env[k]]),
  );
  const r = liveEnvSchema.safeParse(picked);
  if (!r.success) {
    throw new Error(
      `invalid drift settings: ${zodErrorText(r.error, { oneLine: true })}`,
    );
  }
  const e = r.data;
  if (e.FMNIST_DRIFT === "off") return null;
  const opts: LiveOptionsInput = {
    window: e.FMNIST_DRIFT_WINDOW,
    every: e.FMNIST_DRIFT_EVERY,
    intervalSeconds: e.FMNIST_DRIFT_INTERVAL_S,
    minIntervalSeconds: e.FMNIST_DRIFT_MIN_INTERVAL_S,
    maxAdmitPerSecond: e.FMNIST_DRIFT_MAX_RATE,
  };
  const parsed = liveOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new Error(
      `invalid drift settings: ${zodErrorText(parsed.error, { oneLine: true })}`,
    );
  }
  return opts;
}
