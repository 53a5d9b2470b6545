/**
 * `deno task bench:train` — trains model M1, or with `--model default` the default recipe's model
 * (the same architecture and trainable-parameter count on both sides, asserted), for one epoch on
 * the real Fashion-MNIST data with our engine (`trainModel`)
 * and with the PyTorch peer (bench/peers/train_torch.py, Debian's torch) in the same run, at
 * each thread count of --threads (default 1 and every core: ours trains with one replica whose
 * oneDNN uses that many threads on the native backend, or one single-threaded wasm replica per
 * thread on wasm; torch with `set_num_threads`). Every configuration of both sides runs
 * --repeats times (default 3), interleaved; the table gives median [min–max] and spread of
 * training / inference throughput (img/s) and test accuracy, then the ratios at equal thread
 * counts and with each side at its best (`ratio ours(…)/torch: train X.XX×, inference Y.YY×`),
 * plus per-kernel profiles of one training step and one inference batch on our engine. A
 * parameter-count mismatch, a failed peer or a side that did not learn invalidates the run
 * (exit 1).
 *
 * `--recipe default`: time-to-target instead — the pipeline's `default` recipe (bn_cnn, one-cycle
 * Adam, augmentation) for us (replicas: --replicas, default auto) and the same recipe in the torch
 * peer, evaluating test accuracy after each epoch and stopping at --target (0.92) or after the
 * recipe's epochs; prints both times and their ratio.
 *
 * Flags: --epochs N (1) --batch N (128) --limit N (0 = all 60,000 train images)
 *        --data DIR (FMNIST_SOURCE or /usr/share/datasets/fashion-mnist) --no-peer --no-profile
 *        --peer-threads N (hardware concurrency) --recipe default --target X (0.92)
 *        --recipe-epochs N (the recipe over N epochs instead of its own; the schedule spans them)
 *        --repeats N (3) --threads LIST (throughput: "1,<cores>")
 *        --replicas LIST (recipe: "auto") --backend B (FMNIST_BACKEND; e.g. native, wasm)
 *        --profile-only (no training run: per-kernel and whole-step times of one M1 and one bn_cnn
 *        training step, batch --batch, kernel sets before/after — `native-v1` vs `native`, or
 *        `engine-v1` vs `engine` on wasm — interleaved --repeats times, with the load average).
 *        Results are also written to <state>/bench/train.json.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { atomicWriteFile, loadSettings, statePaths } from "../lib/config/mod.ts";
import { type ImageSet, readIdxGz } from "../lib/data/mod.ts";
import {
  activeWasmKernelSet,
  backendRequestSchema,
  engineInfo,
  initEngine,
  kernelProfile,
  type KernelTime,
  loadOneDnn,
  useWasmKernelSet,
} from "../lib/engine/mod.ts";
import {
  argmaxClasses,
  buildModel,
  gatherNormalized,
  inputTensor,
  type ModelConfigInput,
  predictProbabilities,
} from "../lib/models/mod.ts";
import { RECIPES, trainModel } from "../lib/train/mod.ts";
import { fmtStat, spreadPct, summarize } from "./stats.ts";

const replicasSchema = z.union([z.literal("auto"), z.coerce.number().int().min(1).max(16)]);

const flagsSchema = z.object({
  epochs: z.coerce.number().int().min(1).max(100).default(1).meta({
    description: "epochs per training run",
  }),
  batch: z.coerce.number().int().min(1).max(4096).default(128).meta({ description: "batch size" }),
  limit: z.coerce.number().int().min(0).default(0).meta({
    description: "train images used (0: all 60,000)",
  }),
  data: z.string().min(1).optional().meta({
    description: "directory of the IDX .gz files (default: FMNIST_SOURCE or the Debian package's)",
  }),
  "no-peer": z.boolean().default(false).meta({ description: "skip the PyTorch peer (ours alone)" }),
  "no-profile": z.boolean().default(false).meta({
    description: "skip the per-kernel profiles of our engine",
  }),
  "profile-only": z.boolean().default(false).meta({
    description:
      "only the per-kernel and whole-step profiles (M1 and bn_cnn, wasm/native kernel sets)",
  }),
  "peer-threads": z.coerce.number().int().min(1).max(256).default(navigator.hardwareConcurrency)
    .meta({ description: "torch threads of the time-to-target peer (default: every core)" }),
  model: z.enum(["m1", "default"]).default("m1").meta({
    description: "model of the throughput runs: M1, or the default recipe's model (both sides)",
  }),
  recipe: z.enum(["default"]).optional().meta({
    description: "time-to-target with the pipeline's recipe instead of one-epoch throughput",
  }),
  target: z.coerce.number().gt(0).max(1).default(0.92).meta({
    description: "test accuracy at which time-to-target stops",
  }),
  "recipe-epochs": z.coerce.number().int().min(1).max(100).optional().meta({
    description:
      "with --recipe: train this many epochs instead of the recipe's (schedule spans them)",
  }),
  replicas: z.string().optional().meta({
    description: "our training replicas to try with --recipe (comma-separated counts or auto)",
  }),
  backend: backendRequestSchema.optional().meta({
    description: "our engine's backend (default: FMNIST_BACKEND), e.g. native or wasm",
  }),
  repeats: z.coerce.number().int().min(1).max(50).default(3).meta({
    description: "runs per configuration and side, interleaved",
  }),
  threads: z.string().optional().meta({
    description:
      "thread counts of the throughput runs (comma-separated; default: 1 and every core)",
  }),
});
/** The flags as the benchmark reads them. */
function toFlags(f: z.infer<typeof flagsSchema>) {
  const {
    "no-peer": noPeer,
    "no-profile": noProfile,
    "profile-only": profileOnly,
    "peer-threads": peerThreads,
    "recipe-epochs": recipeEpochs,
    ...rest
  } = f;
  return { ...rest, peer: !noPeer, profile: !noProfile, profileOnly, peerThreads, recipeEpochs };
}
type Flags = ReturnType<typeof toFlags>;

/** Time-to-target of one engine with a recipe. */
interface RecipeResult {
  engine: string;
  replicas: number;
  threads: number;
  seconds_to_target: number | null;
  epochs_run: number;
  history: { epoch: number; test_accuracy: number; seconds: number }[];
}

function parseReplicas(text: string): (number | "auto")[] {
  return text.split(",").map((part) => {
    const r = replicasSchema.safeParse(part.trim());
    if (!r.success) throw new Error(`bench:train: --replicas: bad entry "${part}" (1..16 or auto)`);
    return r.data;
  });
}

async function loadSet(dir: string, prefix: "train" | "t10k", limit: number): Promise<ImageSet> {
  const open = async (kind: string) => {
    const path = join(dir, `${prefix}-${kind}-idx${kind === "images" ? 3 : 1}-ubyte.gz`);
    const f = await Deno.open(path).catch((e) => {
      throw new Error(`bench:train: cannot open ${path} (${e.message}); pass --data DIR`);
    });
    return await readIdxGz(f.readable, path);
  };
  const [img, lab] = await Promise.all([open("images"), open("labels")]);
  const [, rows, cols] = img.dims;
  const n = limit > 0 ? Math.min(limit, lab.data.length) : lab.data.length;
  return {
    count: n,
    rows,
    cols,
    images: img.data.subarray(0, n * rows * cols),
    labels: lab.data.subarray(0, n),
  };
}

const NORM = { scale: 1 / 255, mean: 0, std: 1 };

/** The throughput runs' model config (`--model`): M1, or the default recipe's model. */
function benchModel(flags: Flags): ModelConfigInput {
  return flags.model === "m1" ? { arch: "m1", seed: 42 } : { ...RECIPES.default.model, seed: 42 };
}

/**
 * Trainable parameters (what torch's `parameters()` counts: BatchNorm's moving statistics are
 * buffers there, weights in tfjs's `countParams`).
 */
function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
}

/** How the throughput tables name the model. */
function benchModelName(flags: Flags): string {
  if (flags.model === "m1") return "M1";
  const m = RECIPES.default.model as { arch: string; filters?: number[]; dense?: number };
  return `the default recipe's ${m.arch} (filters ${m.filters?.join("/")}, dense ${m.dense})`;
}

function fmtProfile(title: string, rows: KernelTime[], top = 12): string {
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const lines = rows.slice(0, top).map((r) =>
    `  ${r.name.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms ${
      (100 * r.share).toFixed(1).padStart(5)
    } %  ×${r.calls}`
  );
  return `${title} (total ${total.toFixed(1)} ms)\n${lines.join("\n")}`;
}

/** Training steps averaged in each per-kernel profile. */
const PROFILE_STEPS = 3;

/** Per-kernel profiles of one training step (kernel sets before/after) and one inference batch. */
async function profiles(
  arch: "m1" | "bn_cnn",
  train: ImageSet,
  batch: number,
): Promise<string[]> {
  const out: string[] = [];
  if (tf.getBackend() !== "wasm") return out;
  const model = buildModel({ arch, seed: 42 });
  const idx = Array.from({ length: Math.min(batch, train.count) }, (_, i) => i);
  const bx = inputTensor(gatherNormalized(train, idx, NORM), idx.length, [28, 28, 1]);
  const by = tf.tensor1d(idx.map((i) => train.labels[i]));
  await model.trainOnBatch(bx, by); // warm-up (operator creation, first-call overheads)
  const labels = {
    stock: "BEFORE (stock wasm kernels + the missing ones)",
    "engine-v1": "ENGINE v1 (dilated-conv Conv2DBackpropFilter, stock Tile)",
    engine: "AFTER (engine kernels)",
    "native-v1": "NATIVE v1 (oneDNN kernels, tfjs's composed BatchNorm)",
    native: "NATIVE (oneDNN kernels incl. batch normalisation + engine kernels)",
  } as const;
  const active = activeWasmKernelSet();
  const sets = [
    "stock",
    "engine-v1",
    "engine",
    ...(active === "native" ? ["native-v1", "native"] : []),
  ];
  for (const set of sets as (keyof typeof labels)[]) {
    useWasmKernelSet(set);
    await model.trainOnBatch(bx, by);
    const rows = await kernelProfile(async () => {
      for (let i = 0; i < PROFILE_STEPS; i++) await model.trainOnBatch(bx, by);
    });
    const perStep = rows.map((r) => ({
      ...r,
      ms: r.ms / PROFILE_STEPS,
      calls: r.calls / PROFILE_STEPS,
    }));
    out.push(
      fmtProfile(
        `per-kernel profile, ${arch} training step, batch ${batch}, ${labels[set]}`,
        perStep,
      ),
    );
  }
  useWasmKernelSet(active);
  const rows = await kernelProfile(() =>
    tf.tidy(() => (model.predict(bx, { batchSize: batch }) as tf.Tensor).dataSync())
  );
  out.push(fmtProfile(`per-kernel profile: one ${arch} inference batch of ${batch}`, rows));
  tf.dispose([bx, by]);
  model.dispose();
  return out;
}

/** The load average (1, 5, 15 min) from /proc/loadavg, or "" where there is none. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "";
  }
}

/** Per-kernel ms per step of each kernel set, and whole-step wall times, over the repeats. */
interface SetProfile {
  kernels: Map<string, number[]>;
  totals: number[];
  steps: number[];
}

/**
 * `--profile-only`: per-kernel and whole-step times of one training step of M1 and bn_cnn (batch
 * --batch) for the kernel sets before and after (`native-v1` → `native` on the native path,
 * `engine-v1` → `engine` on wasm), interleaved --repeats times so both see the same load. The
 * two sets' first-step losses from identical models are cross-checked first (a mismatch
 * invalidates the run).
 */
async function profileOnly(flags: Flags, dir: string) {
  const train = await loadSet(dir, "train", Math.max(flags.batch, 1));
  const active = activeWasmKernelSet();
  if (tf.getBackend() !== "wasm") {
    throw new Error("bench:train: --profile-only profiles the wasm / native kernel sets");
  }
  const [before, after] = active.startsWith("native")
    ? ["native-v1", "native"] as const
    : ["engine-v1", "engine"] as const;
  const idx = Array.from({ length: Math.min(flags.batch, train.count) }, (_, i) => i);
  const bx = inputTensor(gatherNormalized(train, idx, NORM), idx.length, [28, 28, 1]);
  const by = tf.tensor1d(idx.map((i) => train.labels[i]));
  const loads = [loadAverage()];
  const report: Record<string, Record<string, SetProfile>> = {};
  const out: string[] = [];
  const errors: string[] = [];
  for (const arch of ["m1", "bn_cnn"] as const) {
    // Cross-check: the same model trained one step on each set gives the same loss.
    const losses: number[] = [];
    for (const set of [before, after]) {
      useWasmKernelSet(set);
      const m = buildModel({ arch, seed: 42, dropout: 0 });
      const r = await m.trainOnBatch(bx, by);
      losses.push(Array.isArray(r) ? r[0] : r);
      m.dispose();
    }
    const lossErr = Math.abs(losses[0] - losses[1]) / Math.abs(losses[0]);
    if (!(lossErr < 1e-4)) errors.push(`${arch}: first-step loss ${losses} differ (${lossErr})`);
    const model = buildModel({ arch, seed: 42 });
    const sets: Record<string, SetProfile> = {};
    for (const set of [before, after]) sets[set] = { kernels: new Map(), totals: [], steps: [] };
    for (let rep = 0; rep < flags.repeats; rep++) {
      for (const set of rep % 2 ? [after, before] : [before, after]) {
        useWasmKernelSet(set);
        await model.trainOnBatch(bx, by); // warm-up: primitive creation, first-call costs
        const p = sets[set];
        for (let i = 0; i < PROFILE_STEPS; i++) {
          const t0 = performance.now();
          await model.trainOnBatch(bx, by);
          p.steps.push(performance.now() - t0);
        }
        const rows = await kernelProfile(async () => {
          for (let i = 0; i < PROFILE_STEPS; i++) await model.trainOnBatch(bx, by);
        });
        let total = 0;
        for (const r of rows) {
          const list = p.kernels.get(r.name) ?? [];
          list.push(r.ms / PROFILE_STEPS);
          p.kernels.set(r.name, list);
          total += r.ms / PROFILE_STEPS;
        }
        p.totals.push(total);
      }
    }
    model.dispose();
    report[arch] = sets;
    const b = sets[before], a = sets[after];
    const med = (v: number[] | undefined) => (v?.length ? summarize(v).median : 0);
    const names = [...new Set([...b.kernels.keys(), ...a.kernels.keys()])]
      .sort((x, y) =>
        Math.max(med(b.kernels.get(y)), med(a.kernels.get(y))) -
        Math.max(med(b.kernels.get(x)), med(a.kernels.get(x)))
      );
    const cell = (v: number[] | undefined) => (v?.length ? fmtStat(v, 1) : "—");
    const lines = names.slice(0, 20).map((n) =>
      `  ${n.padEnd(28)} ${cell(b.kernels.get(n)).padStart(22)} ${
        cell(a.kernels.get(n)).padStart(22)
      }`
    );
    out.push(
      `per-kernel ms per ${arch} training step, batch ${idx.length}, ${flags.repeats} ` +
        `interleaved repeats × ${PROFILE_STEPS} steps, median [min–max]; first-step loss ` +
        `${losses[0].toFixed(6)} / ${losses[1].toFixed(6)}\n` +
        `  ${"kernel".padEnd(28)} ${before.padStart(22)} ${after.padStart(22)}\n${
          lines.join("\n")
        }\n` +
        `  ${"total kernel time".padEnd(28)} ${fmtStat(b.totals, 1).padStart(22)} ${
          fmtStat(a.totals, 1).padStart(22)
        }\n` +
        `  ${"whole step (wall)".padEnd(28)} ${fmtStat(b.steps, 1).padStart(22)} ${
          fmtStat(a.steps, 1).padStart(22)
        }\n` +
        `  step ratio ${before}/${after}: ${(med(b.steps) / med(a.steps)).toFixed(2)}×`,
    );
    loads.push(loadAverage());
  }
  tf.dispose([bx, by]);
  useWasmKernelSet(active);
  console.log(`load average before and after each model: ${loads.join(" | ")}`);
  console.log(`\n${out.join("\n\n")}`);
  if (errors.length) throw new Error(`bench:train: run INVALID:\n  ${errors.join("\n  ")}`);
  const plain = Object.fromEntries(
    Object.entries(report).map(([arch, sets]) => [
      arch,
      Object.fromEntries(
        Object.entries(sets).map(([set, p]) => [
          set,
          { kernels: Object.fromEntries(p.kernels), totals: p.totals, steps: p.steps },
        ]),
      ),
    ]),
  );
  return { loads, profiles: plain };
}

function testAccuracy(model: tf.LayersModel, test: ImageSet, batch: number) {
  const t = performance.now();
  const p = predictProbabilities(model, test, { normalization: NORM, batchSize: batch });
  const seconds = (performance.now() - t) / 1000;
  const pred = argmaxClasses(p);
  let correct = 0;
  for (let i = 0; i < test.count; i++) if (pred[i] === test.labels[i]) correct++;
  return { accuracy: correct / test.count, seconds };
}

/** One timed throughput measurement of one side. */
interface Sample {
  train_img_s: number;
  infer_img_s: number;
  test_accuracy: number;
  final_loss: number;
  params: number;
}

/** One side in one configuration, with every repeat's measurement. */
interface ConfigResult {
  engine: string;
  version: string;
  /** Threads it trains with (ours: one single-threaded wasm replica per thread). */
  threads: number;
  replicas: number;
  /** Threads it infers with (ours: always 1, inference runs on the calling thread). */
  infer_threads: number;
  samples: Sample[];
}

/** How one of our throughput configurations is described: oneDNN threads, or wasm replicas. */
function oursLabel(threads: number, native: boolean): string {
  if (native) return `1 replica, oneDNN ${threads} thread${threads > 1 ? "s" : ""}`;
  return `${threads} replica${threads > 1 ? "s" : ""}`;
}

/** Train once with `replicas` single-threaded replicas, then time inference over the test set. */
async function oursOnce(
  flags: Flags,
  train: ImageSet,
  test: ImageSet,
  replicas: number,
): Promise<Sample & { replicas: number }> {
  const model = buildModel(benchModel(flags));
  try {
    const res = await trainModel({
      model,
      data: train,
      normalization: NORM,
      config: { epochs: flags.epochs, batchSize: flags.batch, learningRate: 1e-3, seed: 42 },
      workers: replicas,
    });
    testAccuracy(model, { ...test, count: Math.min(flags.batch, test.count) }, flags.batch);
    const evalRes = testAccuracy(model, test, flags.batch);
    return {
      replicas: res.replicas,
      train_img_s: res.imagesPerSecond,
      infer_img_s: test.count / evalRes.seconds,
      test_accuracy: evalRes.accuracy,
      final_loss: res.history.at(-1)?.loss ?? NaN,
      params: trainableParams(model),
    };
  } finally {
    model.dispose();
  }
}

async function runPeer(flags: Flags, dir: string, extra: string[] = []): Promise<unknown> {
  const script = new URL("./peers/train_torch.py", import.meta.url).pathname;
  const args = [
    script,
    "--data",
    dir,
    "--epochs",
    `${flags.epochs}`,
    "--batch",
    `${flags.batch}`,
    "--limit",
    `${flags.limit}`,
    "--threads",
    `${flags.peerThreads}`,
    ...extra,
  ];
  const out = await new Deno.Command("/usr/bin/python3", {
    args,
    stdout: "piped",
    stderr: "inherit",
  })
    .output().catch((e) => {
      throw new Error(
        `bench:train: cannot run /usr/bin/python3 (${e.message}); install python3-torch`,
      );
    });
  if (!out.success) throw new Error(`bench:train: torch peer failed (exit ${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const peerThroughputSchema = z.object({
  version: z.string(),
  threads: z.number(),
  params: z.number().int(),
  train_img_s: z.number().positive(),
  infer_img_s: z.number().positive(),
  test_accuracy: z.number(),
  final_loss: z.number(),
});

const peerRecipeSchema = z.object({
  threads: z.number(),
  seconds_to_target: z.number().nullable(),
  epochs_run: z.number(),
  history: z.array(
    z.object({ epoch: z.number(), test_accuracy: z.number(), seconds: z.number() }),
  ),
});

/** Thread counts to compare at: --threads, default 1 and every core. */
function threadCounts(flags: Flags): number[] {
  const list = flags.threads
    ? flags.threads.split(",").map((p) => {
      const r = z.coerce.number().int().min(1).max(64).safeParse(p.trim());
      if (!r.success) throw new Error(`bench:train: --threads: bad entry "${p}" (1..64)`);
      return r.data;
    })
    : [1, navigator.hardwareConcurrency];
  return [...new Set(list)].sort((a, b) => a - b);
}

/** Chance level is 0.1; a side below this after training did not learn, so the run is invalid. */
const MIN_ACCURACY = 0.2;

async function throughput(flags: Flags, dir: string, version: string) {
  const train = await loadSet(dir, "train", flags.limit);
  const test = await loadSet(dir, "t10k", 0);
  const threads = threadCounts(flags);
  const ours = new Map<number, ConfigResult>();
  const peer = new Map<number, ConfigResult>();
  const errors: string[] = [];
  const oursParams = buildModel(benchModel(flags));
  const params = trainableParams(oursParams);
  oursParams.dispose();
  // On the native backend oneDNN computes with its own OpenMP threads: "t threads" is one replica
  // whose oneDNN uses t threads (training and inference), not t single-threaded wasm replicas
  // (which would run t × the OpenMP threads on t cores).
  const dnn = engineInfo().backend === "native" ? loadOneDnn() : null;
  const replicasAt = (t: number) => (dnn ? 1 : t);
  for (const t of threads) {
    ours.set(t, {
      engine: `tfjs-${engineInfo().backend}`,
      version,
      threads: t,
      replicas: replicasAt(t),
      infer_threads: dnn ? t : 1,
      samples: [],
    });
    peer.set(t, {
      engine: "torch",
      version: "",
      threads: t,
      replicas: 1,
      infer_threads: t,
      samples: [],
    });
  }
  // Interleaved: every repeat runs each configuration of both sides, alternating which side goes
  // first, so that both see the same machine load; the order of thread counts alternates too.
  for (let rep = 0; rep < flags.repeats; rep++) {
    const order = rep % 2 ? [...threads].reverse() : threads;
    for (const t of order) {
      const sides = rep % 2 ? ["torch", "ours"] : ["ours", "torch"];
      for (const side of sides) {
        if (side === "ours") {
          dnn?.setThreads(t);
          if (dnn && dnn.threads !== t) {
            errors.push(`ours asked oneDNN for ${t} threads and got ${dnn.threads}`);
          }
          const s = await oursOnce(flags, train, test, replicasAt(t));
          if (s.replicas !== replicasAt(t)) {
            errors.push(`ours asked for ${replicasAt(t)} replicas and trained with ${s.replicas}`);
          }
          ours.get(t)!.samples.push(s);
          console.error(
            `  [${rep + 1}/${flags.repeats}] ours (${oursLabel(t, dnn !== null)}): ` +
              `train ${s.train_img_s.toFixed(0)} img/s, infer ${s.infer_img_s.toFixed(0)} img/s, ` +
              `acc ${s.test_accuracy.toFixed(4)}`,
          );
        } else if (flags.peer) {
          const r = peerThroughputSchema.parse(
            await runPeer({ ...flags, peerThreads: t }, dir, [
              "--model-json",
              JSON.stringify(benchModel(flags)),
            ]),
          );
          const cfg = peer.get(t)!;
          cfg.version = r.version;
          if (r.threads !== t) errors.push(`torch asked for ${t} threads and used ${r.threads}`);
          cfg.samples.push(r);
          console.error(
            `  [${rep + 1}/${flags.repeats}] torch (${t} thread${t > 1 ? "s" : ""}): ` +
              `train ${r.train_img_s.toFixed(0)} img/s, infer ${r.infer_img_s.toFixed(0)} img/s, ` +
              `acc ${r.test_accuracy.toFixed(4)}`,
          );
        }
      }
    }
  }
  const configs = [...ours.values(), ...(flags.peer ? [...peer.values()] : [])];
  for (const c of configs) {
    for (const s of c.samples) {
      if (s.params !== params) {
        errors.push(`${c.engine} model has ${s.params} parameters, ours has ${params}`);
      }
      if (!(s.test_accuracy > MIN_ACCURACY)) {
        errors.push(`${c.engine} (${c.threads} threads) test accuracy ${s.test_accuracy}`);
      }
    }
  }
  console.log(
    `\n${
      benchModelName(flags)
    } (${params} trainable parameters on both sides), ${train.count} train ` +
      `images × ${flags.epochs} ` +
      `epoch(s); ${flags.repeats} interleaved repeats per configuration; median [min–max]`,
  );
  console.log(
    "engine          threads replicas  train img/s                 infer img/s (threads)" +
      "            test acc",
  );
  for (const c of configs) {
    const tr = c.samples.map((s) => s.train_img_s);
    const inf = c.samples.map((s) => s.infer_img_s);
    console.log(
      `${c.engine.padEnd(15)} ${String(c.threads).padStart(7)} ${String(c.replicas).padStart(8)}  ${
        `${fmtStat(tr)} ${spreadPct(tr)}`.padEnd(27)
      } ${`${fmtStat(inf)} ${spreadPct(inf)} (${c.infer_threads})`.padEnd(32)} ${
        fmtStat(c.samples.map((s) => s.test_accuracy), 4)
      }`,
    );
  }
  const med = (c: ConfigResult, k: "train_img_s" | "infer_img_s") =>
    summarize(c.samples.map((s) => s[k])).median;
  const ratios: Record<string, { train: number; infer: number }> = {};
  if (flags.peer) {
    for (const t of threads) {
      const o = ours.get(t)!, p = peer.get(t)!;
      const r = {
        train: med(o, "train_img_s") / med(p, "train_img_s"),
        infer: med(o, "infer_img_s") / med(p, "infer_img_s"),
      };
      ratios[`threads_${t}`] = r;
      console.log(
        `ratio ours(${oursLabel(t, dnn !== null)})/torch: train ${r.train.toFixed(2)}×, ` +
          `inference ${
            r.infer.toFixed(2)
          }× (equal threads: ${t}; inference ours ${o.infer_threads} thread(s), torch ${t})`,
      );
    }
    const best = (m: Map<number, ConfigResult>, k: "train_img_s" | "infer_img_s") =>
      [...m.values()].reduce((a, b) => (med(b, k) > med(a, k) ? b : a));
    const ot = best(ours, "train_img_s"), pt = best(peer, "train_img_s");
    const oi = best(ours, "infer_img_s"), pi = best(peer, "infer_img_s");
    const r = {
      train: med(ot, "train_img_s") / med(pt, "train_img_s"),
      infer: med(oi, "infer_img_s") / med(pi, "infer_img_s"),
    };
    ratios.best = r;
    console.log(
      `ratio ours(best: ${oursLabel(ot.threads, dnn !== null)})/torch: ` +
        `train ${r.train.toFixed(2)}×, inference ${r.infer.toFixed(2)}× (each at its best: ` +
        `torch trains best with ${pt.threads} thread(s), infers best with ${pi.threads})`,
    );
  }
  if (threads.length >= 2) {
    const lo = ours.get(threads[0])!, hi = ours.get(threads.at(-1)!)!;
    console.log(
      `speed-up ${oursLabel(hi.threads, dnn !== null)} vs ${
        oursLabel(lo.threads, dnn !== null)
      }: ` +
        `${(med(hi, "train_img_s") / med(lo, "train_img_s")).toFixed(2)}×`,
    );
  }
  if (errors.length) {
    throw new Error(`bench:train: run INVALID:\n  ${[...new Set(errors)].join("\n  ")}`);
  }
  const prof = flags.profile && flags.model === "m1"
    ? await profiles("m1", train, flags.batch)
    : [];
  if (prof.length) console.log(`\n${prof.join("\n\n")}`);
  return { params, results: configs, ratios };
}

async function recipeRun(flags: Flags, dir: string, threads: number) {
  const base = RECIPES.default;
  // --recipe-epochs: the same recipe over fewer (or more) epochs; the schedule spans them.
  const recipe = flags.recipeEpochs
    ? { ...base, train: { ...base.train, epochs: flags.recipeEpochs } }
    : base;
  const train = await loadSet(dir, "train", flags.limit);
  const test = await loadSet(dir, "t10k", 0);
  const results: RecipeResult[] = [];
  for (const replicas of parseReplicas(flags.replicas ?? "auto")) {
    const model = buildModel(recipe.model);
    const history: RecipeResult["history"] = [];
    let reached: number | null = null;
    const t0 = performance.now();
    const res = await trainModel({
      model,
      data: train,
      normalization: NORM,
      config: recipe.train,
      workers: replicas,
      onEpochEnd: (epoch) => {
        const acc = testAccuracy(model, test, 512).accuracy;
        const seconds = (performance.now() - t0) / 1000;
        history.push({ epoch, test_accuracy: acc, seconds });
        console.error(
          `  ours: epoch ${epoch + 1} test acc ${acc.toFixed(4)} at ${seconds.toFixed(1)} s`,
        );
        if (acc >= flags.target) {
          reached = seconds;
          return "stop";
        }
      },
    });
    results.push({
      engine: `tfjs-${engineInfo().backend}`,
      replicas: res.replicas,
      threads,
      seconds_to_target: reached,
      epochs_run: history.length,
      history,
    });
    model.dispose();
  }
  if (flags.peer) {
    console.error("  running the PyTorch peer with the same recipe …");
    const r = peerRecipeSchema.parse(
      await runPeer(flags, dir, [
        "--recipe-json",
        JSON.stringify({ model: recipe.model, train: recipe.train }),
        "--target",
        `${flags.target}`,
      ]),
    );
    results.push({ engine: "torch", replicas: 1, ...r });
  }
  const fmt = (s: number | null) => (s === null ? "not reached" : `${s.toFixed(1)} s`);
  console.log(
    `\nrecipe default (${recipe.description}); target test accuracy ${flags.target}, ` +
      `budget ${recipe.train.epochs} epochs on ${train.count} images`,
  );
  console.log("engine          threads replicas  epochs  best acc   time to target");
  for (const r of results) {
    const bestAcc = Math.max(...r.history.map((h) => h.test_accuracy));
    console.log(
      `${r.engine.padEnd(15)} ${String(r.threads).padStart(7)} ${String(r.replicas).padStart(8)} ${
        String(r.epochs_run).padStart(7)
      } ${bestAcc.toFixed(4).padStart(9)}   ${fmt(r.seconds_to_target)}`,
    );
  }
  const peer = results.find((r) => r.engine === "torch");
  let ratio: number | null = null;
  for (const r of results.filter((x) => x.engine !== "torch")) {
    if (peer?.seconds_to_target && r.seconds_to_target) {
      ratio = r.seconds_to_target / peer.seconds_to_target;
      console.log(
        `time-to-${flags.target} ratio ours(${r.replicas} replicas)/torch: ${ratio.toFixed(2)}× ` +
          `(< 1 = we are faster)`,
      );
    }
  }
  return { results, ratio };
}

async function bench(flags: Flags): Promise<void> {
  const settings = loadSettings();
  const dir = flags.data ?? settings.source ?? "/usr/share/datasets/fashion-mnist";
  const info = await initEngine({ ...settings, backend: flags.backend ?? settings.backend });
  console.log(
    `engine: ${info.backend} (threads ${info.threads}, simd ${info.simd}, tfjs ${info.versions.tfjs}, ` +
      `deno ${info.versions.deno}); cores ${navigator.hardwareConcurrency}; ` +
      (flags.recipe
        ? `recipe ${flags.recipe}, target ${flags.target}`
        : `${benchModelName(flags)}, batch ${flags.batch}, epochs ${flags.epochs}`) +
      (flags.limit ? `, first ${flags.limit} train images` : ""),
  );
  const report = flags.profileOnly
    ? { mode: "profile", ...(await profileOnly(flags, dir)) }
    : flags.recipe
    ? { mode: "recipe", ...(await recipeRun(flags, dir, info.threads)) }
    : { mode: "throughput", ...(await throughput(flags, dir, info.versions.tfjs)) };
  const outPath = join(statePaths(settings.stateDir).root, "bench", "train.json");
  await atomicWriteFile(
    outPath,
    JSON.stringify({ at: new Date().toISOString(), engine: info, flags, ...report }, null, 2),
  );
  console.log(`\nresults written to ${outPath}`);
}

export const command = defineCommand({
  name: "bench:train",
  summary: "Training throughput (M1 or the default model, images/s) or time-to-target of a " +
    "recipe (--recipe): ours " +
    "vs PyTorch on the same data, interleaved, --repeats times.",
  schema: flagsSchema,
  run: ({ flags }) => bench(toFlags(flags)),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
