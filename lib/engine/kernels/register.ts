/** Registers the engine's `wasm` training kernels (once), replacing slow or wrong stock ones. */
import {
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { aliasKernels } from "./alias.ts";
import { conv2DBackpropFilterDilatedKernel, convGradKernels } from "./conv_grads.ts";
import { linearKernels } from "./linear.ts";
import { poolGradKernels } from "./pool_grads.ts";
import { tileKernels } from "./tile.ts";
import { captureStockKernel } from "./wasm_ops.ts";
import { NATIVE_KERNEL_NAMES, nativeKernels } from "../native/kernels.ts";
import {
  BATCH_NORM_KERNEL_NAMES,
  batchNormKernels,
  installBatchNormLayer,
} from "../native/batch_norm.ts";
import type { OneDnn } from "../native/onednn.ts";

/** Stock wasm kernels our kernels call (captured before any override). */
const STOCK_USED = [
  "Conv2D",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "Sum",
  "Mean",
  "Transpose",
  "Reshape",
  "Reverse",
  "Slice",
  "PadV2",
  "StridedSlice",
  "Tile",
  "Identity",
  "Cast",
];

/** Every kernel config the engine registers for `wasm`. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  ...convGradKernels,
  ...poolGradKernels,
  ...linearKernels,
  ...tileKernels,
  ...aliasKernels,
];

/** Kernels the stock 4.22 wasm backend lacks entirely (training cannot run without them). */
export const MISSING_STOCK_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
];

/**
 * Which wasm kernels serve training: `native` (oneDNN for the heavy kernels and batch
 * normalisation, ours for the rest; after {@link registerNativeKernels}), `native-v1` (the same
 * without oneDNN batch normalisation: tfjs's composed BatchNorm ops), `engine` (all of ours),
 * `engine-v1` (ours, with the first dilated-convolution `Conv2DBackpropFilter` instead of im2col
 * + GEMM) or `stock` (the stock kernels plus only the {@link MISSING_STOCK_KERNELS}) — the `-v1`
 * sets and `stock` exist for before/after profiles.
 */
export type WasmKernelSet = "native" | "native-v1" | "engine" | "engine-v1" | "stock";

/** The oneDNN batch-normalisation kernels (left out of `native-v1`). */
const BATCH_NORM_NAMES: ReadonlySet<string> = new Set(BATCH_NORM_KERNEL_NAMES);

let registered: string[] | null = null;
const stockConfigs = new Map<string, KernelConfig>();
const nativeConfigs = new Map<string, KernelConfig>();
let activeSet: WasmKernelSet = "engine";

/**
 * Register the engine's wasm kernels; idempotent. Must run after `@tensorflow/tfjs-backend-wasm`
 * is imported (it registers the stock kernels). Returns the kernel names now served by us.
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return registered;
  for (const name of STOCK_USED) {
    if (!captureStockKernel(name)) {
      throw new Error(
        `engine: stock wasm kernel ${name} is not registered; import @tensorflow/tfjs-backend-wasm ` +
          `4.22.0 before initialising the engine`,
      );
    }
  }
  for (const cfg of WASM_TRAINING_KERNELS) {
    const old = getKernel(cfg.kernelName, "wasm");
    if (old) {
      stockConfigs.set(cfg.kernelName, old);
      unregisterKernel(cfg.kernelName, "wasm");
    }
    registerKernel(cfg);
  }
  registered = WASM_TRAINING_KERNELS.map((c) => c.kernelName);
  return registered;
}

/**
 * Build the oneDNN kernels (once) and make them serve the `wasm` backend (set `native`). Each
 * falls back to the engine's (or the stock) wasm kernel for what it does not bind. Returns the
 * kernel names now served natively.
 */
export function registerNativeKernels(dnn: OneDnn): string[] {
  registerWasmTrainingKernels();
  if (nativeConfigs.size === 0) {
    for (const name of [...NATIVE_KERNEL_NAMES, ...BATCH_NORM_KERNEL_NAMES]) {
      if (stockConfigs.has(name)) continue;
      const cfg = getKernel(name, "wasm");
      if (cfg) stockConfigs.set(name, cfg);
    }
    const fallback = (name: string) => {
      const cfg = WASM_TRAINING_KERNELS.find((c) => c.kernelName === name) ??
        stockConfigs.get(name);
      if (!cfg) throw new Error(`engine: no wasm kernel ${name} to fall back to`);
      return cfg.kernelFunc;
    };
    for (const cfg of nativeKernels(dnn, fallback)) nativeConfigs.set(cfg.kernelName, cfg);
    for (const cfg of batchNormKernels(dnn, fallback)) nativeConfigs.set(cfg.kernelName, cfg);
    installBatchNormLayer();
  }
  useWasmKernelSet("native");
  return [...nativeConfigs.keys()];
}

/** The kernel set serving `wasm` now. */
export function activeWasmKernelSet(): WasmKernelSet {
  return activeSet;
}

/**
 * Switch the kernel set serving wasm training (after {@link registerWasmTrainingKernels}; `native`
 * after {@link registerNativeKernels}). For the engine's backend choice, profiles and benchmarks.
 */
export function useWasmKernelSet(set: WasmKernelSet): void {
  registerWasmTrainingKernels();
  if (set.startsWith("native") && nativeConfigs.size === 0) {
    throw new Error("engine: the native (oneDNN) kernels are not loaded; call initEngine first");
  }
  const names = new Set([
    ...WASM_TRAINING_KERNELS.map((c) => c.kernelName),
    ...nativeConfigs.keys(),
  ]);
  for (const name of names) {
    const ours = WASM_TRAINING_KERNELS.find((c) => c.kernelName === name);
    const stockCfg = stockConfigs.get(name);
    let chosen: KernelConfig | undefined;
    if (set === "native") chosen = nativeConfigs.get(name) ?? ours;
    else if (set === "native-v1") {
      chosen = (BATCH_NORM_NAMES.has(name) ? undefined : nativeConfigs.get(name)) ?? ours ??
        stockCfg;
    } else if (set === "stock") chosen = stockCfg ?? ours;
    else chosen = ours ?? stockCfg;
    if (
      name === conv2DBackpropFilterDilatedKernel.kernelName &&
      (set === "stock" || set === "engine-v1")
    ) {
      chosen = conv2DBackpropFilterDilatedKernel; // missing in stock: the first version serves
    }
    if (!chosen) {
      // A kernel only the native set has (oneDNN batch normalisation): absent elsewhere.
      if (getKernel(name, "wasm")) unregisterKernel(name, "wasm");
      continue;
    }
    if (getKernel(name, "wasm")) unregisterKernel(name, "wasm");
    registerKernel(chosen);
  }
  activeSet = set;
}
