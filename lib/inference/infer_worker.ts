/**
 * An inference compute worker, run as a Deno module Worker by {@link InferenceWorkers}: its own
 * engine (wasm backend, single-threaded), the model versions it was sent (by artifact sha256),
 * and batches in → probabilities out (transferred). Messages are handled strictly in order, so a
 * `predict` sent right after a `load` runs on the loaded model.
 */
import type * as tf from "@tensorflow/tfjs";
import { memory } from "@tensorflow/tfjs";
import { initEngine } from "../engine/mod.ts";
import { createLogger } from "../log/mod.ts";
import { deserializeModel, OnnxSession } from "../models/mod.ts";
import { forwardBatch, forwardOnnx } from "./forward.ts";
import { IMAGE_PIXELS } from "./instances.ts";
import {
  type FromWorker,
  type InputMap,
  type ToWorker,
  toWorkerSchema,
} from "./worker_protocol.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: FromWorker, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

type Held =
  | { kind: "tfjs"; model: tf.LayersModel; inputShape: number[]; map: InputMap }
  | { kind: "onnx"; session: OnnxSession; map: InputMap };

function release(h: Held | undefined): void {
  if (h?.kind === "tfjs") h.model.dispose();
  else if (h?.kind === "onnx") void h.session.release();
}
const models = new Map<string, Held>();
let ready = false;
/** Set by a `crash` drill with `when: "batch"`: the message to die with at the next batch. */
let crashAtBatch: string | null = null;

function die(message: string): never {
  throw new Error(`inference worker crash drill: ${message}`);
}

function held(key: string): Held {
  const m = models.get(key);
  if (!m) throw new Error(`inference worker: model ${key} is not loaded here`);
  return m;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      const info = await initEngine(
        { backend: msg.backend },
        createLogger({ worker: "inference" }, { level: msg.logLevel }),
      );
      ready = true;
      scope.postMessage({ type: "ready", backend: info.backend });
      return;
    }
    case "load": {
      if (!ready) throw new Error("inference worker: load before init");
      const m = msg.model;
      if ("runtime" in m) {
        const session = await OnnxSession.create(m.onnx, { threads: m.threads });
        try {
          await forwardOnnx(session, m.input, new Float32Array(IMAGE_PIXELS), 1);
        } catch (err) {
          await session.release();
          throw err;
        }
        release(models.get(msg.key));
        models.set(msg.key, { kind: "onnx", session, map: m.input });
        scope.postMessage({ type: "loaded", id: msg.id, outputs: session.outputs });
        return;
      }
      const model = await deserializeModel(
        m.modelTopology,
        m.weightSpecs as unknown as tf.io.WeightsManifestEntry[],
        m.weights,
      );
      const out = model.outputs[0]?.shape;
      const outputs = out?.[out.length - 1];
      if (typeof outputs !== "number" || outputs < 1) {
        model.dispose();
        throw new Error(`model ${msg.key} has no fixed-size output (${JSON.stringify(out)})`);
      }
      try {
        // Warm-up pass: compiles kernels so the first real batch is not slow.
        forwardBatch(model, m.inputShape, m.input, new Float32Array(IMAGE_PIXELS), 1);
      } catch (err) {
        model.dispose();
        throw err;
      }
      release(models.get(msg.key));
      models.set(msg.key, { kind: "tfjs", model, inputShape: m.inputShape, map: m.input });
      scope.postMessage({ type: "loaded", id: msg.id, outputs });
      return;
    }
    case "unload": {
      release(models.get(msg.key));
      models.delete(msg.key);
      return;
    }
    case "predict": {
      if (crashAtBatch !== null) {
        const message = crashAtBatch;
        // Uncaught (outside the message chain): the worker dies with this batch unanswered.
        setTimeout(() => die(message), 0);
        return;
      }
      const m = held(msg.key);
      let probs = m.kind === "onnx"
        ? await forwardOnnx(m.session, m.map, msg.x, msg.count)
        : forwardBatch(m.model, m.inputShape, m.map, msg.x, msg.count);
      // Never transfer a view of the wasm heap.
      if (probs.byteOffset !== 0 || probs.byteLength !== probs.buffer.byteLength) {
        probs = probs.slice();
      }
      scope.postMessage(
        { type: "result", id: msg.id, probs, tensors: memory().numTensors },
        [probs.buffer as ArrayBuffer],
      );
      return;
    }
    case "stats": {
      const mem = memory();
      scope.postMessage({
        type: "stats",
        id: msg.id,
        numTensors: mem.numTensors,
        numBytes: mem.numBytes,
        models: [...models.keys()],
      });
      return;
    }
    case "crash":
      crashAtBatch = msg.message;
      return;
  }
}

/** A wasm trap (abort, out of bounds) leaves the module unusable: the worker must be replaced. */
function isFatal(err: unknown): boolean {
  return err instanceof WebAssembly.RuntimeError ||
    (err instanceof Error && /Aborted\(|out of memory/i.test(err.message));
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent) => {
  const data = e.data as { type?: unknown; message?: unknown; when?: unknown } | null;
  if (data?.type === "crash" && data.when === "now") {
    // Uncaught on purpose: the parent sees the worker die exactly as on a real crash.
    die(String(data.message));
  }
  queue = queue.then(async () => {
    const parsed = toWorkerSchema.safeParse(e.data);
    const id = typeof (e.data as { id?: unknown })?.id === "number"
      ? (e.data as { id: number }).id
      : null;
    if (!parsed.success) {
      const where = parsed.error.issues[0];
      scope.postMessage({
        type: "error",
        id,
        message: `malformed message: ${where?.path.join(".")}: ${where?.message}`,
        fatal: false,
      });
      return;
    }
    try {
      await handle(parsed.data);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      scope.postMessage({ type: "error", id, message, fatal: isFatal(err) || !ready });
    }
  });
};
