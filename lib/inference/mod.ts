/**
 * Public face of the inference stage: one predict interface over two runtimes (ONNX Runtime or
 * tfjs, `FMNIST_INFER_RUNTIME`), the model pool (versions, aliases refreshed without
 * restart), compute in worker threads (`FMNIST_INFER_WORKERS`), micro-batching, JSON and image input parsing, the prediction cache (LRU / Redis),
 * Prometheus metrics, and the hooks (prediction sink, version resolver) that logging and A/B
 * work plug into.
 *
 * ```ts
 * const inf = createInference(ctx, { redisUrl: settings.redisUrl });
 * await warmChampions(inf);
 * const r = await inf.service.predict({ model: "fmnist", ref: { kind: "default" },
 *   batch: parseInstances(body), requestId });
 * ```
 */
export { checkBatchLimits, MicroBatcher } from "./batcher.ts";
export { BatchJobConflictError, predictBatch } from "./batch_predict.ts";
export type { BatchInput, BatchPredictOptions, BatchPredictResult } from "./batch_predict.ts";
export type { BatcherOptions, BatchLimits, BatchRunner } from "./batcher.ts";
export { guardedCache, LruCache, predictionKey, RedisCache } from "./cache.ts";
export type { PredictionCache, RedisCacheOptions } from "./cache.ts";
export {
  decodeImage,
  DEFAULT_MAX_PIXELS,
  ImageInputError,
  preprocessGray,
  preprocessImage,
  resizeArea,
  sniffImageFormat,
  toGray,
} from "./image.ts";
export type {
  ImageFormat,
  PreprocessedImage,
  PreprocessInfo,
  PreprocessOptions,
  RgbaImage,
} from "./image.ts";
export {
  checkImageBudget,
  DEFAULT_IMAGE_BUDGET,
  ImageBudgetError,
  imageBudgetSchema,
  readImageHeader,
} from "./image_budget.ts";
export type { ImageBudget, ImageBudgetInput, ImageHeader } from "./image_budget.ts";
export { ImageDecodePool } from "./decode_pool.ts";
export type { DecodePoolOptionsInput, ImageDecoder } from "./decode_pool.ts";
export { inlineDecoder, preprocessImages } from "./image_batch.ts";
export type { PreprocessImagesOptions } from "./image_batch.ts";
export {
  DEFAULT_MAX_INSTANCES,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  instancesBodySchema,
  InstanceSchema,
  packInstances,
  parseInstances,
} from "./instances.ts";
export type { InstancesBody, PixelBatch } from "./instances.ts";
export { createInferenceMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
export type { InferenceMetrics } from "./metrics.ts";
export { ModelLoadError, ModelNotFoundError, ModelPool } from "./pool.ts";
export type { LoadedInfo, LoadedModel, ModelLease, ModelPoolOptions, VersionRef } from "./pool.ts";
export { InferenceService, inputHash } from "./service.ts";
export type {
  InferenceServiceOptions,
  Prediction,
  PredictRequest,
  PredictResult,
} from "./service.ts";
export {
  checkReadiness,
  createInference,
  inferenceEnvSchema,
  inferenceOptionsFromEnv,
  inferenceOptionsSchema,
  inferRuntimeFromEnv,
  warmChampions,
} from "./setup.ts";
export type {
  CheckResult,
  Inference,
  InferenceOptions,
  InferenceOptionsInput,
  Readiness,
} from "./setup.ts";
export { MemorySink } from "./sink.ts";
export { inferRuntimeSchema, resolveRuntime, RuntimeUnavailableError } from "./runtime.ts";
export type { InferRuntime, InferRuntimeRequest, RuntimeInfo } from "./runtime.ts";
export { forwardOnnx } from "./forward.ts";
export { openPredictor, predictImageSet } from "./predictor.ts";
export type { Predictor, PredictorOptions, SetProbabilities } from "./predictor.ts";
export { InferenceUnavailableError } from "./errors.ts";
export {
  AUTO_WORKERS_MAX,
  InferenceWorkers,
  resolveWorkerCount,
  workerCountSchema,
} from "./workers.ts";
export type { InferenceWorkersOptions, WorkerCount, WorkerStats } from "./workers.ts";
export type {
  InputObserver,
  PredictionErrorRecord,
  PredictionRecord,
  PredictionSink,
  Resolution,
  ResolveRequest,
  VersionResolver,
} from "./sink.ts";
