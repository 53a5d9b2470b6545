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
import {
  commandMain,
  dataDirFlag,
  defineCommand,
  sourceFlag,
  stateDirFlag,
} from "../lib/cli/mod.ts";
import {
  recipeNameSchema,
  RECIPES,
  registerCandidate,
  runBaselines,
  trainCandidate,
} from "../lib/train/mod.ts";
import { runDataStage } from "./data.ts";

const positiveInt = z.coerce.number().int().positive();
const flagsSchema = z.object({
  recipe: recipeNameSchema.default("default").meta({
    description: "training recipe (quick = 1 epoch on 2,000 images)",
  }),
  epochs: positiveInt.max(1000).optional().meta({ description: "override the recipe's epochs" }),
  limit: positiveInt.optional().meta({ description: "train on at most N images" }),
  baselines: z.boolean().optional().meta({
    description: "also train/evaluate the logistic regression, MLP and k-NN baselines",
  }),
  model: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, "use a-z, 0-9, _ and -").default("fmnist")
    .meta({ description: "registered model name", arg: "NAME" }),
  alpha: z.coerce.number().gt(0).lt(1).default(0.05).meta({
    description: "significance level of the promotion gate",
    arg: "A",
  }),
  "gate-test": z.enum(["mcnemar", "paired_bootstrap"]).default("mcnemar").meta({
    description: "the gate's paired test",
  }),
  behaviour: z.enum(["record", "enforce", "off"]).default("record").meta({
    description: "behavioural tests before the gate",
  }),
  resamples: z.coerce.number().int().min(10).max(100000).default(1000).meta({
    description: "bootstrap resamples of the evaluation report",
  }),
  ci: z.enum(["percentile", "bca"]).default("percentile").meta({
    description: "bootstrap interval",
  }),
  ...sourceFlag,
  ...stateDirFlag,
  ...dataDirFlag,
});

type Flags = z.infer<typeof flagsSchema>;

/** ingest → validate → features → (baselines) → train → evaluate → register, printing a line each. */
async function runPipeline(ctx: Ctx, flags: Flags, print: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  await reapStaleRuns(ctx);
  const { version, reportKey } = await runDataStage(ctx, print);
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
      print(
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
  print(
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
  print(
    `register  ${state}  ${flags.model} v${reg.version.version}; ${gate}; champion is v${reg.champion}`,
  );
  print(
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
    print(
      `drift     ${
        p.created ? "done     " : "unchanged"
      }  reference profile of v${reg.version.version} ` +
        `(${p.profile.source})`,
    );
  } finally {
    dm.model.dispose();
  }
  // The summary a person reads; the last two lines stay `done in N s` / `test accuracy 0.xxxx`.
  print(
    `summary   dataset ${version.slice(0, 12)} · model ${flags.model} v${reg.version.version} ` +
      `(champion v${reg.champion}) · test accuracy ${cand.testAccuracy.toFixed(4)}`,
  );
  print(
    `reports   validation ${
      ctx.store instanceof FsObjectStore ? ctx.store.pathOf(reportKey) : `object ${reportKey}`
    }; ` +
      `training run: deno task runs show ${run}`,
  );
  print(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  print(`test accuracy ${cand.testAccuracy.toFixed(4)}`);
}

export const command = defineCommand({
  name: "pipeline",
  summary: "Runs ingest → validate → features → train → evaluate → register → drift profile on " +
    "embedded defaults (local object store, PGlite) or on the services named by DATABASE_URL / " +
    "S3_ENDPOINT. Steps whose inputs are unchanged are skipped.",
  schema: flagsSchema,
  run: async ({ flags, open, out }) => {
    await runPipeline(await open({ manifestDir: flags["data-dir"] }), flags, out.line);
  },
});

/** Run the pipeline; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
