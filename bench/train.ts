/**
 * `deno task bench:train` — trains model M1 for one epoch on the real Fashion-MNIST data with
 * our engine and with the PyTorch peer (bench/peers/train_torch.py, Debian's torch) in the same
 * run, and prints training / inference throughput (img/s), their ratio and test accuracy, plus a
 * per-kernel profile of one training step and one inference batch on our engine.
 *
 * Flags: --epochs N (1) --batch N (128) --limit N (0 = all 60,000 train images)
 *        --data DIR (FMNIST_SOURCE or /usr/share/datasets/fashion-mnist) --no-peer --no-profile
 *        --peer-threads N (hardware concurrency). Backend/threads come from FMNIST_BACKEND /
 *        FMNIST_THREADS. Results are also written to <state>/bench/train.json.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFile, loadSettings, statePaths } from "../lib/config/mod.ts";
import { readIdxGz } from "../lib/data/mod.ts";
import { initEngine, kernelProfile, type KernelTime, useWasmKernelSet } from "../lib/engine/mod.ts";
import { buildModel } from "../lib/models/mod.ts";

const flagsSchema = z.object({
  epochs: z.coerce.number().int().min(1).max(100).default(1),
  batch: z.coerce.number().int().min(1).max(4096).default(128),
  limit: z.coerce.number().int().min(0).default(0),
  data: z.string().min(1).optional(),
  peer: z.boolean().default(true),
  profile: z.boolean().default(true),
  peerThreads: z.coerce.number().int().min(1).max(256).default(navigator.hardwareConcurrency),
});

/** Throughput and accuracy of one engine. */
interface EngineResult {
  engine: string;
  version: string;
  threads: number;
  train_img_s: number;
  infer_img_s: number;
  test_accuracy: number;
  final_loss: number;
}

function parseFlags() {
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

async function loadSplit(dir: string, prefix: "train" | "t10k", limit: number) {
  const open = async (kind: string) => {
    const path = join(dir, `${prefix}-${kind}-idx${kind === "images" ? 3 : 1}-ubyte.gz`);
    const f = await Deno.open(path).catch((e) => {
      throw new Error(`bench:train: cannot open ${path} (${e.message}); pass --data DIR`);
    });
    return (await readIdxGz(f.readable, path)).data;
  };
  const [img, lab] = await Promise.all([open("images"), open("labels")]);
  const n = limit > 0 ? Math.min(limit, lab.length) : lab.length;
  const xs = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) xs[i] = img[i] / 255;
  return {
    x: tf.tensor4d(xs, [n, 28, 28, 1]),
    y: tf.tensor1d(Float32Array.from(lab.subarray(0, n))),
    n,
  };
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

async function runOurs(
  flags: z.infer<typeof flagsSchema>,
  dir: string,
  threads: number,
  version: string,
): Promise<{ result: EngineResult; profiles: string[] }> {
  const train = await loadSplit(dir, "train", flags.limit);
  const test = await loadSplit(dir, "t10k", 0);
  const model = buildModel({ arch: "m1", seed: 42 });
  const bx = train.x.slice(0, flags.batch), by = train.y.slice(0, flags.batch);
  await model.trainOnBatch(bx, by); // warm-up (operator creation, first-call overheads)
  const profiles: string[] = [];
  if (flags.profile && tf.getBackend() === "wasm") {
    for (const set of ["stock", "engine"] as const) {
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
      const label = set === "stock"
        ? "BEFORE (stock wasm kernels + the missing ones)"
        : "AFTER (engine kernels)";
      profiles.push(
        fmtProfile(`per-kernel profile, M1 training step, batch ${flags.batch}, ${label}`, perStep),
      );
    }
  }
  let lastLog = 0;
  const t0 = performance.now();
  const hist = await model.fit(train.x, train.y, {
    epochs: flags.epochs,
    batchSize: flags.batch,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onBatchEnd: (b) => {
        const now = performance.now();
        if (now - lastLog > 5000) {
          lastLog = now;
          const done = (b + 1) * flags.batch;
          console.error(`  ours: ${done} images, ${(done / ((now - t0) / 1000)).toFixed(0)} img/s`);
        }
      },
    },
  });
  const trainS = (performance.now() - t0) / 1000;
  const loss = hist.history.loss as number[];

  tf.tidy(() => model.predict(test.x.slice(0, flags.batch), { batchSize: flags.batch }));
  const t1 = performance.now();
  let correct = 0;
  for (let i = 0; i < test.n; i += flags.batch) {
    const size = Math.min(flags.batch, test.n - i);
    correct += tf.tidy(() => {
      const p = model.predict(test.x.slice(i, size), { batchSize: flags.batch }) as tf.Tensor;
      return tf.sum(tf.equal(tf.argMax(p, 1), test.y.slice(i, size).cast("int32"))).dataSync()[0];
    });
  }
  const inferS = (performance.now() - t1) / 1000;
  if (flags.profile) {
    const tb = test.x.slice(0, flags.batch);
    const rows = await kernelProfile(() =>
      tf.tidy(() => (model.predict(tb, { batchSize: flags.batch }) as tf.Tensor).dataSync())
    );
    profiles.push(fmtProfile(`per-kernel profile: one M1 inference batch of ${flags.batch}`, rows));
    tb.dispose();
  }
  tf.dispose([train.x, train.y, test.x, test.y, bx, by]);
  model.dispose();
  return {
    result: {
      engine: `tfjs-${tf.getBackend()}`,
      version,
      threads,
      train_img_s: (train.n * flags.epochs) / trainS,
      infer_img_s: test.n / inferS,
      test_accuracy: correct / test.n,
      final_loss: loss[loss.length - 1],
    },
    profiles,
  };
}

async function runPeer(flags: z.infer<typeof flagsSchema>, dir: string): Promise<EngineResult> {
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
  ];
  const out = await new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "piped" })
    .output().catch((e) => {
      throw new Error(
        `bench:train: cannot run /usr/bin/python3 (${e.message}); install python3-torch`,
      );
    });
  if (!out.success) {
    throw new Error(`bench:train: torch peer failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    engine: "torch",
    version: r.version,
    threads: r.threads,
    train_img_s: r.train_img_s,
    infer_img_s: r.infer_img_s,
    test_accuracy: r.test_accuracy,
    final_loss: r.final_loss,
  };
}

async function main() {
  const flags = parseFlags();
  const settings = loadSettings();
  const dir = flags.data ?? settings.source ?? "/usr/share/datasets/fashion-mnist";
  const info = await initEngine(settings);
  console.log(
    `engine: ${info.backend} (threads ${info.threads}, simd ${info.simd}, tfjs ${info.versions.tfjs}, ` +
      `deno ${info.versions.deno}); M1, batch ${flags.batch}, epochs ${flags.epochs}` +
      (flags.limit ? `, first ${flags.limit} train images` : ""),
  );
  const ours = await runOurs(flags, dir, info.threads, info.versions.tfjs);
  const results: EngineResult[] = [ours.result];
  if (flags.peer) {
    console.error("  running the PyTorch peer …");
    results.push(await runPeer(flags, dir));
  }
  console.log("\nengine          threads   train img/s   infer img/s   test acc   final loss");
  for (const r of results) {
    console.log(
      `${r.engine.padEnd(15)} ${String(r.threads).padStart(7)} ${
        r.train_img_s.toFixed(0).padStart(13)
      } ` +
        `${r.infer_img_s.toFixed(0).padStart(13)} ${r.test_accuracy.toFixed(4).padStart(10)} ` +
        `${r.final_loss.toFixed(4).padStart(12)}`,
    );
  }
  let ratios: { train: number; infer: number } | undefined;
  if (results.length === 2) {
    const [a, b] = results;
    ratios = { train: a.train_img_s / b.train_img_s, infer: a.infer_img_s / b.infer_img_s };
    console.log(
      `\nratio ours/torch: train ${ratios.train.toFixed(2)}× (target ≥ 0.6×), ` +
        `inference ${ratios.infer.toFixed(2)}× (target ≥ 1.2×)`,
    );
  }
  if (ours.profiles.length) console.log(`\n${ours.profiles.join("\n\n")}`);
  const outPath = join(statePaths(settings.stateDir).root, "bench", "train.json");
  await atomicWriteFile(
    outPath,
    JSON.stringify({ at: new Date().toISOString(), engine: info, flags, results, ratios }, null, 2),
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
