/**
 * The inference runtime choice, `FMNIST_INFER_RUNTIME=auto|onnx|tfjs`: ONNX Runtime
 * (`onnxruntime-node`, native, its own intra-op threads, the JS thread free while it computes) or
 * tfjs (the engine `FMNIST_BACKEND` picked, optionally in worker threads). `auto` takes ONNX
 * Runtime when it loads, else tfjs, logging why.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { engineInfo, loadOrt, type OrtModule, ortVersion } from "../engine/mod.ts";

/** What callers may ask for. */
export const inferRuntimeSchema = z.enum(["auto", "onnx", "tfjs"]);
/** A runtime request. */
export type InferRuntimeRequest = z.infer<typeof inferRuntimeSchema>;

/** The runtime inference uses, resolved once at start-up. */
export type InferRuntime =
  | { kind: "onnx"; name: "onnxruntime-node"; version: string; ort: OrtModule; reason?: string }
  | { kind: "tfjs"; name: "tfjs"; version: string; reason?: string };

/** What is reported about the runtime computing a loaded model (readyz, /v1/models). */
export interface RuntimeInfo {
  kind: "onnx" | "tfjs";
  name: string;
  version: string;
  /** tfjs backend name, or the ORT execution provider. */
  backend: string;
  /**
   * Threads one copy of the model computes with: an ORT session's intra-op threads (its
   * default, one per core, resolved to the core count), or the tfjs engine's threads.
   */
  threads: number;
  /** Worker threads each holding a copy (0: it computes from the calling thread). */
  workers: number;
}

/** {@link RuntimeInfo} of ONNX Runtime `version` sessions with `threads` intra-op threads. */
export function onnxRuntimeInfo(version: string, threads: number, workers = 0): RuntimeInfo {
  return {
    kind: "onnx",
    name: "onnxruntime-node",
    version,
    backend: "cpu",
    threads: threads > 0 ? threads : navigator.hardwareConcurrency,
    workers,
  };
}

/** {@link RuntimeInfo} of tfjs on the current backend. */
export function tfjsRuntimeInfo(workers = 0): RuntimeInfo {
  let threads = 1;
  try {
    threads = engineInfo().threads;
  } catch {
    // The engine was set up without initEngine (tests setting a backend directly).
  }
  return {
    kind: "tfjs",
    name: "tfjs",
    version: tf.version.tfjs,
    backend: tf.getBackend(),
    threads,
    workers,
  };
}

/** Error raised when `onnx` is required but ONNX Runtime cannot load. */
export class RuntimeUnavailableError extends Error {
  override name = "RuntimeUnavailableError";
}

/**
 * Resolve a runtime request. `onnx` fails when ONNX Runtime cannot load; `auto` falls back to
 * tfjs with a logged reason. `load` is the ORT loader (tests pass a failing one); `tfjsVersion`
 * defaults to the loaded tfjs's.
 * @throws RuntimeUnavailableError
 */
export async function resolveRuntime(
  request: InferRuntimeRequest,
  opts: { log?: Logger; tfjsVersion?: string; load?: () => Promise<OrtModule> } = {},
): Promise<InferRuntime> {
  const tfjs = (reason?: string): InferRuntime => ({
    kind: "tfjs",
    name: "tfjs",
    version: opts.tfjsVersion ?? tf.version.tfjs,
    ...(reason ? { reason } : {}),
  });
  if (request === "tfjs") return tfjs("FMNIST_INFER_RUNTIME=tfjs");
  try {
    const ort = await (opts.load ?? loadOrt)();
    return { kind: "onnx", name: "onnxruntime-node", version: ortVersion(ort), ort };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (request === "onnx") {
      throw new RuntimeUnavailableError(
        `FMNIST_INFER_RUNTIME=onnx but ONNX Runtime (onnxruntime-node) cannot load: ${why}`,
      );
    }
    const reason = `ONNX Runtime cannot load (${why}); using tfjs`;
    opts.log?.warn("inference runtime fallback", { requested: request, reason });
    return tfjs(reason);
  }
}
