/**
 * `deno task drift:evaluate`: the detectors' clean false-alarm rate per batch size and their
 * detection rate per detector × shift kind × severity × batch size, by repeated sampling from
 * held-out test images (see lib/drift `evaluateDetectors`). Writes drift-evaluation.json and
 * drift-evaluation.md and prints the table.
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import {
  ensureProfile,
  evaluateDetectors,
  evaluationMarkdown,
  loadDriftModel,
  pickImages,
  SEVERITIES,
  type Severity,
  SHIFT_KINDS,
  type ShiftKind,
} from "../lib/drift/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { commandMain, defineCommand, stateDirFlag } from "../lib/cli/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).min(1));
const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,8}$/, `${what} must be a positive integer`).transform(Number);

const flagsSchema = z.object({
  model: ModelRefSchema.prefault("fmnist@champion").meta({
    description: "model and version or alias",
    arg: "NAME@REF",
  }),
  sizes: list(z.string().regex(/^[1-9][0-9]*$/).transform(Number)).default([50, 200, 1000])
    .meta({ description: "batch sizes", arg: "LIST" }),
  "clean-batches": int("--clean-batches").default(200).meta({
    description: "clean batches per size",
    arg: "N",
  }),
  "shift-batches": int("--shift-batches").default(20).meta({
    description: "batches per shift × severity × size",
    arg: "N",
  }),
  kinds: list(z.enum(SHIFT_KINDS)).optional().meta({
    description: `shift kinds (default all: ${SHIFT_KINDS.join(",")})`,
    arg: "LIST",
  }),
  severities: list(z.enum(["1", "2", "3"]).transform((s) => Number(s) as Severity)).optional()
    .meta({ description: "severities (default 1,2,3)", arg: "LIST" }),
  pool: int("--pool").default(5000).meta({
    description: "test images batches are drawn from",
    arg: "N",
  }),
  reference: int("--reference").optional().meta({
    description: "most reference images when the profile is first computed (10000)",
    arg: "N",
  }),
  out: z.string().min(1).optional().meta({
    description: "output folder (default <state>/drift/evaluation)",
    arg: "DIR",
  }),
  seed: z.string().regex(/^[0-9]{1,9}$/).transform(Number).default(0).meta({
    description: "seed",
    arg: "N",
  }),
  ...stateDirFlag,
});

export const command = defineCommand({
  name: "drift:evaluate",
  summary: "Calibrate and evaluate the drift detectors of a registered model version: clean " +
    "batches drawn from the test split (never in the reference profile, which comes from the " +
    "validation split) give the false-alarm rate per batch size; the same images after each " +
    "simulated shift give the detection rate per detector, shift kind, severity and batch size.",
  schema: flagsSchema,
  exitCodes: [[RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags: f, open, out }) => {
    const ctx = await open();
    const { name, ref } = f.model;
    await initEngine(ctx.settings, ctx.log);
    const m = await loadDriftModel(ctx, name, ref);
    try {
      const { profile } = await ensureProfile(ctx, m, { seed: f.seed, maxReference: f.reference });
      const ds = await loadDataset(ctx);
      const n = Math.min(f.pool, ds.test.count);
      const pool = pickImages(ds.test, Array.from({ length: n }, (_, i) => i));
      const started = performance.now();
      const table = evaluateDetectors(m.model, profile, pool, m.signature.normalization, {
        sizes: f.sizes as number[],
        cleanBatches: f["clean-batches"],
        shiftBatches: f["shift-batches"],
        kinds: f.kinds as ShiftKind[] | undefined,
        severities: (f.severities as Severity[] | undefined) ?? SEVERITIES,
        seed: f.seed,
        onCell: (c) =>
          out.warn(
            `${c.shift}${c.severity ? `:${c.severity}` : ""} n=${c.size}: ` +
              `${(c.overall * 100).toFixed(1)}% of ${c.batches} batches ` +
              `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
          ),
      });
      const outDir = f.out ?? join(statePaths(ctx.settings.stateDir).root, "drift", "evaluation");
      await Deno.mkdir(outDir, { recursive: true });
      const md = `# Drift detector evaluation: ${name} v${m.version.version}\n\n` +
        `Reference: ${profile.source}. Pool: ${n} test images. α = ${table.alpha}. ` +
        `Rates in %.\n\n${evaluationMarkdown(table)}\n`;
      await Deno.writeTextFile(join(outDir, "drift-evaluation.md"), md);
      await Deno.writeTextFile(
        join(outDir, "drift-evaluation.json"),
        JSON.stringify({ model: name, version: m.version.version, ...table }, null, 2),
      );
      out.line(md);
      out.line(`→ ${join(outDir, "drift-evaluation.md")}`);
    } finally {
      m.model.dispose();
    }
  },
});

/** Run the CLI; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
