/**
 * `deno task bench:baselines` — our baselines (logistic regression, MLP, k-NN; `lib/train`
 * `runBaselines`, the same code `deno task pipeline --baselines` runs) against scikit-learn's
 * (LogisticRegression, MLPClassifier, RandomForest, k-NN; bench/peers/baselines_sklearn.py with
 * Debian's /usr/bin/python3) on the same data in the same run. Prints test accuracy and seconds
 * side by side. Ours runs in a fresh temporary state directory.
 *
 * Flags: --train N (all 60,000) --test N (all 10,000; k-NN only) --no-peer
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { benchFlags } from "./flags.ts";
import { parseSettings } from "../lib/config/mod.ts";
import { DEBIAN_DIR, ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep } from "../lib/features/mod.ts";
import { openContext } from "../lib/pipeline/mod.ts";
import { runBaselines } from "../lib/train/mod.ts";

const flagsSchema = z.object({
  train: z.coerce.number().int().min(100).max(60000).optional(),
  test: z.coerce.number().int().min(100).max(10000).optional(),
  "no-peer": z.boolean().default(false),
});
const peerSchema = z.record(
  z.string(),
  z.object({ test_accuracy: z.number(), seconds: z.number() }),
);

const flags = benchFlags("bench:baselines", {
  train: { type: "string" },
  test: { type: "string" },
  "no-peer": { type: "boolean" },
}, flagsSchema);
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
let ours;
try {
  const ing = await ingest(ctx);
  await featuresStep(ctx, await loadDataset(ctx, ing.version));
  ours = await runBaselines(ctx, {
    dataset: ing.version,
    limit: flags.train,
    testLimit: flags.test,
  });
} finally {
  await ctx.close();
  await Deno.remove(state, { recursive: true });
  await Deno.remove(manifests, { recursive: true });
}

let peer: z.infer<typeof peerSchema> = {};
if (!flags["no-peer"]) {
  const script = fileURLToPath(new URL("./peers/baselines_sklearn.py", import.meta.url));
  const args = [script, source];
  if (flags.train) args.push("--train", String(flags.train));
  if (flags.test) args.push("--test", String(flags.test));
  const out = await new Deno.Command("/usr/bin/python3", { args, stderr: "inherit" }).output();
  if (!out.success) {
    console.error("bench:baselines: the scikit-learn peer failed (is python3-sklearn installed?)");
    Deno.exit(1);
  }
  peer = peerSchema.parse(JSON.parse(new TextDecoder().decode(out.stdout)));
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
console.log(`\nbaseline               ours acc   ours s   sklearn acc   sklearn s`);
for (const [label, , oa, os, pa, ps] of rows) {
  console.log(
    `${label.padEnd(22)} ${f(oa, 4).padStart(8)} ${f(os, 1).padStart(8)} ${f(pa, 4).padStart(13)} ${
      f(ps, 1).padStart(11)
    }`,
  );
}
