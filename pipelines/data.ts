/**
 * `deno task pipeline:data`: ingest Fashion-MNIST (idempotent), then validate it and compute its
 * features. Each step is skipped when its inputs are unchanged and its outputs still present.
 */
import { z } from "zod";
import { ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep } from "../lib/features/mod.ts";
import { validateStep } from "../lib/validate/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import {
  commandMain,
  dataDirFlag,
  defineCommand,
  sourceFlag,
  stateDirFlag,
} from "../lib/cli/mod.ts";

export const command = defineCommand({
  name: "pipeline:data",
  summary: "Ingest Fashion-MNIST into the object store (verifying pinned SHA-256s), write the " +
    "manifest data/fashion-mnist.dvc.json, register the version, then validate it and build " +
    "its features.",
  schema: z.object({ ...sourceFlag, ...stateDirFlag, ...dataDirFlag }),
  run: async ({ flags, open, out }) => {
    await runDataStage(await open({ manifestDir: flags["data-dir"] }), out.line);
  },
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

/** Run the data stage; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
