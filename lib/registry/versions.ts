/** Registered models and their immutable versions. */
import type { Queryable } from "../db/mod.ts";
import { type ContentRef, getContent, putContent } from "../storage/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { resolveActor } from "./actor.ts";
import { RegistryInputError, RegistryNotFoundError } from "./errors.ts";
import { recordEvent } from "./events.ts";
import {
  AliasSchema,
  ModelNameSchema,
  type ModelVersion,
  type RegisteredModel,
} from "./schemas.ts";

/** Options of {@link registerModelVersion}. */
export interface RegisterOptions {
  /** Registered model name (created on first registration). */
  name: string;
  /** The model artifact: bytes (stored content-addressed) or a reference to stored content. */
  artifact: Uint8Array | ContentRef;
  /** Input/output signature (any JSON). */
  signature?: unknown;
  /** Evaluation metrics, e.g. `{ accuracy: 0.91 }`. */
  metrics?: Record<string, number>;
  /** Tracking run that produced the model. */
  runId?: string;
  /** Dataset version the model was trained on. */
  datasetVersion?: string;
  /** Model description (set when the model is created). */
  description?: string;
  /** Who registers it (default: `FMNIST_ACTOR`, then `USER`). */
  actor?: string;
}

/** Result of {@link registerModelVersion}. */
export interface RegisterResult {
  version: ModelVersion;
  /** False when the same artifact hash was already registered (that version is returned). */
  created: boolean;
}

/** Validate a model name. @throws RegistryInputError */
export function checkModelName(name: string): string {
  const r = ModelNameSchema.safeParse(name);
  if (!r.success) {
    throw new RegistryInputError(
      `invalid model name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`,
    );
  }
  return name;
}

/** A `registry_versions` row joined with its aliases. */
interface VersionRow {
  model: string;
  version: number;
  artifact_key: string;
  sha256: string;
  size: number;
  signature: unknown;
  metrics: Record<string, number | null>;
  run_id: string | null;
  dataset_version: string | null;
  created_by: string;
  created_at: Date | string;
  aliases: string[] | null;
  onnx_sha256: string | null;
}

const VERSION_SELECT = `SELECT v.*, (
    SELECT coalesce(array_agg(a.alias ORDER BY a.alias), '{}') FROM registry_aliases a
    WHERE a.model = v.model AND a.version = v.version
  ) AS aliases, (
    SELECT o.sha256 FROM registry_onnx o WHERE o.model = v.model AND o.version = v.version
  ) AS onnx_sha256 FROM registry_versions v`;

function toVersion(r: VersionRow): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    artifactKey: r.artifact_key,
    sha256: r.sha256,
    size: Number(r.size),
    signature: r.signature ?? null,
    metrics: r.metrics ?? {},
    runId: r.run_id,
    datasetVersion: r.dataset_version,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    aliases: r.aliases ?? [],
    onnxSha256: r.onnx_sha256 ?? null,
  };
}

function checkMetrics(metrics: Record<string, number>): void {
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RegistryInputError(`metric ${k} must be a finite number, got ${String(v)}`);
    }
  }
}

/** Lock the model row (serializes version numbering and alias moves of one model). */
export async function lockModel(tx: Queryable, name: string): Promise<void> {
  const rows = await tx.query(`SELECT name FROM registry_models WHERE name = $1 FOR UPDATE`, [
    name,
  ]);
  if (rows.length === 0) {
    throw new RegistryNotFoundError(
      `model ${JSON.stringify(name)} is not registered; register a version first`,
    );
  }
}

/**
 * Register a new immutable version of model `name` (the model is created if new). The artifact
 * is stored content-addressed; registering an artifact whose sha256 is already a version of this
 * model returns that version with `created: false` and changes nothing.
 * @throws RegistryInputError on bad names/metrics or an unknown runId.
 */
export async function registerModelVersion(
  ctx: TrackingContext,
  opts: RegisterOptions,
): Promise<RegisterResult> {
  const name = checkModelName(opts.name);
  const metrics = opts.metrics ?? {};
  checkMetrics(metrics);
  const ref: ContentRef = opts.artifact instanceof Uint8Array
    ? await putContent(ctx.store, opts.artifact)
    : opts.artifact;
  if ((await ctx.store.stat(ref.key)) === null) {
    throw new RegistryInputError(
      `artifact ${ref.key} is not in the object store ${ctx.store.location}; put it there first`,
    );
  }
  const actor = resolveActor(opts.actor);
  const result = await ctx.db.transaction(async (tx) => {
    if (opts.runId !== undefined) {
      const run = await tx.query(`SELECT 1 FROM tracking_runs WHERE id = $1`, [opts.runId]);
      if (run.length === 0) {
        throw new RegistryInputError(`runId ${opts.runId} is not a tracked run`);
      }
    }
    await tx.query(
      `INSERT INTO registry_models (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
      [name, opts.description ?? ""],
    );
    await lockModel(tx, name);
    const same = await tx.query<VersionRow>(
      `${VERSION_SELECT} WHERE v.model = $1 AND v.sha256 = $2`,
      [
        name,
        ref.sha256,
      ],
    );
    if (same.length > 0) return { version: toVersion(same[0]), created: false };
    const next = await tx.query<{ n: number }>(
      `SELECT coalesce(max(version), 0) + 1 AS n FROM registry_versions WHERE model = $1`,
      [name],
    );
    const version = next[0].n;
    await tx.query(
      `INSERT INTO registry_versions (model, version, artifact_key, sha256, size, signature,
         metrics, run_id, dataset_version, created_by)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10)`,
      [
        name,
        version,
        ref.key,
        ref.sha256,
        ref.size,
        opts.signature === undefined ? null : JSON.stringify(opts.signature),
        JSON.stringify(metrics),
        opts.runId ?? null,
        opts.datasetVersion ?? null,
        actor,
      ],
    );
    await recordEvent(tx, {
      model: name,
      kind: "register",
      alias: null,
      fromVersion: null,
      toVersion: version,
      actor,
      reason: null,
      details: { sha256: ref.sha256, runId: opts.runId ?? null, metrics },
    });
    const rows = await tx.query<VersionRow>(
      `${VERSION_SELECT} WHERE v.model = $1 AND v.version = $2`,
      [
        name,
        version,
      ],
    );
    return { version: toVersion(rows[0]), created: true };
  });
  if (result.created) {
    ctx.log.info("model version registered", {
      model: name,
      version: result.version.version,
      sha256: ref.sha256,
      actor,
    });
  }
  return result;
}

/**
 * A version by number, or by alias (`"champion"`), or `"latest"`.
 * @throws RegistryNotFoundError when the model, version or alias does not exist.
 */
export async function getModelVersion(
  ctx: TrackingContext,
  name: string,
  ref: number | string,
): Promise<ModelVersion> {
  checkModelName(name);
  let rows: VersionRow[];
  if (typeof ref === "number" || /^\d+$/.test(ref)) {
    rows = await ctx.db.query<VersionRow>(
      `${VERSION_SELECT} WHERE v.model = $1 AND v.version = $2`,
      [
        name,
        Number(ref),
      ],
    );
  } else if (ref === "latest") {
    rows = await ctx.db.query<VersionRow>(
      `${VERSION_SELECT} WHERE v.model = $1 ORDER BY v.version DESC LIMIT 1`,
      [name],
    );
  } else {
    const alias = AliasSchema.safeParse(ref);
    if (!alias.success) {
      throw new RegistryInputError(
        `invalid version reference ${
          JSON.stringify(ref)
        }: give a version number, "latest" or an alias`,
      );
    }
    rows = await ctx.db.query<VersionRow>(
      `${VERSION_SELECT} JOIN registry_aliases x ON x.model = v.model AND x.version = v.version
       WHERE v.model = $1 AND x.alias = $2`,
      [name, ref],
    );
  }
  if (rows.length === 0) {
    throw new RegistryNotFoundError(
      `model ${name} has no version ${JSON.stringify(ref)}; list versions with listModelVersions`,
    );
  }
  return toVersion(rows[0]);
}

/** All versions of a model, oldest first. */
export async function listModelVersions(
  ctx: TrackingContext,
  name: string,
): Promise<ModelVersion[]> {
  checkModelName(name);
  const rows = await ctx.db.query<VersionRow>(
    `${VERSION_SELECT} WHERE v.model = $1 ORDER BY v.version`,
    [
      name,
    ],
  );
  return rows.map(toVersion);
}

/** All registered models with their latest version and aliases, by name. */
export async function listModels(ctx: TrackingContext): Promise<RegisteredModel[]> {
  const models = await ctx.db.query<{
    name: string;
    description: string;
    created_at: Date | string;
    latest: number | null;
  }>(
    `SELECT m.name, m.description, m.created_at,
       (SELECT max(version) FROM registry_versions v WHERE v.model = m.name) AS latest
     FROM registry_models m ORDER BY m.name`,
  );
  const aliases = await ctx.db.query<{ model: string; alias: string; version: number }>(
    `SELECT model, alias, version FROM registry_aliases ORDER BY model, alias`,
  );
  return models.map((m) => ({
    name: m.name,
    description: m.description,
    createdAt: new Date(m.created_at).toISOString(),
    latestVersion: m.latest,
    aliases: Object.fromEntries(
      aliases.filter((a) => a.model === m.name).map((a) => [a.alias, a.version]),
    ),
  }));
}

/** The registered model `name`; {@link RegistryNotFoundError} when there is none. */
export async function getModel(ctx: TrackingContext, name: string): Promise<RegisteredModel> {
  const models = await listModels(ctx);
  const model = models.find((m) => m.name === name);
  if (!model) {
    throw new RegistryNotFoundError(
      `model ${JSON.stringify(name)} is not registered (registered: ${
        models.map((m) => m.name).join(", ") || "none"
      }); see GET /v1/models`,
    );
  }
  return model;
}

/** The artifact bytes of a version (number, alias or `"latest"`), re-verified by sha256. */
export async function loadModelArtifact(
  ctx: TrackingContext,
  name: string,
  ref: number | string,
): Promise<{ version: ModelVersion; bytes: Uint8Array }> {
  const version = await getModelVersion(ctx, name, ref);
  return { version, bytes: await getContent(ctx.store, version.sha256) };
}
