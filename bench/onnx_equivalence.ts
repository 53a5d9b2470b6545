/**
 * `deno run -A bench/onnx_equivalence.ts` — the ONNX export's equivalence figures per
 * architecture on the full 10,000-image test set: each architecture (defaults, plus tuning-space
 * corners) is trained briefly on real images (`--train N` images, 1 epoch, so weights and
 * BatchNorm statistics are non-trivial), exported, and compared with tfjs image by image
 * (max |Δp|, arg-max mismatches), as the registration step does.
 *
 * Flags: --train N (2000) --archs LIST (m1,bn_cnn,resnet,mlp,logreg,m1_small,resnet_deep,mlp_deep)
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { z } from "zod";
import { gunzip, readIdx } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import {
  argmaxClasses,
  buildModel,
  checkOnnxEquivalence,
  exportOnnx,
  type ModelConfigInput,
  predictProbabilities,
} from "../lib/models/mod.ts";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";

const CONFIGS: Record<string, ModelConfigInput> = {
  m1: { arch: "m1" },
  bn_cnn: { arch: "bn_cnn" },
  resnet: { arch: "resnet" },
  mlp: { arch: "mlp" },
  logreg: { arch: "logreg" },
  m1_small: { arch: "m1", filters: [8, 16], dense: 32, dropout: 0 },
  resnet_deep: { arch: "resnet", widths: [16, 32], blocksPerStage: 2 },
  mlp_deep: { arch: "mlp", hidden: [512, 256, 128, 64] },
};

const flagsSchema = z.object({
  train: z.coerce.number().int().min(64).max(60000).default(2000).meta({
    description: "training images per architecture (1 epoch)",
  }),
  archs: z.string().default(Object.keys(CONFIGS).join(",")).transform((v) => v.split(","))
    .pipe(z.array(z.enum(Object.keys(CONFIGS) as [string, ...string[]])).min(1)).meta({
      description: "architectures to export and compare (comma-separated)",
    }),
});
type Flags = z.infer<typeof flagsSchema>;

/** The benchmark (returns the exit code). */
async function bench(f: Flags): Promise<number | void> {
  await initEngine({ backend: "wasm" });
  const src = "/usr/share/datasets/fashion-mnist";
  const read = async (f: string) => readIdx(await gunzip(await Deno.readFile(join(src, f))));
  const [trX, trY, teX, teY] = await Promise.all([
    read("train-images-idx3-ubyte.gz"),
    read("train-labels-idx1-ubyte.gz"),
    read("t10k-images-idx3-ubyte.gz"),
    read("t10k-labels-idx1-ubyte.gz"),
  ]);
  const test = { count: 10000, rows: 28, cols: 28, images: teX.data, labels: teY.data };
  const norm = { scale: 1 / 255, mean: 0, std: 1 };
  console.log(`arch          params  train_s  test_acc   max|Δp|     argmax_mismatch  images`);
  for (const name of f.archs) {
    const model = buildModel({ ...CONFIGS[name], seed: 1 });
    const x = tf.tensor(Float32Array.from(trX.data.subarray(0, f.train * 784), (b) => b / 255), [
      f.train,
      28,
      28,
      1,
    ]);
    const y = tf.tensor(Float32Array.from(trY.data.subarray(0, f.train)), [f.train]);
    const t0 = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    const trainS = (performance.now() - t0) / 1000;
    x.dispose();
    y.dispose();
    const bytes = exportOnnx(model, {
      modelName: name,
      labels: Array.from({ length: 10 }, (_, i) => String(i)),
      normalization: norm,
    });
    const r = await checkOnnxEquivalence(model, bytes, test, { normalization: norm });
    const pred = argmaxClasses(predictProbabilities(model, test, { normalization: norm }));
    let correct = 0;
    for (let i = 0; i < 10000; i++) if (pred[i] === teY.data[i]) correct++;
    console.log(
      `${name.padEnd(12)} ${String(model.countParams()).padStart(8)} ${
        trainS.toFixed(1).padStart(8)
      } ` +
        `${(correct / 100).toFixed(2).padStart(8)}%  ${
          r.maxAbsDiff.toExponential(2).padStart(9)
        } ` +
        `${String(r.argmaxMismatches).padStart(16)}  ${r.images}${r.ok ? "" : "  FAILED"}`,
    );
    model.dispose();
  }
}

export const command = defineCommand({
  name: "onnx_equivalence",
  summary: "ONNX export vs tfjs on the test split: max |Δp| and arg-max mismatches.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
