/**
 * `deno task bench:explain` — latency of `POST /v1/models/{name}/explain` per method, measured on
 * the service behind the route (`ExplainService`: version resolution, cost check, attribution,
 * PNG overlay) for a registered model version of the workspace, on real test images.
 *
 * There is no peer here (no Captum offline): the figures are our own latency per method at the
 * API's default settings (IG 32 steps, SmoothGrad/GradientSHAP 16 samples, occlusion 4×4 stride 2),
 * `--repeats` runs each after one warm-up call, interleaved across methods; median and spread.
 *
 * Flags: --model NAME@REF (fmnist@champion) --images N (1) --repeats N (5) --json
 */
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { loadSettings } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { EXPLAIN_METHODS, ExplainService, PIXELS } from "../lib/explain/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { getModelVersion, ModelRefSchema } from "../lib/registry/mod.ts";

const flagsSchema = z.object({
  model: ModelRefSchema.prefault("fmnist@champion").meta({
    description: "model version to explain, NAME@ALIAS or NAME@VERSION",
  }),
  images: z.coerce.number().int().min(1).max(8).default(1).meta({
    description: "images per request",
  }),
  repeats: z.coerce.number().int().min(3).max(100).default(5).meta({
    description: "timed runs per method (after one warm-up call)",
  }),
  json: z.boolean().optional().meta({ description: "print JSON instead of the table" }),
});
type Flags = z.infer<typeof flagsSchema>;

/** The benchmark (returns the exit code). */
async function bench(flags: Flags): Promise<number | void> {
  const settings = loadSettings();
  await initEngine(settings);
  const ctx = await openContext(settings, { log: createLogger({}, { level: "warn" }) });
  try {
    const { name, ref } = flags.model;
    const version = await getModelVersion(ctx, name, ref);
    const ds = await loadDataset(ctx, version.datasetVersion ?? undefined);
    const pixels = Float32Array.from(
      ds.test.images.subarray(0, flags.images * PIXELS),
      (v) => v / 255,
    );
    const service = new ExplainService(ctx);
    const times = new Map<string, number[]>(EXPLAIN_METHODS.map((m) => [m, []]));
    const run = (method: typeof EXPLAIN_METHODS[number]) =>
      service.explain({ name, ref: version.version, method, pixels, count: flags.images });
    for (const m of EXPLAIN_METHODS) await run(m); // warm-up (loads the model, compiles kernels)
    for (let r = 0; r < flags.repeats; r++) {
      for (const m of EXPLAIN_METHODS) {
        const t0 = performance.now();
        const res = await run(m);
        times.get(m)!.push(performance.now() - t0);
        if (res.instances.length !== flags.images) throw new Error(`${m}: wrong answer size`);
      }
    }
    await service.close();
    const load = await Deno.readTextFile("/proc/loadavg").catch(() => "?");
    const rows = EXPLAIN_METHODS.map((m) => {
      const t = times.get(m)!.sort((a, b) => a - b);
      return {
        method: m,
        median_ms: t[Math.floor(t.length / 2)],
        min_ms: t[0],
        max_ms: t[t.length - 1],
        images: flags.images,
        repeats: flags.repeats,
      };
    });
    if (flags.json) {
      console.log(JSON.stringify({ model: `${name}@${version.version}`, load, rows }));
    } else {
      console.log(
        `explain latency, ${name} v${version.version}, ${flags.images} image(s), ${flags.repeats} repeats; load ${load.trim()}`,
      );
      for (const r of rows) {
        console.log(
          `${r.method.padEnd(22)} median ${r.median_ms.toFixed(1).padStart(8)} ms  (min ${
            r.min_ms.toFixed(1)
          }, max ${r.max_ms.toFixed(1)})`,
        );
      }
    }
  } finally {
    await ctx.close();
  }
}

export const command = defineCommand({
  name: "bench:explain",
  summary: "Latency of the explain API per attribution method on a registered version.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
