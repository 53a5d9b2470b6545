/**
 * Public face of the models stage: architectures (CNNs and pixel baselines), k-NN, model
 * artifacts with signatures, input preparation and batched prediction.
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
export { argmaxClasses, predictProbabilities } from "./predict.ts";
export type { Probabilities } from "./predict.ts";
export { fitKnn, knnConfigSchema } from "./knn.ts";
export type { KnnConfigInput, KnnModel } from "./knn.ts";
export { SeededDropout, seededDropout, setDropoutStep } from "./seeded_dropout.ts";
export type { SeededDropoutArgs } from "./seeded_dropout.ts";
