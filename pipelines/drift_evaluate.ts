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
import { runCommand } from "../lib/pipeline/mod.ts";
import { ModelRefSchema, RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const USAGE = `usage: deno task drift:evaluate [--model NAME@REF] [--sizes 50,200,1000]
                                [--clean-batches N] [--shift-batches N] [--kinds a,b,…]
                                [--severities 1,2,3] [--pool N] [--reference N] [--out DIR]
                                [--seed N] [--state-dir DIR]

Calibrate and evaluate the drift detectors of a registered model version: clean batches drawn
from the test split (never in the reference profile, which comes from the validation split)
give the false-alarm rate per batch size; the same images after each simulated shift give the
detection rate per detector, shift kind, severity and batch size.

  --model NAME@REF    model and version or alias (default fmnist@champion)
  --sizes LIST        batch sizes (default 50,200,1000)
  --clean-batches N   clean batches per size (default 200)
  --shift-batches N   batches per shift × severity × size (default 20)
  --kinds LIST        shift kinds (default all: ${SHIFT_KINDS.join(",")})
  --severities LIST   severities (default 1,2,3)
  --pool N            test images batches are drawn from (default 5000)
  --reference N       most reference images when the profile is first computed (10000)
  --out DIR           output folder (default <state>/drift/evaluation)
  --seed N            seed (default 0)
  --state-dir DIR     state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help          show this help`;

const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).min(1));
const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,8}$/, `${what} must be a positive integer`).transform(Number);

const flagsSchema = z.object({
  model: ModelRefSchema.prefault("fmnist@champion"),
  sizes: list(z.string().regex(/^[1-9][0-9]*$/).transform(Number)).default([50, 200, 1000]),
  "clean-batches": int("--clean-batches").default(200),
  "shift-batches": int("--shift-batches").default(20),
  kinds: list(z.enum(SHIFT_KINDS)).optional(),
  severities: list(z.enum(["1", "2", "3"]).transform((s) => Number(s) as Severity)).optional(),
  pool: int("--pool").default(5000),
  reference: int("--reference").optional(),
  out: z.string().min(1).optional(),
  seed: z.string().regex(/^[0-9]{1,9}$/).transform(Number).default(0),
  "state-dir": z.string().min(1).optional(),
  help: z.boolean().optional(),
});

/** Run the CLI; returns the exit code. */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  const str = { type: "string" } as const;
  return runCommand(
    {
      name: "drift:evaluate",
      usage: USAGE,
      flags: {
        model: str,
        sizes: str,
        "clean-batches": str,
        "shift-batches": str,
        kinds: str,
        severities: str,
        pool: str,
        reference: str,
        out: str,
        seed: str,
        "state-dir": str,
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f) => {
        const { name, ref } = f.model;
        await initEngine(ctx.settings);
        let m;
        try {
          m = await loadDriftModel(ctx, name, ref);
        } catch (err) {
          if (err instanceof RegistryNotFoundError || err instanceof RegistryInputError) {
            console.error(`drift:evaluate: ${err.message}`);
            return 2;
          }
          throw err;
        }
        try {
          const { profile } = await ensureProfile(ctx, m, {
            seed: f.seed,
            maxReference: f.reference,
          });
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
              console.error(
                `${c.shift}${c.severity ? `:${c.severity}` : ""} n=${c.size}: ` +
                  `${(c.overall * 100).toFixed(1)}% of ${c.batches} batches ` +
                  `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
              ),
          });
          const outDir = f.out ??
            join(statePaths(ctx.settings.stateDir).root, "drift", "evaluation");
          await Deno.mkdir(outDir, { recursive: true });
          const md = `# Drift detector evaluation: ${name} v${m.version.version}\n\n` +
            `Reference: ${profile.source}. Pool: ${n} test images. α = ${table.alpha}. ` +
            `Rates in %.\n\n${evaluationMarkdown(table)}\n`;
          await Deno.writeTextFile(join(outDir, "drift-evaluation.md"), md);
          await Deno.writeTextFile(
            join(outDir, "drift-evaluation.json"),
            JSON.stringify({ model: name, version: m.version.version, ...table }, null, 2),
          );
          console.log(md);
          console.log(`→ ${join(outDir, "drift-evaluation.md")}`);
        } finally {
          m.model.dispose();
        }
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
