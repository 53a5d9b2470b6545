/**
 * The real production pieces started for the ops tests: app replicas (`serve/main.ts` as child
 * processes over a seeded state dir), Prometheus and Alertmanager with configs derived from the
 * committed ones (targets, ports and a time scale swapped in), and a webhook receiver that
 * records what Alertmanager sends.
 */
import { parse, stringify } from "yaml";
import { freeLoopbackPort, parseSettings } from "../lib/config/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { httpStatus, opsPath, Proc, repoPath, requireBinary, waitFor } from "./testing.ts";

/**
 * A fresh state dir (PGlite + local object store) with a seeded, untrained CNN registered as
 * `fmnist` v1 and set as champion. Copy it per replica (PGlite allows one process per dir).
 */
export async function seedState(): Promise<string> {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-ops-state-" });
  await initEngine({ backend: "wasm" });
  const log = createLogger({}, { level: "error", sink: () => {} });
  const settings = parseSettings({ FMNIST_STATE_DIR: stateDir, FMNIST_BACKEND: "wasm" });
  const ctx = await openContext(settings, { manifestDir: `${stateDir}/manifests`, log });
  try {
    await registerSeededModel(ctx, "fmnist", 1, "champion");
  } finally {
    await ctx.close();
  }
  return stateDir;
}

/** Copy a state dir (a replica's own copy of the seeded workspace). */
export async function copyState(src: string): Promise<string> {
  const dst = await Deno.makeTempDir({ prefix: "fmnist-ops-replica-" });
  const r = await new Deno.Command("cp", { args: ["-a", `${src}/.`, dst] }).output();
  if (r.code !== 0) throw new Error(`cp ${src} failed: ${new TextDecoder().decode(r.stderr)}`);
  return dst;
}

/** A running app replica. */
export interface AppReplica {
  port: number;
  url: string;
  proc: Proc;
}

/** Start `serve/main.ts` on `port` over `stateDir` and wait until `/readyz` answers 200. */
export async function startApp(
  stateDir: string,
  port: number,
  env: Record<string, string> = {},
): Promise<AppReplica> {
  const proc = new Proc("app", Deno.execPath(), ["run", "-A", repoPath("serve/main.ts")], {
    env: {
      FMNIST_STATE_DIR: stateDir,
      PORT: String(port),
      FMNIST_BACKEND: "wasm",
      FMNIST_INFER_WORKERS: "0",
      LOG_LEVEL: "info",
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `app on ${port}`,
      async () => {
        if ((await httpStatus(`${url}/readyz`)) === 200) return true;
      },
      90_000,
      250,
    );
  } catch (err) {
    await proc.stop("SIGKILL");
    throw new Error(`${(err as Error).message}\n${proc.output.slice(-3000)}`);
  }
  return { port, url, proc };
}

/** 784 deterministic pixel values in 0..1. */
export function pixels(seed: number): number[] {
  return Array.from({ length: 784 }, (_, i) => ((i * 7919 + seed * 104729) % 256) / 255);
}

/**
 * Scale every duration in a rule file (`for:`, range selectors, `offset`) by `factor`, e.g.
 * 1/30 turns `for: 5m` into `for: 10s`, so an end-to-end test sees the production expressions
 * fire in seconds. Durations are rounded up to whole seconds (at least `minSeconds`).
 */
function scaleRuleDurations(yamlText: string, factor: number, minSeconds = 2): string {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const scale = (d: string) => {
    const m = d.match(/^(\d+)([smhd])$/);
    if (!m) throw new Error(`cannot scale duration "${d}"`);
    return `${Math.max(minSeconds, Math.ceil(Number(m[1]) * unit[m[2]] * factor))}s`;
  };
  const doc = parse(yamlText) as {
    groups: { rules: { expr: string; for?: string }[] }[];
  };
  for (const g of doc.groups) {
    for (const r of g.rules) {
      if (r.for) r.for = scale(r.for);
      r.expr = r.expr
        .replace(/\[(\d+[smhd])\]/g, (_, d) => `[${scale(d)}]`)
        .replace(/offset (\d+[smhd])/g, (_, d) => `offset ${scale(d)}`);
    }
  }
  return stringify(doc);
}

/** One notification Alertmanager posted to the webhook, with its arrival time. */
export interface Notification {
  at: number;
  status: "firing" | "resolved";
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

/** A webhook receiver on a free port recording Alertmanager's notifications. */
export function startWebhook(): { url: string; received: Notification[]; close(): Promise<void> } {
  const received: Notification[] = [];
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    const body = await req.json();
    received.push({ at: Date.now(), status: body.status, alerts: body.alerts });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/alerts`,
    received,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

/** Alertmanager with the committed routing, quick group timers and `webhookUrl` as receiver. */
export async function startAlertmanager(webhookUrl: string): Promise<{
  url: string;
  proc: Proc;
  dir: string;
}> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-ops-am-" });
  const conf = parse(Deno.readTextFileSync(opsPath("alertmanager/alertmanager.yml")));
  Object.assign(conf.route, { group_wait: "1s", group_interval: "1s" });
  for (const r of conf.route.routes ?? []) {
    if (r.group_wait) r.group_wait = "1s";
  }
  for (const rcv of conf.receivers) {
    for (const w of rcv.webhook_configs ?? []) w.url = webhookUrl;
  }
  Deno.writeTextFileSync(`${dir}/alertmanager.yml`, stringify(conf));
  const port = freeLoopbackPort();
  const proc = new Proc("alertmanager", requireBinary("prometheus-alertmanager"), [
    `--config.file=${dir}/alertmanager.yml`,
    `--storage.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--cluster.listen-address=",
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("alertmanager", async () => {
    if ((await httpStatus(`${url}/-/ready`)) === 200) return true;
  }, 30_000).catch((err) => {
    throw new Error(`${err.message}\n${proc.output.slice(-2000)}`);
  });
  return { url, proc, dir };
}

/**
 * Prometheus with the committed rule files (durations scaled by `timeScale`), a 1 s scrape and
 * evaluation interval, scraping `targets` as job `fmnist` and alerting `alertmanagerUrl`.
 */
export async function startPrometheus(opts: {
  targets: string[];
  alertmanagerUrl: string;
  timeScale: number;
}): Promise<{ url: string; proc: Proc; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-ops-prom-" });
  const conf = parse(Deno.readTextFileSync(opsPath("prometheus/prometheus.yml")));
  conf.global = { ...conf.global, scrape_interval: "1s", evaluation_interval: "1s" };
  const port = freeLoopbackPort();
  conf.alerting.alertmanagers = [{
    static_configs: [{ targets: [new URL(opts.alertmanagerUrl).host] }],
  }];
  conf.scrape_configs = conf.scrape_configs.map((s: { job_name: string }) =>
    s.job_name === "fmnist"
      ? { ...s, static_configs: [{ targets: opts.targets }] }
      : s.job_name === "prometheus"
      ? { ...s, static_configs: [{ targets: [`127.0.0.1:${port}`] }] }
      : { ...s, static_configs: [{ targets: [new URL(opts.alertmanagerUrl).host] }] }
  );
  Deno.mkdirSync(`${dir}/rules`);
  for (const f of conf.rule_files as string[]) {
    const src = Deno.readTextFileSync(opsPath(`prometheus/${f}`));
    Deno.writeTextFileSync(`${dir}/${f}`, scaleRuleDurations(src, opts.timeScale));
  }
  Deno.writeTextFileSync(`${dir}/prometheus.yml`, stringify(conf));
  const proc = new Proc("prometheus", requireBinary("prometheus"), [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus", async () => {
    if ((await httpStatus(`${url}/-/ready`)) === 200) return true;
  }, 30_000).catch((err) => {
    throw new Error(`${err.message}\n${proc.output.slice(-2000)}`);
  });
  return { url, proc, dir };
}

/** Run an instant PromQL query; throws on an error answer. */
export async function promQuery(
  promUrl: string,
  expr: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${expr}: ${body.errorType}: ${body.error}`);
  return body.data.result;
}
