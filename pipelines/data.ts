/**
 * `deno task pipeline:data`: ingest Fashion-MNIST (idempotent), then validate it and compute its
 * features. Each step is skipped when its inputs are unchanged and its outputs still present.
 */
import { z } from "zod";
import { ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep } from "../lib/features/mod.ts";
import { type Ctx, runCommand } from "../lib/pipeline/mod.ts";
import { validateStep } from "../lib/validate/mod.ts";

const USAGE = `usage: deno task pipeline:data [--source DIR|URL] [--state-dir DIR] [--data-dir DIR]

Ingest Fashion-MNIST into the object store (verifying pinned SHA-256s), write the manifest
data/fashion-mnist.dvc.json, register the version, then validate it and build its features.

  --source DIR|URL   where the four IDX .gz files are (default: FMNIST_SOURCE, then
                     /usr/share/datasets/fashion-mnist, then the official URLs)
  --state-dir DIR    state directory (default: FMNIST_STATE_DIR or .fmnist)
  --data-dir DIR     manifest directory (default: the repository's data/)
  -h, --help         show this help`;

const flagsSchema = z.object({
  source: z.string().trim().min(1, "must not be empty").optional(),
  "state-dir": z.string().trim().min(1, "must not be empty").optional(),
  "data-dir": z.string().trim().min(1, "must not be empty").optional(),
  help: z.boolean().optional(),
});

/**
 * The data stage: ingest (idempotent) → validate → features, printing one line per step.
 * Returns the dataset version. Used by this entry point and by `deno task pipeline`.
 */
export async function runDataStage(
  ctx: Ctx,
  print: (line: string) => void = console.log,
): Promise<{ version: string; reportKey: string }> {
  const ing = await ingest(ctx);
  print(
    ing.skipped
      ? `ingest    unchanged  version ${ing.version.slice(0, 12)} (${ing.manifestPath})`
      : `ingest    done       version ${ing.version.slice(0, 12)} from ${ing.source} ` +
        `(${ing.fetched} file(s) fetched) → ${ing.manifestPath}`,
  );
  const dataset = await loadDataset(ctx, ing.version);
  const val = await validateStep(ctx, dataset);
  print(
    `validate  ${val.skipped ? "unchanged" : "done     "}  ${val.suite}: ` +
      `${val.warnings.length} warning(s); report ${val.reportKey}`,
  );
  const feat = await featuresStep(ctx, dataset, { seed: ctx.settings.seed });
  print(`features  ${feat.skipped ? "unchanged" : "done     "}  feature set ${feat.id}`);
  return { version: ing.version, reportKey: val.reportKey };
}

/** Run the pipeline; returns the exit code (2 for usage/config errors, 1 for failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "pipeline:data",
      usage: USAGE,
      flags: {
        source: { type: "string" },
        "state-dir": { type: "string" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"], FMNIST_SOURCE: f.source }),
      contextOptions: (f) => ({ manifestDir: f["data-dir"] }),
      run: async (ctx) => {
        await runDataStage(ctx);
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
