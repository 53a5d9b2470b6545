/**
 * `deno task drift`: test a batch of images for drift against a model version's reference
 * profile (see lib/drift `checkDrift`). Human output ends with `verdict: drift` or
 * `verdict: no drift`; `--json` prints the report as JSON instead.
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import {
  checkDrift,
  type CheckResult,
  DriftSourceError,
  shiftSpecSchema,
} from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { commandMain, defineCommand, stateDirFlag } from "../lib/cli/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,8}$/, `${what} must be a positive integer`).transform(Number)
    .optional();

const flagsSchema = z.object({
  input: z.string().min(1, "give --input").meta({
    description: "an IDX directory (*-images-idx3-ubyte[.gz], labels optional), a folder of " +
      ".png/.jpg files, or a dataset split: test | train | VERSION:test",
    arg: "SRC",
  }),
  model: ModelRefSchema.prefault("fmnist@champion").meta({
    description: "model and version number or alias",
    arg: "NAME@REF",
  }),
  limit: int("--limit").meta({ description: "first N images of the input", arg: "N" }),
  sample: int("--sample").meta({ description: "a random sample of N images", arg: "N" }),
  shift: shiftSpecSchema.optional().meta({
    description: "simulate a shift (brightness, contrast, noise, blur, rotation, translation, " +
      "occlusion, inversion, jpeg, prior; severity 1-3)",
    arg: "KIND:SEV",
  }),
  alpha: z.string().regex(/^0?\.[0-9]+$/, "--alpha must be in (0, 1)").transform(Number)
    .optional().meta({ description: "overall false-alarm level (default 0.05)", arg: "A" }),
  correction: z.enum(["bonferroni", "fdr_bh"]).optional().meta({
    description: "within-detector correction (default bonferroni)",
  }),
  out: z.string().min(1).optional().meta({
    description: "report folder (default <state>/drift/<model>-v<N>-<time>)",
    arg: "DIR",
  }),
  "no-record": z.boolean().optional().meta({
    description: "do not record a drift event in the database",
  }),
  reference: int("--reference").meta({
    description: "most reference images when the profile is first computed (10000)",
    arg: "N",
  }),
  seed: z.string().regex(/^[0-9]{1,9}$/, "--seed must be a whole number").transform(Number)
    .optional().meta({ description: "seed of sampling and permutations (default 0)", arg: "N" }),
  ...stateDirFlag,
});

/** Human lines of a drift check; the last one is `verdict: …`. */
function driftLines(r: CheckResult): string[] {
  const n = r.report.detectors.length;
  return [
    `model     ${r.model} v${r.version}${
      r.profileCreated ? " (reference profile computed and stored)" : ""
    }`,
    `input     ${r.source}`,
    ...r.skipped.map((s) => `skipped   ${s}`),
    ...r.report.detectors.map((d) =>
      `${d.detector.padEnd(10)}${d.drift ? "DRIFT" : "ok   "}  p×${n}=` +
      `${d.adjusted.toPrecision(3).padEnd(9)} ${d.statisticName}: ${d.statistic.toPrecision(4)}` +
      (d.effect?.applies ? `; ${d.effect.name} ${d.effect.value.toFixed(3)}` : "")
    ),
    `report    ${r.htmlPath}\n          ${r.jsonPath}`,
    ...(r.eventId !== null ? [`event     drift event #${r.eventId} recorded`] : []),
    `verdict: ${r.report.verdict}`,
  ];
}

export const command = defineCommand({
  name: "drift",
  summary: "Compare a batch of images with the reference profile of a registered model version " +
    "(computed from its validation data and stored with the version on first use) and write " +
    'drift.json and a self-contained drift.html. The last line is "verdict: drift" or ' +
    '"verdict: no drift".',
  schema: flagsSchema,
  json: true,
  exitCodes: [[DriftSourceError, 2], [RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags: f, open, out }) => {
    const ctx = await open();
    const { name, ref } = f.model;
    const outDir = f.out ?? join(
      statePaths(ctx.settings.stateDir).root,
      "drift",
      `${name}-${ref}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    );
    await initEngine(ctx.settings, ctx.log);
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
    const { model, version, source, jsonPath: json, htmlPath: html, eventId } = r;
    out.result({ model, version, source, json, html, eventId, ...r.report }, () => driftLines(r));
  },
});

/** Run the CLI; returns the exit code (2 usage/input errors, 1 failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
