/**
 * `deno task pipeline`: the main job on embedded defaults — ingest → validate → features →
 * train → evaluate → register (promotion gate). Every step is cached by its inputs, so a second
 * run with unchanged data and config reuses the recorded results instead of retraining.
 */
import { z } from "zod";
import { ConfigError, parseSettings } from "../lib/config/mod.ts";
import { reapStaleRuns } from "../lib/tracking/mod.ts";
import { openContext, parseCli, UsageError } from "../lib/pipeline/mod.ts";
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
                          [--model NAME] [--alpha A] [--source DIR|URL] [--state-dir DIR]

Runs ingest → validate → features → train → evaluate → register on embedded defaults
(local object store, PGlite) or on the services named by DATABASE_URL / S3_ENDPOINT.
Steps whose inputs are unchanged are skipped.

  --recipe NAME     training recipe (default: default; quick = 1 epoch on 2,000 images)
  --epochs N        override the recipe's epochs
  --limit N         train on at most N images
  --baselines       also train/evaluate the logistic regression, MLP and k-NN baselines
  --model NAME      registered model name (default: fmnist)
  --alpha A         significance level of the promotion gate (default: 0.05)
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
  source: z.string().trim().min(1).optional(),
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});

/** Run the pipeline; returns the exit code (2 for usage/config errors, 1 for failures). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  opts: { manifestDir?: string } = {},
): Promise<number> {
  let flags: z.infer<typeof flagsSchema>;
  try {
    flags = parseCli(argv, {
      recipe: { type: "string" },
      epochs: { type: "string" },
      limit: { type: "string" },
      model: { type: "string" },
      alpha: { type: "string" },
      baselines: { type: "boolean" },
      source: { type: "string" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    }, flagsSchema).flags;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`pipeline: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  let settings;
  try {
    settings = parseSettings({
      ...env,
      FMNIST_STATE_DIR: flags["state-dir"] ?? env.FMNIST_STATE_DIR,
      FMNIST_SOURCE: flags.source ?? env.FMNIST_SOURCE,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`pipeline: ${err.message}`);
    return 2;
  }
  const t0 = performance.now();
  const ctx = await openContext(settings, { manifestDir: opts.manifestDir });
  try {
    await reapStaleRuns(ctx);
    const { version } = await runDataStage(ctx);
    const recipe = RECIPES[flags.recipe];
    if (flags.baselines) {
      const quick = flags.recipe === "quick";
      for (
        const b of await runBaselines(ctx, {
          dataset: version,
          limit: flags.limit ?? recipe.limit,
          testLimit: quick ? 1000 : undefined,
          epochs: quick ? 1 : undefined,
        })
      ) {
        console.log(
          `baseline  ${b.skipped ? "unchanged" : "done     "}  ${b.name.padEnd(6)} test accuracy ` +
            `${b.testAccuracy.toFixed(4)} (${b.seconds.toFixed(0)} s, run ${b.runId.slice(0, 8)})`,
        );
      }
    }
    const cand = await trainCandidate(ctx, {
      dataset: version,
      experiment: flags.model,
      model: recipe.model,
      train: { ...recipe.train, ...(flags.epochs ? { epochs: flags.epochs } : {}) },
      limit: flags.limit ?? recipe.limit,
    });
    console.log(
      cand.skipped
        ? `train     unchanged  run ${cand.runId.slice(0, 8)} (same data, config and backend)`
        : `train     done       run ${cand.runId.slice(0, 8)}: ${cand.epochs} epoch(s) in ` +
          `${cand.trainSeconds.toFixed(0)} s, ${
            cand.imagesPerSecond.toFixed(0)
          } img/s on ${cand.backend}`,
    );
    const reg = await registerCandidate(ctx, {
      name: flags.model,
      candidate: cand,
      alpha: flags.alpha,
    });
    const d = reg.decision;
    console.log(
      `register  ${
        reg.created ? "new      " : "unchanged"
      }  ${flags.model} v${reg.version.version}; ` +
        (d ? `gate: ${d.reason}` : `already champion`) +
        `; champion is v${reg.champion}`,
    );
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    console.log(`test accuracy ${cand.testAccuracy.toFixed(4)}`);
    return 0;
  } catch (err) {
    ctx.log.error("pipeline failed", { error: err });
    console.error(`pipeline: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
