/**
 * The inference runtime choice, `FMNIST_INFER_RUNTIME=auto|onnx|tfjs`: ONNX Runtime
 * (`onnxruntime-node`, native, its own intra-op threads, the JS thread free while it computes) or
 * tfjs (the engine `FMNIST_BACKEND` picked, optionally in worker threads). `auto` takes ONNX
 * Runtime when it loads, else tfjs, logging why.
 */
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { loadOrt, type OrtModule, ortVersion } from "../models/mod.ts";

/** What callers may ask for. */
export const inferRuntimeSchema = z.enum(["auto", "onnx", "tfjs"]);
/** A runtime request. */
export type InferRuntimeRequest = z.infer<typeof inferRuntimeSchema>;

/** The runtime inference uses, resolved once at start-up. */
export type InferRuntime =
  | { kind: "onnx"; name: "onnxruntime-node"; version: string; ort: OrtModule; reason?: string }
  | { kind: "tfjs"; name: "tfjs"; version: string; reason?: string };

/** What is reported about a runtime (readyz, /v1/models, engine info). */
export interface RuntimeInfo {
  kind: "onnx" | "tfjs";
  name: string;
  version: string;
  /** tfjs backend name, or the ORT execution provider. */
  backend: string;
}

/** Error raised when `onnx` is required but ONNX Runtime cannot load. */
export class RuntimeUnavailableError extends Error {
  override name = "RuntimeUnavailableError";
}

/**
 * Resolve a runtime request. `onnx` fails when ONNX Runtime cannot load; `auto` falls back to
 * tfjs with a logged reason. `load` is the ORT loader (tests pass a failing one).
 * @throws RuntimeUnavailableError
 */
export async function resolveRuntime(
  request: InferRuntimeRequest,
  opts: { log?: Logger; tfjsVersion: string; load?: () => Promise<OrtModule> },
): Promise<InferRuntime> {
  const tfjs = (reason?: string): InferRuntime => ({
    kind: "tfjs",
    name: "tfjs",
    version: opts.tfjsVersion,
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
