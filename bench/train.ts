/**
 * `deno task bench:train` — trains model M1 for one epoch on the real Fashion-MNIST data with
 * our engine (`trainModel`, with 1 and with 2 data-parallel replicas) and with the PyTorch peer
 * (bench/peers/train_torch.py, Debian's torch) in the same run, and prints training / inference
 * throughput (img/s), their ratios and test accuracy, plus per-kernel profiles of one training
 * step and one inference batch on our engine.
 *
 * `--recipe default`: time-to-target instead — the pipeline's `default` recipe (bn_cnn, one-cycle
 * Adam, augmentation) for us (replicas: --replicas, default auto) and the same recipe in the torch
 * peer, evaluating test accuracy after each epoch and stopping at --target (0.92) or after the
 * recipe's epochs; prints both times and their ratio.
 *
 * Flags: --epochs N (1) --batch N (128) --limit N (0 = all 60,000 train images)
 *        --data DIR (FMNIST_SOURCE or /usr/share/datasets/fashion-mnist) --no-peer --no-profile
 *        --peer-threads N (hardware concurrency) --recipe default --target X (0.92)
 *        --replicas LIST (throughput: "1,2"; recipe: "auto") --backend B (FMNIST_BACKEND;
 *        e.g. native, wasm). Threads come from FMNIST_THREADS. Results are also written to
 *        <state>/bench/train.json.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFile, loadSettings, statePaths } from "../lib/config/mod.ts";
import { type ImageSet, readIdxGz } from "../lib/data/mod.ts";
import {
  activeWasmKernelSet,
  backendRequestSchema,
  engineInfo,
  initEngine,
  kernelProfile,
  type KernelTime,
  useWasmKernelSet,
} from "../lib/engine/mod.ts";
import {
  argmaxClasses,
  buildModel,
  gatherNormalized,
  inputTensor,
  predictProbabilities,
} from "../lib/models/mod.ts";
import { RECIPES, trainModel } from "../lib/train/mod.ts";

const replicasSchema = z.union([z.literal("auto"), z.coerce.number().int().min(1).max(16)]);

const flagsSchema = z.object({
  epochs: z.coerce.number().int().min(1).max(100).default(1),
  batch: z.coerce.number().int().min(1).max(4096).default(128),
  limit: z.coerce.number().int().min(0).default(0),
  data: z.string().min(1).optional(),
  peer: z.boolean().default(true),
  profile: z.boolean().default(true),
  peerThreads: z.coerce.number().int().min(1).max(256).default(navigator.hardwareConcurrency),
  recipe: z.enum(["default"]).optional(),
  target: z.coerce.number().gt(0).max(1).default(0.92),
  replicas: z.string().optional(),
  backend: backendRequestSchema.optional(),
});
type Flags = z.infer<typeof flagsSchema>;

/** Throughput and accuracy of one engine. */
interface EngineResult {
  engine: string;
  version: string;
  threads: number;
  replicas: number;
  train_img_s: number;
  infer_img_s: number;
  test_accuracy: number;
  final_loss: number;
}

/** Time-to-target of one engine with a recipe. */
interface RecipeResult {
  engine: string;
  replicas: number;
  threads: number;
  seconds_to_target: number | null;
  epochs_run: number;
  history: { epoch: number; test_accuracy: number; seconds: number }[];
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      epochs: { type: "string" },
      batch: { type: "string" },
      limit: { type: "string" },
      data: { type: "string" },
      "no-peer": { type: "boolean" },
      "no-profile": { type: "boolean" },
      "peer-threads": { type: "string" },
      recipe: { type: "string" },
      target: { type: "string" },
      replicas: { type: "string" },
      backend: { type: "string" },
    },
    strict: true,
  });
  const r = flagsSchema.safeParse({
    epochs: values.epochs,
    batch: values.batch,
    limit: values.limit,
    data: values.data,
    peer: !values["no-peer"],
    profile: !values["no-profile"],
    peerThreads: values["peer-threads"],
    recipe: values.recipe,
    target: values.target,
    replicas: values.replicas,
    backend: values.backend,
  });
  if (!r.success) {
    throw new Error(
      `bench:train: bad flags: ${
        r.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")
      }`,
    );
  }
  return r.data;
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
    native: "NATIVE (oneDNN kernels + engine kernels)",
  } as const;
  const active = activeWasmKernelSet();
  const sets = ["stock", "engine-v1", "engine", ...(active === "native" ? ["native"] : [])];
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

function testAccuracy(model: tf.LayersModel, test: ImageSet, batch: number) {
  const t = performance.now();
  const p = predictProbabilities(model, test, { normalization: NORM, batchSize: batch });
  const seconds = (performance.now() - t) / 1000;
  const pred = argmaxClasses(p);
  let correct = 0;
  for (let i = 0; i < test.count; i++) if (pred[i] === test.labels[i]) correct++;
  return { accuracy: correct / test.count, seconds };
}

async function runOurs(
  flags: Flags,
  train: ImageSet,
  test: ImageSet,
  threads: number,
  version: string,
): Promise<EngineResult[]> {
  const results: EngineResult[] = [];
  for (const replicas of parseReplicas(flags.replicas ?? "1,2")) {
    const model = buildModel({ arch: "m1", seed: 42 });
    const res = await trainModel({
      model,
      data: train,
      normalization: NORM,
      config: { epochs: flags.epochs, batchSize: flags.batch, learningRate: 1e-3, seed: 42 },
      workers: replicas,
    });
    testAccuracy(model, { ...test, count: Math.min(flags.batch, test.count) }, flags.batch);
    const evalRes = testAccuracy(model, test, flags.batch);
    console.error(
      `  ours (${res.replicas} replica${res.replicas > 1 ? "s" : ""}): ` +
        `${res.imagesPerSecond.toFixed(0)} img/s`,
    );
    results.push({
      engine: `tfjs-${engineInfo().backend}`,
      version,
      threads,
      replicas: res.replicas,
      train_img_s: res.imagesPerSecond,
      infer_img_s: test.count / evalRes.seconds,
      test_accuracy: evalRes.accuracy,
      final_loss: res.history.at(-1)?.loss ?? NaN,
    });
    model.dispose();
  }
  return results;
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
  train_img_s: z.number(),
  infer_img_s: z.number(),
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

async function throughput(flags: Flags, dir: string, threads: number, version: string) {
  const train = await loadSet(dir, "train", flags.limit);
  const test = await loadSet(dir, "t10k", 0);
  const results = await runOurs(flags, train, test, threads, version);
  if (flags.peer) {
    console.error("  running the PyTorch peer …");
    const r = peerThroughputSchema.parse(await runPeer(flags, dir));
    results.push({ engine: "torch", replicas: 1, ...r });
  }
  console.log(
    "\nengine          threads replicas  train img/s   infer img/s   test acc   final loss",
  );
  for (const r of results) {
    console.log(
      `${r.engine.padEnd(15)} ${String(r.threads).padStart(7)} ${String(r.replicas).padStart(8)} ${
        r.train_img_s.toFixed(0).padStart(12)
      } ${r.infer_img_s.toFixed(0).padStart(13)} ${r.test_accuracy.toFixed(4).padStart(10)} ${
        r.final_loss.toFixed(4).padStart(12)
      }`,
    );
  }
  const peer = results.find((r) => r.engine === "torch");
  const ratios: Record<string, { train: number; infer: number }> = {};
  for (const r of results.filter((x) => x.engine !== "torch")) {
    if (!peer) break;
    ratios[`replicas_${r.replicas}`] = {
      train: r.train_img_s / peer.train_img_s,
      infer: r.infer_img_s / peer.infer_img_s,
    };
    console.log(
      `ratio ours(${r.replicas} replica${r.replicas > 1 ? "s" : ""})/torch: train ${
        ratios[`replicas_${r.replicas}`].train.toFixed(2)
      }× (target ≥ 0.6×), inference ${
        ratios[`replicas_${r.replicas}`].infer.toFixed(2)
      }× (target ≥ 1.2×)`,
    );
  }
  const ours = results.filter((x) => x.engine !== "torch");
  if (ours.length >= 2) {
    console.log(
      `speed-up ${ours.at(-1)!.replicas} vs ${ours[0].replicas} replica(s): ` +
        `${(ours.at(-1)!.train_img_s / ours[0].train_img_s).toFixed(2)}×`,
    );
  }
  const prof = flags.profile ? await profiles("m1", train, flags.batch) : [];
  if (prof.length) console.log(`\n${prof.join("\n\n")}`);
  return { results, ratios };
}

async function recipeRun(flags: Flags, dir: string, threads: number) {
  const recipe = RECIPES.default;
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

async function main() {
  const flags = parseFlags();
  const settings = loadSettings();
  const dir = flags.data ?? settings.source ?? "/usr/share/datasets/fashion-mnist";
  const info = await initEngine({ ...settings, backend: flags.backend ?? settings.backend });
  console.log(
    `engine: ${info.backend} (threads ${info.threads}, simd ${info.simd}, tfjs ${info.versions.tfjs}, ` +
      `deno ${info.versions.deno}); cores ${navigator.hardwareConcurrency}; ` +
      (flags.recipe
        ? `recipe ${flags.recipe}, target ${flags.target}`
        : `M1, batch ${flags.batch}, epochs ${flags.epochs}`) +
      (flags.limit ? `, first ${flags.limit} train images` : ""),
  );
  const report = flags.recipe
    ? { mode: "recipe", ...(await recipeRun(flags, dir, info.threads)) }
    : { mode: "throughput", ...(await throughput(flags, dir, info.threads, info.versions.tfjs)) };
  const outPath = join(statePaths(settings.stateDir).root, "bench", "train.json");
  await atomicWriteFile(
    outPath,
    JSON.stringify({ at: new Date().toISOString(), engine: info, flags, ...report }, null, 2),
  );
  console.log(`\nresults written to ${outPath}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
}
