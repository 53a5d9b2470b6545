/**
 * Image decoding off the HTTP thread: a small pool of module Workers, each decoding and
 * preprocessing one image at a time ({@link preprocessImage}), so a large or slow image never
 * stalls the event loop that answers every other request. Jobs go to the worker with the fewest
 * jobs in flight; the queue is bounded (beyond it → {@link InferenceUnavailableError}, HTTP 503).
 * A worker that crashes fails its jobs with {@link InferenceUnavailableError} and is replaced.
 */
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { InferenceUnavailableError } from "./errors.ts";
import { ImageInputError, type PreprocessOptions } from "./image.ts";
import { IMAGE_PIXELS } from "./instances.ts";

/** A decode job as posted to a worker. */
export const decodeJobSchema = z.object({
  id: z.number().int(),
  bytes: z.instanceof(Uint8Array),
  options: z.object({
    fit: z.number().optional(),
    centre: z.enum(["mass", "box"]).optional(),
    fill: z.enum(["auto", "off"]).optional(),
    contrast: z.enum(["auto", "off"]).optional(),
    maxPixels: z.number().optional(),
  }),
});

const answerSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), pixels: z.instanceof(Float32Array) }),
  z.object({
    id: z.number().int(),
    ok: z.literal(false),
    input: z.boolean(),
    message: z.string(),
  }),
]);

/** Options of {@link ImageDecodePool}. */
const decodePoolOptionsSchema = z.object({
  /** Worker threads (default: half the cores, 1–4). */
  workers: z.number().int().min(1).max(64).optional(),
  /** Most jobs waiting or running at once; more → 503 (default 1024). */
  maxQueued: z.number().int().min(1).default(1024),
});
/** Pool options as callers write them. */
export type DecodePoolOptionsInput = z.input<typeof decodePoolOptionsSchema>;

/** Something that turns image bytes into a 28×28 input: a pool, or inline decoding. */
export interface ImageDecoder {
  /** @throws ImageInputError for unusable images. */
  preprocess(bytes: Uint8Array, options?: PreprocessOptions): Promise<Float32Array>;
}

interface Job {
  resolve(p: Float32Array): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/** See the module doc. */
export class ImageDecodePool implements ImageDecoder {
  readonly size: number;
  readonly #maxQueued: number;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #nextId = 0;
  #pending = 0;
  #closed = false;

  constructor(log: Logger, input: DecodePoolOptionsInput = {}) {
    const o = decodePoolOptionsSchema.parse(input);
    const cores = navigator.hardwareConcurrency || 1;
    this.size = o.workers ?? Math.min(4, Math.max(1, Math.floor(cores / 2)));
    this.#maxQueued = o.maxQueued;
    this.#log = log.child({ component: "decode-pool" });
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#start());
  }

  #start(): Slot {
    const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
    const slot: Slot = { worker, jobs: new Map() };
    worker.onmessage = (e: MessageEvent) => {
      const a = answerSchema.safeParse(e.data);
      if (!a.success) return;
      const job = slot.jobs.get(a.data.id);
      if (!job) return;
      slot.jobs.delete(a.data.id);
      this.#pending--;
      if (a.data.ok) {
        if (a.data.pixels.length === IMAGE_PIXELS) job.resolve(a.data.pixels);
        else job.reject(new Error(`decode worker returned ${a.data.pixels.length} values`));
      } else {
        job.reject(
          a.data.input ? new ImageInputError(a.data.message) : new Error(a.data.message),
        );
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#crashed(slot, e.message);
    };
    return slot;
  }

  #crashed(slot: Slot, why: string): void {
    const i = this.#slots.indexOf(slot);
    if (i < 0) return;
    this.#log.error("image decode worker crashed; replacing it", { error: why });
    slot.worker.terminate();
    for (const job of slot.jobs.values()) {
      this.#pending--;
      job.reject(new InferenceUnavailableError(`the image decoder crashed (${why}); retry`));
    }
    slot.jobs.clear();
    if (!this.#closed) this.#slots[i] = this.#start();
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Decode and preprocess `bytes` in a worker. The bytes are copied to the worker.
   * @throws ImageInputError for unusable images; InferenceUnavailableError when the pool is
   * full, closed, or the worker crashed.
   */
  preprocess(bytes: Uint8Array, options: PreprocessOptions = {}): Promise<Float32Array> {
    if (this.#closed) {
      return Promise.reject(new InferenceUnavailableError("the image decoder is shut down"));
    }
    if (this.#pending >= this.#maxQueued) {
      return Promise.reject(
        new InferenceUnavailableError(
          `the image decoder is busy (${this.#pending} images queued); retry shortly`,
        ),
      );
    }
    const slot = this.#slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.#nextId++;
    this.#pending++;
    return new Promise<Float32Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      const { fit, centre, fill, contrast, maxPixels } = options;
      slot.worker.postMessage({ id, bytes, options: { fit, centre, fill, contrast, maxPixels } });
    });
  }

  /** Terminate the workers; jobs still running fail with InferenceUnavailableError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      for (const job of slot.jobs.values()) {
        job.reject(new InferenceUnavailableError("the image decoder is shut down"));
      }
      slot.jobs.clear();
    }
    this.#pending = 0;
  }
}
