/**
 * Reference profiles stored with their model version: the profile JSON goes content-addressed
 * into the object store and `drift_profiles` links it to the registry version (registry rows are
 * immutable, so the link lives beside them). Drift events go to `drift_events`.
 */
import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { type ImageSet, loadDataset } from "../data/mod.ts";
import type { Db } from "../db/mod.ts";
import { getSplit, mulberry32 } from "../features/mod.ts";
import { loadModelArtifact, type Signature } from "../models/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { getModelVersion, type ModelVersion } from "../registry/mod.ts";
import { getContent, putContent } from "../storage/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import type { DriftReport } from "./detect.ts";
import { pickImages } from "./outputs.ts";
import { buildProfile, type Profile, profileSchema, sampleIndices } from "./profile.ts";

/** A loaded model version with what drift detection needs. */
export interface DriftModel {
  version: ModelVersion;
  model: tf.LayersModel;
  signature: Signature;
}

/** Load a registered version's tfjs model and signature (`ref`: number, alias or `latest`). */
export async function loadDriftModel(
  ctx: TrackingContext,
  name: string,
  ref: number | string,
): Promise<DriftModel> {
  const version = await getModelVersion(ctx, name, ref);
  const { model, manifest } = await loadModelArtifact(ctx.store, version.sha256);
  return { version, model, signature: manifest.signature };
}

/** The stored profile of a version, or null. */
export async function loadProfile(
  ctx: TrackingContext,
  name: string,
  version: number,
): Promise<Profile | null> {
  const rows = await ctx.db.query<{ profile_sha256: string }>(
    `SELECT profile_sha256 FROM drift_profiles WHERE model = $1 AND version = $2`,
    [name, version],
  );
  if (rows.length === 0) return null;
  const bytes = await getContent(ctx.store, rows[0].profile_sha256);
  return profileSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** Store a profile and link it to its version (replacing an earlier link). Returns its sha256. */
export async function saveProfile(ctx: TrackingContext, profile: Profile): Promise<string> {
  const ref = await putContent(ctx.store, new TextEncoder().encode(JSON.stringify(profile)));
  await ctx.db.query(
    `INSERT INTO drift_profiles (model, version, profile_sha256, source, reference_count)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (model, version) DO UPDATE SET profile_sha256 = EXCLUDED.profile_sha256,
       source = EXCLUDED.source, reference_count = EXCLUDED.reference_count, created_at = now()`,
    [profile.model.name, profile.model.version, ref.sha256, profile.source, profile.referenceCount],
  );
  return ref.sha256;
}

/** Options of {@link referenceImages} and {@link ensureProfile}. */
const referenceOptionsSchema = z.object({
  /** Most reference images (a seeded sample beyond; default 10,000). */
  maxReference: z.number().int().min(20).default(10_000),
  seed: z.number().int().default(0),
});

/**
 * The images a version's reference profile is computed from: the validation split of the
 * feature store for the version's dataset (latest dataset when not recorded); the train split
 * when no feature set exists. At most `maxReference`, a seeded sample.
 */
export async function referenceImages(
  ctx: Pick<Ctx, "db" | "store" | "manifestDir">,
  version: ModelVersion,
  opts: z.input<typeof referenceOptionsSchema> = {},
): Promise<{ images: ImageSet; source: string }> {
  const o = referenceOptionsSchema.parse(opts);
  const ds = version.datasetVersion
    ? await loadDataset(ctx, version.datasetVersion)
    : await loadDataset(ctx);
  let idx: Int32Array;
  let what: string;
  try {
    idx = (await getSplit(ctx, ds.version)).val;
    what = "validation split";
  } catch {
    idx = Int32Array.from({ length: ds.train.count }, (_, i) => i);
    what = "train split (no feature set)";
  }
  const pick = sampleIndices(idx.length, o.maxReference, mulberry32(o.seed));
  const chosen = Array.from(pick, (i) => idx[i]);
  return {
    images: pickImages(ds.train, chosen),
    source: `fashion-mnist ${ds.version.slice(0, 12)} ${what}, ${chosen.length} images`,
  };
}

/** The version's stored profile, computing and storing it first when missing. */
export async function ensureProfile(
  ctx: Ctx,
  m: DriftModel,
  opts: z.input<typeof referenceOptionsSchema> = {},
): Promise<{ profile: Profile; created: boolean }> {
  const have = await loadProfile(ctx, m.version.model, m.version.version);
  if (have) return { profile: have, created: false };
  const ref = await referenceImages(ctx, m.version, opts);
  const profile = buildProfile(m.model, ref.images, {
    model: { name: m.version.model, version: m.version.version, sha256: m.version.sha256 },
    signature: m.signature,
    source: ref.source,
    seed: opts.seed ?? 0,
  });
  await saveProfile(ctx, profile);
  return { profile, created: true };
}

/** A recorded drift event. */
export interface DriftEvent {
  id: number;
  model: string;
  version: number;
  origin: "live" | "batch";
  windowSize: number;
  detectors: string[];
  at: string;
}

/** Record a drift event (a report whose verdict is drift). Returns its id. */
export async function recordDriftEvent(
  db: Pick<Db, "query">,
  e: { model: string; version: number; origin: "live" | "batch"; report: DriftReport },
): Promise<number> {
  const rows = await db.query<{ id: number | string }>(
    `INSERT INTO drift_events (model, version, origin, window_size, detectors, report)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [
      e.model,
      e.version,
      e.origin,
      e.report.count,
      e.report.detectors.filter((d) => d.drift).map((d) => d.detector),
      JSON.stringify(e.report),
    ],
  );
  return Number(rows[0].id);
}

/** Drift events of a model, newest first. */
export async function listDriftEvents(
  db: Pick<Db, "query">,
  model: string,
  limit = 20,
): Promise<DriftEvent[]> {
  const rows = await db.query<{
    id: number | string;
    model: string;
    version: number;
    origin: "live" | "batch";
    window_size: number;
    detectors: string[];
    at: Date | string;
  }>(
    `SELECT id, model, version, origin, window_size, detectors, at FROM drift_events
     WHERE model = $1 ORDER BY id DESC LIMIT $2`,
    [model, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    model: r.model,
    version: r.version,
    origin: r.origin,
    windowSize: r.window_size,
    detectors: r.detectors,
    at: new Date(r.at).toISOString(),
  }));
}
