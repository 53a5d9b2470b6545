/**
 * End to end with the real programs: the service (`serve/main.ts`), a real Prometheus scraping it
 * with the committed rules (durations scaled 1/30 so `for: 1m` is 2 s) and a real Alertmanager
 * with the committed routing, posting to a webhook receiver here. Stopping the replica must bring
 * `FmnistServiceDown` to the receiver within a bound; restarting it must resolve the alert.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  copyState,
  type Notification,
  pixels,
  promQuery,
  seedState,
  startAlertmanager,
  startApp,
  startPrometheus,
  startWebhook,
} from "./stack_testing.ts";
import { CONTRACT_METRICS, dashboardFiles, panelQueries } from "./grafana/dashboards.ts";
import { waitFor } from "./testing.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";

/**
 * Series that exist only after a failure (a labelled counter appears on its first increment):
 * their panels rightly show nothing on a healthy service.
 */
const FAILURE_ONLY = ["fmnist_cache_errors_total"];

/** Upper bounds asserted (seconds): generous for a loaded 2-core CI machine. */
const FIRE_WITHIN_S = 45;
const RESOLVE_WITHIN_S = 60;

function findAlert(received: Notification[], status: "firing" | "resolved", name: string) {
  return received.find((n) =>
    n.alerts.some((a) => a.status === status && a.labels.alertname === name)
  );
}

test("a stopped replica reaches the webhook as FmnistServiceDown, then resolves", async () => {
  const seeded = await seedState();
  const stateDir = await copyState(seeded);
  const hook = startWebhook();
  const am = await startAlertmanager(hook.url);
  const port = freeLoopbackPort();
  let app = await startApp(stateDir, port);
  const prom = await startPrometheus({
    targets: [`127.0.0.1:${port}`],
    alertmanagerUrl: am.url,
    timeScale: 1 / 30,
  });
  try {
    // Traffic: predictions and a few client errors.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${app.url}/v1/models/fmnist/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [pixels(i), pixels(i + 100)] }),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
    }
    const bad = await fetch(`${app.url}/v1/models/fmnist/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances: [[1, 2, 3]] }),
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    // Prometheus scrapes the replica and sees the predictions.
    await waitFor("predictions in Prometheus", async () => {
      const r = await promQuery(prom.url, 'sum(fmnist_predictions_total{job="fmnist"})');
      if (r.length && Number(r[0].value[1]) === 20) return true;
    }, 30_000);
    const up = await promQuery(prom.url, 'up{job="fmnist"}');
    assert.equal(up[0].value[1], "1");

    // The access log carries route, request id and the model version that answered.
    const access = app.proc.output.split("\n").filter((l) => l.includes('"http request"'))
      .map((l) => JSON.parse(l)).find((r) => r.status === 200 && r.path.endsWith("/predict"));
    assert.ok(access, app.proc.output.slice(-2000));
    assert.equal(access.route, "/v1/models/:name/predict");
    assert.equal(access.model_version, "fmnist@1");
    assert.match(access.request_id, /\S+/);

    // Every PromQL expression of every dashboard panel runs without error, and has data unless
    // it reads a contract metric (not exported yet) or a failure-only series.
    const queries = panelQueries(dashboardFiles()).filter((q) => q.kind === "promql");
    assert.ok(queries.length > 30, `only ${queries.length} PromQL panel queries`);
    const empty: string[] = [];
    await waitFor(
      "data behind every dashboard query",
      async () => {
        empty.length = 0;
        for (const q of queries) {
          const rows = await promQuery(prom.url, q.query).catch((err) => {
            throw new Error(`${q.dashboard} / ${q.panel}: ${err.message}`);
          });
          const exempt = [...CONTRACT_METRICS, ...FAILURE_ONLY].some((m) => q.query.includes(m));
          if (rows.length === 0 && !exempt) empty.push(`${q.dashboard} / ${q.panel}: ${q.query}`);
        }
        return empty.length === 0 ? true : undefined;
      },
      30_000,
      1000,
    ).catch((err) => {
      throw new Error(`${err.message}\nno data:\n${empty.join("\n")}`);
    });

    assert.equal(findAlert(hook.received, "firing", "FmnistServiceDown"), undefined);

    // Provoke: stop the replica.
    const stopped = Date.now();
    await app.proc.stop("SIGTERM");
    const fired = await waitFor(
      "FmnistServiceDown at the webhook",
      () => Promise.resolve(findAlert(hook.received, "firing", "FmnistServiceDown")),
      FIRE_WITHIN_S * 1000,
      100,
    ).catch((err) => {
      throw new Error(
        `${err.message}\nprometheus:\n${prom.proc.output.slice(-1500)}\n` +
          `alertmanager:\n${am.proc.output.slice(-1500)}`,
      );
    });
    const fireLatency = (fired.at - stopped) / 1000;
    const alert = fired.alerts.find((a) => a.labels.alertname === "FmnistServiceDown")!;
    assert.equal(alert.labels.severity, "critical");
    assert.equal(alert.labels.instance, `127.0.0.1:${port}`);
    assert.equal(alert.annotations.runbook_url, "ops/runbooks.md#fmnistservicedown");

    // Recover: start it again on the same port and state.
    const restarted = Date.now();
    app = await startApp(stateDir, port);
    const ready = Date.now();
    const resolved = await waitFor(
      "FmnistServiceDown resolved at the webhook",
      () => Promise.resolve(findAlert(hook.received, "resolved", "FmnistServiceDown")),
      RESOLVE_WITHIN_S * 1000,
      100,
    );
    console.log(
      `alert latency: fired ${fireLatency.toFixed(1)} s after the stop; resolved ` +
        `${((resolved.at - ready) / 1000).toFixed(1)} s after the replica was ready again ` +
        `(${((resolved.at - restarted) / 1000).toFixed(1)} s after the restart began)`,
    );
    // Nothing else fired: the remaining rules stay silent on a healthy service.
    const others = hook.received.flatMap((n) => n.alerts)
      .filter((a) => a.labels.alertname !== "FmnistServiceDown");
    assert.deepEqual(others.map((a) => a.labels.alertname), []);
  } finally {
    await app.proc.stop();
    await prom.proc.stop();
    await am.proc.stop();
    await hook.close();
    for (const d of [seeded, stateDir, prom.dir, am.dir]) {
      await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  }
});
