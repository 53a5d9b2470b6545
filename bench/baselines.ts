/**
 * `deno task bench:baselines` — our baselines (logistic regression, MLP, k-NN; `lib/train`
 * `runBaselines`, the same code `deno task pipeline --baselines` runs) against scikit-learn's
 * (LogisticRegression, MLPClassifier, RandomForest, k-NN; bench/peers/baselines_sklearn.py with
 * Debian's /usr/bin/python3) in the same run, on the same training rows: the peer gets the row
 * numbers ours trained on (logistic regression, MLP and random forest: the seeded train split,
 * 54,000 rows; k-NN: train + validation, 60,000), and the same timed work (trained models: fit;
 * k-NN: fit + predicting the test images). Ours' fit also evaluates the validation rows after
 * every epoch (its loop always does); that extra work counts against ours. Ours runs in a fresh
 * temporary state directory each repeat (nothing is cached between repeats).
 *
 * Both sides run --repeats times (3), interleaved (ours first in odd repeats, the peer first in
 * even ones). The table gives test accuracy and seconds as median [min–max] with the spread, and
 * the ratio of the medians (`ours faster ×` = sklearn seconds / ours seconds). The run is invalid
 * (exit 1) when the peer fails, the two sides trained on different rows, a side did not learn, or
 * the sides' accuracies disagree beyond what the model family allows (k-NN is the same algorithm
 * on both sides: 0.2 points; the trained models use different optimisers: 3 points).
 *
 * Flags: --train N (all 60,000) --test N (all 10,000; k-NN only) --repeats N (3) --no-peer
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { parseSettings } from "../lib/config/mod.ts";
import { DEBIAN_DIR, ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep, getSplit } from "../lib/features/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { runBaselines } from "../lib/train/mod.ts";
import { fmtStat, median, spreadPct } from "./stats.ts";

const flagsSchema = z.object({
  train: z.coerce.number().int().min(100).max(60000).optional().meta({
    description: "training rows (default: all 60,000)",
  }),
  test: z.coerce.number().int().min(100).max(10000).optional().meta({
    description: "test images of the k-NN comparison (default: all 10,000)",
  }),
  repeats: z.coerce.number().int().min(1).max(20).default(3).meta({
    description: "interleaved repeats per side (fewer than 3 is a smoke run, not a result)",
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
/** One side's outcome of one repeat, by baseline name. */
type Outcome = Record<string, { accuracy: number; seconds: number }>;

/** The baselines of the table: label, key, and how far the two sides' accuracies may differ. */
const BASELINES = [
  { label: "logistic regression", key: "logreg", tolerance: 0.03 },
  { label: "MLP 256-128", key: "mlp", tolerance: 0.03 },
  { label: "k-NN (k=5, distance)", key: "knn", tolerance: 0.002 },
  { label: "random forest (100)", key: "rf", tolerance: 0.03 },
] as const;
/** Chance is 0.1; a baseline below this did not learn, and the run is invalid. */
const MIN_ACCURACY = 0.5;

/** An invalid run: the message says why; the benchmark exits 1. */
class InvalidRun extends Error {}

/** The row numbers ours trained on, as the peer's index files. */
interface Rows {
  train: Int32Array;
  knn: Int32Array;
}

/** One run of ours in a fresh state directory; returns its outcome and the rows it used. */
async function runOurs(flags: Flags, source: string): Promise<{ outcome: Outcome; rows: Rows }> {
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
  try {
    const ing = await ingest(ctx);
    await featuresStep(ctx, await loadDataset(ctx, ing.version));
    const results = await runBaselines(ctx, {
      dataset: ing.version,
      limit: flags.train,
      testLimit: flags.test,
    });
    const outcome: Outcome = {};
    for (const r of results) {
      if (r.skipped) throw new InvalidRun(`ours ${r.name} was served from a cache, not run`);
      outcome[r.name] = { accuracy: r.testAccuracy, seconds: r.seconds };
    }
    // The rows ours used (lib/train: candidates fit split.train, k-NN memorises train + val; --train
    // keeps the first N of each), for the peer to fit on exactly the same ones.
    const split = await getSplit(ctx, ing.version);
    const cut = (a: Int32Array) => (flags.train ? a.subarray(0, flags.train) : a);
    const rows = {
      train: Int32Array.from(cut(split.train)),
      knn: Int32Array.from(cut(Int32Array.from([...split.train, ...split.val]))),
    };
    return { outcome, rows };
  } finally {
    await ctx.close();
    await Deno.remove(state, { recursive: true });
    await Deno.remove(manifests, { recursive: true });
  }
}

/** One run of the scikit-learn peer on the given rows. */
async function runPeer(flags: Flags, source: string, rows: Rows): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-bench-rows-" });
  try {
    const trainIdx = `${dir}/train.i32`;
    const knnIdx = `${dir}/knn.i32`;
    await Deno.writeFile(trainIdx, new Uint8Array(rows.train.buffer));
    await Deno.writeFile(knnIdx, new Uint8Array(rows.knn.buffer));
    const script = fileURLToPath(new URL("./peers/baselines_sklearn.py", import.meta.url));
    const args = [script, source, "--train-idx", trainIdx, "--knn-idx", knnIdx];
    if (flags.test) args.push("--test", String(flags.test));
    const out = await new Deno.Command("/usr/bin/python3", { args, stderr: "inherit" }).output();
    if (!out.success) {
      throw new InvalidRun("the scikit-learn peer failed (is python3-sklearn installed?)");
    }
    const peer = peerSchema.parse(JSON.parse(new TextDecoder().decode(out.stdout)));
    const outcome: Outcome = {};
    for (const [name, r] of Object.entries(peer)) {
      const want = name === "knn" ? rows.knn.length : rows.train.length;
      if (r.train_rows !== want) {
        throw new InvalidRun(`sklearn ${name} trained on ${r.train_rows} rows, ours on ${want}`);
      }
      outcome[name] = { accuracy: r.test_accuracy, seconds: r.seconds };
    }
    return outcome;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function sameRows(a: Rows, b: Rows): boolean {
  const eq = (x: Int32Array, y: Int32Array) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.train, b.train) && eq(a.knn, b.knn);
}

/** Every repeat's accuracy above chance, and the sides' median accuracies within tolerance. */
function crossCheck(ours: Outcome[], peer: Outcome[]): void {
  for (const [side, runs] of [["ours", ours], ["sklearn", peer]] as const) {
    for (const run of runs) {
      for (const [name, r] of Object.entries(run)) {
        if (!(r.accuracy >= MIN_ACCURACY)) {
          throw new InvalidRun(`${side} ${name} did not learn (test accuracy ${r.accuracy})`);
        }
      }
    }
  }
  if (peer.length === 0) return;
  for (const b of BASELINES) {
    if (!ours[0][b.key] || !peer[0][b.key]) continue;
    const o = median(ours.map((r) => r[b.key].accuracy));
    const p = median(peer.map((r) => r[b.key].accuracy));
    if (Math.abs(o - p) > b.tolerance) {
      throw new InvalidRun(
        `${b.label}: test accuracy ours ${o.toFixed(4)} vs sklearn ${p.toFixed(4)} differ by ` +
          `more than ${b.tolerance}: the two sides did not do the same work`,
      );
    }
  }
}

/** The benchmark (returns the exit code). */
async function bench(flags: Flags): Promise<number | void> {
  const source = Deno.env.get("FMNIST_SOURCE") ?? DEBIAN_DIR;
  const ours: Outcome[] = [];
  const peer: Outcome[] = [];
  let rows: Rows | undefined;
  try {
    for (let r = 0; r < flags.repeats; r++) {
      const oursFirst = r % 2 === 0 || !rows;
      const steps = [
        async () => {
          const o = await runOurs(flags, source);
          if (rows && !sameRows(rows, o.rows)) {
            throw new InvalidRun("ours trained on different rows in two repeats");
          }
          rows = o.rows;
          ours.push(o.outcome);
        },
        async () => {
          if (!flags["no-peer"]) peer.push(await runPeer(flags, source, rows!));
        },
      ];
      for (const step of oursFirst ? steps : steps.reverse()) await step();
      console.error(`bench:baselines: repeat ${r + 1}/${flags.repeats} done`);
    }
    crossCheck(ours, peer);
  } catch (e) {
    if (!(e instanceof InvalidRun)) throw e;
    console.error(`bench:baselines: run INVALID: ${e.message}`);
    return 1;
  }

  const stat = (runs: Outcome[], key: string, field: "accuracy" | "seconds", digits: number) =>
    runs.length && runs[0][key] ? fmtStat(runs.map((r) => r[key][field]), digits) : "—";
  const spread = (runs: Outcome[], key: string) =>
    runs.length && runs[0][key] ? spreadPct(runs.map((r) => r[key].seconds)) : "";
  console.log(
    `\n${flags.repeats} interleaved repeats per side; median [min–max] and spread of the seconds` +
      (flags.repeats < 3 ? " (fewer than 3 repeats: a smoke run, not a result)" : ""),
  );
  console.log(
    "| baseline | rows | timed | ours acc | ours s | sklearn acc | sklearn s | ours faster |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const b of BASELINES) {
    const n = b.key === "knn" ? rows!.knn.length : rows!.train.length;
    const timed = b.key === "knn" ? "fit+predict" : "fit";
    const ratio = ours[0][b.key] && peer.length && peer[0][b.key]
      ? `${
        (median(peer.map((r) => r[b.key].seconds)) / median(ours.map((r) => r[b.key].seconds)))
          .toFixed(2)
      }×`
      : "—";
    console.log(
      `| ${b.label} | ${n} | ${timed} | ${stat(ours, b.key, "accuracy", 4)} | ${
        stat(ours, b.key, "seconds", 1)
      } ${spread(ours, b.key)} | ${stat(peer, b.key, "accuracy", 4)} | ${
        stat(peer, b.key, "seconds", 1)
      } ${spread(peer, b.key)} | ${ratio} |`,
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
