/**
 * `deno task bench:serve` — our HTTP service against a FastAPI + uvicorn + PyTorch server
 * (bench/peers/serve_fastapi.py, Debian packages) of the same architecture and weights, in the
 * same run: each is loaded with `wrk` at the same concurrency (default 32), one image per
 * request, the same JSON body; prints req/s and p50/p99 latency for all and the ratios.
 * Ours runs once per worker setting (`--workers`, default `0,auto`: compute on the main thread,
 * and in one inference worker per core), each in its own copy of the workspace.
 *
 * Our prediction cache is disabled (`FMNIST_CACHE_ENTRIES=0`) so every request is computed.
 * Outputs of all servers are cross-checked on the benchmark body before timing.
 *
 * Flags: --arch m1|bn_cnn (bn_cnn, the pipeline's model) --connections N (32) --duration S (10)
 *        --rounds N (2, alternating servers; the best round of each is reported)
 *        --wrk-threads N (2) --peer-threads N (torch threads; 0 = torch default)
 *        --max-batch N (64) --max-wait-ms N (2) --workers LIST (0,auto; FMNIST_INFER_WORKERS
 *        values) --in-flight N (2; batches in flight per worker). Results go to
 *        <state>/bench/serve.json.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { atomicWriteFile, loadSettings, parseSettings, statePaths } from "../lib/config/mod.ts";
import { gunzip, readIdx } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import { defaultSignature, saveModelArtifact } from "../lib/models/artifact.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/pipeline/mod.ts";
import { registerModelVersion, setAlias } from "../lib/registry/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PEER = join(ROOT, "bench/peers/serve_fastapi.py");
const MAIN = join(ROOT, "serve/main.ts");

const flagsSchema = z.object({
  arch: z.enum(["m1", "bn_cnn"]).default("bn_cnn"),
  connections: z.coerce.number().int().min(1).max(1024).default(32),
  duration: z.coerce.number().int().min(1).max(600).default(10),
  rounds: z.coerce.number().int().min(1).max(10).default(2),
  wrkThreads: z.coerce.number().int().min(1).max(64).default(2),
  peerThreads: z.coerce.number().int().min(0).max(256).default(0),
  maxBatch: z.coerce.number().int().min(1).max(4096).default(64),
  maxWaitMs: z.coerce.number().min(0).max(1000).default(2),
  workers: z.string().default("0,auto").transform((v) => v.split(",").map((w) => w.trim()))
    .pipe(
      z.array(z.string().regex(/^(auto|[0-9]+)$/, 'each must be "auto" or a whole number'))
        .min(1).max(4),
    ),
  inFlight: z.coerce.number().int().min(1).max(16).default(2),
});
type Flags = z.infer<typeof flagsSchema>;

function parseFlags(): Flags {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      arch: { type: "string" },
      connections: { type: "string" },
      duration: { type: "string" },
      rounds: { type: "string" },
      "wrk-threads": { type: "string" },
      "peer-threads": { type: "string" },
      "max-batch": { type: "string" },
      "max-wait-ms": { type: "string" },
      workers: { type: "string" },
      "in-flight": { type: "string" },
    },
    strict: true,
  });
  const r = flagsSchema.safeParse({
    arch: values.arch,
    connections: values.connections,
    duration: values.duration,
    rounds: values.rounds,
    wrkThreads: values["wrk-threads"],
    peerThreads: values["peer-threads"],
    maxBatch: values["max-batch"],
    maxWaitMs: values["max-wait-ms"],
    workers: values.workers,
    inFlight: values["in-flight"],
  });
  if (!r.success) {
    console.error(
      `bench:serve: invalid flags: ${
        r.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")
      }`,
    );
    Deno.exit(2);
  }
  return r.data;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

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
  /** Key in the results (`ours_workers_0`, `ours_workers_auto`, `peer`). */
  key: string;
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
  f: Pick<Flags, "wrkThreads" | "connections">,
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
      String(f.connections),
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

async function main(): Promise<void> {
  const f = parseFlags();
  for (const bin of ["wrk", "/usr/bin/python3"]) {
    try {
      await new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" }).output();
    } catch {
      console.error(
        `bench:serve: ${bin} not found; install Debian wrk / python3-fastapi python3-uvicorn python3-torch`,
      );
      Deno.exit(2);
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
    // 2. One real test image as the body.
    const source = settings.source ?? "/usr/share/datasets/fashion-mnist";
    const idx = readIdx(
      await gunzip(await Deno.readFile(join(source, "t10k-images-idx3-ubyte.gz"))),
    );
    const pixels = Array.from(idx.data.subarray(0, 784), (b) => Number((b / 255).toFixed(6)));
    const body = JSON.stringify({ instances: [pixels] });
    const bodyFile = join(work, "body.json");
    await Deno.writeTextFile(bodyFile, body);

    // 3. Start the servers: ours once per worker setting (each in its own workspace copy: the
    // embedded database admits one process), and the peer.
    const servers: Server[] = [];
    for (const w of f.workers) {
      const state = join(work, `state-w${w}`);
      const cp = await new Deno.Command("cp", { args: ["-a", join(work, "state"), state] })
        .output();
      if (cp.code !== 0) throw new Error(`cannot copy the bench workspace to ${state}`);
      const port = freePort();
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
          FMNIST_INFER_WORKERS: w,
          FMNIST_INFER_IN_FLIGHT: String(f.inFlight),
        },
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      procs.push(proc);
      const resolved = w === "auto" ? `auto=${navigator.hardwareConcurrency}` : w;
      servers.push({
        name: `fmnist-lab workers=${resolved}`,
        key: `ours_workers_${w}`,
        url: `http://127.0.0.1:${port}`,
        ready: "/readyz",
        proc,
      });
    }
    const peerPort = freePort();
    const peerProc = new Deno.Command("/usr/bin/python3", {
      args: [
        PEER,
        "--weights",
        join(work, "weights.json"),
        "--port",
        String(peerPort),
        "--threads",
        String(f.peerThreads),
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    procs.push(peerProc);
    const peer: Server = {
      name: "fastapi+uvicorn+torch",
      key: "peer",
      url: `http://127.0.0.1:${peerPort}`,
      ready: "/healthz",
      proc: peerProc,
    };
    servers.push(peer);
    for (const s of servers) await waitFor(s.url + s.ready, 120_000, s.proc);
    const path = "/v1/models/bench/predict";

    // 4. Same answer from all.
    const post = async (url: string) => {
      const r = await fetch(url + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (!r.ok) throw new Error(`${url}${path} answered ${r.status}: ${await r.text()}`);
      return (await r.json()).predictions[0].probabilities as number[];
    };
    const want = await post(peer.url);
    let diff = 0;
    for (const s of servers.slice(0, -1)) {
      const got = await post(s.url);
      diff = Math.max(diff, ...got.map((v, i) => Math.abs(v - want[i])));
    }
    if (!(diff < 1e-4)) throw new Error(`servers disagree: max |Δp| = ${diff}`);
    console.log(
      `outputs agree (max |Δp| = ${
        diff.toExponential(2)
      }); arch ${f.arch}, c=${f.connections}, ${f.duration}s × ${f.rounds} rounds, ` +
        `${navigator.hardwareConcurrency} cores`,
    );

    // 5. Warm up, then alternate rounds.
    for (const s of servers) await wrk(s.url + path, bodyFile, f, 2, work);
    const runs: Record<string, WrkResult[]> = Object.fromEntries(servers.map((s) => [s.key, []]));
    for (let r = 0; r < f.rounds; r++) {
      const line: string[] = [];
      for (const s of servers) {
        const x = await wrk(s.url + path, bodyFile, f, f.duration, work);
        runs[s.key].push(x);
        line.push(`${s.name} ${x.req_s.toFixed(0)}`);
      }
      console.log(`round ${r + 1} (req/s): ${line.join(", ")}`);
    }
    const best = (xs: WrkResult[]) => xs.reduce((m, x) => (x.req_s > m.req_s ? x : m));
    const results = Object.fromEntries(servers.map((s) => [s.key, best(runs[s.key])]));
    const p = results.peer;
    const fmt = (name: string, x: WrkResult, ratio: string) =>
      `${name.padEnd(28)} ${x.req_s.toFixed(0).padStart(8)} ${x.p50_ms.toFixed(2).padStart(9)} ${
        x.p99_ms.toFixed(2).padStart(9)
      } ${String(x.errors + x.non2xx).padStart(7)} ${ratio.padStart(12)}`;
    console.log(
      `\n${"server".padEnd(28)} ${"req/s".padStart(8)} ${"p50 ms".padStart(9)} ${
        "p99 ms".padStart(9)
      } ${"errors".padStart(7)} ${"× peer req/s".padStart(12)}`,
    );
    const ratios: Record<string, { throughput: number; p99: number }> = {};
    for (const s of servers) {
      const x = results[s.key];
      ratios[s.key] = { throughput: x.req_s / p.req_s, p99: x.p99_ms / p.p99_ms };
      console.log(fmt(s.name, x, s === peer ? "1.00" : ratios[s.key].throughput.toFixed(2)));
    }
    console.log("");
    for (const s of servers.slice(0, -1)) {
      console.log(
        `${s.name}: throughput ${ratios[s.key].throughput.toFixed(2)}× peer (goal ≥ 3×), ` +
          `p99 ${ratios[s.key].p99.toFixed(2)}× peer's (goal < 1)`,
      );
    }
    for (const s of servers.slice(0, -1)) {
      const m = await batchStats(s.url);
      if (m) {
        console.log(
          `${s.name}: ${m.batches} batches, mean ${(m.instances / m.batches).toFixed(1)} images ` +
            `per batch, mean ${(1000 * m.seconds / m.batches).toFixed(2)} ms per batch`,
        );
      }
    }
    const zero = results.ours_workers_0;
    const auto = results.ours_workers_auto;
    if (zero && auto) {
      console.log(
        `workers=auto vs workers=0: ${(auto.req_s / zero.req_s).toFixed(2)}× req/s, p99 ${
          (auto.p99_ms / zero.p99_ms).toFixed(2)
        }×`,
      );
    }
    const out = join(statePaths(settings.stateDir).root, "bench", "serve.json");
    await atomicWriteFile(
      out,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          cores: navigator.hardwareConcurrency,
          flags: f,
          results,
          ratios,
          rounds: runs,
        },
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

if (import.meta.main) await main();
