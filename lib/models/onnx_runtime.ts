/**
 * A session of ONNX Runtime (`onnxruntime-node`, loaded by the engine stage) over an exported
 * model: normalized NHWC images in, probabilities out. Runs are asynchronous: ORT computes on
 * its own intra-op threads while the JS thread goes on.
 */
import type * as Ort from "onnxruntime-node";
import { loadOrt, type OrtModule, ortVersion } from "../engine/mod.ts";
import { ONNX_INPUT, ONNX_OUTPUT } from "./onnx_export.ts";

/** Options of {@link OnnxSession.create}. */
export interface OnnxSessionOptions {
  /** Intra-op threads (0 = ORT's default: one per physical core). */
  threads?: number;
  /** Loaded module (default: {@link loadOrt}). */
  ort?: OrtModule;
}

/** Largest batch whose input tensor a session keeps for reuse. */
const REUSED_TENSOR_MAX_BATCH = 16;

/** An ONNX Runtime session over an exported Fashion-MNIST model. */
export class OnnxSession {
  readonly #session: Ort.InferenceSession;
  readonly #ort: OrtModule;
  /** Per-image input shape (e.g. `[28, 28, 1]`). */
  readonly inputShape: readonly number[];
  /** Values per image in the output (classes). */
  readonly outputs: number;
  /** Runtime version. */
  readonly version: string;
  readonly #imageSize: number;
  /** Input tensors free for reuse, by batch size (≤ {@link REUSED_TENSOR_MAX_BATCH}). */
  readonly #free: Ort.Tensor[][] = [];

  private constructor(
    ort: OrtModule,
    session: Ort.InferenceSession,
    inputShape: number[],
    outputs: number,
  ) {
    this.#ort = ort;
    this.#session = session;
    this.inputShape = inputShape;
    this.outputs = outputs;
    this.version = ortVersion(ort);
    this.#imageSize = inputShape.reduce((a, b) => a * b, 1);
  }

  /**
   * Open a session over ONNX `bytes` written by {@link exportOnnx}.
   * @throws Error when ORT cannot load or the model lacks the expected input/output.
   */
  static async create(bytes: Uint8Array, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const ort = opts.ort ?? await loadOrt();
    const threads = opts.threads ?? 0;
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    });
    const inMeta = session.inputMetadata.find((m) => m.name === ONNX_INPUT);
    const outMeta = session.outputMetadata.find((m) => m.name === ONNX_OUTPUT);
    if (!inMeta?.isTensor || !outMeta?.isTensor) {
      await session.release();
      throw new Error(
        `the ONNX model has no tensor input "${ONNX_INPUT}" and output "${ONNX_OUTPUT}"`,
      );
    }
    const dims = (s: readonly (number | string)[]) => s.slice(1).map(Number);
    const inputShape = dims(inMeta.shape);
    const outputs = dims(outMeta.shape)[0];
    if (inputShape.some((d) => !(d > 0)) || !(outputs > 0)) {
      await session.release();
      throw new Error(`the ONNX model has dynamic non-batch dimensions`);
    }
    return new OnnxSession(ort, session, inputShape, outputs);
  }

  /**
   * Probabilities (`count × outputs`) for `count` normalized images packed in `inputs`.
   *
   * Small batches are copied into an input tensor kept for their size and reused, as a bare
   * session does, instead of a new tensor (and its native wrapper) per run: on a loaded machine a
   * new tensor per 1-image run measured up to 20 µs slower (90 vs 68 µs a run, interleaved in one
   * process), on a quiet one the same. A tensor is held by one run at a time (runs may overlap);
   * large batches get a view, whose cost is small beside their compute.
   */
  async run(inputs: Float32Array, count: number): Promise<Float32Array> {
    const size = this.#imageSize;
    const data = inputs.subarray(0, count * size);
    if (count > REUSED_TENSOR_MAX_BATCH) {
      const x = new this.#ort.Tensor("float32", data, [count, ...this.inputShape]);
      try {
        return (await this.#session.run({ [ONNX_INPUT]: x }))[ONNX_OUTPUT].data as Float32Array;
      } finally {
        x.dispose();
      }
    }
    let free = this.#free[count];
    if (!free) free = this.#free[count] = [];
    const x = free.pop() ??
      new this.#ort.Tensor("float32", new Float32Array(count * size), [count, ...this.inputShape]);
    (x.data as Float32Array).set(data);
    try {
      return (await this.#session.run({ [ONNX_INPUT]: x }))[ONNX_OUTPUT].data as Float32Array;
    } finally {
      if (free.length < 2) free.push(x);
    }
  }

  /** Free the native session. */
  release(): Promise<void> {
    return this.#session.release();
  }
}
