/**
 * `deno task drift`: test a batch of images for drift against a model version's reference
 * profile (see lib/drift `checkDrift`). Human output ends with `verdict: drift` or
 * `verdict: no drift`; `--json` prints the report as JSON instead.
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import { checkDrift, DriftSourceError, shiftSpecSchema } from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const USAGE = `usage: deno task drift --input SRC [--model NAME@REF] [--limit N] [--sample N]
                       [--shift KIND:SEV] [--alpha A] [--correction bonferroni|fdr_bh]
                       [--out DIR] [--json] [--no-record] [--seed N] [--state-dir DIR]

Compare a batch of images with the reference profile of a registered model version (computed
from its validation data and stored with the version on first use) and write drift.json and a
self-contained drift.html. The last line is "verdict: drift" or "verdict: no drift".

  --input SRC        an IDX directory (*-images-idx3-ubyte[.gz], labels optional), a folder of
                     .png/.jpg files, or a dataset split: test | train | VERSION:test
  --model NAME@REF   model and version number or alias (default fmnist@champion)
  --limit N          first N images of the input     --sample N   a random sample of N images
  --shift KIND:SEV   simulate a shift (brightness, contrast, noise, blur, rotation, translation,
                     occlusion, inversion, jpeg, prior; severity 1-3)
  --alpha A          overall false-alarm level (default 0.05)
  --correction C     within-detector correction: bonferroni (default) or fdr_bh
  --out DIR          report folder (default <state>/drift/<model>-v<N>-<time>)
  --json             print the report as JSON (machines)
  --no-record        do not record a drift event in the database
  --reference N      most reference images when the profile is first computed (10000)
  --seed N           seed of sampling and permutations (default 0)
  --state-dir DIR    state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help`;

const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,8}$/, `${what} must be a positive integer`).transform(Number)
    .optional();

const flagsSchema = z.object({
  input: z.string().min(1, "give --input"),
  model: ModelRefSchema.prefault("fmnist@champion"),
  limit: int("--limit"),
  reference: int("--reference"),
  sample: int("--sample"),
  shift: shiftSpecSchema.optional(),
  alpha: z.string().regex(/^0?\.[0-9]+$/, "--alpha must be in (0, 1)").transform(Number)
    .optional(),
  correction: z.enum(["bonferroni", "fdr_bh"]).optional(),
  out: z.string().min(1).optional(),
  json: z.boolean().optional(),
  "no-record": z.boolean().optional(),
  seed: z.string().regex(/^[0-9]{1,9}$/, "--seed must be a whole number").transform(Number)
    .optional(),
  "state-dir": z.string().min(1).optional(),
  help: z.boolean().optional(),
});

/** Run the CLI; returns the exit code (2 usage/input errors, 1 failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "drift",
      usage: USAGE,
      flags: {
        input: { type: "string" },
        model: { type: "string" },
        limit: { type: "string" },
        reference: { type: "string" },
        sample: { type: "string" },
        shift: { type: "string" },
        alpha: { type: "string" },
        correction: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean" },
        "no-record": { type: "boolean" },
        seed: { type: "string" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f) => {
        const { name, ref } = f.model;
        const outDir = f.out ?? join(
          statePaths(ctx.settings.stateDir).root,
          "drift",
          `${name}-${ref}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
        );
        await initEngine(ctx.settings);
        try {
          const r = await checkDrift(ctx, {
            model: name,
            ref,
            input: f.input,
            limit: f.limit,
            sample: f.sample,
            shift: f.shift,
            detect: { alpha: f.alpha, correction: f.correction },
            outDir,
            record: !f["no-record"],
            seed: f.seed,
            maxReference: f.reference,
          });
          if (f.json) {
            console.log(JSON.stringify({
              model: r.model,
              version: r.version,
              source: r.source,
              json: r.jsonPath,
              html: r.htmlPath,
              eventId: r.eventId,
              ...r.report,
            }));
            return 0;
          }
          console.log(
            `model     ${r.model} v${r.version}${
              r.profileCreated ? " (reference profile computed and stored)" : ""
            }`,
          );
          console.log(`input     ${r.source}`);
          for (const s of r.skipped) console.log(`skipped   ${s}`);
          for (const d of r.report.detectors) {
            console.log(
              `${d.detector.padEnd(10)}${
                d.drift ? "DRIFT" : "ok   "
              }  p×${r.report.detectors.length}=` +
                `${d.adjusted.toPrecision(3).padEnd(9)} ${d.statisticName}: ${
                  d.statistic.toPrecision(4)
                }` +
                (d.effect?.applies ? `; ${d.effect.name} ${d.effect.value.toFixed(3)}` : ""),
            );
          }
          console.log(`report    ${r.htmlPath}\n          ${r.jsonPath}`);
          if (r.eventId !== null) console.log(`event     drift event #${r.eventId} recorded`);
          console.log(`verdict: ${r.report.verdict}`);
          return 0;
        } catch (err) {
          if (
            err instanceof DriftSourceError || err instanceof RegistryNotFoundError ||
            err instanceof RegistryInputError
          ) {
            console.error(`drift: ${err.message}`);
            return 2;
          }
          throw err;
        }
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
