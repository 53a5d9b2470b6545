/**
 * `deno task bench:ab`: Monte Carlo check of the A/B sequential test (lib/ab/simulate.ts).
 * Seeded experiments with Bernoulli outcomes; the mSPRT is looked at after every observation
 * (continuous monitoring). Prints, per sample size per arm: the false-positive rate (no true
 * difference) and the power (with `--effect`) of the sequential test, of the fixed-horizon
 * z-test read once at that size, and of the z-test peeked at after every observation (invalid,
 * shown for contrast); plus the fixed-horizon size planned for that effect at power 0.8.
 * Human table at a terminal, JSON otherwise (or with --json).
 *
 *   deno task bench:ab [--experiments 2000] [--baseline 0.9] [--effect 0.03]
 *                      [--sizes 250,500,1000,2000,4000] [--tau 0.05] [--alpha 0.05]
 *                      [--min-samples 100] [--seed 1] [--json]
 */
import { z } from "zod";
import { sampleSize, simulateExperiments } from "../lib/ab/mod.ts";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";

const flagsSchema = z.object({
  experiments: z.coerce.number().int().min(1).max(1_000_000).default(2000).meta({
    description: "seeded experiments simulated per hypothesis (no difference, and --effect)",
  }),
  baseline: z.coerce.number().gt(0).lt(1).default(0.9).meta({
    description: "accuracy of the control arm",
  }),
  effect: z.coerce.number().gt(-1).lt(1).default(0.03).meta({
    description: "true accuracy difference of the treatment (0: only the false-positive rate)",
  }),
  sizes: z.string().default("250,500,1000,2000,4000").transform((s) => s.split(",").map(Number))
    .refine((a) => a.every((n) => Number.isInteger(n) && n >= 2), "comma-separated integers ≥ 2")
    .meta({ description: "sample sizes per arm at which the tests are read (comma-separated)" }),
  tau: z.coerce.number().gt(0).max(1).default(0.05).meta({
    description: "mixing standard deviation of the mSPRT",
  }),
  alpha: z.coerce.number().gt(0).lt(1).default(0.05).meta({ description: "level of the tests" }),
  "min-samples": z.coerce.number().int().min(1).default(100).meta({
    description: "observations per arm before the sequential test may stop",
  }),
  seed: z.coerce.number().int().default(1).meta({ description: "random seed of the simulation" }),
  json: z.boolean().default(false).meta({
    description: "print JSON (the default when stdout is not a terminal)",
  }),
});
type Flags = z.infer<typeof flagsSchema>;

/** The benchmark (returns the exit code). */
function bench(flags: Flags): void {
  const common = {
    experiments: flags.experiments,
    baseline: flags.baseline,
    checkpoints: flags.sizes,
    tau: flags.tau,
    alpha: flags.alpha,
    minSamples: flags["min-samples"],
    seed: flags.seed,
  };
  const t0 = performance.now();
  const h0 = simulateExperiments({ ...common, effect: 0 });
  const h1 = flags.effect === 0 ? null : simulateExperiments({ ...common, effect: flags.effect });
  const seconds = (performance.now() - t0) / 1000;
  const plan = flags.effect === 0 ? null : sampleSize({
    baseline: flags.baseline,
    mde: flags.effect,
    alpha: flags.alpha,
    power: 0.8,
  });

  if (flags.json || !Deno.stdout.isTerminal()) {
    console.log(JSON.stringify({ null: h0, alternative: h1, plan, seconds }));
  } else {
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(8);
    console.log(
      `A/B sequential test simulation: ${flags.experiments} experiments per hypothesis, baseline ` +
        `${flags.baseline}, mSPRT τ = ${flags.tau}, α = ${flags.alpha}, looks after every ` +
        `observation from ${flags["min-samples"]} per arm, seed ${flags.seed} (${
          seconds.toFixed(1)
        } s)`,
    );
    console.log("");
    console.log("false-positive rate (no true difference)");
    console.log("  n/arm  sequential  fixed(once)  z-test peeking");
    for (const r of h0.table) {
      console.log(
        `${String(r.n).padStart(7)}  ${pct(r.sequential)}    ${pct(r.fixed)}     ${pct(r.peeking)}`,
      );
    }
    if (h1 && plan) {
      console.log("");
      console.log(`power (true difference ${flags.effect} → ${h1.treatment.toFixed(3)})`);
      console.log("  n/arm  sequential  fixed(once)");
      for (const r of h1.table) {
        console.log(`${String(r.n).padStart(7)}  ${pct(r.sequential)}    ${pct(r.fixed)}`);
      }
      console.log("");
      console.log(
        `sequential median stop: ${h1.medianStop ?? "never"} per arm; stopped with the wrong ` +
          `sign: ${h1.wrongSign}; fixed-horizon size for power 0.8: ${plan.n1} per arm ` +
          `(statsmodels-style, Cohen's h = ${plan.effectSize.toFixed(4)})`,
      );
    }
  }
}

export const command = defineCommand({
  name: "bench:ab",
  summary: "Monte Carlo check of the A/B sequential test: false-positive rate and power of the " +
    "mSPRT vs the fixed-horizon z-test (read once, and peeked at), plus the planned fixed size.",
  schema: flagsSchema,
  run: ({ flags }) => Promise.resolve(bench(flags)),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
