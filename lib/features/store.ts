/**
 * The feature store: `featuresStep` computes the feature table, class statistics, normalization
 * statistics and the train/validation split of a dataset version, writes them to the object
 * store (Parquet + JSON) and registers them in the DB (`feature_sets`, `image_features`);
 * `loadFeatures`, `getSplit`, `getImageFeatures` and `getFeatureSet` read them back.
 */
import { zodErrorText } from "../config/mod.ts";
import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import { z } from "zod";
import type { Dataset, SplitName } from "../data/mod.ts";
import type { Queryable } from "../db/mod.ts";
import { createProgress } from "../progress/mod.ts";
import { type Ctx } from "../workspace/mod.ts";
import { hashJson, type Json } from "../hashing/mod.ts";
import { runStep } from "../steps/mod.ts";
import { runSuite, tableSuite, ValidationFailedError } from "../validate/mod.ts";
import { classStats } from "./class_stats.ts";
import { FEATURE_COLUMNS } from "./image_features.ts";
import { type NormalizationStats, normalizationStats } from "./normalization.ts";
import { stratifiedSplit, type TrainValSplit } from "./split.ts";
import { featureFrame, type Subset, TABLE_COLUMNS } from "./table.ts";

/** Bump when the feature code changes its output, so stored feature sets are not reused. */
export const FEATURES_STEP_VERSION = 1;

/** Schema of the feature parameters (all defaulted). */
export const featureParamsSchema = z.object({
  /** Pixels strictly above this value count as ink. */
  inkThreshold: z.number().int().min(0).max(254).default(25),
  /** Fraction of each class of the train split held out for validation. */
  valFraction: z.number().gt(0).lt(1).default(0.1),
  /** Seed of the stratified split. */
  seed: z.number().int().min(0).max(0xffffffff).default(42),
});

/** Validated feature parameters. */
export type FeatureParams = z.infer<typeof featureParamsSchema>;

/** Raised for invalid feature parameters; names each bad field. */
export class FeatureParamsError extends Error {
  override name = "FeatureParamsError";
}

/** Raised when no feature set is registered for the requested dataset version. */
export class FeaturesNotFoundError extends Error {
  override name = "FeaturesNotFoundError";
}

/** Parse (partial) feature parameters, filling defaults. @throws FeatureParamsError */
export function parseFeatureParams(raw: unknown = {}): FeatureParams {
  const r = featureParamsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new FeatureParamsError(
      `invalid feature parameters:\n${lines}\nFix these fields or omit them for defaults.`,
    );
  }
  return r.data;
}

/** What the feature store needs from the run context (a full `Ctx` satisfies it). */
export type FeatureCtx = Pick<Ctx, "store" | "db" | "log">;

const normalizationSchema = z.object({
  mean: z.number(),
  std: z.number(),
  pixels: z.number(),
});

/** Summary of a feature set (the step's recorded result). */
export const featureSetSchema = z.object({
  id: z.string(),
  datasetVersion: z.string(),
  params: featureParamsSchema,
  columns: z.array(z.string()),
  rows: z.number().int(),
  imagesKey: z.string(),
  classStatsKey: z.string(),
  splitKey: z.string(),
  metaKey: z.string(),
  /** Mean/std of train-split pixels scaled to [0, 1]. */
  normalization: normalizationSchema,
  counts: z.object({ train: z.number(), val: z.number(), test: z.number() }),
});

/** A registered feature set. */
export type FeatureSet = z.infer<typeof featureSetSchema>;

/** What {@link featuresStep} returns. */
export type FeaturesStepResult = FeatureSet & { skipped: boolean };

const splitFileSchema = z.object({
  seed: z.number().int(),
  valFraction: z.number(),
  train: z.array(z.number().int().nonnegative()),
  val: z.array(z.number().int().nonnegative()),
});

/** Id of the feature set of `datasetVersion` computed with `params`. */
export function featureSetId(datasetVersion: string, params: FeatureParams): string {
  return hashJson({ datasetVersion, params, code: FEATURES_STEP_VERSION }).slice(0, 24);
}

function toBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function fromBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const ROW_CHUNK = 5000;

async function registerFeatureSet(
  ctx: FeatureCtx,
  set: FeatureSet,
  frame: pl.DataFrame,
): Promise<void> {
  const columns = frame.columns;
  const data = columns.map((c) => frame.getColumn(c).toArray() as (string | number)[]);
  const progress = createProgress(ctx.log, {
    label: `register features ${set.id}`,
    total: frame.height,
    unit: "rows",
  });
  const recordType = [
    "split text",
    "image_index int",
    "label smallint",
    "subset text",
    ...FEATURE_COLUMNS.map((c) =>
      c.startsWith("bbox_") ? `${c} smallint` : `${c} double precision`
    ),
  ].join(", ");
  await ctx.db.transaction(async (tx) => {
    await tx.query(`DELETE FROM feature_sets WHERE id = $1`, [set.id]);
    await tx.query(
      `INSERT INTO feature_sets (id, dataset_version, params, columns, row_count, images_key,
         class_stats_key, split_key, meta_key, normalization)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $10::jsonb)`,
      [
        set.id,
        set.datasetVersion,
        JSON.stringify(set.params),
        JSON.stringify(set.columns),
        set.rows,
        set.imagesKey,
        set.classStatsKey,
        set.splitKey,
        set.metaKey,
        JSON.stringify(set.normalization),
      ],
    );
    for (let start = 0; start < frame.height; start += ROW_CHUNK) {
      const end = Math.min(frame.height, start + ROW_CHUNK);
      const rows: Record<string, string | number>[] = [];
      for (let r = start; r < end; r++) {
        const row: Record<string, string | number> = {};
        for (let c = 0; c < columns.length; c++) row[columns[c]] = data[c][r];
        rows.push(row);
      }
      await tx.query(
        `INSERT INTO image_features (feature_set_id, ${TABLE_COLUMNS.join(", ")})
         SELECT $1, ${
          TABLE_COLUMNS.join(", ")
        } FROM jsonb_to_recordset($2::jsonb) AS x(${recordType})`,
        [set.id, JSON.stringify(rows)],
      );
      progress.set(end);
    }
  });
  progress.done();
}

/**
 * Compute and store the features of `dataset` (idempotent: an unchanged dataset version and
 * params reuse the stored feature set). The table is validated (shape, no null/NaN) before
 * anything is written.
 * @throws FeatureParamsError for invalid params.
 * @throws ValidationFailedError when the computed table fails its checks.
 */
export async function featuresStep(
  ctx: FeatureCtx,
  dataset: Dataset,
  rawParams: unknown = {},
): Promise<FeaturesStepResult> {
  const params = parseFeatureParams(rawParams);
  const id = featureSetId(dataset.version, params);
  const base = `features/${dataset.version}/${id}`;
  const keys = {
    imagesKey: `${base}/images.parquet`,
    classStatsKey: `${base}/class_stats.parquet`,
    splitKey: `${base}/split.json`,
    metaKey: `${base}/meta.json`,
  };
  const step = await runStep(ctx, {
    name: "features.compute",
    inputs: {
      datasetVersion: dataset.version,
      params: params as Json,
      code: FEATURES_STEP_VERSION,
    },
    run: async ({ log }) => {
      const t0 = performance.now();
      const split = stratifiedSplit(dataset.train.labels.subarray(0, dataset.train.count), params);
      const frame = featureFrame(dataset, split, { inkThreshold: params.inkThreshold });
      log.info("features computed", { rows: frame.height, ms: Math.round(performance.now() - t0) });
      const check = await runSuite(
        { version: `features/${dataset.version}`, frame },
        tableSuite("feature-table", dataset.train.count + dataset.test.count, TABLE_COLUMNS),
      );
      if (!check.success) throw new ValidationFailedError(check);
      const stats = classStats(frame);
      const normalization = normalizationStats(dataset.train);
      const set: FeatureSet = {
        id,
        datasetVersion: dataset.version,
        params,
        columns: frame.columns,
        rows: frame.height,
        ...keys,
        normalization,
        counts: { train: split.train.length, val: split.val.length, test: dataset.test.count },
      };
      const enc = new TextEncoder();
      await ctx.store.put(keys.imagesKey, toBytes(frame.writeParquet()), {
        contentType: "application/vnd.apache.parquet",
      });
      await ctx.store.put(keys.classStatsKey, toBytes(stats.writeParquet()), {
        contentType: "application/vnd.apache.parquet",
      });
      await ctx.store.put(
        keys.splitKey,
        enc.encode(JSON.stringify({
          seed: split.seed,
          valFraction: split.valFraction,
          train: Array.from(split.train),
          val: Array.from(split.val),
        })),
        { contentType: "application/json" },
      );
      await ctx.store.put(keys.metaKey, enc.encode(JSON.stringify(set, null, 2)), {
        contentType: "application/json",
      });
      await registerFeatureSet(ctx, set, frame);
      log.info("feature set stored", { id, ms: Math.round(performance.now() - t0) });
      return { result: set as Json, objects: Object.values(keys) };
    },
  });
  return { ...featureSetSchema.parse(step.result), skipped: step.skipped };
}

const featureSetRowSchema = z.object({
  id: z.string(),
  dataset_version: z.string(),
  meta_key: z.string(),
});

/**
 * The newest feature set registered for `datasetVersion` (or the one with `id`).
 * @throws FeaturesNotFoundError when none is registered.
 */
export async function getFeatureSet(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
  opts: { id?: string } = {},
): Promise<FeatureSet> {
  const rows = opts.id === undefined
    ? await ctx.db.query(
      `SELECT id, dataset_version, meta_key FROM feature_sets WHERE dataset_version = $1
       ORDER BY created_at DESC LIMIT 1`,
      [datasetVersion],
    )
    : await ctx.db.query(
      `SELECT id, dataset_version, meta_key FROM feature_sets
       WHERE dataset_version = $1 AND id = $2`,
      [datasetVersion, opts.id],
    );
  if (rows.length === 0) {
    throw new FeaturesNotFoundError(
      `no feature set registered for dataset version ${datasetVersion}${
        opts.id ? ` with id ${opts.id}` : ""
      }: run the features step (deno task pipeline) first`,
    );
  }
  const row = featureSetRowSchema.parse(rows[0]);
  const meta = await ctx.store.get(row.meta_key);
  return featureSetSchema.parse(JSON.parse(new TextDecoder().decode(meta)));
}

/** The per-image feature table of a dataset version (newest feature set, or `opts.id`). */
export async function loadFeatures(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
  opts: { id?: string } = {},
): Promise<pl.DataFrame> {
  const set = await getFeatureSet(ctx, datasetVersion, opts);
  return pl.readParquet(fromBytes(await ctx.store.get(set.imagesKey)));
}

/** Per-class statistics (one row per split × label) of a dataset version's feature set. */
export async function loadClassStats(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
  opts: { id?: string } = {},
): Promise<pl.DataFrame> {
  const set = await getFeatureSet(ctx, datasetVersion, opts);
  return pl.readParquet(fromBytes(await ctx.store.get(set.classStatsKey)));
}

/** The stored seeded train/validation split (indices into the train split). */
export async function getSplit(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
  opts: { id?: string } = {},
): Promise<TrainValSplit> {
  const set = await getFeatureSet(ctx, datasetVersion, opts);
  const raw = splitFileSchema.parse(
    JSON.parse(new TextDecoder().decode(await ctx.store.get(set.splitKey))),
  );
  return {
    seed: raw.seed,
    valFraction: raw.valFraction,
    train: Int32Array.from(raw.train),
    val: Int32Array.from(raw.val),
  };
}

/** Normalization statistics of a dataset version's feature set. */
export async function getNormalization(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
): Promise<NormalizationStats> {
  return (await getFeatureSet(ctx, datasetVersion)).normalization;
}

/** Features of one image, as stored in `image_features`. */
export interface ImageFeatureRow {
  split: SplitName;
  imageIndex: number;
  label: number;
  subset: Subset;
  features: Record<typeof FEATURE_COLUMNS[number], number>;
}

const imageRowSchema = z.object({
  split: z.enum(["train", "test"]),
  image_index: z.coerce.number().int(),
  label: z.coerce.number().int(),
  subset: z.enum(["train", "val", "test"]),
}).catchall(z.unknown());

/**
 * Features of the images `indices` of `split` from the feature store (DB), in the order asked
 * for; indices that do not exist are omitted.
 */
export async function getImageFeatures(
  ctx: Pick<FeatureCtx, "db" | "store">,
  datasetVersion: string,
  split: SplitName,
  indices: readonly number[],
): Promise<ImageFeatureRow[]> {
  const set = await getFeatureSet(ctx, datasetVersion);
  return await queryImageFeatures(ctx.db, set.id, split, indices);
}

async function queryImageFeatures(
  db: Queryable,
  setId: string,
  split: SplitName,
  indices: readonly number[],
): Promise<ImageFeatureRow[]> {
  if (indices.length === 0) return [];
  const rows = await db.query(
    `SELECT ${TABLE_COLUMNS.join(", ")} FROM image_features
     WHERE feature_set_id = $1 AND split = $2
       AND image_index IN (SELECT (jsonb_array_elements_text($3::jsonb))::int)`,
    [setId, split, JSON.stringify(indices)],
  );
  const byIndex = new Map<number, ImageFeatureRow>();
  for (const raw of rows) {
    const r = imageRowSchema.parse(raw);
    const features = {} as Record<typeof FEATURE_COLUMNS[number], number>;
    for (const c of FEATURE_COLUMNS) features[c] = Number(r[c]);
    byIndex.set(r.image_index, {
      split: r.split,
      imageIndex: r.image_index,
      label: r.label,
      subset: r.subset,
      features,
    });
  }
  return indices.flatMap((i) => byIndex.get(i) ?? []);
}
