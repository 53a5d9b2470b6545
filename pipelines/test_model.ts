/**
 * `deno task test:model -- --model fmnist@champion`: the behavioural test suite (minimum
 * functionality, invariance, directional expectation, latency/size budget) against a registered
 * model version, on the test split of the dataset it was trained on. Exit 1 when a check fails.
 */
import { z } from "zod";
import { type Ctx } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import { getModelVersion, ModelRefSchema } from "../lib/registry/mod.ts";
import { behaviourOfArtifact } from "../lib/train/mod.ts";

const USAGE = `usage: deno task test:model -- [--model NAME@REF] [--json] [--state-dir DIR]

Runs the behavioural suite against a registered version (REF: a version number, an alias such as
champion, or latest) on the test split of its dataset version; exit status 1 when a check fails.

  --model NAME@REF  model version (default: fmnist@champion)
  --json            print the result as JSON
  --state-dir DIR   state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help        show this help`;

const flagsSchema = z.object({
  model: ModelRefSchema.prefault("fmnist@champion"),
  json: z.boolean().optional(),
  "state-dir": z.string().trim().min(1).optional(),
  help: z.boolean().optional(),
});

async function run(ctx: Ctx, flags: z.infer<typeof flagsSchema>): Promise<number> {
  const { name, ref } = flags.model;
  const v = await getModelVersion(ctx, name, ref);
  if (!v.datasetVersion) {
    throw new Error(`${name} v${v.version} records no dataset version to test it on`);
  }
  const r = await behaviourOfArtifact(ctx, v.sha256, v.datasetVersion);
  if (flags.json) {
    console.log(JSON.stringify({ model: name, version: v.version, ...r }));
  } else {
    console.log(
      `behavioural tests of ${name} v${v.version} (dataset ${v.datasetVersion.slice(0, 12)})`,
    );
    for (const c of r.checks) {
      const value = c.kind === "budget" ? c.value.toFixed(1) : c.value.toFixed(3);
      console.log(
        `${c.passed ? "PASS" : "FAIL"}  ${
          c.name.padEnd(38)
        } ${value} ${c.comparison} ${c.threshold} (n=${c.count})`,
      );
    }
    console.log(
      r.passed
        ? "all checks passed"
        : `${r.checks.filter((c) => !c.passed).length} check(s) failed`,
    );
  }
  return r.passed ? 0 : 1;
}

/** Run the suite; returns the exit code (1 when a check fails, 2 for usage errors). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "test:model",
      usage: USAGE,
      flags: {
        model: { type: "string" },
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run,
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
