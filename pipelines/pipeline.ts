/**
 * `deno task pipeline`: the main job on embedded defaults — ingest → validate → features →
 * train → evaluate → register (promotion gate) → drift reference profile. Every step is cached by its inputs, so a second
 * run with unchanged data and config reuses the recorded results instead of retraining.
 */
import { ensureProfile, loadDriftModel } from "../lib/drift/mod.ts";
import { z } from "zod";
import { reapStaleRuns } from "../lib/tracking/mod.ts";
import { FsObjectStore } from "../lib/storage/mod.ts";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import {
  recipeNameSchema,
  RECIPES,
  registerCandidate,
  runBaselines,
  trainCandidate,
} from "../lib/train/mod.ts";
import { runDataStage } from "./data.ts";

const USAGE =
  `usage: deno task pipeline [--recipe default|quick] [--epochs N] [--limit N] [--baselines]
                          [--model NAME] [--alpha A] [--gate-test mcnemar|paired_bootstrap]
                          [--behaviour record|enforce|off] [--resamples N] [--ci percentile|bca] [--source DIR|URL] [--state-dir DIR]

Runs ingest → validate → features → train → evaluate → register on embedded defaults
(local object store, PGlite) or on the services named by DATABASE_URL / S3_ENDPOINT.
Steps whose inputs are unchanged are skipped.

  --recipe NAME     training recipe (default: default; quick = 1 epoch on 2,000 images)
  --epochs N        override the recipe's epochs
  --limit N         train on at most N images
  --baselines       also train/evaluate the logistic regression, MLP and k-NN baselines
  --model NAME      registered model name (default: fmnist)
  --alpha A         significance level of the promotion gate (default: 0.05)
  --gate-test T     the gate's paired test: mcnemar (default) or paired_bootstrap
  --behaviour M     behavioural tests before the gate: record (default), enforce, off
  --resamples N     bootstrap resamples of the evaluation report (default: 1000)
  --ci M            bootstrap interval: percentile (default) or bca
  --source DIR|URL  dataset source (default: FMNIST_SOURCE, Debian package, official URLs)
  --state-dir DIR   state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help        show this help`;

const positiveInt = z.coerce.number().int().positive();
const flagsSchema = z.object({
  recipe: recipeNameSchema.default("default"),
  epochs: positiveInt.max(1000).optional(),
  limit: positiveInt.optional(),
  model: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, "use a-z, 0-9, _ and -").default("fmnist"),
  alpha: z.coerce.number().gt(0).lt(1).default(0.05),
  baselines: z.boolean().optional(),
  "gate-test": z.enum(["mcnemar", "paired_bootstrap"]).default("mcnemar"),
  resamples: z.coerce.number().int().min(10).max(100000).default(1000),
  behaviour: z.enum(["record", "enforce", "off"]).default("record"),
  ci: z.enum(["percentile", "bca"]).default("percentile"),
  source: z.string().trim().min(1).optional(),
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});

type Flags = z.infer<typeof flagsSchema>;

/** ingest → validate → features → (baselines) → train → evaluate → register, printing a line each. */
async function runPipeline(ctx: Ctx, flags: Flags): Promise<void> {
  const t0 = performance.now();
  await reapStaleRuns(ctx);
  const { version, reportKey } = await runDataStage(ctx);
  const recipe = RECIPES[flags.recipe];
  const limit = flags.limit ?? recipe.limit;
  if (flags.baselines) {
    const quick = flags.recipe === "quick";
    const results = await runBaselines(ctx, {
      dataset: version,
      limit,
      testLimit: quick ? 1000 : undefined,
      epochs: quick ? 1 : undefined,
    });
    for (const b of results) {
      const state = b.skipped ? "unchanged" : "done     ";
      const acc = b.testAccuracy.toFixed(4);
      console.log(
        `baseline  ${state}  ${b.name.padEnd(6)} test accuracy ${acc} (${b.seconds.toFixed(0)} s)`,
      );
    }
  }
  const epochs = flags.epochs ? { epochs: flags.epochs } : {};
  const cand = await trainCandidate(ctx, {
    dataset: version,
    experiment: flags.model,
    model: recipe.model,
    train: { ...recipe.train, ...epochs },
    limit,
    resamples: flags.resamples,
    ciMethod: flags.ci,
  });
  const run = cand.runId.slice(0, 8);
  console.log(
    cand.skipped
      ? `train     unchanged  run ${run} (same data, config and backend)`
      : `train     done       run ${run}: ${cand.epochs} epoch(s) in ` +
        `${cand.trainSeconds.toFixed(0)} s, ${
          cand.imagesPerSecond.toFixed(0)
        } img/s on ${cand.backend} × ${cand.replicas} replica(s)`,
  );
  const reg = await registerCandidate(ctx, {
    name: flags.model,
    candidate: cand,
    alpha: flags.alpha,
    test: flags["gate-test"],
    behaviour: flags.behaviour,
  });
  const gate = reg.decision
    ? `gate: ${reg.decision.reason}` +
      (reg.decision.behaviour
        ? `; behavioural tests ${reg.decision.behaviour.passed ? "passed" : "FAILED"}`
        : "")
    : "already champion";
  const state = reg.created ? "new      " : "unchanged";
  console.log(
    `register  ${state}  ${flags.model} v${reg.version.version}; ${gate}; champion is v${reg.champion}`,
  );
  console.log(
    `evaluate  ${cand.skipped ? "unchanged" : "done     "}  test accuracy ${
      cand.testAccuracy.toFixed(4)
    } (95% CI ${cand.testAccuracyLow.toFixed(4)}–${cand.testAccuracyHigh.toFixed(4)}); ECE ${
      cand.testEce.toFixed(4)
    } → ${cand.testEceCalibrated.toFixed(4)} at T=${
      cand.temperature.toFixed(3)
    }; report: runs show ${run} (evaluation.html)`,
  );
  // The version's drift reference profile (validation split), stored with the version.
  const dm = await loadDriftModel(ctx, flags.model, reg.version.version);
  try {
    const p = await ensureProfile(ctx, dm, { seed: ctx.settings.seed });
    console.log(
      `drift     ${
        p.created ? "done     " : "unchanged"
      }  reference profile of v${reg.version.version} ` +
        `(${p.profile.source})`,
    );
  } finally {
    dm.model.dispose();
  }
  // The summary a person reads; the last two lines stay `done in N s` / `test accuracy 0.xxxx`.
  console.log(
    `summary   dataset ${version.slice(0, 12)} · model ${flags.model} v${reg.version.version} ` +
      `(champion v${reg.champion}) · test accuracy ${cand.testAccuracy.toFixed(4)}`,
  );
  console.log(
    `reports   validation ${
      ctx.store instanceof FsObjectStore ? ctx.store.pathOf(reportKey) : `object ${reportKey}`
    }; ` +
      `training run: deno task runs show ${run}`,
  );
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`test accuracy ${cand.testAccuracy.toFixed(4)}`);
}

/** Run the pipeline; returns the exit code (2 for usage/config errors, 1 for failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  opts: { manifestDir?: string } = {},
): Promise<number> {
  const flags = {
    recipe: { type: "string" },
    epochs: { type: "string" },
    limit: { type: "string" },
    model: { type: "string" },
    alpha: { type: "string" },
    "gate-test": { type: "string" },
    resamples: { type: "string" },
    behaviour: { type: "string" },
    ci: { type: "string" },
    baselines: { type: "boolean" },
    source: { type: "string" },
    "state-dir": { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  return runCommand(
    {
      name: "pipeline",
      usage: USAGE,
      flags,
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"], FMNIST_SOURCE: f.source }),
      contextOptions: () => ({ manifestDir: opts.manifestDir }),
      run: runPipeline,
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
