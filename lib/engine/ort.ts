/**
 * ONNX Runtime (`onnxruntime-node`, its native CPU library shipped in the package), the
 * inference engine beside tfjs: loaded on demand, once per process, and reported by
 * `engineInfo()` once loaded.
 */
import type * as Ort from "onnxruntime-node";

/** The `onnxruntime-node` module. */
export type OrtModule = typeof Ort;

let loading: Promise<OrtModule> | undefined;
let loaded: OrtModule | undefined;

/**
 * Load `onnxruntime-node` once (its native library is opened on first use).
 * @throws Error saying why it cannot be loaded (missing package, unsupported platform…).
 */
export function loadOrt(): Promise<OrtModule> {
  loading ??= import("onnxruntime-node").then((m) => {
    const mod = (m as unknown as { default?: OrtModule }).default?.InferenceSession
      ? (m as unknown as { default: OrtModule }).default
      : m as OrtModule;
    if (typeof mod.InferenceSession?.create !== "function") {
      throw new Error("onnxruntime-node loaded without an InferenceSession");
    }
    loaded = mod;
    return mod;
  });
  loading.catch(() => (loading = undefined));
  return loading;
}

/** The ONNX Runtime version (e.g. `1.30.0`) of a loaded module. */
export function ortVersion(ort: OrtModule): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? "unknown";
}

/** ONNX Runtime as the engine reports it. */
export interface OrtInfo {
  name: "onnxruntime-node";
  version: string;
  /** Execution provider sessions run on. */
  executionProvider: "cpu";
  /** Intra-op threads of a session left at ORT's default (one per core). */
  defaultThreads: number;
}

/** ONNX Runtime's info once {@link loadOrt} has loaded it in this process, else null. */
export function ortInfo(): OrtInfo | null {
  if (!loaded) return null;
  return {
    name: "onnxruntime-node",
    version: ortVersion(loaded),
    executionProvider: "cpu",
    defaultThreads: navigator.hardwareConcurrency,
  };
}
