/**
 * `deno task bench:tune`: our TPE against Optuna 3.1's TPE (Debian python3-optuna, run as
 * `/usr/bin/python3 bench/peers/tune_optuna.py`) on standard test functions, same trial budget,
 * several seeds. Prints best values side by side (mean ± sd over seeds; random search as a
 * reference) and wall time per study: ours through the full DB path (Study.optimize on in-memory
 * PGlite) and the sampler alone in memory, Optuna with its in-memory storage.
 *
 *   deno task bench:tune [--trials 80] [--seeds 5] [--functions branin,hartmann6,...]
 */
import { z } from "zod";
import { migrate, openPglite } from "../lib/db/mod.ts";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { createSampler, createStudy, parseSearchSpace, TEST_FUNCTIONS } from "../lib/tune/mod.ts";
import { samplerConfigSchema } from "../lib/tune/sampler.ts";
import { runSamplerInMemory } from "../lib/tune/testing.ts";

const DEFAULT_FUNCTIONS = ["branin", "hartmann6", "rosenbrock4", "styblinski-tang4"];
const flagsSchema = z.object({
  trials: z.coerce.number().int().min(11).max(1000).default(80).meta({
    description: "trials per study",
  }),
  seeds: z.coerce.number().int().min(1).max(50).default(5).meta({
    description: "studies per function and sampler (seeds 0..N-1)",
  }),
  functions: z.string().default(DEFAULT_FUNCTIONS.join(",")).transform((s) => s.split(","))
    .refine((fs) => fs.every((f) => f in TEST_FUNCTIONS), {
      message: `known functions: ${Object.keys(TEST_FUNCTIONS).join(", ")}`,
    }).meta({ description: "test functions (comma-separated)" }),
});

const peerRowSchema = z.object({
  function: z.string(),
  seed: z.number().int(),
  best: z.number(),
  seconds: z.number(),
});

/** Per-function results of our sampler. */
interface Runs {
  best: number[];
  dbSec: number[];
  memSec: number[];
  rnd: number[];
}

const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a: readonly number[]) => {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / (a.length - 1));
};
const ms = (a: readonly number[]) => `${mean(a).toPrecision(4)} ± ${sd(a).toPrecision(2)}`;

async function runOptuna(fns: string[], seeds: number[], trials: number) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./peers/tune_optuna.py", import.meta.url).pathname,
      fns.join(","),
      seeds.join(","),
      String(trials),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((err) => {
    throw new Error(
      `cannot run /usr/bin/python3 (${err.message}); install Debian's python3-optuna`,
    );
  });
  if (!out.success) {
    throw new Error(
      `the Optuna peer failed (exit ${out.code}): ${
        new TextDecoder().decode(out.stderr).slice(-800)
      }` +
        `\nIs Debian's python3-optuna installed (apt-get install python3-optuna)?`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
    peerRowSchema.parse(JSON.parse(l))
  );
}

async function bench(flags: z.infer<typeof flagsSchema>): Promise<number> {
  const seeds = Array.from({ length: flags.seeds }, (_, i) => i);
  const tpeCfg = samplerConfigSchema.parse({ type: "tpe" });
  console.log(
    `bench:tune: ${flags.functions.length} functions × ${seeds.length} seeds × ${flags.trials} ` +
      `trials; minimisation, lower is better`,
  );

  const db = await openPglite("memory://");
  await migrate(db);
  const ours: Record<string, Runs> = {};
  try {
    for (const name of flags.functions) {
      const f = TEST_FUNCTIONS[name];
      const space = parseSearchSpace(f.space);
      const fn = (p: Record<string, unknown>) => f.fn(p as Record<string, number>);
      const r: Runs = { best: [], dbSec: [], memSec: [], rnd: [] };
      ours[name] = r;
      for (const seed of seeds) {
        let t0 = performance.now();
        const study = await createStudy(db, {
          name: `${name}-${seed}`,
          sampler: { type: "tpe" },
          space: f.space,
          seed,
        });
        const s = await study.optimize((trial) => fn(trial.suggestSpace()), {
          nTrials: flags.trials,
        });
        r.dbSec.push((performance.now() - t0) / 1000);
        r.best.push(s.best!.value!);
        t0 = performance.now();
        const mem = runSamplerInMemory(
          createSampler(tpeCfg, space, seed),
          space,
          fn,
          flags.trials,
          seed,
        );
        r.memSec.push((performance.now() - t0) / 1000);
        if (Math.min(...mem.map((t) => t.value!)) !== s.best!.value) {
          throw new Error(`in-memory and DB runs of ${name} seed ${seed} disagree`);
        }
        const rnd = runSamplerInMemory(
          createSampler({ type: "random" }, space, seed),
          space,
          fn,
          flags.trials,
          seed,
        );
        r.rnd.push(Math.min(...rnd.map((t) => t.value!)));
      }
      console.log(`  ours done: ${name}`);
    }
  } finally {
    await db.close();
  }

  const tPeer = performance.now();
  const peer = await runOptuna(flags.functions, seeds, flags.trials);
  console.log(`  optuna done (${((performance.now() - tPeer) / 1000).toFixed(1)}s incl. start-up)`);

  const rows: string[][] = [[
    "function",
    "minimum",
    "ours TPE best",
    "optuna TPE best",
    "random best",
    "ours wins",
    "ours s/study (db | mem)",
    "optuna s/study",
    "time ratio optuna/ours(db)",
  ]];
  for (const name of flags.functions) {
    const r = ours[name];
    const p = peer.filter((x) => x.function === name).sort((a, b) => a.seed - b.seed);
    const pBest = p.map((x) => x.best);
    const wins = r.best.filter((v, i) => v < pBest[i]).length;
    rows.push([
      name,
      TEST_FUNCTIONS[name].minimum.toPrecision(6),
      ms(r.best),
      ms(pBest),
      ms(r.rnd),
      `${wins}/${seeds.length}`,
      `${mean(r.dbSec).toFixed(3)} | ${mean(r.memSec).toFixed(3)}`,
      mean(p.map((x) => x.seconds)).toFixed(3),
      (mean(p.map((x) => x.seconds)) / mean(r.dbSec)).toFixed(2),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join("  "));
  return 0;
}

export const command = defineCommand({
  name: "bench:tune",
  summary: "Our TPE sampler vs Optuna's on standard test functions (same trials and seeds): " +
    "best value found and seconds.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
