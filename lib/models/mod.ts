/**
 * Public face of the models stage: architectures (CNNs and pixel baselines), k-NN, model
 * artifacts with signatures, input preparation, batched prediction, ONNX export (with its
 * equivalence check) and ONNX Runtime sessions.
 */
export {
  ARCHITECTURES,
  buildModel,
  INPUT_SHAPE,
  modelConfigSchema,
  NUM_CLASSES,
  parseModelConfig,
} from "./architectures.ts";
export type { ModelConfig, ModelConfigInput } from "./architectures.ts";
export {
  defaultSignature,
  deserializeModel,
  loadModelArtifact,
  readArtifactManifest,
  saveModelArtifact,
  serializeModel,
  signatureSchema,
} from "./artifact.ts";
export type { ArtifactManifest, ArtifactRef, Signature } from "./artifact.ts";
export { gatherNormalized, inputTensor, modelInputShape } from "./input.ts";
export { argmaxClasses, normalizedBatches, predictProbabilities } from "./predict.ts";
export { applyTemperature } from "./temperature.ts";
export type { Probabilities } from "./predict.ts";
export { fitKnn, knnConfigSchema } from "./knn.ts";
export type { KnnConfigInput, KnnModel } from "./knn.ts";
export { SeededDropout, seededDropout, setDropoutStep } from "./seeded_dropout.ts";
export type { SeededDropoutArgs } from "./seeded_dropout.ts";
export {
  exportOnnx,
  ONNX_INPUT,
  ONNX_IR_VERSION,
  ONNX_LAYERS,
  ONNX_OPSET,
  ONNX_OUTPUT,
  OnnxExportError,
  onnxGraphBytes,
  onnxMetadata,
  onnxTemperature,
} from "./onnx_export.ts";
export type { OnnxMetadata } from "./onnx_export.ts";
export { OnnxSession } from "./onnx_runtime.ts";
export type { OnnxSessionOptions } from "./onnx_runtime.ts";
export { checkOnnxEquivalence, ONNX_MAX_ABS_DIFF, OnnxEquivalenceError } from "./onnx_check.ts";
export type { OnnxEquivalence } from "./onnx_check.ts";
