/**
 * Messages between the inference worker pool ({@link InferenceWorkers} in `workers.ts`) and its
 * compute workers (`infer_worker.ts`), as zod schemas: both sides validate what they receive, so
 * a protocol mismatch fails with a clear error instead of wrong probabilities.
 */
import { z } from "zod";
import { levelSchema } from "../log/mod.ts";

const f32 = z.custom<Float32Array>((v) => v instanceof Float32Array, "expected a Float32Array");
const u8 = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected a Uint8Array");

/** How a model maps 0..1 inputs: `x * scale + shift` (identity when scale 1, shift 0). */
const inputMapSchema = z.object({ scale: z.number(), shift: z.number() });
/** An input mapping. */
export type InputMap = z.infer<typeof inputMapSchema>;

/** A tfjs model as the workers receive it: serialized topology and weights, shape, mapping. */
const workerTfjsModelSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(
    z.object({ name: z.string(), shape: z.array(z.number()), dtype: z.string() }).passthrough(),
  ),
  weights: u8,
  /** Input shape without the batch axis, e.g. `[28, 28, 1]`. */
  inputShape: z.array(z.number().int().positive()).min(1),
  input: inputMapSchema,
}).strict();

/** An ONNX model as the workers receive it: the exported bytes, run with ONNX Runtime. */
const workerOnnxModelSchema = z.object({
  runtime: z.literal("onnx"),
  onnx: u8,
  /** ORT intra-op threads of the worker's session (0 = ORT's default). */
  threads: z.number().int().min(0).max(64),
  inputShape: z.array(z.number().int().positive()).min(1),
  input: inputMapSchema,
}).strict();

/** A model to load in the workers: tfjs or ONNX. */
const workerModelSchema = z.union([workerOnnxModelSchema, workerTfjsModelSchema]);
/** A model to load in the workers. */
export type WorkerModel = z.infer<typeof workerModelSchema>;

/** Main → worker. */
export const toWorkerSchema = z.discriminatedUnion("type", [
  /** Start the worker's own engine on `backend` (`wasm`, `cpu`). */
  z.object({
    type: z.literal("init"),
    backend: z.enum(["wasm", "cpu"]),
    /** The pool's log level: the worker's own lines (e.g. "engine ready") obey it too. */
    logLevel: levelSchema,
  }),
  /** Load a model under `key` (the artifact sha256). */
  z.object({
    type: z.literal("load"),
    id: z.number().int(),
    key: z.string(),
    model: workerModelSchema,
  }),
  /** Dispose the model under `key` (no reply). */
  z.object({ type: z.literal("unload"), key: z.string() }),
  /** Probabilities for `count` packed inputs in 0..1 (`x` is transferred). */
  z.object({
    type: z.literal("predict"),
    id: z.number().int(),
    key: z.string(),
    x: f32,
    count: z.number().int().positive(),
  }),
  /** Report `tf.memory()` and the loaded keys. */
  z.object({ type: z.literal("stats"), id: z.number().int() }),
  /**
   * Fault injection (crash drills, tests): die of an uncaught error at once (`now`), or while
   * computing the next batch, which then never gets its answer (`batch`).
   */
  z.object({ type: z.literal("crash"), message: z.string(), when: z.enum(["now", "batch"]) }),
]);
/** A message to an inference worker. */
export type ToWorker = z.infer<typeof toWorkerSchema>;

/** Worker → main. */
export const fromWorkerSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), backend: z.string() }),
  z.object({
    type: z.literal("loaded"),
    id: z.number().int(),
    /** Output values per instance (classes). */
    outputs: z.number().int().positive(),
  }),
  z.object({
    type: z.literal("result"),
    id: z.number().int(),
    probs: f32,
    /** `tf.memory().numTensors` after the batch. */
    tensors: z.number().int().min(0),
  }),
  z.object({
    type: z.literal("stats"),
    id: z.number().int(),
    numTensors: z.number().int().min(0),
    numBytes: z.number().min(0),
    models: z.array(z.string()),
  }),
  z.object({
    type: z.literal("error"),
    /** The request that failed; null for a failure outside any request. */
    id: z.number().int().nullable(),
    message: z.string(),
    /** The worker is unusable (e.g. its wasm module aborted) and must be replaced. */
    fatal: z.boolean(),
  }),
]);
/** A message from an inference worker. */
export type FromWorker = z.infer<typeof fromWorkerSchema>;
