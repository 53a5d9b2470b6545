/**
 * Prometheus metrics of the inference service (prom-client), one registry per service instance
 * so several apps (tests) never share counters.
 */
import client from "prom-client";

/** Every metric the service exports. Names are prefixed `fmnist_`. */
export interface InferenceMetrics {
  /** The registry holding them (render with `registry.metrics()`). */
  readonly registry: client.Registry;
  /** HTTP requests by method, route template and status. */
  readonly httpRequests: client.Counter<"method" | "route" | "status">;
  /** HTTP request latency in seconds by method, route template and status. */
  readonly httpDuration: client.Histogram<"method" | "route" | "status">;
  /** Predictions (instances) by model, version and predicted class. */
  readonly predictions: client.Counter<"model" | "version" | "class">;
  /** Instances per tensor batch sent to a model. */
  readonly batchSize: client.Histogram<"model" | "version">;
  /** Seconds one model forward pass (a whole batch) took. */
  readonly batchDuration: client.Histogram<"model" | "version">;
  /** Seconds a request waited before its first batch started (batching delay + busy workers). */
  readonly queueWait: client.Histogram<"model" | "version">;
  /** Inference workers replaced after they died or hung. */
  readonly workerRestarts: client.Counter;
  /** Prediction-cache hits by cache backend (`lru`, `redis`). */
  readonly cacheHits: client.Counter<"backend">;
  /** Prediction-cache misses by cache backend. */
  readonly cacheMisses: client.Counter<"backend">;
  /** Cache operations that failed and were bypassed (the request still succeeded). */
  readonly cacheErrors: client.Counter<"backend" | "op">;
  /** Model versions currently loaded in the pool. */
  readonly modelsLoaded: client.Gauge;
  /** Model loads by outcome (`ok`, `error`). */
  readonly modelLoads: client.Counter<"model" | "outcome">;
  /** Live tfjs tensors (`tf.memory().numTensors`), sampled at scrape time. */
  readonly tensors: client.Gauge;
}

/** Latency buckets (seconds) from 0.5 ms to 10 s. */
const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
];
/** Batch-size buckets. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * Create the metrics in a fresh registry. `numTensors` is read at scrape time (e.g.
 * `() => tf.memory().numTensors`); `collectDefault` adds prom-client's process and runtime
 * metrics under their standard names (`process_resident_memory_bytes`, `nodejs_heap_size_*`, ...,
 * no `fmnist_` prefix, so stock dashboards and USE queries find them; off in tests).
 */
export function createInferenceMetrics(opts: {
  numTensors: () => number;
  collectDefault?: boolean;
}): InferenceMetrics {
  const registry = new client.Registry();
  const registers = [registry];
  if (opts.collectDefault) client.collectDefaultMetrics({ register: registry });
  const numTensors = opts.numTensors;
  return {
    registry,
    httpRequests: new client.Counter({
      name: "fmnist_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpDuration: new client.Histogram({
      name: "fmnist_http_request_duration_seconds",
      help: "HTTP request latency by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    predictions: new client.Counter({
      name: "fmnist_predictions_total",
      help: "Predicted instances by model, version and class",
      labelNames: ["model", "version", "class"] as const,
      registers,
    }),
    batchSize: new client.Histogram({
      name: "fmnist_batch_size",
      help: "Instances per model forward pass (micro-batch size)",
      labelNames: ["model", "version"] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    batchDuration: new client.Histogram({
      name: "fmnist_batch_duration_seconds",
      help: "Seconds per model forward pass",
      labelNames: ["model", "version"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueWait: new client.Histogram({
      name: "fmnist_batch_queue_wait_seconds",
      help: "Seconds a prediction request waited before its first batch started",
      labelNames: ["model", "version"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    workerRestarts: new client.Counter({
      name: "fmnist_inference_worker_restarts_total",
      help: "Inference workers replaced after they died or stopped answering",
      registers,
    }),
    cacheHits: new client.Counter({
      name: "fmnist_cache_hits_total",
      help: "Prediction cache hits",
      labelNames: ["backend"] as const,
      registers,
    }),
    cacheMisses: new client.Counter({
      name: "fmnist_cache_misses_total",
      help: "Prediction cache misses",
      labelNames: ["backend"] as const,
      registers,
    }),
    cacheErrors: new client.Counter({
      name: "fmnist_cache_errors_total",
      help: "Prediction cache operations that failed and were bypassed",
      labelNames: ["backend", "op"] as const,
      registers,
    }),
    modelsLoaded: new client.Gauge({
      name: "fmnist_models_loaded",
      help: "Model versions loaded in memory",
      registers,
    }),
    modelLoads: new client.Counter({
      name: "fmnist_model_loads_total",
      help: "Model version loads by outcome",
      labelNames: ["model", "outcome"] as const,
      registers,
    }),
    tensors: new client.Gauge({
      name: "fmnist_tf_tensors",
      help: "Live TensorFlow.js tensors (tf.memory().numTensors)",
      registers,
      collect() {
        this.set(numTensors());
      },
    }),
  };
}

/** Content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE: string = client.Registry.PROMETHEUS_CONTENT_TYPE;
