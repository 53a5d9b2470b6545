/**
 * `deno task bench:serve` — our HTTP service against FastAPI + uvicorn + PyTorch peers
 * (bench/peers/serve_fastapi.py, Debian packages) with the same architecture and weights, in the
 * same run, each at its best (issue 8): a sync handler in the thread pool (one process, torch on
 * every core), the same with one uvicorn worker process per core (torch 1 thread each), and a
 * dynamic-batching handler over an asyncio queue. Ours runs once per `--ours` setting
 * (`runtime:workers`, default `onnx:0,onnx:auto,tfjs:auto`), each in its own workspace copy.
 *
 * Loads (wrk): one image per request at c=32 and c=128, and a 32-image JSON body at c=32.
 * Servers and loads are interleaved, `--repeats` times (3): medians and min–max spread of req/s,
 * p50 and p99 are printed with our best setting's ratio to the best peer. Any socket error or
 * non-2xx answer invalidates that server's figures (printed as INVALID, never ranked). Outputs of
 * all servers are cross-checked on both bodies before timing. Our prediction cache is off
 * (`FMNIST_CACHE_ENTRIES=0`) so every request is computed.
 *
 * Flags: --arch m1|bn_cnn (bn_cnn) --duration S (5) --repeats N (3) --wrk-threads N (2)
 *        --max-batch N (64) --max-wait-ms N (2) --ours LIST (onnx:0,onnx:auto,tfjs:auto)
 *        --in-flight N (2). Results go to <state>/bench/serve.json.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  atomicWriteFile,
  freeLoopbackPort,
  loadSettings,
  parseSettings,
  statePaths,
} from "../lib/config/mod.ts";
import { gunzip, readIdx } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import { defaultSignature, saveModelArtifact } from "../lib/models/artifact.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { registerModelVersion, setAlias } from "../lib/registry/mod.ts";
import { CommandError, commandMain, defineCommand } from "../lib/cli/mod.ts";
import { median } from "./stats.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PEER = join(ROOT, "bench/peers/serve_fastapi.py");
const MAIN = join(ROOT, "serve/main.ts");

const flagsSchema = z.object({
  arch: z.enum(["m1", "bn_cnn"]).default("bn_cnn").meta({
    description: "architecture of the model served by every server",
  }),
  duration: z.coerce.number().int().min(1).max(600).default(5).describe("seconds per load"),
  repeats: z.coerce.number().int().min(1).max(10).default(3).describe("rounds, interleaved"),
  "wrk-threads": z.coerce.number().int().min(1).max(64).default(2).describe("wrk threads"),
  "max-batch": z.coerce.number().int().min(1).max(4096).default(64).describe("FMNIST_MAX_BATCH"),
  "max-wait-ms": z.coerce.number().min(0).max(1000).default(2).meta({
    description: "micro-batch wait of our service in ms (FMNIST_MAX_WAIT_MS)",
  }),
  ours: z.string().default("onnx:0,onnx:auto,tfjs:auto").transform((v) =>
    v.split(",").map((w) => w.trim())
  ).pipe(
    z.array(
      z.string().regex(
        /^(onnx|tfjs|auto):(auto|[0-9]+)$/,
        "each must be RUNTIME:WORKERS, e.g. onnx:0",
      ),
    ).min(1).max(6),
  ).meta({
    description: "our settings to run, RUNTIME:WORKERS each (comma-separated), e.g. onnx:auto",
  }),
  "in-flight": z.coerce.number().int().min(1).max(16).default(2).meta({
    description: "batches in flight per inference worker",
  }),
});
/** The flags with camel-case keys, as the benchmark reads them. */
function camel(f: z.infer<typeof flagsSchema>) {
  const { "wrk-threads": wrkThreads, "max-batch": maxBatch, "max-wait-ms": maxWaitMs } = f;
  return { ...f, wrkThreads, maxBatch, maxWaitMs, inFlight: f["in-flight"] };
}
type Flags = ReturnType<typeof camel>;

/** One load shape: concurrency and images per request. */
interface Load {
  key: string;
  connections: number;
  images: number;
}
const LOADS: Load[] = [
  { key: "c32_1img", connections: 32, images: 1 },
  { key: "c128_1img", connections: 128, images: 1 },
  { key: "c32_32img", connections: 32, images: 32 },
];

/** Poll `url` until it answers 2xx (or the process exits / time runs out). */
export async function waitFor(
  url: string,
  timeoutMs: number,
  proc: Deno.ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.status.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${url} did not become ready within ${timeoutMs / 1000} s${exited ? " (process exited)" : ""}`,
  );
}

/** A server under test. */
interface Server {
  name: string;
  /** Key in the results (`ours_onnx_w0`, `peer_sync`, …). */
  key: string;
  /** Ours or a peer. */
  side: "ours" | "peer";
  url: string;
  /** Path answering 200 once it can serve. */
  ready: string;
  proc: Deno.ChildProcess;
}

/** wrk results of one run. */
export interface WrkResult {
  requests: number;
  req_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non2xx: number;
}

const WRK_SCRIPT = `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"errors\\":%d,\\"non2xx\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

/** Load `url` with wrk for `seconds`, POSTing the JSON file `body`. */
export async function wrk(
  url: string,
  body: string,
  f: Pick<Flags, "wrkThreads">,
  connections: number,
  seconds: number,
  dir: string,
): Promise<WrkResult> {
  const script = join(dir, "bench.lua");
  await Deno.writeTextFile(script, WRK_SCRIPT);
  const out = await new Deno.Command("wrk", {
    args: [
      "-t",
      String(f.wrkThreads),
      "-c",
      String(connections),
      "-d",
      `${seconds}s`,
      "--timeout",
      "10s",
      "-s",
      script,
      url,
    ],
    env: { BENCH_BODY: body },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("BENCH "));
  if (out.code !== 0 || !line) {
    throw new Error(
      `wrk failed (exit ${out.code}): ${text}\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const j = JSON.parse(line.slice(6));
  return {
    requests: j.requests,
    req_s: j.requests / (j.duration_us / 1e6),
    p50_ms: j.p50_us / 1000,
    p99_ms: j.p99_us / 1000,
    errors: j.errors,
    non2xx: j.non2xx,
  };
}

/** Micro-batch totals from a server's /metrics (all rounds and warm-ups), if it exposes them. */
async function batchStats(
  url: string,
): Promise<{ batches: number; instances: number; seconds: number } | null> {
  const r = await fetch(url + "/metrics");
  if (!r.ok) {
    await r.body?.cancel();
    return null;
  }
  const text = await r.text();
  const total = (name: string) =>
    text.split("\n").filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  const batches = total("fmnist_batch_size_count");
  if (!(batches > 0)) return null;
  return {
    batches,
    instances: total("fmnist_batch_size_sum"),
    seconds: total("fmnist_batch_duration_seconds_sum"),
  };
}

/** Weights of every layer, for the PyTorch peer. */
function exportWeights(model: tf.LayersModel) {
  return model.layers.filter((l) => l.getWeights().length > 0).map((l) => ({
    name: l.name,
    weights: l.getWeights().map((w) => ({ shape: w.shape, data: Array.from(w.dataSync()) })),
  }));
}

async function bench(f: Flags): Promise<number | void> {
  for (const bin of ["wrk", "/usr/bin/python3"]) {
    try {
      await new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    } catch {
      throw new CommandError(
        `${bin} not found; install Debian wrk / python3-fastapi python3-uvicorn python3-torch`,
        2,
      );
    }
  }
  const settings = loadSettings();
  const work = await Deno.makeTempDir({ prefix: "fmnist-bench-serve-" });
  const procs: Deno.ChildProcess[] = [];
  try {
    // 1. A model in a throwaway workspace: seeded weights, registered as champion.
    await initEngine(settings);
    const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: join(work, "state") }), {
      manifestDir: join(work, "manifests"),
      log: createLogger({}, { level: "warn" }),
    });
    const dense = 128, filters: [number, number] = [32, 64];
    const model = buildModel({ arch: f.arch, seed: 7, filters, dense });
    try {
      const sig = defaultSignature([28, 28, 1], "cnn");
      const ref = await saveModelArtifact(ctx.store, model, { signature: sig });
      const { version } = await registerModelVersion(ctx, {
        name: "bench",
        artifact: { key: ref.key, sha256: ref.sha256, size: ref.size },
        signature: sig,
      });
      await setAlias(ctx, { name: "bench", alias: "champion", version: version.version });
      await Deno.writeTextFile(
        join(work, "weights.json"),
        JSON.stringify({
          name: "bench",
          version: version.version,
          arch: f.arch,
          filters,
          dense,
          layers: exportWeights(model),
        }),
      );
    } finally {
      model.dispose();
      await ctx.close();
    }
    // 2. Real test images as the bodies: 1 image and 32 images.
    const source = settings.source ?? "/usr/share/datasets/fashion-mnist";
    const idx = readIdx(
      await gunzip(await Deno.readFile(join(source, "t10k-images-idx3-ubyte.gz"))),
    );
    const image = (i: number) =>
      Array.from(idx.data.subarray(i * 784, (i + 1) * 784), (b) => Number((b / 255).toFixed(6)));
    const bodies: Record<number, { text: string; file: string }> = {};
    for (const n of [...new Set(LOADS.map((l) => l.images))]) {
      const text = JSON.stringify({ instances: Array.from({ length: n }, (_, i) => image(i)) });
      const file = join(work, `body-${n}.json`);
      await Deno.writeTextFile(file, text);
      bodies[n] = { text, file };
    }

    // 3. Start the servers: ours once per setting (each in its own workspace copy: the
    // embedded database admits one process), and the three peers.
    const servers: Server[] = [];
    const cores = navigator.hardwareConcurrency;
    for (const setting of f.ours) {
      const [runtime, w] = setting.split(":");
      const state = join(work, `state-${runtime}-${w}`);
      const cp = await new Deno.Command("cp", { args: ["-a", join(work, "state"), state] })
        .output();
      if (cp.code !== 0) throw new Error(`cannot copy the bench workspace to ${state}`);
      const port = freeLoopbackPort();
      const proc = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN],
        env: {
          FMNIST_STATE_DIR: state,
          PORT: String(port),
          LOG_LEVEL: "warn",
          FMNIST_CACHE_ENTRIES: "0",
          FMNIST_MAX_BATCH: String(f.maxBatch),
          FMNIST_MAX_WAIT_MS: String(f.maxWaitMs),
          FMNIST_BACKEND: settings.backend,
          FMNIST_INFER_RUNTIME: runtime,
          FMNIST_INFER_WORKERS: w,
          FMNIST_INFER_IN_FLIGHT: String(f.inFlight),
        },
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      procs.push(proc);
      servers.push({
        name: `ours ${runtime} workers=${w === "auto" ? `auto(${cores})` : w}`,
        key: `ours_${runtime}_w${w}`,
        side: "ours",
        url: `http://127.0.0.1:${port}`,
        ready: "/readyz",
        proc,
      });
    }
    const peers = [
      { key: "peer_sync", name: "fastapi sync", args: ["--mode", "sync"] },
      {
        key: "peer_workers",
        name: `fastapi sync ×${cores} workers`,
        args: ["--mode", "sync", "--workers", String(cores), "--threads", "1"],
      },
      {
        key: "peer_batch",
        name: "fastapi dyn-batch",
        args: [
          "--mode",
          "batch",
          "--max-batch",
          String(f.maxBatch),
          "--max-wait-ms",
          String(f.maxWaitMs),
        ],
      },
    ];
    for (const p of peers) {
      const port = freeLoopbackPort();
      const proc = new Deno.Command("/usr/bin/python3", {
        args: [PEER, "--weights", join(work, "weights.json"), "--port", String(port), ...p.args],
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      procs.push(proc);
      servers.push({
        name: p.name,
        key: p.key,
        side: "peer",
        url: `http://127.0.0.1:${port}`,
        ready: "/healthz",
        proc,
      });
    }
    for (const s of servers) await waitFor(s.url + s.ready, 180_000, s.proc);
    const path = "/v1/models/bench/predict";

    // 4. Same answers from all, on both bodies.
    const post = async (url: string, body: string) => {
      const r = await fetch(url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (!r.ok) throw new Error(`${url}${path} answered ${r.status}: ${await r.text()}`);
      return ((await r.json()).predictions as { probabilities: number[] }[]).flatMap((p) =>
        p.probabilities
      );
    };
    let diff = 0;
    for (const b of Object.values(bodies)) {
      const want = await post(servers[0].url, b.text);
      for (const s of servers.slice(1)) {
        const got = await post(s.url, b.text);
        if (got.length !== want.length) throw new Error(`${s.name} answered ${got.length} values`);
        diff = Math.max(diff, ...got.map((v, i) => Math.abs(v - want[i])));
      }
    }
    if (!(diff < 1e-4)) throw new Error(`servers disagree: max |Δp| = ${diff}`);
    const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
    console.log(
      `outputs agree (max |Δp| = ${diff.toExponential(2)}); arch ${f.arch}, ${f.duration}s × ` +
        `${f.repeats} interleaved repeats per point, ${cores} cores, load ${load()}`,
    );

    // 5. Warm up, then interleave servers within each load, repeat.
    for (const s of servers) {
      for (const l of LOADS) {
        await wrk(s.url + path, bodies[l.images].file, f, l.connections, 1, work);
      }
    }
    const runs: Record<string, Record<string, WrkResult[]>> = {};
    const loads: string[] = [];
    for (let r = 0; r < f.repeats; r++) {
      for (const l of LOADS) {
        for (const s of servers) {
          const x = await wrk(
            s.url + path,
            bodies[l.images].file,
            f,
            l.connections,
            f.duration,
            work,
          );
          ((runs[l.key] ??= {})[s.key] ??= []).push(x);
        }
      }
      loads.push(load());
      console.log(`repeat ${r + 1}/${f.repeats} done (load ${load()})`);
    }

    // 6. Medians, spread, validity, ratios.
    type Row = {
      req_s: number;
      req_s_min: number;
      req_s_max: number;
      p50_ms: number;
      p99_ms: number;
      p99_ms_max: number;
      errors: number;
      valid: boolean;
    };
    const table: Record<string, Record<string, Row>> = {};
    const ratios: Record<string, { ours: string; peer: string; throughput: number; p99: number }> =
      {};
    for (const l of LOADS) {
      table[l.key] = {};
      console.log(
        `\n${l.key}: c=${l.connections}, ${l.images} image(s) per request\n` +
          `${"server".padEnd(30)} ${"req/s (min–max)".padStart(22)} ${"p50 ms".padStart(8)} ` +
          `${"p99 ms".padStart(8)} ${"errors".padStart(7)}`,
      );
      for (const s of servers) {
        const xs = runs[l.key][s.key];
        const errors = xs.reduce((n, x) => n + x.errors + x.non2xx, 0);
        const row: Row = {
          req_s: median(xs.map((x) => x.req_s)),
          req_s_min: Math.min(...xs.map((x) => x.req_s)),
          req_s_max: Math.max(...xs.map((x) => x.req_s)),
          p50_ms: median(xs.map((x) => x.p50_ms)),
          p99_ms: median(xs.map((x) => x.p99_ms)),
          p99_ms_max: Math.max(...xs.map((x) => x.p99_ms)),
          errors,
          // Any error or non-2xx answer, or a run that completed nothing, invalidates it.
          valid: errors === 0 && xs.every((x) => x.requests > 0),
        };
        table[l.key][s.key] = row;
        const rate = `${row.req_s.toFixed(0)} (${row.req_s_min.toFixed(0)}–${
          row.req_s_max.toFixed(0)
        })`;
        console.log(
          `${s.name.padEnd(30)} ${(row.valid ? rate : `INVALID ${rate}`).padStart(22)} ` +
            `${row.p50_ms.toFixed(2).padStart(8)} ${row.p99_ms.toFixed(2).padStart(8)} ` +
            `${String(errors).padStart(7)}`,
        );
      }
      const best = (side: "ours" | "peer") =>
        servers.filter((s) => s.side === side && table[l.key][s.key].valid)
          .sort((a, b) => table[l.key][b.key].req_s - table[l.key][a.key].req_s)[0];
      const o = best("ours"), p = best("peer");
      if (o && p) {
        const ro = table[l.key][o.key], rp = table[l.key][p.key];
        ratios[l.key] = {
          ours: o.key,
          peer: p.key,
          throughput: ro.req_s / rp.req_s,
          p99: ro.p99_ms / rp.p99_ms,
        };
        console.log(
          `best ours (${o.name}) vs best peer (${p.name}): ${(ro.req_s / rp.req_s).toFixed(2)}× ` +
            `req/s, p99 ${ro.p99_ms.toFixed(1)} ms vs ${rp.p99_ms.toFixed(1)} ms`,
        );
      } else {
        console.log("no valid pair to compare (errors invalidated the runs)");
      }
    }
    console.log("");
    for (const s of servers.filter((x) => x.side === "ours")) {
      const m = await batchStats(s.url);
      if (m) {
        console.log(
          `${s.name}: ${m.batches} batches, mean ${(m.instances / m.batches).toFixed(1)} images ` +
            `per batch, mean ${(1000 * m.seconds / m.batches).toFixed(2)} ms per batch`,
        );
      }
    }
    const out = join(statePaths(settings.stateDir).root, "bench", "serve.json");
    await atomicWriteFile(
      out,
      JSON.stringify(
        { at: new Date().toISOString(), cores, loadavg: loads, flags: f, table, ratios, runs },
        null,
        2,
      ) + "\n",
    );
    console.log(`results: ${out}`);
  } finally {
    for (const p of procs) {
      try {
        p.kill("SIGTERM");
      } catch { /* exited */ }
      await p.status;
    }
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

export const command = defineCommand({
  name: "bench:serve",
  summary: "HTTP serving throughput and latency under wrk: ours (per runtime:workers) vs a " +
    "FastAPI + PyTorch peer on the same model, interleaved.",
  schema: flagsSchema,
  run: ({ flags }) => bench(camel(flags)),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
