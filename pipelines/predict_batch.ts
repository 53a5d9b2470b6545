/**
 * `deno task predict:batch`: batch inference with a registered model over a dataset split or a
 * folder of images, resumable, writing Parquet or CSV chunks (see `predictBatch`).
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import {
  CommandError,
  commandMain,
  defineCommand,
  type Output,
  stateDirFlag,
} from "../lib/cli/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import {
  type BatchInput,
  BatchJobConflictError,
  inferRuntimeFromEnv,
  predictBatch,
} from "../lib/inference/mod.ts";
import { createProgress, type Progress } from "../lib/progress/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import { RegistryInputError, RegistryNotFoundError } from "../lib/registry/mod.ts";

const int = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,9}$/, `${what} must be a positive integer`).transform(Number)
    .optional();

const flagsSchema = z.object({
  model: z.string().min(1).default("fmnist").meta({ description: "registered model", arg: "NAME" }),
  version: int("--version").meta({ description: "model version number", arg: "N" }),
  alias: z.string().min(1).optional().meta({
    description: "model alias (default champion)",
    arg: "A",
  }),
  dataset: z.string().min(1).optional().meta({
    description: "dataset version or name (default: the latest fashion-mnist)",
    arg: "VERSION",
  }),
  split: z.enum(["test", "train"]).default("test").meta({ description: "dataset split" }),
  images: z.string().min(1).optional().meta({
    description: "a folder of .png/.jpg/.jpeg files instead of a dataset",
    arg: "DIR",
  }),
  format: z.enum(["parquet", "csv"]).default("parquet").meta({ description: "chunk format" }),
  "chunk-size": int("--chunk-size").meta({ description: "images per chunk (2000)", arg: "N" }),
  limit: int("--limit").meta({ description: "only the first N images", arg: "N" }),
  out: z.string().min(1).optional().meta({
    description: "output folder (default <state>/predictions/<model>-<version>-<input>)",
    arg: "DIR",
  }),
  ...stateDirFlag,
}).refine((f) => !(f.version && f.alias), "give --version or --alias, not both")
  .refine((f) => !(f.images && f.dataset), "give --images or --dataset, not both");
type Flags = z.infer<typeof flagsSchema>;

/** Where a job writes unless `--out` says: one folder per model, version and input. */
function defaultOutDir(stateDir: string, flags: Flags, ref: string | number): string {
  const inputTag = flags.images
    ? `images-${flags.images.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-40)}`
    : `${flags.dataset ?? "latest"}-${flags.split}`;
  const limit = flags.limit ? `-n${flags.limit}` : "";
  return join(
    statePaths(stateDir).root,
    "predictions",
    `${flags.model}-${ref}-${inputTag}${limit}`,
  );
}

async function run(ctx: Ctx, flags: Flags, env: Record<string, string | undefined>, out: Output) {
  const input: BatchInput = flags.images
    ? { kind: "images", dir: flags.images }
    : { kind: "dataset", dataset: flags.dataset, split: flags.split };
  const ref = flags.version ?? flags.alias ?? "champion";
  const threads = Number(env.FMNIST_ORT_THREADS ?? 0);
  if (!Number.isInteger(threads) || threads < 0) {
    throw new CommandError(
      `FMNIST_ORT_THREADS must be a whole number, got ${env.FMNIST_ORT_THREADS}`,
      2,
    );
  }
  await initEngine(ctx.settings, ctx.log);
  let runtime;
  try {
    runtime = await inferRuntimeFromEnv(env, ctx.log);
  } catch (err) {
    throw new CommandError(err instanceof Error ? err.message : String(err), 2);
  }
  let progress: Progress | undefined;
  const started = performance.now();
  const r = await predictBatch(ctx, {
    model: flags.model,
    ref,
    input,
    outDir: flags.out ?? defaultOutDir(ctx.settings.stateDir, flags, ref),
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
  (progress as Progress | undefined)?.done();
  const seconds = (performance.now() - started) / 1000;
  out.line(
    `predicted ${r.total} image(s) with ${r.model} v${r.version}: ${r.written} chunk(s) written, ` +
      `${r.skipped} already done` + (r.errors ? `, ${r.errors} unusable image(s)` : "") +
      (r.accuracy === null ? "" : `; accuracy ${(r.accuracy * 100).toFixed(2)}%`) +
      `; ${r.runtime.name} ${r.runtime.version}, ${Math.round(r.total / seconds)} images/s` +
      `\n→ ${r.outDir}`,
  );
}

export const command = defineCommand({
  name: "predict:batch",
  summary: "Predict every image of a dataset split (default: the latest fashion-mnist, test " +
    "split) or of a folder of PNG/JPEG files with a registered model (default fmnist, alias " +
    "champion). Outputs are chunk-NNNNN.parquet|csv files plus progress.json in --out; rerunning " +
    "the same job skips finished chunks.",
  description: "FMNIST_INFER_RUNTIME picks the runtime: auto (ONNX Runtime when it loads, else " +
    "tfjs), onnx, tfjs; FMNIST_ORT_THREADS its intra-op threads (default: one per core).",
  schema: flagsSchema,
  exitCodes: [[BatchJobConflictError, 2], [RegistryNotFoundError, 2], [RegistryInputError, 2]],
  run: async ({ flags, env, open, out }) => run(await open(), flags, env, out),
});

/** Run the CLI; returns the exit code (2 usage/config, 1 failure). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
