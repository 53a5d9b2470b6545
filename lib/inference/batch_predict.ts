/**
 * Batch inference as a resumable job: predict every image of a dataset split or of a folder of
 * PNG/JPEG files with one registered model version, writing chunked outputs (Parquet or CSV,
 * each written atomically) and a progress record. A rerun with the same job skips the chunks
 * already written, so an interrupted run resumes where it stopped.
 *
 * Layout of `outDir`: `progress.json` (the job and the chunks done) and
 * `chunk-00000.parquet|csv`, … with columns `id`, `true_label` (dataset input; −1 when
 * unknown), `class_id`, `label`, `confidence`, `p0`…`p9`, `error` (a file that is not a usable
 * image gets a row with the error and `class_id` −1 instead of stopping the job).
 */
import * as tf from "@tensorflow/tfjs";
import pl from "nodejs-polars";
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFile } from "../config/mod.ts";
import { type ImageSet, loadDataset } from "../data/mod.ts";
import { loadModelArtifact, OnnxSession } from "../models/mod.ts";
import { getContent } from "../storage/mod.ts";
import { versionOnnxBytes } from "./onnx_bytes.ts";
import {
  type InferRuntime,
  onnxRuntimeInfo,
  type RuntimeInfo,
  tfjsRuntimeInfo,
} from "./runtime.ts";
import type { Ctx } from "../workspace/mod.ts";
import { getModelVersion } from "../registry/mod.ts";
import { applyTemperature } from "../evaluate/mod.ts";
import { ImageInputError, preprocessImage, type PreprocessOptions } from "./image.ts";
import { IMAGE_PIXELS } from "./instances.ts";

/** What to predict. */
export type BatchInput =
  | { kind: "dataset"; dataset?: string; split: "train" | "test" }
  | { kind: "images"; dir: string };

/** Options of {@link predictBatch}. */
export interface BatchPredictOptions {
  /** Registered model name. */
  model: string;
  /** Version number, alias or `latest` (default `champion`). */
  ref?: number | string;
  input: BatchInput;
  /** Output directory (created). */
  outDir: string;
  format?: "parquet" | "csv";
  /** Images per output chunk (default 2000). */
  chunkSize?: number;
  /** Predict at most this many images (default all). */
  limit?: number;
  /** Image preprocessing for folder input. */
  image?: PreprocessOptions;
  /** The runtime computing predictions (default: tfjs on the current backend). */
  runtime?: InferRuntime;
  /** ONNX Runtime intra-op threads (0 = one per core). */
  onnxThreads?: number;
  /** Called after each chunk (written or skipped) with counts so far. */
  onChunk?: (info: { chunk: number; chunks: number; skipped: boolean; rows: number }) => void;
}

/** Summary of a run. */
export interface BatchPredictResult {
  model: string;
  version: number;
  total: number;
  chunks: number;
  /** Chunks written by this run. */
  written: number;
  /** Chunks found done and skipped. */
  skipped: number;
  /** Rows whose image could not be used. */
  errors: number;
  /** The runtime that computed the predictions. */
  runtime: RuntimeInfo;
  /** Accuracy on the rows with a known true label (dataset input), else null. */
  accuracy: number | null;
  outDir: string;
  files: string[];
}

const progressSchema = z.object({
  job: z.object({
    model: z.string(),
    version: z.number().int(),
    sha256: z.string(),
    input: z.string(),
    format: z.enum(["parquet", "csv"]),
    chunkSize: z.number().int(),
    total: z.number().int(),
  }),
  done: z.array(z.object({
    chunk: z.number().int(),
    file: z.string(),
    rows: z.number().int(),
    correct: z.number().int(),
    labelled: z.number().int(),
    errors: z.number().int(),
  })),
  complete: z.boolean(),
});
type Progress = z.infer<typeof progressSchema>;

/** Raised when `outDir` holds a different job or a corrupt progress record. */
export class BatchJobConflictError extends Error {
  override name = "BatchJobConflictError";
}

interface Source {
  total: number;
  describe: string;
  /** Pixels (0..1), ids, true labels and per-item errors of items [from, to). */
  read(from: number, to: number): Promise<
    { pixels: Float32Array; ids: string[]; labels: number[]; errors: (string | null)[] }
  >;
}

async function openSource(
  ctx: Ctx,
  input: BatchInput,
  limit: number | undefined,
  image?: PreprocessOptions,
): Promise<Source> {
  if (input.kind === "dataset") {
    const ds = await loadDataset(ctx, input.dataset);
    const set: ImageSet = ds[input.split];
    const total = Math.min(set.count, limit ?? set.count);
    return {
      total,
      describe: `dataset ${ds.version} ${input.split}`,
      read(from, to) {
        const pixels = new Float32Array((to - from) * IMAGE_PIXELS);
        const src = set.images.subarray(from * IMAGE_PIXELS, to * IMAGE_PIXELS);
        for (let i = 0; i < src.length; i++) pixels[i] = src[i] / 255;
        const ids = Array.from({ length: to - from }, (_, i) => String(from + i));
        return Promise.resolve({
          pixels,
          ids,
          labels: Array.from(set.labels.subarray(from, to)),
          errors: ids.map(() => null),
        });
      },
    };
  }
  let names: string[];
  try {
    names = [];
    for await (const e of Deno.readDir(input.dir)) {
      if (e.isFile && /\.(png|jpe?g)$/i.test(e.name)) names.push(e.name);
    }
  } catch (err) {
    throw new Error(
      `cannot read the image folder ${input.dir}: ${err instanceof Error ? err.message : err}`,
    );
  }
  names.sort();
  if (names.length === 0) throw new Error(`no .png/.jpg/.jpeg files in ${input.dir}`);
  names = names.slice(0, limit ?? names.length);
  return {
    total: names.length,
    describe: `images ${input.dir} (${names.length} files: ${names.slice(0, 3).join(", ")}…)`,
    async read(from, to) {
      const pixels = new Float32Array((to - from) * IMAGE_PIXELS);
      const errors: (string | null)[] = [];
      for (let i = from; i < to; i++) {
        try {
          const bytes = await Deno.readFile(join(input.dir, names[i]));
          pixels.set(preprocessImage(bytes, image).pixels, (i - from) * IMAGE_PIXELS);
          errors.push(null);
        } catch (err) {
          if (!(err instanceof ImageInputError || err instanceof Deno.errors.NotFound)) throw err;
          errors.push(err.message);
        }
      }
      return {
        pixels,
        ids: names.slice(from, to),
        labels: names.slice(from, to).map(() => -1),
        errors,
      };
    },
  };
}

async function readProgress(path: string): Promise<Progress | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    return progressSchema.parse(JSON.parse(text));
  } catch {
    throw new BatchJobConflictError(
      `${path} is not a valid progress record; delete the output folder to start over`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Run (or resume) a batch prediction job; see the module doc.
 * @throws BatchJobConflictError when `outDir` holds another job; registry errors for unknown
 * models/versions; Error for unreadable inputs.
 */
export async function predictBatch(
  ctx: Ctx,
  opts: BatchPredictOptions,
): Promise<BatchPredictResult> {
  const format = opts.format ?? "parquet";
  const chunkSize = opts.chunkSize ?? 2000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const mv = await getModelVersion(ctx, opts.model, opts.ref ?? "champion");
  const source = await openSource(ctx, opts.input, opts.limit, opts.image);
  const job: Progress["job"] = {
    model: mv.model,
    version: mv.version,
    sha256: mv.sha256,
    input: source.describe,
    format,
    chunkSize,
    total: source.total,
  };
  await Deno.mkdir(opts.outDir, { recursive: true });
  const progressPath = join(opts.outDir, "progress.json");
  let progress = await readProgress(progressPath);
  if (progress && JSON.stringify(progress.job) !== JSON.stringify(job)) {
    throw new BatchJobConflictError(
      `${opts.outDir} holds another job (${progress.job.model} v${progress.job.version} on ${progress.job.input}, ` +
        `${progress.job.format}, chunks of ${progress.job.chunkSize}); choose another output folder or delete it`,
    );
  }
  progress ??= { job, done: [], complete: false };
  const chunks = Math.ceil(source.total / chunkSize);
  const { model, manifest } = await loadModelArtifact(ctx.store, mv.sha256);
  let session: OnnxSession | undefined;
  if (opts.runtime?.kind === "onnx") {
    try {
      const bytes = await versionOnnxBytes(ctx, {
        name: mv.model,
        version: mv.version,
        sha256: mv.sha256,
        manifest,
        weights: await getContent(ctx.store, manifest.weightsSha256),
        log: ctx.log,
      });
      session = await OnnxSession.create(bytes, {
        threads: opts.onnxThreads ?? 0,
        ort: opts.runtime.ort,
      });
    } catch (err) {
      model.dispose();
      throw err;
    }
  }
  const runtime: RuntimeInfo = session
    ? onnxRuntimeInfo(session.version, opts.onnxThreads ?? 0)
    : tfjsRuntimeInfo();
  const labels = manifest.signature.labels;
  const classes = labels.length;
  const n = manifest.signature.normalization;
  const a = (255 * n.scale) / n.std, b = -n.mean / n.std;
  let written = 0, skipped = 0;
  try {
    for (let c = 0; c < chunks; c++) {
      const file = `chunk-${String(c).padStart(5, "0")}.${format}`;
      const done = progress.done.find((d) => d.chunk === c);
      if (done && await exists(join(opts.outDir, file))) {
        skipped++;
        opts.onChunk?.({ chunk: c, chunks, skipped: true, rows: done.rows });
        continue;
      }
      const from = c * chunkSize, to = Math.min(source.total, from + chunkSize);
      const batch = await source.read(from, to);
      const count = to - from;
      const x = batch.pixels.map((v) => v * a + b);
      const raw = session ? await session.run(x, count) : tf.tidy(() => {
        const out = model.predict(
          tf.tensor(x, [count, ...manifest.signature.inputShape]),
        ) as tf.Tensor;
        return out.dataSync() as Float32Array;
      });
      // The served probabilities: softmax(log p / T) with the signature's temperature (the
      // ONNX graph divides its logits by T itself).
      const t = manifest.signature.temperature;
      const probs = session || t === undefined || t === 1 ? raw : applyTemperature(raw, classes, t);
      const cols: Record<string, (number | string | null)[]> = {
        id: batch.ids,
        true_label: batch.labels,
        class_id: [],
        label: [],
        confidence: [],
        error: batch.errors,
      };
      for (let k = 0; k < classes; k++) cols[`p${k}`] = [];
      let correct = 0, labelled = 0, errors = 0;
      for (let i = 0; i < count; i++) {
        const p = probs.subarray(i * classes, (i + 1) * classes);
        const bad = batch.errors[i] !== null;
        let best = 0;
        for (let k = 1; k < classes; k++) if (p[k] > p[best]) best = k;
        cols.class_id.push(bad ? -1 : best);
        cols.label.push(bad ? "" : labels[best]);
        cols.confidence.push(bad ? 0 : p[best]);
        for (let k = 0; k < classes; k++) cols[`p${k}`].push(bad ? 0 : p[k]);
        if (bad) errors++;
        if (!bad && batch.labels[i] >= 0) {
          labelled++;
          if (batch.labels[i] === best) correct++;
        }
      }
      cols.error = batch.errors.map((e) => e ?? "");
      const df = pl.DataFrame(cols);
      const bytes = format === "parquet"
        ? toBytes(df.writeParquet())
        : new TextEncoder().encode(df.writeCSV().toString());
      await atomicWriteFile(join(opts.outDir, file), bytes);
      progress.done = progress.done.filter((d) => d.chunk !== c);
      progress.done.push({ chunk: c, file, rows: count, correct, labelled, errors });
      progress.done.sort((p, q) => p.chunk - q.chunk);
      await atomicWriteFile(progressPath, JSON.stringify(progress, null, 2) + "\n");
      written++;
      opts.onChunk?.({ chunk: c, chunks, skipped: false, rows: count });
    }
  } finally {
    model.dispose();
    await session?.release();
  }
  progress.complete = true;
  await atomicWriteFile(progressPath, JSON.stringify(progress, null, 2) + "\n");
  const sum = (f: (d: Progress["done"][number]) => number) =>
    progress!.done.reduce((s, d) => s + f(d), 0);
  const labelled = sum((d) => d.labelled);
  return {
    model: mv.model,
    version: mv.version,
    total: source.total,
    chunks,
    written,
    skipped,
    errors: sum((d) => d.errors),
    runtime,
    accuracy: labelled ? sum((d) => d.correct) / labelled : null,
    outDir: opts.outDir,
    files: progress.done.map((d) => join(opts.outDir, d.file)),
  };
}

function toBytes(
  buf: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number },
): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
