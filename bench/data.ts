/**
 * `deno task bench:data` — the data stages on all 70,000 Fashion-MNIST images with our code and
 * with the pandas/numpy peer (bench/peers/data_pandas.py, Debian's /usr/bin/python3) in the same
 * run, printing seconds per stage (median of --repeat runs), the ratio peer/ours and the total:
 *  - ingest:   read the four IDX .gz files, decompress, parse + check headers, verify SHA-256;
 *  - validate: the dataset expectation suite (shape, range/blank, labels, balance, exact
 *              duplicates within/across splits, near-duplicates, per-class intensity bands);
 *  - features: stratified split, per-image features, the feature table, NaN checks, per-class
 *              statistics and normalization statistics.
 * Both sides' results are cross-checked (normalization, duplicate counts, class means, feature
 * column means). Parquet writing has no peer here (no pyarrow in Debian's python) and is timed
 * for ours alone. Writes <state>/bench/data.json.
 *
 * Flags: --data DIR (FMNIST_SOURCE or /usr/share/datasets/fashion-mnist) --repeat N (3)
 *        --seed N (42) --no-peer
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { atomicWriteFile, loadSettings, statePaths } from "../lib/config/mod.ts";
import {
  type Dataset,
  DEBIAN_DIR,
  fetchFile,
  type ImageSet,
  OFFICIAL_FILES,
  resolveSource,
  type SplitName,
} from "../lib/data/mod.ts";
import {
  classStats,
  FEATURE_COLUMNS,
  featureFrame,
  normalizationStats,
  stratifiedSplit,
  TABLE_COLUMNS,
} from "../lib/features/mod.ts";
import {
  datasetSuite,
  parseSuiteConfig,
  runSuite,
  tableSuite,
  type ValidationResult,
} from "../lib/validate/mod.ts";
import { median } from "./stats.ts";

const STAGES = ["ingest", "validate", "features"] as const;
type Stage = typeof STAGES[number];

const flagsSchema = z.object({
  data: z.string().min(1).optional().meta({
    description: "directory of the IDX .gz files (default: FMNIST_SOURCE or the Debian package's)",
  }),
  repeat: z.coerce.number().int().min(1).max(20).default(3).meta({
    description: "runs per stage and side; the median is reported",
  }),
  seed: z.coerce.number().int().min(0).max(0xffffffff).default(42).meta({
    description: "seed of the stratified split",
  }),
  "no-peer": z.boolean().default(false).meta({
    description: "skip the pandas/numpy peer (ours alone)",
  }),
});

const peerSchema = z.object({
  times: z.object({
    ingest: z.array(z.number()),
    validate: z.array(z.number()),
    features: z.array(z.number()),
  }),
  result: z.object({
    validate: z.object({
      train: z.object({
        duplicates: z.object({ groups: z.number(), redundant: z.number() }),
        nearDuplicates: z.object({ groups: z.number(), redundant: z.number() }),
        classMeans: z.array(z.number()),
        blank: z.number(),
      }),
      test: z.object({
        duplicates: z.object({ groups: z.number(), redundant: z.number() }),
        classMeans: z.array(z.number()),
      }),
      leakage: z.object({ matches: z.number(), labelConflicts: z.number() }),
      nearLeakage: z.object({ matches: z.number() }),
    }),
    features: z.object({
      rows: z.number(),
      valCount: z.number(),
      classStatsRows: z.number(),
      normalization: z.object({ mean: z.number(), std: z.number() }),
      featureMeans: z.record(z.string(), z.number()),
    }),
  }),
  versions: z.record(z.string(), z.string()),
});
type PeerOutput = z.infer<typeof peerSchema>;

/** Ingest: every official file read, decompressed, header-checked and SHA-256 verified. */
async function ingestOurs(dir: string): Promise<Dataset> {
  const source = await resolveSource({ explicit: dir, names: OFFICIAL_FILES.map((f) => f.name) });
  const files = new Map<string, Uint8Array>();
  const dims = new Map<string, number[]>();
  for (const f of OFFICIAL_FILES) {
    const idx = await fetchFile(source, f);
    files.set(`${f.split}/${f.kind}`, idx.data);
    dims.set(`${f.split}/${f.kind}`, idx.dims);
  }
  const set = (s: SplitName): ImageSet => {
    const [count, rows, cols] = dims.get(`${s}/images`) ?? [];
    return {
      count,
      rows,
      cols,
      images: files.get(`${s}/images`) ?? new Uint8Array(0),
      labels: files.get(`${s}/labels`) ?? new Uint8Array(0),
    };
  };
  return { version: "bench", train: set("train"), test: set("test") };
}

interface FeaturesOut {
  frame: pl.DataFrame;
  stats: pl.DataFrame;
  norm: { mean: number; std: number };
  valCount: number;
}

function featuresOurs(ds: Dataset, seed: number): FeaturesOut {
  const split = stratifiedSplit(ds.train.labels, { valFraction: 0.1, seed });
  const frame = featureFrame(ds, split);
  return {
    frame,
    stats: classStats(frame),
    norm: normalizationStats(ds.train),
    valCount: split.val.length,
  };
}

async function runPeer(dir: string, repeat: number, seed: number): Promise<PeerOutput> {
  const script = new URL("./peers/data_pandas.py", import.meta.url).pathname;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script, "--data", dir, "--repeat", String(repeat), "--seed", String(seed)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new Error(`pandas peer failed (exit ${out.code}): ${stderr.slice(-2000)}`);
  }
  return peerSchema.parse(JSON.parse(new TextDecoder().decode(out.stdout)));
}

function observed(r: ValidationResult, id: string): unknown {
  return r.results.find((x) => x.id === id)?.observed;
}

/** Differences between our results and the peer's (empty when they agree). */
function compare(v: ValidationResult, f: FeaturesOut, peer: PeerOutput): string[] {
  const diffs: string[] = [];
  const close = (what: string, a: number, b: number, tol = 1e-9) => {
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) {
      diffs.push(`${what}: ours ${a}, peer ${b}`);
    }
  };
  const pv = peer.result.validate;
  const dup = observed(v, "duplicates_within_split") as Record<
    SplitName,
    { groups: number; redundantImages: number }
  >;
  for (const s of ["train", "test"] as const) {
    close(`${s} duplicate groups`, dup[s].groups, pv[s].duplicates.groups);
    close(`${s} redundant duplicates`, dup[s].redundantImages, pv[s].duplicates.redundant);
  }
  const near = observed(v, "near_duplicates") as {
    train: { groups: number };
    crossSplit: { testImagesInTrain: number };
  };
  close("train near-duplicate groups", near.train.groups, pv.train.nearDuplicates.groups);
  close("near-duplicate leakage", near.crossSplit.testImagesInTrain, pv.nearLeakage.matches);
  const leak = observed(v, "train_test_leakage") as {
    leakedTestImages: number;
    labelConflicts: number;
  };
  close("leaked test images", leak.leakedTestImages, pv.leakage.matches);
  close("leak label conflicts", leak.labelConflicts, pv.leakage.labelConflicts);
  const means = observed(v, "class_intensity_bands") as Record<SplitName, number[]>;
  for (const s of ["train", "test"] as const) {
    means[s].forEach((m, k) =>
      close(`${s} class ${k} mean intensity`, m, pv[s].classMeans[k], 1e-5)
    );
  }
  const pf = peer.result.features;
  close("feature rows", f.frame.height, pf.rows);
  close("validation images", f.valCount, pf.valCount);
  close("class-stats rows", f.stats.height, pf.classStatsRows);
  close("normalization mean", f.norm.mean, pf.normalization.mean);
  close("normalization std", f.norm.std, pf.normalization.std);
  for (const c of FEATURE_COLUMNS) {
    close(`mean of ${c}`, Number(f.frame.getColumn(c).mean()), pf.featureMeans[c] ?? NaN);
  }
  return diffs;
}

type Flags = z.infer<typeof flagsSchema>;

async function bench(flags: Flags): Promise<number | void> {
  const settings = loadSettings();
  const dir = flags.data ?? settings.source ?? DEBIAN_DIR;
  console.log(`bench:data — ${dir}, ${flags.repeat} repeat(s), seed ${flags.seed}`);

  const ours: Record<Stage, number[]> = { ingest: [], validate: [], features: [] };
  const peerTimes: Record<Stage, number[]> = { ingest: [], validate: [], features: [] };
  let ds: Dataset | undefined;
  let v: ValidationResult | undefined;
  let f: FeaturesOut | undefined;
  let peer: PeerOutput | undefined;
  const parquetS: number[] = [];
  const runOurs = async () => {
    let t = performance.now();
    ds = await ingestOurs(dir);
    ours.ingest.push((performance.now() - t) / 1000);
    // Fresh ImageSet objects so no per-set memo survives between repeats.
    const fresh: Dataset = { ...ds, train: { ...ds.train }, test: { ...ds.test } };
    t = performance.now();
    v = await runSuite(fresh, datasetSuite(parseSuiteConfig()));
    ours.validate.push((performance.now() - t) / 1000);
    t = performance.now();
    const out = featuresOurs(fresh, flags.seed);
    const check = await runSuite(
      { version: "bench", frame: out.frame },
      tableSuite("feature-table", out.frame.height, TABLE_COLUMNS),
    );
    if (!check.success) {
      throw new Error(`feature table failed: ${check.criticalFailures.join(", ")}`);
    }
    ours.features.push((performance.now() - t) / 1000);
    t = performance.now();
    out.frame.writeParquet();
    out.stats.writeParquet();
    parquetS.push((performance.now() - t) / 1000);
    f = out;
  };
  const runPeerOnce = async () => {
    peer = await runPeer(dir, 1, flags.seed);
    for (const s of STAGES) peerTimes[s].push(...peer.times[s]);
  };
  // Interleaved, alternating who goes first, so load drift on a shared machine hits both.
  for (let rep = 0; rep < flags.repeat; rep++) {
    if (flags["no-peer"]) await runOurs();
    else if (rep % 2 === 0) await runOurs().then(runPeerOnce);
    else await runPeerOnce().then(runOurs);
    console.error(`repeat ${rep + 1}/${flags.repeat} done`);
  }
  if (!ds || !v || !f) throw new Error("no repeat ran");
  console.log(
    `validation: ${v.success ? "passed" : "FAILED"} (${v.stats.passed}/${v.stats.evaluated}), ` +
      `critical failures [${v.criticalFailures.join(", ")}], warnings [${v.warnings.join(", ")}]`,
  );
  const diffs = peer ? compare(v, f, peer) : [];

  const rows = STAGES.map((s) => {
    const o = median(ours[s]);
    const p = peer ? median(peerTimes[s]) : undefined;
    return { stage: s, ours: o, peer: p, ratio: p !== undefined ? p / o : undefined };
  });
  const totOurs = rows.reduce((a, r) => a + r.ours, 0);
  const totPeer = peer ? rows.reduce((a, r) => a + (r.peer ?? 0), 0) : undefined;
  const fmt = (x: number | undefined, d = 3) => (x === undefined ? "-" : x.toFixed(d));
  console.log("\nstage       ours (s)   pandas (s)   pandas/ours");
  for (
    const r of [...rows, {
      stage: "total",
      ours: totOurs,
      peer: totPeer,
      ratio: totPeer && totPeer / totOurs,
    }]
  ) {
    console.log(
      `${r.stage.padEnd(10)} ${fmt(r.ours).padStart(9)} ${fmt(r.peer).padStart(12)} ${
        (r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}×`).padStart(13)
      }`,
    );
  }
  console.log(`parquet write (ours only, no peer): ${fmt(median(parquetS))} s`);
  console.log(
    "(pandas/ours > 1 means ours is faster; medians of the repeats, same machine, same run)",
  );
  if (peer) {
    console.log(`peer: ${Object.entries(peer.versions).map(([k, x]) => `${k} ${x}`).join(", ")}`);
    console.log(
      diffs.length ? `results DISAGREE:\n  ${diffs.join("\n  ")}` : "results agree with the peer",
    );
  }
  const outPath = join(statePaths(settings.stateDir).root, "bench", "data.json");
  await atomicWriteFile(
    outPath,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        flags,
        ours,
        peer: peer ? peerTimes : null,
        parquetS,
        rows,
        diffs,
      },
      null,
      2,
    ),
  );
  console.log(`results written to ${outPath}`);
  if (diffs.length) return 1;
}

export const command = defineCommand({
  name: "bench:data",
  summary:
    "Data loading and feature computation: ours (nodejs-polars) vs pandas on the same files.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
