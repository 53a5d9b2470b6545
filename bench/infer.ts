/**
 * `deno task bench:infer` — images/s of one model (m1, or bn_cnn with `--arch`) at batch 1, 32
 * and 256 on: ONNX Runtime through our `lib/` path (`OnnxSession` + input mapping), a bare ORT
 * session (pre-built input tensor, the library's ceiling), tfjs-wasm (the engine we train on),
 * and PyTorch (Debian python3-torch, eager or frozen TorchScript, whichever is faster) with the
 * same architecture and weights; at 1 and 2 threads each. Every configuration runs in its own
 * process (thread pools are per process), the runs are interleaved, `--repeats` times (3);
 * medians and min–max spread are printed with the ratios, after the outputs of all four are
 * cross-checked on the same images (any disagreement stops the benchmark).
 *
 * Flags: --arch m1|bn_cnn (m1) --repeats N (3) --seconds S per measurement (0.8)
 *        --threads LIST (1,2) --batches LIST (1,32,256). Results: <state>/bench/infer.json.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { atomicWriteFile, loadSettings, statePaths } from "../lib/config/mod.ts";
import { gunzip, readIdx } from "../lib/data/mod.ts";
import { initEngine, loadOrt, ortVersion } from "../lib/engine/mod.ts";
import { forwardBatch, forwardOnnx } from "../lib/inference/forward.ts";
import {
  buildModel,
  deserializeModel,
  exportOnnx,
  OnnxSession,
  serializeModel,
} from "../lib/models/mod.ts";
import { CommandError, commandMain, defineCommand, UsageError } from "../lib/cli/mod.ts";
import { summarize } from "./stats.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PEER = join(ROOT, "bench/peers/infer_torch.py");
const SELF = fileURLToPath(import.meta.url);
const IMAGES = 1024;
const RUNTIMES = ["ort", "ort-bare", "tfjs-wasm", "torch"] as const;
type Runtime = typeof RUNTIMES[number];

const list = (what: string) =>
  z.string().transform((v) => v.split(",").map(Number)).pipe(
    z.array(z.number().int().min(1).max(1024, `${what}: at most 1024`)).min(1),
  );
const flagsSchema = z.object({
  arch: z.enum(["m1", "bn_cnn"]).default("m1").meta({
    description: "architecture of the model measured",
  }),
  repeats: z.coerce.number().int().min(1).max(20).default(3).meta({
    description: "measurements per configuration, interleaved; medians and spread are printed",
  }),
  seconds: z.coerce.number().min(0.1).max(30).default(0.8).meta({
    description: "seconds per measurement",
  }),
  threads: list("threads").default([1, 2]).meta({
    description: "thread counts to measure (comma-separated)",
  }),
  batches: list("batches").default([1, 32, 256]).meta({
    description: "batch sizes to measure (comma-separated)",
  }),
  child: z.enum(RUNTIMES).optional().meta({
    description:
      "internal: measure one runtime in this process (the benchmark starts these itself)",
  }),
  work: z.string().optional().meta({
    description: "internal: the directory of the model and input files (with --child)",
  }),
});
type Flags = z.infer<typeof flagsSchema>;

/** What one configuration measured. */
interface Measured {
  rates: Record<string, number>;
  /** Probabilities of the first 8 images (cross-check). */
  probs: number[];
  version: string;
  modes?: Record<string, string>;
}

/** Images/s of `run` at batch `b` over the image buffer: warm-up, then ≥ `seconds`. */
async function rate(
  run: (x: Float32Array, n: number) => Float32Array | Promise<Float32Array>,
  x: Float32Array,
  b: number,
  seconds: number,
): Promise<number> {
  const slice = (i: number) => {
    const off = (i * b) % (IMAGES - b + 1);
    return x.subarray(off * 784, (off + b) * 784);
  };
  for (let i = 0; i < 5; i++) await run(slice(i), b);
  let iters = 0;
  const start = performance.now();
  for (;;) {
    await run(slice(iters), b);
    iters++;
    const el = (performance.now() - start) / 1000;
    if (el >= seconds && iters >= 3) return (iters * b) / el;
  }
}

/** Child process: measure one runtime at one thread count. */
async function child(f: Flags, runtime: Runtime, threads: number, work: string): Promise<void> {
  const x = new Float32Array((await Deno.readFile(join(work, "input.f32"))).buffer);
  const onnx = await Deno.readFile(join(work, "model.onnx"));
  let run: (x: Float32Array, n: number) => Float32Array | Promise<Float32Array>;
  let version: string;
  const identity = { scale: 1, shift: 0 };
  if (runtime === "ort") {
    const s = await OnnxSession.create(onnx, { threads });
    run = (xs, n) => forwardOnnx(s, identity, xs, n);
    version = `onnxruntime-node ${s.version}`;
  } else if (runtime === "ort-bare") {
    const ort = await loadOrt();
    const s = await ort.InferenceSession.create(onnx, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
    });
    const tensors = new Map<number, InstanceType<typeof ort.Tensor>>();
    run = async (xs, n) => {
      let t = tensors.get(n);
      if (!t) {
        tensors.set(n, t = new ort.Tensor("float32", new Float32Array(n * 784), [n, 28, 28, 1]));
      }
      (t.data as Float32Array).set(xs.subarray(0, n * 784));
      return (await s.run({ image: t })).probabilities.data as Float32Array;
    };
    version = `onnxruntime-node ${ortVersion(ort)} (bare session)`;
  } else {
    const info = await initEngine({ backend: "wasm", threads });
    const top = JSON.parse(await Deno.readTextFile(join(work, "model.json")));
    const model = await deserializeModel(
      top.modelTopology,
      top.weightSpecs,
      await Deno.readFile(join(work, "weights.bin")),
    );
    run = (xs, n) => forwardBatch(model, [28, 28, 1], identity, xs, n);
    version = `tfjs ${tf.version.tfjs} wasm, ${info.threads} thread(s)`;
  }
  const rates: Record<string, number> = {};
  for (const b of f.batches) rates[b] = await rate(run, x, b, f.seconds);
  const probs = Array.from(await run(x.subarray(0, 8 * 784), 8));
  console.log("RESULT " + JSON.stringify({ rates, probs, version } satisfies Measured));
}

async function measure(
  f: Flags,
  runtime: Runtime,
  threads: number,
  work: string,
): Promise<Measured> {
  const cmd = runtime === "torch"
    ? new Deno.Command("/usr/bin/python3", {
      args: [
        PEER,
        "--weights",
        join(work, "weights.json"),
        "--input",
        join(work, "input.f32"),
        "--threads",
        String(threads),
        "--batches",
        f.batches.join(","),
        "--seconds",
        String(f.seconds),
      ],
      env: { OMP_NUM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        SELF,
        "--child",
        runtime,
        "--threads",
        String(threads),
        "--work",
        work,
        "--batches",
        f.batches.join(","),
        "--seconds",
        String(f.seconds),
      ],
      env: { LOG_LEVEL: "error" },
      stdout: "piped",
      stderr: "piped",
    });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("RESULT "));
  if (out.code !== 0 || !line) {
    throw new Error(
      `${runtime} (threads ${threads}) failed (exit ${out.code}): ${text}\n` +
        new TextDecoder().decode(out.stderr),
    );
  }
  return JSON.parse(line.slice(7));
}

/** Weights of every layer, for the PyTorch peer (the format of bench/peers/serve_fastapi.py). */
function exportWeights(model: tf.LayersModel) {
  return model.layers.filter((l) => l.getWeights().length > 0).map((l) => ({
    name: l.name,
    weights: l.getWeights().map((w) => ({ shape: w.shape, data: Array.from(w.dataSync()) })),
  }));
}

async function bench(f: Flags): Promise<number | void> {
  if (f.child) {
    if (!f.work) throw new UsageError("--child needs --work");
    return await child(f, f.child, f.threads[0], f.work);
  }
  try {
    await new Deno.Command("/usr/bin/python3", { args: ["-c", "import torch"] }).output()
      .then((o) => {
        if (o.code !== 0) throw new Error();
      });
  } catch {
    throw new CommandError(
      "/usr/bin/python3 with torch not found; apt-get install python3-torch",
      2,
    );
  }
  const settings = loadSettings();
  const work = await Deno.makeTempDir({ prefix: "fmnist-bench-infer-" });
  try {
    // One model (seeded), in every format: tfjs artifact, ONNX, PyTorch weights.
    await initEngine({ backend: "wasm" });
    const filters: [number, number] = [32, 64], dense = 128;
    const model = buildModel({ arch: f.arch, seed: 7, filters, dense });
    const ser = await serializeModel(model);
    await Deno.writeTextFile(
      join(work, "model.json"),
      JSON.stringify({ modelTopology: ser.modelTopology, weightSpecs: ser.weightSpecs }),
    );
    await Deno.writeFile(join(work, "weights.bin"), ser.weights);
    const onnx = exportOnnx(model, {
      modelName: "bench",
      labels: Array.from({ length: 10 }, (_, i) => String(i)),
      normalization: { scale: 1 / 255, mean: 0, std: 1 },
      arch: f.arch,
    });
    await Deno.writeFile(join(work, "model.onnx"), onnx);
    await Deno.writeTextFile(
      join(work, "weights.json"),
      JSON.stringify({
        name: "bench",
        version: 1,
        arch: f.arch,
        filters,
        dense,
        layers: exportWeights(model),
      }),
    );
    model.dispose();
    const source = settings.source ?? "/usr/share/datasets/fashion-mnist";
    const idx = readIdx(
      await gunzip(await Deno.readFile(join(source, "t10k-images-idx3-ubyte.gz"))),
    );
    const x = Float32Array.from(idx.data.subarray(0, IMAGES * 784), (b) => b / 255);
    await Deno.writeFile(join(work, "input.f32"), new Uint8Array(x.buffer));

    const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
    console.log(
      `bench:infer: ${f.arch} (${
        filters.join("/")
      } filters, dense ${dense}), batches ${f.batches}, ` +
        `threads ${f.threads}, ${f.repeats} interleaved repeats of ${f.seconds}s per point; ` +
        `${navigator.hardwareConcurrency} cores, load ${load()}`,
    );
    const runs: Record<string, Measured[]> = {};
    for (let r = 0; r < f.repeats; r++) {
      for (const t of f.threads) {
        for (const rt of RUNTIMES) {
          const m = await measure(f, rt, t, work);
          (runs[`${rt}@${t}`] ??= []).push(m);
        }
      }
      console.log(`repeat ${r + 1}/${f.repeats} done (load ${load()})`);
    }
    // Cross-check: same probabilities (≤ 1e-4) and arg-max everywhere.
    const ref = runs[`ort@${f.threads[0]}`][0].probs;
    let maxDiff = 0;
    for (const [k, ms] of Object.entries(runs)) {
      for (const m of ms) {
        for (let i = 0; i < 8; i++) {
          const a = ref.slice(i * 10, i * 10 + 10), b = m.probs.slice(i * 10, i * 10 + 10);
          if (a.indexOf(Math.max(...a)) !== b.indexOf(Math.max(...b))) {
            throw new Error(`${k}: arg-max of image ${i} differs from ORT's`);
          }
        }
        maxDiff = Math.max(maxDiff, ...m.probs.map((v, i) => Math.abs(v - ref[i])));
      }
    }
    if (!(maxDiff <= 1e-4)) throw new Error(`outputs disagree: max |Δp| ${maxDiff}`);
    console.log(`outputs agree across all runtimes: max |Δp| ${maxDiff.toExponential(2)}\n`);

    const stat = (k: string, b: number) => summarize(runs[k].map((m) => m.rates[b]));
    const summary: Record<string, Record<string, ReturnType<typeof stat>>> = {};
    console.log(
      `${"runtime".padEnd(12)} ${"thr".padStart(3)} ` +
        f.batches.map((b) => `${`batch ${b} img/s (min–max)`.padStart(30)}`).join(" "),
    );
    for (const t of f.threads) {
      for (const rt of RUNTIMES) {
        const k = `${rt}@${t}`;
        summary[k] = {};
        const cells = f.batches.map((b) => {
          const s = stat(k, b);
          summary[k][b] = s;
          return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`.padStart(30);
        });
        console.log(`${rt.padEnd(12)} ${String(t).padStart(3)} ${cells.join(" ")}`);
      }
    }
    console.log("");
    for (const t of f.threads) {
      for (const b of f.batches) {
        const o = summary[`ort@${t}`][b].median;
        console.log(
          `threads ${t}, batch ${String(b).padStart(3)}: ORT ${
            (o / summary[`torch@${t}`][b].median).toFixed(2)
          }× PyTorch, ` +
            `${(o / summary[`tfjs-wasm@${t}`][b].median).toFixed(2)}× tfjs-wasm, ` +
            `${(100 * o / summary[`ort-bare@${t}`][b].median).toFixed(0)}% of the bare ORT session`,
        );
      }
    }
    const versions = Object.fromEntries(Object.entries(runs).map(([k, m]) => [k, m[0].version]));
    const torchModes = Object.fromEntries(
      Object.entries(runs).filter(([k]) => k.startsWith("torch")).map((
        [k, m],
      ) => [k, m.map((x) => x.modes)]),
    );
    console.log(
      `\nversions: ${JSON.stringify(versions)}\ntorch modes: ${JSON.stringify(torchModes)}`,
    );
    const out = join(statePaths(settings.stateDir).root, "bench", "infer.json");
    await atomicWriteFile(
      out,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          cores: navigator.hardwareConcurrency,
          loadavg: Deno.loadavg(),
          flags: f,
          summary,
          runs,
          versions,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`results: ${out}`);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

export const command = defineCommand({
  name: "bench:infer",
  summary: "Images/s at batch 1/32/256: ONNX Runtime, bare ORT session, tfjs-wasm, PyTorch; 1 " +
    "and 2 threads, interleaved, on one seeded model.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
