/**
 * `deno task bench:baselines` — our baselines (logistic regression, MLP, k-NN; `lib/train`
 * `runBaselines`, the same code `deno task pipeline --baselines` runs) against scikit-learn's
 * (LogisticRegression, MLPClassifier, RandomForest, k-NN; bench/peers/baselines_sklearn.py with
 * Debian's /usr/bin/python3) in the same run, on the same training rows: the peer gets the row
 * numbers ours trained on (logistic regression, MLP and random forest: the seeded train split,
 * 54,000 rows; k-NN: train + validation, 60,000), and the same timed work (trained models: fit;
 * k-NN: fit + predicting the test images). Ours' fit also evaluates the validation rows after
 * every epoch (its loop always does); that extra work counts against ours. Prints test accuracy
 * and seconds side by side. Ours runs in a fresh temporary state directory.
 *
 * Flags: --train N (all 60,000) --test N (all 10,000; k-NN only) --no-peer
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { parseSettings } from "../lib/config/mod.ts";
import { DEBIAN_DIR, ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep, getSplit } from "../lib/features/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { runBaselines } from "../lib/train/mod.ts";

const flagsSchema = z.object({
  train: z.coerce.number().int().min(100).max(60000).optional().meta({
    description: "training rows (default: all 60,000)",
  }),
  test: z.coerce.number().int().min(100).max(10000).optional().meta({
    description: "test images of the k-NN comparison (default: all 10,000)",
  }),
  "no-peer": z.boolean().default(false).meta({
    description: "skip the scikit-learn peer (ours alone)",
  }),
});
const peerSchema = z.record(
  z.string(),
  z.object({
    test_accuracy: z.number(),
    seconds: z.number(),
    timed: z.enum(["fit", "fit+predict"]),
    train_rows: z.number().int(),
  }),
);

type Flags = z.infer<typeof flagsSchema>;

/** The benchmark (returns the exit code). */
async function bench(flags: Flags): Promise<number | void> {
  const source = Deno.env.get("FMNIST_SOURCE") ?? DEBIAN_DIR;

  const state = await Deno.makeTempDir({ prefix: "fmnist-bench-baselines-" });
  const manifests = await Deno.makeTempDir({ prefix: "fmnist-bench-manifests-" });
  const ctx = await openContext(
    parseSettings({
      ...Deno.env.toObject(),
      FMNIST_STATE_DIR: state,
      FMNIST_SOURCE: source,
      LOG_LEVEL: "warn",
    }),
    { manifestDir: manifests },
  );
  const idxDir = await Deno.makeTempDir({ prefix: "fmnist-bench-rows-" });
  const trainIdxFile = `${idxDir}/train.i32`;
  const knnIdxFile = `${idxDir}/knn.i32`;
  /** Rows each of our baselines trained on, by baseline name. */
  const oursRows: Record<string, number> = {};
  let ours;
  try {
    const ing = await ingest(ctx);
    await featuresStep(ctx, await loadDataset(ctx, ing.version));
    ours = await runBaselines(ctx, {
      dataset: ing.version,
      limit: flags.train,
      testLimit: flags.test,
    });
    // The rows ours used (lib/train: candidates fit split.train, k-NN memorises train + val; --train
    // keeps the first N of each), for the peer to fit on exactly the same ones.
    const split = await getSplit(ctx, ing.version);
    const cut = (a: Int32Array) => (flags.train ? a.subarray(0, flags.train) : a);
    const trainRows = Int32Array.from(cut(split.train));
    const knnRows = cut(Int32Array.from([...split.train, ...split.val]));
    await Deno.writeFile(trainIdxFile, new Uint8Array(trainRows.buffer));
    await Deno.writeFile(knnIdxFile, new Uint8Array(Int32Array.from(knnRows).buffer));
    Object.assign(oursRows, {
      logreg: trainRows.length,
      mlp: trainRows.length,
      rf: trainRows.length,
      knn: knnRows.length,
    });
  } finally {
    await ctx.close();
    await Deno.remove(state, { recursive: true });
    await Deno.remove(manifests, { recursive: true });
  }

  let peer: z.infer<typeof peerSchema> = {};
  if (!flags["no-peer"]) {
    const script = fileURLToPath(new URL("./peers/baselines_sklearn.py", import.meta.url));
    const args = [script, source, "--train-idx", trainIdxFile, "--knn-idx", knnIdxFile];
    if (flags.test) args.push("--test", String(flags.test));
    const out = await new Deno.Command("/usr/bin/python3", { args, stderr: "inherit" }).output();
    await Deno.remove(idxDir, { recursive: true });
    if (!out.success) {
      console.error(
        "bench:baselines: the scikit-learn peer failed (is python3-sklearn installed?)",
      );
      return 1;
    }
    peer = peerSchema.parse(JSON.parse(new TextDecoder().decode(out.stdout)));
    for (const [name, r] of Object.entries(peer)) {
      if (r.train_rows !== oursRows[name]) {
        console.error(
          `bench:baselines: run INVALID: sklearn ${name} trained on ${r.train_rows} rows, ours on ` +
            `${oursRows[name]}`,
        );
        return 1;
      }
    }
  } else {
    await Deno.remove(idxDir, { recursive: true });
  }

  const rows: [
    string,
    string,
    number | undefined,
    number | undefined,
    number | undefined,
    number | undefined,
  ][] = [
    ["logistic regression", "logreg", undefined, undefined, undefined, undefined],
    ["MLP 256-128", "mlp", undefined, undefined, undefined, undefined],
    ["k-NN (k=5, distance)", "knn", undefined, undefined, undefined, undefined],
    ["random forest (100)", "rf", undefined, undefined, undefined, undefined],
  ];
  for (const r of rows) {
    const o = ours.find((b) => b.name === r[1]);
    r[2] = o?.testAccuracy;
    r[3] = o?.seconds;
    r[4] = peer[r[1]]?.test_accuracy;
    r[5] = peer[r[1]]?.seconds;
  }
  const f = (v: number | undefined, d: number) => (v === undefined ? "—" : v.toFixed(d));
  console.log(
    `\nbaseline                 rows  timed         ours acc   ours s   sklearn acc   sklearn s`,
  );
  for (const [label, key, oa, os, pa, ps] of rows) {
    const timed = key === "knn" ? "fit+predict" : "fit";
    console.log(
      `${label.padEnd(22)} ${String(oursRows[key] ?? "—").padStart(6)}  ${timed.padEnd(11)} ${
        f(oa, 4).padStart(10)
      } ${f(os, 1).padStart(8)} ${f(pa, 4).padStart(13)} ${f(ps, 1).padStart(11)}`,
    );
  }
}

export const command = defineCommand({
  name: "bench:baselines",
  summary:
    "Our logistic regression, MLP, k-NN and random forest baselines against scikit-learn on " +
    "the same rows: test accuracy and seconds.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
