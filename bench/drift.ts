/**
 * `deno task bench:drift` — predict latency with the live drift detector on and off: the service
 * (`serve/main.ts`, a copy of the workspace given by `--state`) is loaded with `wrk` (one real
 * test image per request, prediction cache off so every request is computed), alternately with
 * `FMNIST_DRIFT=off` and `on`, `--rounds` times each; prints median and range of p50/p99 and
 * req/s, the evaluations the detector ran, and the p99 ratio on/off. Any wrk error or non-2xx
 * response invalidates the run.
 *
 * Flags: --state DIR (workspace with a champion; default FMNIST_STATE_DIR or .fmnist)
 *        --rounds N (3) --duration S (10) --connections N (16) --wrk-threads N (2)
 *        --workers W (FMNIST_INFER_WORKERS, default 0) --window N (500) --max-rate N (200)
 *        --warmup S (10: covers the detector's one-time setup and first evaluation)
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { gunzip, readIdx } from "../lib/data/mod.ts";
import { ensureProfile, loadDriftModel } from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { loadSettings, parseSettings } from "../lib/config/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { waitFor, wrk, type WrkResult } from "./serve.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";
import { median } from "./stats.ts";

const MAIN = fileURLToPath(new URL("../serve/main.ts", import.meta.url));

const flagsSchema = z.object({
  state: z.string().optional().meta({
    description: "workspace with a champion to copy (default: FMNIST_STATE_DIR or .fmnist)",
  }),
  rounds: z.coerce.number().int().min(1).max(20).default(3).describe("rounds off and on"),
  duration: z.coerce.number().int().min(1).max(600).default(10).describe("load seconds"),
  connections: z.coerce.number().int().min(1).max(1024).default(16).describe("wrk connections"),
  "wrk-threads": z.coerce.number().int().min(1).max(64).default(2).describe("wrk threads"),
  workers: z.string().regex(/^(auto|[0-9]+)$/).default("0").meta({
    description: "inference workers of the service (FMNIST_INFER_WORKERS: auto or a count)",
  }),
  window: z.coerce.number().int().min(8).default(500).meta({
    description: "live drift window size (images)",
  }),
  "max-rate": z.coerce.number().int().min(1).default(200).meta({
    description: "most images per second admitted to the drift window",
  }),
  warmup: z.coerce.number().int().min(1).max(600).default(10).meta({
    description:
      "seconds of load before measuring (the detector's one-time setup and first evaluation)",
  }),
});

async function bench(flags: z.infer<typeof flagsSchema>): Promise<void> {
  const f = { ...flags, wrkThreads: flags["wrk-threads"], maxRate: flags["max-rate"] };
  const source = f.state ?? loadSettings().stateDir;
  const work = await Deno.makeTempDir({ prefix: "fmnist-bench-drift-" });
  const procs: Deno.ChildProcess[] = [];
  try {
    const state = join(work, "state");
    const cp = await new Deno.Command("cp", { args: ["-a", source, state] }).output();
    if (cp.code !== 0) throw new Error(`cannot copy the workspace ${source}`);
    // The champion's profile, so the detector evaluates from its first window.
    const settings = parseSettings({ ...Deno.env.toObject(), FMNIST_STATE_DIR: state });
    await initEngine(settings);
    const ctx = await openContext(settings, { log: createLogger({}, { level: "error" }) });
    try {
      const m = await loadDriftModel(ctx, "fmnist", "champion");
      await ensureProfile(ctx, m);
      m.model.dispose();
    } finally {
      await ctx.close();
    }
    const idx = readIdx(
      await gunzip(
        await Deno.readFile("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
      ),
    );
    const body = join(work, "body.json");
    await Deno.writeTextFile(
      body,
      JSON.stringify({
        instances: [Array.from(idx.data.subarray(0, 784), (b) => Number((b / 255).toFixed(6)))],
      }),
    );
    const results: Record<"off" | "on", (WrkResult & { evaluations: number })[]> = {
      off: [],
      on: [],
    };
    for (let round = 0; round < f.rounds; round++) {
      const order: ("off" | "on")[] = round % 2 ? ["on", "off"] : ["off", "on"];
      for (const mode of order) {
        const port = freeLoopbackPort();
        const proc = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN],
          env: {
            FMNIST_STATE_DIR: state,
            PORT: String(port),
            LOG_LEVEL: "error",
            FMNIST_CACHE_ENTRIES: "0",
            FMNIST_INFER_WORKERS: f.workers,
            FMNIST_DRIFT: mode,
            FMNIST_DRIFT_WINDOW: String(f.window),
            FMNIST_DRIFT_MAX_RATE: String(f.maxRate),
          },
          stdout: "null",
          stderr: "inherit",
        }).spawn();
        procs.push(proc);
        const url = `http://127.0.0.1:${port}`;
        try {
          await waitFor(url + "/readyz", 120_000, proc);
          const target = url + "/v1/models/fmnist/predict";
          // Warm-up long enough for the detector's one-time setup (worker start, model and
          // profile load) and first evaluation: the measurement is the steady state.
          await wrk(target, body, f, f.connections, f.warmup, work);
          const r = await wrk(target, body, f, f.connections, f.duration, work);
          if (r.errors || r.non2xx) {
            throw new Error(`${mode}: ${r.errors} errors, ${r.non2xx} non-2xx: run invalid`);
          }
          const d = await (await fetch(url + "/v1/models/fmnist/drift")).json();
          const evaluations = d.live?.[0]?.evaluations ?? 0;
          results[mode].push({ ...r, evaluations });
          console.error(
            `round ${round + 1} drift=${mode}: ${r.req_s.toFixed(0)} req/s, p50 ` +
              `${r.p50_ms.toFixed(2)} ms, p99 ${
                r.p99_ms.toFixed(2)
              } ms, ${evaluations} evaluations`,
          );
        } finally {
          proc.kill("SIGTERM");
          await proc.status;
        }
      }
    }
    const line = (mode: "off" | "on") => {
      const rs = results[mode];
      const span = (k: "p50_ms" | "p99_ms" | "req_s") =>
        `${median(rs.map((r) => r[k])).toFixed(2)} (${
          Math.min(...rs.map((r) => r[k])).toFixed(2)
        }–${Math.max(...rs.map((r) => r[k])).toFixed(2)})`;
      return `| ${mode} | ${span("req_s")} | ${span("p50_ms")} | ${span("p99_ms")} | ${
        rs.map((r) => r.evaluations).join(", ")
      } |`;
    };
    console.log(
      `predict latency, live drift detector off vs on (${f.rounds} interleaved rounds of ` +
        `${f.duration} s after ${f.warmup} s warm-up, ${f.connections} connections, workers=${f.workers}, window ${f.window}, ` +
        `max ${f.maxRate} admitted/s); median (min–max)\n\n` +
        `| drift | req/s | p50 ms | p99 ms | evaluations per round |\n| --- | --- | --- | --- | --- |\n` +
        `${line("off")}\n${line("on")}\n\np99 ratio on/off: ${
          (median(results.on.map((r) => r.p99_ms)) / median(results.off.map((r) => r.p99_ms)))
            .toFixed(3)
        }`,
    );
  } finally {
    for (const p of procs) {
      try {
        p.kill("SIGKILL");
      } catch { /* already exited */ }
    }
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

export const command = defineCommand({
  name: "bench:drift",
  summary: "Serving overhead of live drift detection: throughput and latency under wrk with the " +
    "detector on vs off, on a copy of a workspace with a champion (--state, default the state " +
    "dir), interleaved.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
