/**
 * Public face of the engine stage: one place that picks and prepares the tfjs backend
 * (with correct, fast wasm training kernels), loads ONNX Runtime for inference, and reports
 * what it chose.
 */
export { backendRequestSchema, engineInfo, engineSettingsSchema, initEngine } from "./backend.ts";
export type { BackendRequest, EngineInfo, EngineSettings } from "./backend.ts";
export {
  activeWasmKernelSet,
  MISSING_STOCK_KERNELS,
  registerNativeKernels,
  registerWasmTrainingKernels,
  useWasmKernelSet,
  WASM_TRAINING_KERNELS,
} from "./kernels/register.ts";
export type { WasmKernelSet } from "./kernels/register.ts";
export { kernelProfile } from "./profile.ts";
export type { KernelTime } from "./profile.ts";
export { NATIVE_KERNEL_NAMES } from "./native/kernels.ts";
export {
  BATCH_NORM_KERNEL_NAMES,
  batchNormTraining,
  installBatchNormLayer,
  nativeBatchNormServes,
} from "./native/batch_norm.ts";
export type { BatchNormTraining } from "./native/batch_norm.ts";
export {
  loadOneDnn,
  OneDnn,
  ONEDNN_INSTALL_HINT,
  ONEDNN_LIBRARY_NAMES,
  oneDnnLoadError,
} from "./native/onednn.ts";
export { FusedAdam } from "./adam.ts";
export { loadOrt, ortInfo, ortVersion } from "./ort.ts";
export type { OrtInfo, OrtModule } from "./ort.ts";
