/**
 * Picks and prepares the TensorFlow.js backend for the whole workspace:
 * `tensorflow` (tfjs-node-gpu, then tfjs-node, when installed) → `native` (the wasm backend with
 * its heavy kernels on oneDNN, when `libdnnl.so.2` loads) → `wasm` → `cpu`, overridable by
 * settings (`FMNIST_BACKEND`, `FMNIST_THREADS`).
 */
import { zodErrorText } from "../config/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount, version_wasm } from "@tensorflow/tfjs-backend-wasm";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { log as defaultLog, type Logger } from "../log/mod.ts";
import {
  activeWasmKernelSet,
  registerNativeKernels,
  registerWasmTrainingKernels,
  useWasmKernelSet,
} from "./kernels/register.ts";
import { loadOneDnn, ONEDNN_INSTALL_HINT, oneDnnLoadError } from "./native/onednn.ts";
import { type OrtInfo, ortInfo } from "./ort.ts";

/** Backend names a caller may ask for; `auto` walks the preference order. */
export const backendRequestSchema = z.enum([
  "auto",
  "tensorflow",
  "native",
  "wasm",
  "cpu",
  "webgpu",
]);
/** A requested backend. */
export type BackendRequest = z.infer<typeof backendRequestSchema>;

/** What `initEngine` accepts: the workspace `Settings` fit, as does a plain object. */
export const engineSettingsSchema = z.object({
  backend: backendRequestSchema.default("auto"),
  /** wasm / oneDNN threads; 0 = automatic (oneDNN: all cores). */
  threads: z.number().int().min(0).max(256).default(0),
});
/** Engine settings (both fields optional). */
export type EngineSettings = z.input<typeof engineSettingsSchema>;

/** What the engine runs on; recorded with every run. */
export interface EngineInfo {
  /**
   * The engine path: the tfjs backend name (`tensorflow`, `wasm`, `cpu`, `webgpu`), or `native`
   * for the wasm backend with its heavy kernels on oneDNN.
   */
  backend: string;
  /** The tfjs backend underneath (`wasm` for `native`). */
  tfjsBackend: string;
  /** The oneDNN library when `backend` is `native`, else null. */
  native: { library: string; version: string; threads: number; kernels: string[] } | null;
  /** What was asked for. */
  requested: BackendRequest;
  /** Threads the heavy kernels compute with (1 for single-threaded wasm; oneDNN's for native). */
  threads: number;
  /** Whether wasm uses its SIMD build (false for other backends). */
  simd: boolean;
  /** Kernels the engine replaced or added on this backend. */
  kernels: string[];
  /** Package / runtime versions. */
  versions: { tfjs: string; backend: string; deno: string; v8: string; onednn?: string };
  /** Why preferred backends were skipped, in order. */
  notes: string[];
  /** ONNX Runtime, the inference engine, once loaded in this process (else null). */
  onnxRuntime: OrtInfo | null;
}

let current: EngineInfo | null = null;
let pending: Promise<EngineInfo> | null = null;
let pendingKey = "";

/** Node-API packages tried for the `tensorflow` backend, fastest first. */
const NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

async function tryTensorflow(notes: string[]): Promise<string | null> {
  for (const pkg of NODE_PACKAGES) {
    // Only import what is installed: a bare npm: import would try to download it.
    if (!existsSync(join(Deno.cwd(), "node_modules", ...pkg.split("/")))) {
      notes.push(`${pkg}: not installed`);
      continue;
    }
    try {
      const spec = `npm:${pkg}@4.22.0`;
      await import(spec);
      if (await tf.setBackend("tensorflow")) return pkg;
      notes.push(`${pkg}: imported but backend "tensorflow" failed to initialise`);
    } catch (err) {
      notes.push(`${pkg}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  return null;
}

async function tryWasm(threads: number, notes: string[]): Promise<boolean> {
  try {
    if (threads > 0) setThreadsCount(threads);
    if (!(await tf.setBackend("wasm"))) {
      notes.push("wasm: backend failed to initialise");
      return false;
    }
    return true;
  } catch (err) {
    notes.push(`wasm: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

/** The wasm backend with the oneDNN kernels; null (and a note) when oneDNN is missing. */
async function tryNative(threads: number, notes: string[]): Promise<EngineInfo["native"]> {
  const dnn = loadOneDnn();
  if (!dnn) {
    notes.push(`native: oneDNN not found (${oneDnnLoadError()}); ${ONEDNN_INSTALL_HINT}`);
    return null;
  }
  if (!(await tryWasm(0, notes))) return null;
  await tf.ready();
  if (threads > 0) dnn.setThreads(threads);
  const kernels = registerNativeKernels(dnn);
  return { library: dnn.library, version: dnn.version, threads: dnn.threads, kernels };
}

async function tryWebgpu(notes: string[]): Promise<boolean> {
  if (!("gpu" in navigator) || !navigator.gpu) {
    notes.push("webgpu: navigator.gpu is unavailable (run Deno with a GPU and --unstable-webgpu)");
    return false;
  }
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
    if (await tf.setBackend("webgpu")) return true;
    notes.push("webgpu: backend failed to initialise (no adapter?)");
  } catch (err) {
    notes.push(`webgpu: ${err instanceof Error ? err.message : String(err)}`);
  }
  return false;
}

function wasmThreads(): number {
  const b = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount(): number } } };
  return b.wasm?.tfjs?.getThreadsCount() ?? 1;
}

async function select(
  req: BackendRequest,
  threads: number,
  log: Logger,
): Promise<EngineInfo> {
  const notes: string[] = [];
  tf.env().set("PROD", true); // no NaN checks / debug validation in hot loops
  let backend: string | null = null;
  if (req === "tensorflow" || req === "auto") {
    if (await tryTensorflow(notes)) backend = "tensorflow";
    else if (req === "tensorflow") {
      throw new Error(
        `engine: backend "tensorflow" requested but unavailable (${notes.join("; ")}). Install ` +
          `@tensorflow/tfjs-node(-gpu) (see lib/engine/README.md) or set FMNIST_BACKEND=wasm.`,
      );
    }
  }
  let native: EngineInfo["native"] = null;
  if (!backend && (req === "native" || req === "auto")) {
    native = await tryNative(threads, notes);
    if (native) backend = "native";
    else if (req === "native") {
      throw new Error(`engine: backend "native" unavailable: ${notes.join("; ")}`);
    }
  }
  if (!backend && req === "webgpu") {
    if (await tryWebgpu(notes)) backend = "webgpu";
    else throw new Error(`engine: backend "webgpu" unavailable: ${notes.join("; ")}`);
  }
  if (!backend && (req === "wasm" || req === "auto")) {
    if (await tryWasm(threads, notes)) backend = "wasm";
    else if (req === "wasm") {
      throw new Error(`engine: backend "wasm" unavailable: ${notes.join("; ")}`);
    }
  }
  if (!backend) {
    if (!(await tf.setBackend("cpu"))) throw new Error("engine: even the cpu backend failed");
    backend = "cpu";
  }
  await tf.ready();
  let kernels: string[] = [];
  let simd = false;
  let activeThreads = 1;
  if (backend === "native" && native) {
    kernels = [...new Set([...native.kernels, ...registerWasmTrainingKernels()])];
    simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    activeThreads = native.threads || navigator.hardwareConcurrency;
  } else if (backend === "wasm") {
    kernels = registerWasmTrainingKernels();
    // A process that ran `native` before switches the kernels back to the wasm ones.
    if (activeWasmKernelSet().startsWith("native")) useWasmKernelSet("engine");
    simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    activeThreads = wasmThreads();
    if (threads > 1 && activeThreads < threads) {
      notes.push(
        `wasm: ${threads} threads requested, ${activeThreads} active — tfjs-backend-wasm 4.22 ` +
          `disables its threaded build under Deno/Node (see lib/engine/README.md)`,
      );
    }
  } else if (backend === "cpu" || backend === "webgpu") {
    activeThreads = 1;
  } else {
    activeThreads = navigator.hardwareConcurrency;
  }
  const tfjsBackend = tf.getBackend();
  const info: EngineInfo = {
    backend,
    tfjsBackend,
    native,
    requested: req,
    threads: activeThreads,
    simd,
    kernels,
    versions: {
      tfjs: tf.version.tfjs,
      backend: tfjsBackend === "wasm" ? version_wasm : tf.version.tfjs,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      ...(native ? { onednn: native.version } : {}),
    },
    notes,
    onnxRuntime: ortInfo(),
  };
  log.info("engine ready", { engine: info });
  return info;
}

/**
 * Choose, initialise and prepare the tfjs backend. Idempotent: calling again with the same
 * request returns the same info; a different request switches backend. Registers the engine's
 * wasm kernels once.
 * `log` gets the "engine ready" line (a workspace passes its own, so a command's log level holds).
 * @throws Error when an explicitly requested backend is unavailable (`auto` falls back).
 */
export function initEngine(
  settings: EngineSettings = {},
  log: Logger = defaultLog,
): Promise<EngineInfo> {
  const parsed = engineSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    throw new Error(
      `engine: invalid settings ${JSON.stringify(settings)}: ${
        zodErrorText(parsed.error, { oneLine: true })
      }`,
    );
  }
  const { backend, threads } = parsed.data;
  const key = `${backend}/${threads}`;
  if (pending && pendingKey === key) return pending;
  pendingKey = key;
  pending = select(backend, threads, log).then((info) => (current = info));
  pending.catch(() => {
    pending = null;
    pendingKey = "";
  });
  return pending;
}

/**
 * The engine's current info.
 * @throws Error if `initEngine` has not completed.
 */
export function engineInfo(): EngineInfo {
  if (!current) throw new Error("engine: call `await initEngine(settings)` before engineInfo()");
  return { ...current, onnxRuntime: ortInfo() };
}
