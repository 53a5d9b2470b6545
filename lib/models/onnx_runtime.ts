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

  /** Probabilities (`count × outputs`) for `count` normalized images packed in `inputs`. */
  async run(inputs: Float32Array, count: number): Promise<Float32Array> {
    const size = this.inputShape.reduce((a, b) => a * b, 1);
    const x = new this.#ort.Tensor("float32", inputs.subarray(0, count * size), [
      count,
      ...this.inputShape,
    ]);
    const out = await this.#session.run({ [ONNX_INPUT]: x });
    const y = out[ONNX_OUTPUT];
    try {
      return y.data as Float32Array;
    } finally {
      x.dispose();
    }
  }

  /** Free the native session. */
  release(): Promise<void> {
    return this.#session.release();
  }
}
