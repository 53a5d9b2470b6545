/**
 * `deno task validate:real`: validate a registered model version on a folder of real images
 * (any size, colour, background, PNG or JPEG) with the service's preprocessing; writes real.json
 * and a self-contained real.html (see lib/realset `validateReal`).
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import { RealInputError, validateReal } from "../lib/realset/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const USAGE = `usage: deno task validate:real --images DIR [--labels FILE.csv] [--model NAME@REF]
                              [--out DIR] [--failures N] [--resamples N] [--seed N]
                              [--fit N] [--centre box|mass] [--fill auto|off]
                              [--contrast auto|off]
                              [--no-drift] [--reference N] [--json] [--state-dir DIR]

Preprocess every PNG/JPEG of DIR exactly as the service does, predict with a registered model
version (served probabilities: logits divided by its temperature) and report accuracy with
bootstrap intervals (over images and over drawings), per-class scores, the confusion matrix,
calibration, accuracy by source, the most confident failures (the 28×28 input and its
integrated-gradients overlay) and drift against the version's training reference.

  --images DIR       folder of .png/.jpg/.jpeg images
  --labels FILE.csv  columns file,label[,group,package,source]; label = 0..9 or a class name.
                     Without it the class comes from the file name (3_x.png, dress-1.jpg)
  --model NAME@REF   model and version number or alias (default fmnist@champion)
  --out DIR          report folder (default <state>/real-validation/<model>-<ref>-<time>)
  --failures N       failures in the gallery (default 24)
  --resamples N      bootstrap resamples (default 1000)
  --seed N           seed of the bootstrap and drift tests (default 0)
  --fit N            preprocessing: longer side of the object in the frame (default 28)
  --centre C         preprocessing: box (default) or mass
  --fill F           preprocessing: auto (default: fill line drawings) or off
  --contrast C       preprocessing: auto (default: flat drawings to the training ink level) or off
                     (--fit 20 --centre mass --fill off --contrast off: the MNIST-style one)
  --no-drift         skip the drift statistics
  --reference N      most reference images when the drift profile is first computed (10000)
  --json             print the report summary as JSON (machines)
  --state-dir DIR    state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help`;

const int = (what: string) =>
  z.string().regex(/^[0-9]{1,7}$/, `${what} must be a whole number`).transform(Number).optional();

const flagsSchema = z.object({
  images: z.string().min(1, "give --images DIR"),
  labels: z.string().min(1).optional(),
  model: ModelRefSchema.prefault("fmnist@champion"),
  out: z.string().min(1).optional(),
  failures: int("--failures"),
  resamples: int("--resamples").refine((v) => v === undefined || v >= 10, "--resamples ≥ 10"),
  seed: int("--seed"),
  fit: int("--fit").refine((v) => v === undefined || (v >= 1 && v <= 28), "--fit in 1..28"),
  centre: z.enum(["box", "mass"]).optional(),
  fill: z.enum(["auto", "off"]).optional(),
  contrast: z.enum(["auto", "off"]).optional(),
  "no-drift": z.boolean().optional(),
  reference: int("--reference").refine((v) => v === undefined || v >= 100, "--reference ≥ 100"),
  json: z.boolean().optional(),
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
      name: "validate:real",
      usage: USAGE,
      flags: {
        images: { type: "string" },
        labels: { type: "string" },
        model: { type: "string" },
        out: { type: "string" },
        failures: { type: "string" },
        resamples: { type: "string" },
        seed: { type: "string" },
        fit: { type: "string" },
        centre: { type: "string" },
        fill: { type: "string" },
        contrast: { type: "string" },
        "no-drift": { type: "boolean" },
        reference: { type: "string" },
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f) => {
        const { name, ref } = f.model;
        const outDir = f.out ?? join(
          statePaths(ctx.settings.stateDir).root,
          "real-validation",
          `${name}-${ref}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
        );
        await initEngine(ctx.settings);
        try {
          const { report: r, jsonPath, htmlPath } = await validateReal(ctx, {
            model: name,
            ref,
            imagesDir: f.images,
            labelsCsv: f.labels,
            outDir,
            failures: f.failures,
            resamples: f.resamples,
            seed: f.seed,
            preprocess: { fit: f.fit, centre: f.centre, fill: f.fill, contrast: f.contrast },
            noDrift: f["no-drift"],
            maxReference: f.reference,
          });
          const drift = "skipped" in r.drift ? `not tested (${r.drift.skipped})` : r.drift.verdict;
          if (f.json) {
            console.log(JSON.stringify({
              model: r.model,
              version: r.version,
              count: r.count,
              groups: r.groups,
              skipped: r.skipped.length,
              accuracy: r.scores.accuracy,
              groupAccuracy: r.groupAccuracy,
              ece: r.scores.ece.estimate,
              perClass: r.scores.perClass.map((c) => ({
                label: r.labels[c.classId],
                support: c.support,
                recall: c.recall.estimate,
                precision: c.precision.estimate,
              })),
              drift,
              json: jsonPath,
              html: htmlPath,
            }));
            return 0;
          }
          const p = (v: number) => `${(100 * v).toFixed(1)}%`;
          const a = r.scores.accuracy, g = r.groupAccuracy;
          console.log(`model     ${r.model} v${r.version} (T = ${r.temperature.toFixed(3)})`);
          console.log(
            `images    ${r.count} (${r.groups} drawings)` +
              (r.skipped.length ? `, ${r.skipped.length} skipped` : ""),
          );
          console.log(`accuracy  ${p(a.estimate)} [${p(a.low)}, ${p(a.high)}] over images`);
          console.log(`          ${p(g.estimate)} [${p(g.low)}, ${p(g.high)}] over drawings`);
          for (const c of r.scores.perClass) {
            console.log(
              `  ${r.labels[c.classId].padEnd(12)} n=${String(c.support).padStart(4)}  ` +
                `recall ${p(c.recall.estimate).padStart(6)}  precision ${
                  p(c.precision.estimate).padStart(6)
                }`,
            );
          }
          console.log(`ECE       ${r.scores.ece.estimate.toFixed(3)}`);
          console.log(`drift     ${drift}`);
          console.log(`report    ${htmlPath}\n          ${jsonPath}`);
          return 0;
        } catch (err) {
          if (
            err instanceof RealInputError || err instanceof RegistryNotFoundError ||
            err instanceof RegistryInputError
          ) {
            console.error(`validate:real: ${err.message}`);
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
