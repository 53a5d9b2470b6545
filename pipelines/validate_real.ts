/**
 * `deno task validate:real`: validate a registered model version on a folder of real images
 * (any size, colour, background, PNG or JPEG) with the service's preprocessing; writes real.json
 * and a self-contained real.html (see lib/realset `validateReal`).
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { commandMain, defineCommand, nonEmpty, stateDirFlag } from "../lib/cli/mod.ts";
import { RealInputError, validateReal } from "../lib/realset/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const int = (what: string) =>
  z.string().regex(/^[0-9]{1,7}$/, `${what} must be a whole number`).transform(Number).optional();

/** The validate:real command. */
export const command = defineCommand({
  name: "validate:real",
  summary: "Validate a registered model version on a folder of real images with the service's " +
    "preprocessing.",
  description: "Preprocess every PNG/JPEG of DIR exactly as the service does, predict with a " +
    "registered model version (served probabilities: logits divided by its temperature) and " +
    "report accuracy with bootstrap intervals (over images and over drawings), per-class scores, " +
    "the confusion matrix, calibration, accuracy by source, the most confident failures (the " +
    "28×28 input and its integrated-gradients overlay) and drift against the version's training " +
    "reference. --fit 20 --centre mass --fill off --contrast off is the MNIST-style preprocessing.",
  schema: z.object({
    images: z.string().min(1, "give --images DIR").meta({
      description: "folder of .png/.jpg/.jpeg images",
      arg: "DIR",
    }),
    labels: nonEmpty().optional().meta({
      description: "columns file,label[,group,package,source]; label = 0..9 or a class name " +
        "(without it the class comes from the file name: 3_x.png, dress-1.jpg)",
      arg: "FILE.csv",
    }),
    model: ModelRefSchema.prefault("fmnist@champion").meta({
      description: "model and version number or alias",
      arg: "NAME@REF",
    }),
    out: nonEmpty().optional().meta({
      description: "report folder (default <state>/real-validation/<model>-<ref>-<time>)",
      arg: "DIR",
    }),
    failures: int("--failures").meta({
      description: "failures in the gallery (default 24)",
      arg: "N",
    }),
    resamples: int("--resamples").refine((v) => v === undefined || v >= 10, "--resamples ≥ 10")
      .meta({ description: "bootstrap resamples (default 1000)", arg: "N" }),
    seed: int("--seed").meta({
      description: "seed of the bootstrap and drift tests (default 0)",
      arg: "N",
    }),
    fit: int("--fit").refine((v) => v === undefined || (v >= 1 && v <= 28), "--fit in 1..28")
      .meta({
        description: "preprocessing: longer side of the object in the frame (default 28)",
        arg: "N",
      }),
    centre: z.enum(["box", "mass"]).optional().meta({
      description: "preprocessing: box (default) or mass",
    }),
    fill: z.enum(["auto", "off"]).optional().meta({
      description: "preprocessing: auto (default: fill line drawings) or off",
    }),
    contrast: z.enum(["auto", "off"]).optional().meta({
      description: "preprocessing: auto (default: flat drawings to the training ink level) or off",
    }),
    "tta-fits": z.string().regex(/^\d{1,2}(,\d{1,2})*$/, "use e.g. 24,26,28")
      .transform((v) => v.split(",").map(Number))
      .refine((v) => v.every((f) => f >= 1 && f <= 28), "--tta-fits: each in 1..28")
      .optional().meta({
        description: "test-time augmentation: average over these object sizes (px)",
        arg: "N,N…",
      }),
    "tta-shift": int("--tta-shift").refine((v) => v === undefined || v <= 4, "--tta-shift ≤ 4")
      .meta({
        description: "test-time augmentation: also average over shifts of up to N px in x and y",
        arg: "N",
      }),
    "no-drift": z.boolean().optional().meta({ description: "skip the drift statistics" }),
    reference: int("--reference").refine((v) => v === undefined || v >= 100, "--reference ≥ 100")
      .meta({
        description: "most reference images when the drift profile is first computed (10000)",
        arg: "N",
      }),
    ...stateDirFlag,
  }),
  json: true,
  exitCodes: [[RealInputError, 2], [RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags: f, open, out }) => {
    const ctx = await open();
    const { name, ref } = f.model;
    const outDir = f.out ?? join(
      statePaths(ctx.settings.stateDir).root,
      "real-validation",
      `${name}-${ref}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    );
    await initEngine(ctx.settings, ctx.log);
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
      tta: f["tta-fits"] || f["tta-shift"]
        ? { fits: f["tta-fits"], shift: f["tta-shift"] }
        : undefined,
    });
    const drift = "skipped" in r.drift ? `not tested (${r.drift.skipped})` : r.drift.verdict;
    const summary = {
      model: r.model,
      version: r.version,
      count: r.count,
      groups: r.groups,
      skipped: r.skipped.length,
      accuracy: r.scores.accuracy,
      groupAccuracy: r.groupAccuracy,
      splits: r.splits,
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
    };
    const lines: string[] = [];
    const p = (v: number) => `${(100 * v).toFixed(1)}%`;
    const a = r.scores.accuracy, g = r.groupAccuracy;
    lines.push(`model     ${r.model} v${r.version} (T = ${r.temperature.toFixed(3)})`);
    lines.push(
      `images    ${r.count} (${r.groups} drawings)` +
        (r.skipped.length ? `, ${r.skipped.length} skipped` : ""),
    );
    lines.push(`accuracy  ${p(a.estimate)} [${p(a.low)}, ${p(a.high)}] over images`);
    lines.push(`          ${p(g.estimate)} [${p(g.low)}, ${p(g.high)}] over drawings`);
    for (const h of r.splits) {
      lines.push(
        `  ${h.split.padEnd(8)} ${h.count} images (${h.groups} drawings): ` +
          (h.accuracy
            ? `${p(h.accuracy.estimate)} [${p(h.accuracy.low)}, ${p(h.accuracy.high)}]`
            : "—"),
      );
    }
    for (const c of r.scores.perClass) {
      lines.push(
        `  ${r.labels[c.classId].padEnd(12)} n=${String(c.support).padStart(4)}  ` +
          `recall ${p(c.recall.estimate).padStart(6)}  precision ${
            p(c.precision.estimate).padStart(6)
          }`,
      );
    }
    lines.push(`ECE       ${r.scores.ece.estimate.toFixed(3)}`);
    lines.push(`drift     ${drift}`);
    lines.push(`report    ${htmlPath}\n          ${jsonPath}`);
    out.result(summary, () => lines);
  },
});

/** Run the CLI; returns the exit code (2 usage/input errors, 1 failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
