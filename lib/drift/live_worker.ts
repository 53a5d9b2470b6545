/**
 * The live drift detector's worker (a Deno module Worker started by `DriftMonitor`): its own
 * engine and model copies, so the forward pass and the tests of a window never run on the
 * service's main thread. Messages are handled in order: `setup` (model + profile of a version,
 * once), then `evaluate` (a window of image bytes) → `report`.
 */
import type * as tf from "@tensorflow/tfjs";
import { initEngine } from "../engine/mod.ts";
import { createLogger, type Level } from "../log/mod.ts";
import { deserializeModel, type Signature } from "../models/mod.ts";
import { detectDrift, type DetectOptionsInput, type DriftReport } from "./detect.ts";
import { type Profile, viewBatch } from "./profile.ts";

/** Messages to the worker. */
export type ToLiveWorker =
  /** `logLevel`: the monitor's; the worker's own lines (e.g. "engine ready") obey it too. */
  | { type: "init"; backend: "wasm" | "cpu"; logLevel: Level }
  | {
    type: "setup";
    key: string;
    modelTopology: Record<string, unknown>;
    weightSpecs: unknown[];
    weights: Uint8Array;
    normalization: Signature["normalization"];
    profile: Profile;
  }
  | {
    type: "evaluate";
    id: number;
    key: string;
    images: Uint8Array;
    count: number;
    detect: DetectOptionsInput;
  };

/** Messages from the worker. */
export type FromLiveWorker =
  | { type: "report"; id: number; report: DriftReport }
  | { type: "error"; id: number; message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: FromLiveWorker): void;
}
const scope = globalThis as unknown as WorkerScope;

const held = new Map<
  string,
  { model: tf.LayersModel; normalization: Signature["normalization"]; profile: Profile }
>();
let chain: Promise<void> = Promise.resolve();

async function handle(msg: ToLiveWorker): Promise<void> {
  if (msg.type === "init") {
    await initEngine(
      { backend: msg.backend },
      createLogger({ worker: "drift" }, { level: msg.logLevel }),
    );
    return;
  }
  if (msg.type === "setup") {
    held.get(msg.key)?.model.dispose();
    const model = await deserializeModel(
      msg.modelTopology,
      msg.weightSpecs as tf.io.WeightsManifestEntry[],
      msg.weights,
    );
    held.set(msg.key, { model, normalization: msg.normalization, profile: msg.profile });
    return;
  }
  try {
    const h = held.get(msg.key);
    if (!h) throw new Error(`live drift worker: ${msg.key} was not set up`);
    const view = viewBatch(h.model, h.profile, {
      count: msg.count,
      rows: 28,
      cols: 28,
      images: msg.images,
      labels: new Uint8Array(msg.count),
    }, h.normalization);
    scope.postMessage({
      type: "report",
      id: msg.id,
      report: detectDrift(h.profile, view, msg.detect),
    });
  } catch (err) {
    scope.postMessage({
      type: "error",
      id: msg.id,
      message: err instanceof Error ? err.message : String(err),
    });
  }
}

scope.onmessage = (e: MessageEvent) => {
  const msg = e.data as ToLiveWorker;
  chain = chain.then(() => handle(msg)).catch((err) => {
    if (msg.type === "evaluate") {
      scope.postMessage({ type: "error", id: msg.id, message: String(err) });
    }
  });
};
