/**
 * `deno task predict:batch`: batch inference with a registered model over a dataset split or a
 * folder of images, resumable, writing Parquet or CSV chunks (see `predictBatch`).
 */
import { join } from "node:path";
import { z } from "zod";
import { ConfigError, parseSettings, statePaths } from "../lib/config/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import {
  type BatchInput,
  BatchJobConflictError,
  inferRuntimeFromEnv,
  predictBatch,
} from "../lib/inference/mod.ts";
import { createProgress } from "../lib/progress/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { parseCli, UsageError } from "../lib/pipeline/mod.ts";
import { RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const USAGE = `usage: deno task predict:batch [--model NAME] [--version N | --alias A]
                              [--dataset VERSION] [--split test|train] | [--images DIR]
                              [--format parquet|csv] [--chunk-size N] [--limit N] [--out DIR]

Predict every image of a dataset split (default: the latest fashion-mnist, test split) or of a
folder of PNG/JPEG files with a registered model (default fmnist, alias champion). Outputs are
chunk-NNNNN.parquet|csv files plus progress.json in --out (default
<state>/predictions/<model>-<version>-<input>); rerunning the same job skips finished chunks.

  --model NAME       registered model (default fmnist)
  --version N        model version number        --alias A   model alias (default champion)
  --dataset VERSION  dataset version or name     --split S   test (default) or train
  --images DIR       a folder of .png/.jpg/.jpeg files instead of a dataset
  --format F         parquet (default) or csv    --chunk-size N   images per chunk (2000)
  --limit N          only the first N images     --out DIR   output folder
  --state-dir DIR    state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help

FMNIST_INFER_RUNTIME picks the runtime: auto (ONNX Runtime when it loads, else tfjs), onnx, tfjs;
FMNIST_ORT_THREADS its intra-op threads (default: one per core).`;

const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,9}$/, `${what} must be a positive integer`).transform(Number)
    .optional();

const flagsSchema = z.object({
  model: z.string().min(1).default("fmnist"),
  version: int("--version"),
  alias: z.string().min(1).optional(),
  dataset: z.string().min(1).optional(),
  split: z.enum(["test", "train"]).default("test"),
  images: z.string().min(1).optional(),
  format: z.enum(["parquet", "csv"]).default("parquet"),
  "chunk-size": int("--chunk-size"),
  limit: int("--limit"),
  out: z.string().min(1).optional(),
  "state-dir": z.string().min(1).optional(),
  help: z.boolean().optional(),
}).refine((f) => !(f.version && f.alias), "give --version or --alias, not both")
  .refine((f) => !(f.images && f.dataset), "give --images or --dataset, not both");

/** Run the CLI; returns the exit code (2 usage/config, 1 failure). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  let flags: z.infer<typeof flagsSchema>;
  try {
    flags = parseCli(argv, {
      model: { type: "string" },
      version: { type: "string" },
      alias: { type: "string" },
      dataset: { type: "string" },
      split: { type: "string" },
      images: { type: "string" },
      format: { type: "string" },
      "chunk-size": { type: "string" },
      limit: { type: "string" },
      out: { type: "string" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    }, flagsSchema).flags;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`predict:batch: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  let settings;
  try {
    settings = parseSettings({
      ...env,
      FMNIST_STATE_DIR: flags["state-dir"] ?? env.FMNIST_STATE_DIR,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`predict:batch: ${err.message}`);
    return 2;
  }
  const input: BatchInput = flags.images
    ? { kind: "images", dir: flags.images }
    : { kind: "dataset", dataset: flags.dataset, split: flags.split };
  const ref = flags.version ?? flags.alias ?? "champion";
  const inputTag = flags.images
    ? `images-${flags.images.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-40)}`
    : `${flags.dataset ?? "latest"}-${flags.split}`;
  const outDir = flags.out ??
    join(
      statePaths(settings.stateDir).root,
      "predictions",
      `${flags.model}-${ref}-${inputTag}${flags.limit ? `-n${flags.limit}` : ""}`,
    );
  await initEngine(settings);
  const ctx = await openContext(settings);
  let runtime;
  try {
    runtime = await inferRuntimeFromEnv(env, ctx.log);
  } catch (err) {
    console.error(`predict:batch: ${err instanceof Error ? err.message : String(err)}`);
    await ctx.close();
    return 2;
  }
  const threads = Number(env.FMNIST_ORT_THREADS ?? 0);
  if (!Number.isInteger(threads) || threads < 0) {
    console.error(
      `predict:batch: FMNIST_ORT_THREADS must be a whole number, got ${env.FMNIST_ORT_THREADS}`,
    );
    await ctx.close();
    return 2;
  }
  try {
    let progress: ReturnType<typeof createProgress> | undefined;
    const started = performance.now();
    const r = await predictBatch(ctx, {
      model: flags.model,
      ref,
      input,
      outDir,
      format: flags.format,
      chunkSize: flags["chunk-size"],
      limit: flags.limit,
      runtime,
      onnxThreads: threads,
      onChunk: ({ chunks }) => {
        progress ??= createProgress(ctx.log, {
          label: "predict:batch",
          total: chunks,
          unit: "chunks",
        });
        progress.tick();
      },
    });
    (progress as ReturnType<typeof createProgress> | undefined)?.done();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `predicted ${r.total} image(s) with ${r.model} v${r.version}: ${r.written} chunk(s) written, ` +
        `${r.skipped} already done` + (r.errors ? `, ${r.errors} unusable image(s)` : "") +
        (r.accuracy === null ? "" : `; accuracy ${(r.accuracy * 100).toFixed(2)}%`) +
        `; ${r.runtime.name} ${r.runtime.version}, ${Math.round(r.total / seconds)} images/s` +
        `\n→ ${r.outDir}`,
    );
    return 0;
  } catch (err) {
    const known = err instanceof BatchJobConflictError || err instanceof RegistryNotFoundError ||
      err instanceof RegistryInputError;
    if (!known) ctx.log.error("predict:batch failed", { error: err });
    console.error(`predict:batch: ${err instanceof Error ? err.message : String(err)}`);
    return known ? 2 : 1;
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
