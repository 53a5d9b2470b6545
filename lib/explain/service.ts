/**
 * Explanations of registered model versions, as the HTTP API serves them: resolve a version
 * (number, alias, or the champion), load its tfjs model once (a small most-recently-used set),
 * check the request's cost against a budget of forward/backward passes, and return the
 * prediction with one attribution map (JSON grid and PNG overlay) per image.
 */
import { LRUCache } from "lru-cache";
import { Buffer } from "node:buffer";
import type * as tf from "@tensorflow/tfjs";
import { type ArtifactManifest, loadModelArtifact } from "../models/mod.ts";
import { CHAMPION, getModelVersion } from "../registry/mod.ts";
import { loadArtifact, type TrackingContext } from "../tracking/mod.ts";
import {
  explain,
  type ExplainMethod,
  type ExplainOptions,
  logitsOf,
  passesPerImage,
} from "./methods.ts";
import { overlayPng, toGrid } from "./render.ts";
import { ExplainInputError, PIXELS, Scorer } from "./scorer.ts";

/** Limits of one explain request. */
export interface ExplainLimits {
  /** Images per request (default 8). */
  maxInstances: number;
  /** Forward/backward passes per request, images × passes per image (default 4096). */
  maxPasses: number;
  /** Models kept loaded (default 2). */
  maxLoaded: number;
}

/** Default {@link ExplainLimits}. */
export const EXPLAIN_LIMITS_DEFAULT: ExplainLimits = {
  maxInstances: 8,
  maxPasses: 4096,
  maxLoaded: 2,
};

/** One explained image. */
export interface ExplainedInstance {
  classId: number;
  label: string;
  /** Served probability of the predicted class (temperature applied when the version has one). */
  probability: number;
  /** The class explained (the predicted one unless asked otherwise). */
  target: number;
  targetLabel: string;
  /** 28 rows × 28 attributions. */
  map: number[][];
  /** PNG overlay, base64. */
  png: string;
  /** Integrated gradients: Σ attribution − (logit(x) − logit(black)). */
  completenessGap?: number;
}

/** Result of {@link ExplainService.explain}. */
export interface ExplainResult {
  model: { name: string; version: number; sha256: string };
  method: ExplainMethod;
  passes: number;
  ms: number;
  instances: ExplainedInstance[];
}

interface Loaded {
  model: tf.LayersModel;
  manifest: ArtifactManifest;
  scorer: Scorer;
  runId: string | null;
  background?: Float32Array;
}

/** Explains registered versions; owns the models it loads (call {@link close}). */
export class ExplainService {
  readonly limits: ExplainLimits;
  readonly #ctx: TrackingContext;
  readonly #loaded: LRUCache<string, Promise<Loaded>>;

  constructor(ctx: TrackingContext, limits: Partial<ExplainLimits> = {}) {
    this.#ctx = ctx;
    this.limits = { ...EXPLAIN_LIMITS_DEFAULT, ...limits };
    this.#loaded = new LRUCache({
      max: Math.max(1, this.limits.maxLoaded),
      // A model dropped from the cache (least recently used, failed, or closed) frees its tensors.
      dispose: (p) => void p.then((l) => l.model.dispose(), () => {}),
    });
  }

  async #load(sha256: string, runId: string | null): Promise<Loaded> {
    const hit = this.#loaded.get(sha256);
    if (hit) return await hit;
    const p = loadModelArtifact(this.#ctx.store, sha256).then(({ model, manifest }) => ({
      model,
      manifest,
      runId,
      scorer: new Scorer(model, manifest.signature),
    }));
    this.#loaded.set(sha256, p);
    p.catch(() => {
      if (this.#loaded.peek(sha256) === p) this.#loaded.delete(sha256);
    });
    return await p;
  }

  /** The background set of a version: the images recorded in its evaluation report. */
  async #background(l: Loaded): Promise<Float32Array> {
    if (l.background) return l.background;
    if (!l.runId) {
      throw new ExplainInputError(
        "gradient_shap needs a background set and this version has no tracking run with an evaluation report",
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(
        new TextDecoder().decode(await loadArtifact(this.#ctx, l.runId, "evaluation.json")),
      );
    } catch {
      throw new ExplainInputError(
        "gradient_shap needs the background set of the version's evaluation report, which it lacks",
      );
    }
    const bg = (raw as { background?: { images?: string } }).background?.images;
    if (typeof bg !== "string") {
      throw new ExplainInputError("the version's evaluation report holds no background set");
    }
    const bytes = Buffer.from(bg, "base64");
    l.background = Float32Array.from(bytes, (v) => v / 255);
    return l.background;
  }

  /**
   * Explain `count` images (`pixels`, `count × 784` in 0..1) with `method` on version `ref`
   * (number, alias, or undefined for the champion) of model `name`.
   * @throws ExplainInputError for requests over budget or bad options; registry errors for
   *   unknown models/versions.
   */
  async explain(req: {
    name: string;
    ref?: number | string;
    method: ExplainMethod;
    pixels: Float32Array;
    count: number;
    target?: number;
    options?: ExplainOptions;
  }): Promise<ExplainResult> {
    const t0 = performance.now();
    const { count } = req;
    if (count < 1 || count > this.limits.maxInstances) {
      throw new ExplainInputError(
        `explain takes 1 to ${this.limits.maxInstances} images per request, got ${count}`,
      );
    }
    let perImage: number;
    try {
      perImage = passesPerImage(req.method, req.options ?? {});
    } catch (err) {
      throw new ExplainInputError(`invalid explain options: ${(err as Error).message}`);
    }
    const passes = count * perImage;
    if (passes > this.limits.maxPasses) {
      throw new ExplainInputError(
        `${req.method} on ${count} image(s) needs ${passes} passes, over the limit of ${this.limits.maxPasses}; ` +
          `send fewer images or fewer steps/samples (or a larger occlusion stride)`,
      );
    }
    const v = await getModelVersion(this.#ctx, req.name, req.ref ?? CHAMPION);
    const l = await this.#load(v.sha256, v.runId);
    const sig = l.manifest.signature;
    const background = req.method === "gradient_shap" ? await this.#background(l) : undefined;
    const targets = req.target === undefined
      ? undefined
      : new Array<number>(count).fill(req.target);
    let a;
    try {
      a = explain(l.scorer, req.method, req.pixels, count, { ...req.options, targets, background });
    } catch (err) {
      if (err instanceof Error && err.name === "ZodError") {
        throw new ExplainInputError(`invalid explain options: ${err.message}`);
      }
      throw err;
    }
    const logits = logitsOf(l.scorer, req.pixels, count);
    const k = l.scorer.classes;
    const t = sig.temperature ?? 1;
    const instances = Array.from({ length: count }, (_, i): ExplainedInstance => {
      let best = 0, max = -Infinity;
      for (let c = 0; c < k; c++) {
        if (logits[i * k + c] > max) {
          max = logits[i * k + c];
          best = c;
        }
      }
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp((logits[i * k + c] - max) / t);
      const map = a.maps.subarray(i * PIXELS, (i + 1) * PIXELS);
      return {
        classId: best,
        label: sig.labels[best] ?? String(best),
        probability: 1 / s,
        target: a.targets[i],
        targetLabel: sig.labels[a.targets[i]] ?? String(a.targets[i]),
        map: toGrid(map).map((row) => row.map((x) => +x.toPrecision(5))),
        png: Buffer.from(overlayPng(req.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), map, 8))
          .toString("base64"),
        ...(a.completenessGap ? { completenessGap: a.completenessGap[i] } : {}),
      };
    });
    return {
      model: { name: v.model, version: v.version, sha256: v.sha256 },
      method: req.method,
      passes,
      ms: performance.now() - t0,
      instances,
    };
  }

  /** Dispose every loaded model. */
  async close(): Promise<void> {
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    await Promise.allSettled(all);
  }
}
