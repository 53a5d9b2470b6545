/** Registers the engine's `wasm` training kernels (once), replacing slow or wrong stock ones. */
import {
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterDilatedKernel, convGradKernels } from "./conv_grads.ts";
import { linearKernels } from "./linear.ts";
import { poolGradKernels } from "./pool_grads.ts";
import { tileKernels } from "./tile.ts";
import { captureStockKernel } from "./wasm_ops.ts";

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
];

/** Every kernel config the engine registers for `wasm`. */
export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  ...convGradKernels,
  ...poolGradKernels,
  ...linearKernels,
  ...tileKernels,
];

/** Kernels the stock 4.22 wasm backend lacks entirely (training cannot run without them). */
export const MISSING_STOCK_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
];

/**
 * Which wasm kernels serve training: `engine` (all of ours), `engine-v1` (ours, with the first
 * dilated-convolution `Conv2DBackpropFilter` instead of im2col + GEMM) or `stock` (the stock
 * kernels plus only the {@link MISSING_STOCK_KERNELS}) — the last two exist for before/after
 * profiles.
 */
export type WasmKernelSet = "engine" | "engine-v1" | "stock";

let registered: string[] | null = null;
const stockConfigs = new Map<string, KernelConfig>();

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
 * Switch the kernel set serving wasm training (after {@link registerWasmTrainingKernels}).
 * For profiling and benchmarks; the engine default is `engine`.
 */
export function useWasmKernelSet(set: WasmKernelSet): void {
  registerWasmTrainingKernels();
  for (const cfg of WASM_TRAINING_KERNELS) {
    const stockCfg = stockConfigs.get(cfg.kernelName);
    let chosen = set === "stock" ? stockCfg : cfg;
    if (cfg.kernelName === conv2DBackpropFilterDilatedKernel.kernelName && set !== "engine") {
      chosen = conv2DBackpropFilterDilatedKernel; // missing in stock: the first version serves
    }
    if (!chosen) continue; // missing in stock: ours serves both sets
    unregisterKernel(cfg.kernelName, "wasm");
    registerKernel(chosen);
  }
}
