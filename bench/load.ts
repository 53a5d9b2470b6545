/**
 * `deno task load -- --scenario NAME --users N --duration T [--host URL]`: run a Locust scenario
 * (bench/load/locustfile.py) headless against the service, then write a summary (req/s,
 * p50/p95/p99, failures, p99 over time, RSS and tfjs tensors at start and end) and Locust's CSV
 * and HTML report under `<state dir>/load/<time>-<scenario>/`.
 *
 * Without `--host` it starts the service itself (`serve/main.ts`) over a throwaway state dir
 * holding a seeded, untrained CNN as champion: load shape and resource figures, not accuracy.
 */
import { join } from "node:path";
import { z } from "zod";
import { commandMain, defineCommand, type Output } from "../lib/cli/mod.ts";
import { loadSettings } from "../lib/config/mod.ts";
import { type AppReplica, seedState, startApp } from "../ops/stack_testing.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";
import { requireBinary } from "../lib/doctor/mod.ts";

const schema = z.object({
  scenario: z.enum(["smoke", "steady", "spike", "soak"]).default("steady").meta({
    description: "Locust scenario (bench/load/locustfile.py)",
  }),
  users: z.coerce.number().int().min(1).max(10_000).default(10).meta({
    description: "concurrent users",
  }),
  duration: z.string().regex(/^\d+[smh]$/, "use e.g. 30s, 10m, 1h").default("30s").meta({
    description: "run time",
    arg: "T",
  }),
  host: z.url().optional().meta({
    description: "target service (default: start one over a seeded throwaway state dir)",
    arg: "URL",
  }),
  "spawn-rate": z.coerce.number().positive().optional().meta({
    description: "users started per second",
    arg: "R",
  }),
});

/** Summary of one load run. */
export interface LoadSummary {
  scenario: string;
  users: number;
  duration: string;
  host: string;
  requests: number;
  failures: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Aggregated p99 (ms) in the first and the last reported interval that had traffic. */
  p99_first_ms: number | null;
  p99_last_ms: number | null;
  rss_bytes: { start: number | null; end: number | null };
  tensors: { start: number | null; end: number | null };
  report_dir: string;
}

function seconds(d: string): number {
  const n = Number(d.slice(0, -1));
  return n * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[d.at(-1)!];
}

/** Parse Locust's CSV (no quoted commas in the columns used). */
function csv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split("\n");
  const cols = head.split(",").map((c) => c.replace(/^"|"$/g, ""));
  return rows.map((r) => {
    const cells = r.split(",").map((c) => c.replace(/^"|"$/g, ""));
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}

async function gauge(host: string, name: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${host}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(" ").at(-1)) : null;
  } catch {
    return null;
  }
}

/** Run Locust with `opts` against `host`; returns the summary (files under `outDir`). */
export async function runLoad(opts: {
  scenario: string;
  users: number;
  duration: string;
  host: string;
  spawnRate?: number;
  outDir: string;
  /** Key for `POST /v1/feedback` (the feedback task is skipped without one). */
  feedbackKey?: string;
}): Promise<LoadSummary> {
  await Deno.mkdir(opts.outDir, { recursive: true });
  const prefix = join(opts.outDir, "locust");
  const metricsHost = opts.host;
  const rssStart = await gauge(metricsHost, "process_resident_memory_bytes");
  const tensorsStart = await gauge(metricsHost, "fmnist_tf_tensors");
  const locustfile = new URL("./load/locustfile.py", import.meta.url).pathname;
  const args = [
    "-f",
    locustfile,
    "--headless",
    "--host",
    opts.host,
    "-t",
    opts.duration,
    "--csv",
    prefix,
    "--csv-full-history",
    "--html",
    `${prefix}.html`,
    "--only-summary",
    "--stop-timeout",
    "5",
    "--exit-code-on-error",
    "0",
  ];
  if (opts.scenario !== "spike") {
    args.push("-u", String(opts.users), "-r", String(opts.spawnRate ?? Math.max(1, opts.users)));
  }
  const out = await new Deno.Command(requireBinary("locust"), {
    args,
    env: {
      LOAD_SCENARIO: opts.scenario,
      LOAD_USERS: String(opts.users),
      LOAD_DURATION_S: String(seconds(opts.duration)),
      ...(opts.feedbackKey ? { LOAD_FEEDBACK_KEY: opts.feedbackKey } : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  await Deno.writeTextFile(join(opts.outDir, "locust.log"), log);
  if (out.code !== 0) throw new Error(`locust exited ${out.code}:\n${log.slice(-2000)}`);
  const stats = csv(await Deno.readTextFile(`${prefix}_stats.csv`));
  const agg = stats.find((r) => r.Name === "Aggregated");
  if (!agg) throw new Error(`no Aggregated row in ${prefix}_stats.csv`);
  const history = csv(await Deno.readTextFile(`${prefix}_stats_history.csv`))
    .filter((r) => r.Name === "Aggregated" && Number(r["99%"]) > 0);
  const p99 = (r?: Record<string, string>) => r ? Number(r["99%"]) : null;
  return {
    scenario: opts.scenario,
    users: opts.users,
    duration: opts.duration,
    host: opts.host,
    requests: Number(agg["Request Count"]),
    failures: Number(agg["Failure Count"]),
    rps: Number(agg["Requests/s"]),
    p50_ms: Number(agg["50%"]),
    p95_ms: Number(agg["95%"]),
    p99_ms: Number(agg["99%"]),
    p99_first_ms: p99(history[0]),
    p99_last_ms: p99(history.at(-1)),
    rss_bytes: { start: rssStart, end: await gauge(metricsHost, "process_resident_memory_bytes") },
    tensors: { start: tensorsStart, end: await gauge(metricsHost, "fmnist_tf_tensors") },
    report_dir: opts.outDir,
  };
}

/** Human-readable summary lines. */
function formatSummary(s: LoadSummary): string {
  const mib = (b: number | null) => b === null ? "n/a" : `${(b / 2 ** 20).toFixed(0)} MiB`;
  return [
    `scenario ${s.scenario}: ${s.users} users for ${s.duration} against ${s.host}`,
    `requests ${s.requests}, failures ${s.failures}, ${s.rps.toFixed(1)} req/s`,
    `latency p50 ${s.p50_ms} ms, p95 ${s.p95_ms} ms, p99 ${s.p99_ms} ms ` +
    `(p99 first interval ${s.p99_first_ms ?? "n/a"} ms, last ${s.p99_last_ms ?? "n/a"} ms)`,
    `RSS ${mib(s.rss_bytes.start)} → ${mib(s.rss_bytes.end)}, ` +
    `tensors ${s.tensors.start ?? "n/a"} → ${s.tensors.end ?? "n/a"}`,
    `report: ${s.report_dir}/locust.html`,
  ].join("\n");
}

/** Run a load scenario; returns 1 when a request failed. */
async function load(f: z.infer<typeof schema>, out: Output): Promise<number> {
  const settings = loadSettings();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = join(settings.stateDir, "load", `${stamp}-${f.scenario}`);
  let app: AppReplica | undefined;
  let seeded: string | undefined;
  try {
    let host = f.host;
    // A service we start gets a feedback key of our own; a target's key comes from the env.
    let feedbackKey = Deno.env.get("FMNIST_FEEDBACK_KEY");
    if (!host) {
      seeded = await seedState();
      feedbackKey = crypto.randomUUID();
      app = await startApp(seeded, freeLoopbackPort(), {
        LOG_LEVEL: "warn",
        FMNIST_FEEDBACK_KEY: feedbackKey,
      });
      host = app.url;
    }
    const summary = await runLoad({
      scenario: f.scenario,
      users: f.users,
      duration: f.duration,
      host,
      spawnRate: f["spawn-rate"],
      outDir,
      feedbackKey,
    });
    await Deno.writeTextFile(join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    if (!out.json && !Deno.stdout.isTerminal()) out.io.out(JSON.stringify(summary));
    else out.result(summary, formatSummary);
    return summary.failures > 0 ? 1 : 0;
  } finally {
    await app?.proc.stop();
    if (seeded) await Deno.remove(seeded, { recursive: true }).catch(() => {});
  }
}

export const command = defineCommand({
  name: "load",
  summary: "Run a Locust scenario headless against the service, then write a summary (req/s, " +
    "p50/p95/p99, failures, p99 over time, RSS and tfjs tensors) and Locust's CSV and HTML " +
    "report under <state dir>/load/<time>-<scenario>/.",
  description: "Without --host it starts the service itself over a throwaway state dir holding " +
    "a seeded, untrained CNN as champion: load shape and resource figures, not accuracy.",
  schema,
  json: true,
  run: ({ flags, out }) => load(flags, out),
});

/** Run the CLI; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
