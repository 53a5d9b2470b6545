/**
 * Prometheus metrics of the automation processes (prom-client): failed and completed DAG runs,
 * failed step attempts and step durations. `fmnist_dag_runs_failed_total` is the alert-worthy
 * one (`DagRunFailed` in ops/prometheus/rules/alerts.yml): a run is counted as failed once its
 * step exhausted its attempts.
 */
import client from "prom-client";

/** The automation metrics and the registry holding them. */
export interface AutomationMetrics {
  readonly registry: client.Registry;
  readonly runsFailed: client.Counter<"dag">;
  readonly runsCompleted: client.Counter<"dag">;
  readonly stepAttemptsFailed: client.Counter<"dag" | "step">;
  readonly stepSeconds: client.Histogram<"dag" | "step" | "cached">;
}

/** Create the metrics in `registry` (a fresh one by default). */
export function createAutomationMetrics(
  registry: client.Registry = new client.Registry(),
): AutomationMetrics {
  const registers = [registry];
  return {
    registry,
    runsFailed: new client.Counter({
      name: "fmnist_dag_runs_failed_total",
      help: "DAG runs failed after a step exhausted its attempts",
      labelNames: ["dag"],
      registers,
    }),
    runsCompleted: new client.Counter({
      name: "fmnist_dag_runs_completed_total",
      help: "DAG runs completed",
      labelNames: ["dag"],
      registers,
    }),
    stepAttemptsFailed: new client.Counter({
      name: "fmnist_dag_step_attempts_failed_total",
      help: "Failed step attempts (retried or final)",
      labelNames: ["dag", "step"],
      registers,
    }),
    stepSeconds: new client.Histogram({
      name: "fmnist_dag_step_duration_seconds",
      help: "Wall time of completed steps (cached = the step's recorded result was reused)",
      labelNames: ["dag", "step", "cached"],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    }),
  };
}
