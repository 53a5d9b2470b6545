/**
 * Grafana dashboards as code (`@grafana/grafana-foundation-sdk`): service overview (RED),
 * model performance, drift, training/pipelines and infrastructure (USE). `deno task
 * ops:generate` writes them to `ops/grafana/dashboards/*.json`, which the compose Grafana
 * provisions. Every PromQL expression runs against a real Prometheus in `ops/alerting_e2e_test.ts`
 * and every SQL query against the real schema in `ops/grafana/dashboards_test.ts`.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  CustomVariableBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  type DataSourceRef,
  RowBuilder,
  TextBoxVariableBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as LogsPanel } from "@grafana/grafana-foundation-sdk/logs";
import { DataqueryBuilder as LokiQuery } from "@grafana/grafana-foundation-sdk/loki";
import { DataqueryBuilder as PromQuery } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

const PROMETHEUS: DataSourceRef = { type: "prometheus", uid: "prometheus" };
const LOKI: DataSourceRef = { type: "loki", uid: "loki" };
const POSTGRES: DataSourceRef = { type: "grafana-postgresql-datasource", uid: "postgres" };

/**
 * Metrics that no component exports yet (contracts documented in ops/README.md): their panels
 * show "No data" until the drift and pipeline work lands; the e2e test runs their queries but
 * does not expect data.
 */
export const CONTRACT_METRICS: readonly string[] = [
  "fmnist_drift_detected",
  "fmnist_drift_score",
  "fmnist_pipeline_last_success_timestamp_seconds",
  "fmnist_pipeline_last_failure_timestamp_seconds",
  "fmnist_pipeline_duration_seconds",
  "fmnist_model_champion_timestamp_seconds",
];

function prom(expr: string, legend = "", ref = "A"): PromQuery {
  return new PromQuery().expr(expr).legendFormat(legend || "__auto").refId(ref).datasource(
    PROMETHEUS,
  );
}

/** A Postgres (SQL) target; the SDK has no typed builder for it, so this is the raw shape. */
function sql(
  rawSql: string,
  format: "table" | "time_series" = "table",
): cog.Builder<cog.Dataquery> {
  return {
    build: () =>
      ({
        refId: "A",
        datasource: POSTGRES,
        editorMode: "code",
        format,
        rawQuery: true,
        rawSql,
        _implementsDataqueryVariant() {},
      }) as cog.Dataquery,
  };
}

function series(title: string, unit: string, ...targets: PromQuery[]): TimeseriesPanel {
  const p = new TimeseriesPanel().title(title).unit(unit).datasource(PROMETHEUS).height(8).span(12);
  targets.forEach((t, i) => p.withTarget(t.refId(String.fromCharCode(65 + i))));
  return p;
}

function stat(title: string, unit: string, expr: string): StatPanel {
  return new StatPanel().title(title).unit(unit).datasource(PROMETHEUS).height(4).span(6)
    .withTarget(prom(expr));
}

function table(title: string, query: string): TablePanel {
  return new TablePanel().title(title).datasource(POSTGRES).height(8).span(12).withTarget(
    sql(query),
  );
}

function base(uid: string, title: string, tags: string[]): DashboardBuilder {
  return new DashboardBuilder(title).uid(uid).tags(["fmnist", ...tags]).refresh("30s")
    .time({ from: "now-6h", to: "now" }).timezone("browser").editable()
    .link(
      new DashboardLinkBuilder("fmnist dashboards").type(DashboardLinkType.Dashboards).tags([
        "fmnist",
      ])
        .asDropdown(true),
    );
}

const PREDICT = `route=~"/v1/models/.*predict"`;

/** Service overview: RED per route, replicas, and the logs of the service (Loki). */
function serviceDashboard(): DashboardBuilder {
  return base("fmnist-service", "fmnist · service (RED)", ["red"])
    .withVariable(
      new TextBoxVariableBuilder("request_id").label("Request id").defaultValue(""),
    )
    .withVariable(
      new CustomVariableBuilder("level").label("Level").values("error,warn,info,debug")
        .includeAll(true).allValue(".*").multi(true),
    )
    .withRow(new RowBuilder("Now"))
    .withPanel(stat("Request rate", "reqps", `sum(job:fmnist_http_requests:rate5m)`))
    .withPanel(stat("5xx ratio", "percentunit", `max(job:fmnist_http_5xx:ratio_rate5m)`))
    .withPanel(stat(
      "Predict p99",
      "s",
      `max(job_route:fmnist_http_request_duration_seconds:p99_5m{${PREDICT}})`,
    ))
    .withPanel(stat("Replicas up", "none", `sum(up{job="fmnist"})`))
    .withRow(new RowBuilder("Rate, errors, duration"))
    .withPanel(series(
      "Requests by route",
      "reqps",
      prom(`sum by (route) (job_route:fmnist_http_requests:rate5m)`, "{{route}}"),
    ))
    .withPanel(series(
      "Requests by status",
      "reqps",
      prom(`sum by (status) (job_route_status:fmnist_http_requests:rate5m)`, "{{status}}"),
    ))
    .withPanel(series(
      "Errors by route (4xx, 5xx)",
      "reqps",
      prom(
        `sum by (route, status) (rate(fmnist_http_requests_total{status=~"[45].."}[5m]))`,
        "{{route}} {{status}}",
      ),
    ))
    .withPanel(series(
      "Latency by route",
      "s",
      prom(`job_route:fmnist_http_request_duration_seconds:p50_5m`, "p50 {{route}}"),
      prom(`job_route:fmnist_http_request_duration_seconds:p95_5m`, "p95 {{route}}"),
      prom(`job_route:fmnist_http_request_duration_seconds:p99_5m`, "p99 {{route}}"),
    ))
    .withRow(new RowBuilder("Logs"))
    .withPanel(
      new LogsPanel().title("Service logs (errors first; filter by request id with $request_id)")
        .datasource(LOKI).height(10).span(24).showTime(true).wrapLogMessage(true)
        .enableLogDetails(true)
        .withTarget(
          new LokiQuery().refId("A").datasource(LOKI).expr(
            `{service=~"app-.*|nginx"} |= "$request_id" | json | level=~"$level"`,
          ),
        ),
    );
}

/** Model performance: prediction mix, batching, cache, loads, and feedback accuracy (SQL). */
function modelDashboard(): DashboardBuilder {
  return base("fmnist-model", "fmnist · model performance", ["model"])
    .withRow(new RowBuilder("Predictions"))
    .withPanel(series(
      "Predictions by model version",
      "ops",
      prom(
        `sum by (model, version) (job_model_version:fmnist_predictions:rate5m)`,
        "{{model}} v{{version}}",
      ),
    ))
    .withPanel(series(
      "Predicted class mix",
      "percentunit",
      prom(
        `sum by (class) (job_model_version_class:fmnist_predictions:rate5m) / ignoring (class) group_left sum(job_model_version_class:fmnist_predictions:rate5m)`,
        "{{class}}",
      ),
    ))
    .withPanel(series(
      "Micro-batch size (mean) and forward pass p99",
      "none",
      prom(`job_model_version:fmnist_batch_size:mean5m`, "batch size v{{version}}"),
      prom(
        `job_model_version:fmnist_batch_duration_seconds:p99_5m * 1000`,
        "forward p99 ms v{{version}}",
      ),
    ))
    .withPanel(series(
      "Queue wait p99 and inference worker restarts",
      "none",
      prom(
        `job_model_version:fmnist_batch_queue_wait_seconds:p99_5m * 1000`,
        "queue wait p99 ms v{{version}}",
      ),
      prom(
        `sum by (instance) (increase(fmnist_inference_worker_restarts_total[1h]))`,
        "worker restarts /1h {{instance}}",
      ),
    ))
    .withPanel(series(
      "Cache hit ratio and model loads",
      "none",
      prom(`job:fmnist_cache_hits:ratio_rate5m`, "cache hit ratio"),
      prom(`sum by (outcome) (increase(fmnist_model_loads_total[1h]))`, "loads {{outcome}} /1h"),
    ))
    .withRow(new RowBuilder("Prediction logs (Postgres)"))
    .withPanel(table(
      "Mean confidence by version, last 24 h",
      `SELECT model, version, count(*) AS predictions, avg(confidence) AS mean_confidence
FROM prediction_logs WHERE at > now() - interval '24 hours'
GROUP BY model, version ORDER BY model, version`,
    ))
    .withPanel(table(
      "Feedback accuracy by day and version",
      `SELECT date_trunc('day', f.received_at) AS day, l.model, l.version, count(*) AS labelled,
  avg(CASE WHEN f.true_class_id = l.class_id OR f.true_label = l.label THEN 1.0 ELSE 0.0 END) AS accuracy
FROM prediction_feedback f JOIN prediction_logs l USING (request_id, idx)
GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3 LIMIT 200`,
    ))
    .withPanel(table(
      "A/B arms: traffic, confidence and feedback accuracy, last 7 days",
      `SELECT l.arm, l.model, l.version, count(*) AS predictions, avg(l.confidence) AS mean_confidence,
  count(f.request_id) AS labelled,
  avg(CASE WHEN f.request_id IS NULL THEN NULL WHEN f.true_class_id = l.class_id OR f.true_label = l.label THEN 1.0 ELSE 0.0 END) AS accuracy
FROM prediction_logs l LEFT JOIN prediction_feedback f USING (request_id, idx)
WHERE l.arm IS NOT NULL AND l.at > now() - interval '7 days'
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ));
}

/** Drift (contract metrics from the drift work). */
function driftDashboard(): DashboardBuilder {
  return base("fmnist-drift", "fmnist · drift", ["drift"])
    .withPanel(series(
      "Drift score by detector",
      "none",
      prom(`max by (model, version, detector) (fmnist_drift_score)`, "{{detector}} v{{version}}"),
    ))
    .withPanel(series(
      "Drift flagged",
      "none",
      prom(
        `max by (model, version, detector) (fmnist_drift_detected)`,
        "{{detector}} v{{version}}",
      ),
    ))
    .withPanel(series(
      "Predicted class mix (a cheap drift proxy)",
      "percentunit",
      prom(
        `sum by (class) (rate(fmnist_predictions_total[1h])) / ignoring (class) group_left sum(rate(fmnist_predictions_total[1h]))`,
        "{{class}}",
      ),
    ));
}

/** Training and pipeline runs (SQL over the tracking tables; contract metrics). */
function pipelinesDashboard(): DashboardBuilder {
  return base("fmnist-pipelines", "fmnist · training and pipelines", ["pipelines"])
    .withPanel(table(
      "Recent tracking runs",
      `SELECT experiment, name, status, started_at, ended_at,
  extract(epoch FROM (coalesce(ended_at, now()) - started_at)) AS seconds, dataset_version, error
FROM tracking_runs ORDER BY started_at DESC LIMIT 50`,
    ))
    .withPanel(table(
      "Pipeline steps, last 7 days",
      `SELECT name, status, count(*) AS runs, avg(duration_ms) / 1000 AS mean_seconds, max(finished_at) AS last
FROM step_runs WHERE finished_at > now() - interval '7 days' GROUP BY name, status ORDER BY name, status`,
    ))
    .withPanel(series(
      "Hours since last success / failure",
      "h",
      prom(
        `(time() - fmnist_pipeline_last_success_timestamp_seconds) / 3600`,
        "success {{pipeline}}",
      ),
      prom(
        `(time() - fmnist_pipeline_last_failure_timestamp_seconds) / 3600`,
        "failure {{pipeline}}",
      ),
    ))
    .withPanel(series(
      "Champion age",
      "d",
      prom(
        `(time() - max by (model) (fmnist_model_champion_timestamp_seconds)) / 86400`,
        "{{model}}",
      ),
    ));
}

/** Infrastructure (USE): process, tensors, prediction-log spool, cache errors, scrape health. */
function infraDashboard(): DashboardBuilder {
  return base("fmnist-infra", "fmnist · infrastructure (USE)", ["use"])
    .withPanel(series(
      "Resident memory and heap",
      "bytes",
      prom(`process_resident_memory_bytes{job="fmnist"}`, "RSS {{instance}}"),
      prom(`nodejs_heap_size_used_bytes{job="fmnist"}`, "heap {{instance}}"),
    ))
    .withPanel(series(
      "CPU",
      "percentunit",
      prom(`rate(process_cpu_seconds_total{job="fmnist"}[5m])`, "{{instance}}"),
    ))
    .withPanel(series(
      "tfjs tensors and loaded models",
      "none",
      prom(`fmnist_tf_tensors`, "tensors {{instance}}"),
      prom(`fmnist_models_loaded`, "models {{instance}}"),
    ))
    .withPanel(series(
      "Prediction-log spool and database state",
      "bytes",
      prom(`fmnist_predlog_spool_bytes`, "spool {{instance}}"),
      prom(`fmnist_predlog_db_down * 1e6`, "db down {{instance}}"),
    ))
    .withPanel(series(
      "Prediction-log flow",
      "ops",
      prom(`sum(rate(fmnist_predlog_written_total[5m]))`, "written"),
      prom(`sum(rate(fmnist_predlog_spooled_total[5m]))`, "spooled"),
      prom(`sum(rate(fmnist_predlog_replayed_total[5m]))`, "replayed"),
      prom(`sum(rate(fmnist_predlog_dropped_total[5m]))`, "dropped"),
    ))
    .withPanel(series(
      "Cache errors (bypassed lookups)",
      "ops",
      prom(`sum by (backend, op) (rate(fmnist_cache_errors_total[5m]))`, "{{backend}} {{op}}"),
    ))
    .withPanel(series("Targets up", "none", prom(`sum by (job) (up)`, "{{job}}")))
    .withPanel(series(
      "Event loop lag",
      "s",
      prom(`nodejs_eventloop_lag_p99_seconds{job="fmnist"}`, "{{instance}}"),
    ));
}

/** Every dashboard: file name (under ops/grafana/dashboards/) → JSON text. */
export function dashboardFiles(): Record<string, string> {
  const all = {
    "service.json": serviceDashboard(),
    "model.json": modelDashboard(),
    "drift.json": driftDashboard(),
    "pipelines.json": pipelinesDashboard(),
    "infra.json": infraDashboard(),
  };
  return Object.fromEntries(
    Object.entries(all).map(([f, b]) => [f, JSON.stringify(b.build(), null, 2) + "\n"]),
  );
}

/** A query of a panel in a generated dashboard. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  kind: "promql" | "sql" | "logql";
  query: string;
}

/** Every query of every panel in the given dashboard JSON texts. */
export function panelQueries(files: Record<string, string>): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const [file, text] of Object.entries(files)) {
    const d = JSON.parse(text) as {
      panels: {
        title: string;
        targets?: { expr?: string; rawSql?: string; datasource?: DataSourceRef }[];
      }[];
    };
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        const type = t.datasource?.type;
        if (type === "prometheus" && t.expr) {
          out.push({ dashboard: file, panel: p.title, kind: "promql", query: t.expr });
        } else if (type === "loki" && t.expr) {
          out.push({ dashboard: file, panel: p.title, kind: "logql", query: t.expr });
        } else if (t.rawSql) {
          out.push({ dashboard: file, panel: p.title, kind: "sql", query: t.rawSql });
        }
      }
    }
  }
  return out;
}
