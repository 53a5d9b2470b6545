/**
 * `deno task test:model -- --model fmnist@champion`: the behavioural test suite (minimum
 * functionality, invariance, directional expectation, latency/size budget) against a registered
 * model version, on the test split of the dataset it was trained on. Exit 1 when a check fails.
 */
import { z } from "zod";
import type { Ctx } from "../lib/workspace/mod.ts";
import { commandMain, defineCommand, type Output, stateDirFlag } from "../lib/cli/mod.ts";
import {
  getModelVersion,
  ModelRefSchema,
  RegistryInputError,
  RegistryNotFoundError,
} from "../lib/registry/mod.ts";
import { behaviourOfArtifact } from "../lib/train/mod.ts";

const flagsSchema = z.object({
  model: ModelRefSchema.prefault("fmnist@champion").meta({
    description: "model version: NAME@VERSION, NAME@ALIAS or NAME@latest",
    arg: "NAME@REF",
  }),
  ...stateDirFlag,
});

async function run(
  ctx: Ctx,
  flags: z.infer<typeof flagsSchema>,
  out: Output,
): Promise<number> {
  const { name, ref } = flags.model;
  const v = await getModelVersion(ctx, name, ref);
  if (!v.datasetVersion) {
    throw new Error(`${name} v${v.version} records no dataset version to test it on`);
  }
  const r = await behaviourOfArtifact(ctx, v.sha256, v.datasetVersion);
  if (out.json) {
    out.result({ model: name, version: v.version, ...r });
  } else {
    out.line(
      `behavioural tests of ${name} v${v.version} (dataset ${v.datasetVersion.slice(0, 12)})`,
    );
    for (const c of r.checks) {
      const value = c.kind === "budget" ? c.value.toFixed(1) : c.value.toFixed(3);
      out.line(
        `${c.passed ? "PASS" : "FAIL"}  ${
          c.name.padEnd(38)
        } ${value} ${c.comparison} ${c.threshold} (n=${c.count})`,
      );
    }
    out.line(
      r.passed
        ? "all checks passed"
        : `${r.checks.filter((c) => !c.passed).length} check(s) failed`,
    );
  }
  return r.passed ? 0 : 1;
}

export const command = defineCommand({
  name: "test:model",
  summary: "Runs the behavioural suite against a registered version (REF: a version number, an " +
    "alias such as champion, or latest) on the test split of its dataset version; exit status " +
    "1 when a check fails.",
  schema: flagsSchema,
  json: true,
  exitCodes: [[RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags, open, out }) => run(await open(), flags, out),
});

/** Run the suite; returns the exit code (1 when a check fails, 2 for usage errors). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
