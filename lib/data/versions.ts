/**
 * Dataset versions: registering manifests in the database, looking them up, and loading a
 * version's bytes back from the object store (hash-verified) as a {@link Dataset}.
 *
 * A version reference is a dataset name (`fashion-mnist`: the version its committed manifest in
 * the manifest dir points to, else the newest registered one), a full version id, or a unique
 * prefix of one (at least 6 hex chars).
 */
import { LRUCache } from "lru-cache";
import { z } from "zod";
import type { Queryable } from "../db/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { contentKey, ObjectNotFoundError, type ObjectStore, sha256Hex } from "../storage/mod.ts";
import { ChecksumMismatchError } from "./checksums.ts";
import { readIdx, writeIdx } from "./idx.ts";
import {
  buildManifest,
  type Manifest,
  type ManifestContent,
  type ManifestFile,
  manifestPath,
  type ManifestSource,
  parseManifest,
  readManifestDir,
  readManifestFile,
  writeManifestFile,
} from "./manifest.ts";
import { type Dataset, type ImageSet, LABEL_NAMES, type SplitName } from "./types.ts";

/** Name of the official dataset and the default reference of {@link loadDataset}. */
export const DEFAULT_DATASET = "fashion-mnist";

/** Raised when a version reference matches nothing, or more than one version. */
export class VersionNotFoundError extends Error {
  override name = "VersionNotFoundError";
}

/** Raised when a version's objects are missing from the store. */
export class DatasetUnavailableError extends Error {
  override name = "DatasetUnavailableError";
}

/** Summary of a registered version. */
export interface VersionInfo {
  id: string;
  name: string;
  createdAt: Date;
  totalBytes: number;
  source: string;
  counts: { train: number; test: number };
}

/** What {@link loadDataset} needs from the context. */
export type DataCtx = Pick<Ctx, "store" | "db" | "manifestDir">;

const versionRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  manifest: z.unknown(),
  total_bytes: z.coerce.number(),
  source: z.string(),
  created_at: z.preprocess((v) => (v instanceof Date ? v : new Date(String(v))), z.date()),
});

function totalBytes(m: Manifest): number {
  return m.content.files.reduce((a, f) => a + f.size, 0);
}

/**
 * Register `m` in `dataset_versions` (no-op when the version is already registered).
 * @returns whether a new row was inserted.
 */
export async function registerVersion(db: Queryable, m: Manifest): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO dataset_versions (id, name, manifest, total_bytes, source, created_at)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6::timestamptz)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      m.version,
      m.name,
      JSON.stringify(m),
      totalBytes(m),
      `${m.source.kind}:${m.source.location}`,
      m.createdAt,
    ],
  );
  return rows.length === 1;
}

/** Registered versions, newest first (optionally of one dataset name). */
export async function listVersions(ctx: Pick<Ctx, "db">, name?: string): Promise<VersionInfo[]> {
  const rows = name === undefined
    ? await ctx.db.query(`SELECT * FROM dataset_versions ORDER BY created_at DESC, id`)
    : await ctx.db.query(
      `SELECT * FROM dataset_versions WHERE name = $1 ORDER BY created_at DESC, id`,
      [name],
    );
  return rows.map((row) => {
    const r = versionRowSchema.parse(row);
    const m = parseManifest(r.manifest, `dataset_versions row ${r.id}`);
    return {
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      totalBytes: r.total_bytes,
      source: r.source,
      counts: {
        train: m.content.schema.splits.train.count,
        test: m.content.schema.splits.test.count,
      },
    };
  });
}

async function fromDb(db: Queryable, sql: string, params: unknown[]): Promise<Manifest[]> {
  const rows = await db.query(sql, params);
  return rows.map((row) => {
    const r = versionRowSchema.parse(row);
    return parseManifest(r.manifest, `dataset_versions row ${r.id}`);
  });
}

/**
 * Resolve a version reference (dataset name, version id or unique id prefix) to its manifest,
 * from the committed manifests in `ctx.manifestDir` and the `dataset_versions` table.
 * @throws VersionNotFoundError when nothing (or more than one version) matches.
 */
export async function getVersion(ctx: DataCtx, ref: string = DEFAULT_DATASET): Promise<Manifest> {
  const r = ref.trim();
  if (/^[0-9a-f]{6,64}$/.test(r)) {
    const byId = await fromDb(
      ctx.db,
      `SELECT * FROM dataset_versions WHERE id LIKE $1 ORDER BY id LIMIT 2`,
      [`${r}%`],
    );
    const files = (await readManifestDir(ctx.manifestDir)).filter((m) => m.version.startsWith(r));
    const ids = new Set([...byId, ...files].map((m) => m.version));
    if (ids.size > 1) {
      throw new VersionNotFoundError(
        `version prefix ${r} is ambiguous (${[...ids].join(", ")}); give more characters`,
      );
    }
    const hit = byId[0] ?? files[0];
    if (hit) return hit;
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(r)) {
    throw new VersionNotFoundError(
      `invalid dataset reference ${JSON.stringify(r)}: use a dataset name (lower-case letters, ` +
        `digits, . _ -), a version id or a prefix of one`,
    );
  }
  const committed = await readManifestFile(manifestPath(ctx.manifestDir, r));
  if (committed) return committed;
  const newest = await fromDb(
    ctx.db,
    `SELECT * FROM dataset_versions WHERE name = $1 ORDER BY created_at DESC LIMIT 1`,
    [r],
  );
  if (newest[0]) return newest[0];
  throw new VersionNotFoundError(
    `no dataset version matches ${JSON.stringify(r)} (looked for a version id, and for a dataset ` +
      `name in ${ctx.manifestDir} and the database); run \`deno task pipeline:data\` to ingest ` +
      `Fashion-MNIST, or \`deno task data:pull\` to fetch the committed version's objects`,
  );
}

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /** Bypass the in-process cache and re-read (and re-verify) the bytes from the store. */
  fresh?: boolean;
}

const CACHE_LIMIT = 2;
/** Loaded datasets by store and version id (each Fashion-MNIST version is ~55 MB). */
const cache = new LRUCache<string, Promise<Dataset>>({ max: CACHE_LIMIT });

async function readVerified(
  store: ObjectStore,
  f: ManifestFile,
  version: string,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await store.get(f.key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) {
      throw new DatasetUnavailableError(
        `dataset version ${version.slice(0, 12)}: ${f.name} (${f.key}) is missing from the ` +
          `object store ${store.location}; run \`deno task data:pull\` (or \`deno task pipeline:data\`)`,
      );
    }
    throw err;
  }
  if (bytes.length !== f.size) {
    throw new ChecksumMismatchError(
      `${f.name} (${f.key}, ${bytes.length} bytes, expected ${f.size})`,
      f.sha256,
      sha256Hex(bytes),
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== f.sha256) {
    throw new ChecksumMismatchError(`${f.name} (${f.key})`, f.sha256, actual);
  }
  return bytes;
}

function fileFor(m: Manifest, split: SplitName, kind: "images" | "labels"): ManifestFile {
  const f = m.content.files.find((x) => x.split === split && x.kind === kind);
  if (!f) {
    throw new VersionNotFoundError(`dataset version ${m.version} has no ${split} ${kind} file`);
  }
  return f;
}

async function readDataset(ctx: DataCtx, m: Manifest): Promise<Dataset> {
  const { rows, cols, labels: domain } = m.content.schema;
  const allowed = new Uint8Array(256);
  for (const v of domain.values) allowed[v] = 1;
  const split = async (s: SplitName): Promise<ImageSet> => {
    const fi = fileFor(m, s, "images");
    const fl = fileFor(m, s, "labels");
    const n = m.content.schema.splits[s].count;
    const [ib, lb] = await Promise.all([
      readVerified(ctx.store, fi, m.version),
      readVerified(ctx.store, fl, m.version),
    ]);
    const images = readIdx(ib, fi.name, { kind: "images", dims: [n, rows, cols] });
    const labels = readIdx(lb, fl.name, { kind: "labels", dims: [n] });
    for (let i = 0; i < labels.data.length; i++) {
      if (!allowed[labels.data[i]]) {
        throw new VersionNotFoundError(
          `${fl.name}: label ${labels.data[i]} at index ${i} is outside the domain ` +
            `[${domain.values.join(",")}] of version ${m.version}`,
        );
      }
    }
    return { count: n, rows, cols, images: images.data, labels: labels.data };
  };
  const [train, test] = await Promise.all([split("train"), split("test")]);
  return { version: m.version, train, test };
}

/**
 * Load a dataset version (default: the committed `fashion-mnist` manifest; a manifest already
 * read skips the lookup) from the object
 * store, verifying every file's SHA-256. Results are cached per store and version in this
 * process (the last {@link CACHE_LIMIT} versions), so treat the returned arrays as read-only —
 * copy before mutating.
 * @throws VersionNotFoundError, DatasetUnavailableError (objects missing: pull or ingest),
 * ChecksumMismatchError (store corrupted).
 */
export async function loadDataset(
  ctx: DataCtx,
  ref: string | Manifest = DEFAULT_DATASET,
  opts: LoadOptions = {},
): Promise<Dataset> {
  const m = typeof ref === "string" ? await getVersion(ctx, ref) : ref;
  const key = `${ctx.store.location}\u0000${m.version}`;
  const hit = opts.fresh ? undefined : cache.get(key);
  if (hit) return await hit;
  const p = readDataset(ctx, m);
  cache.set(key, p);
  p.catch(() => {
    if (cache.peek(key) === p) cache.delete(key);
  });
  return await p;
}

/** Drop the in-process dataset cache (tests, memory pressure). */
export function clearDatasetCache(): void {
  cache.clear();
}

/** The manifest content describing `files` of a dataset with the given shape. */
export function describeContent(
  files: ManifestFile[],
  counts: { train: number; test: number },
  rows: number,
  cols: number,
  labelValues: number[] = LABEL_NAMES.map((_, i) => i),
): ManifestContent {
  return {
    files,
    schema: {
      splits: { train: { count: counts.train }, test: { count: counts.test } },
      rows,
      cols,
      dtype: "uint8",
      labels: {
        values: labelValues,
        names: labelValues.map((v) => LABEL_NAMES[v] ?? `class-${v}`),
      },
    },
  };
}

/** Options of {@link saveDatasetVersion}. */
export interface SaveOptions {
  /** Dataset name (manifest file `<name>.dvc.json`), e.g. `fashion-mnist-small`. */
  name: string;
  /** Where the data came from (default `{kind: "memory"}`). */
  source?: ManifestSource;
  /** Also write the manifest file into `ctx.manifestDir` (default true). */
  writeManifest?: boolean;
}

/**
 * Store an in-memory dataset as a new version: IDX bytes to the store under CAS keys, the
 * manifest into `ctx.manifestDir` and the `dataset_versions` table. Idempotent: the same content
 * gives the same version and writes nothing new. Useful for derived subsets and for tests.
 * @throws RangeError when the image sets are inconsistent or labels exceed 0..9.
 */
export async function saveDatasetVersion(
  ctx: DataCtx,
  splits: { train: ImageSet; test: ImageSet },
  opts: SaveOptions,
): Promise<Manifest> {
  const { rows, cols } = splits.train;
  if (splits.test.rows !== rows || splits.test.cols !== cols) {
    throw new RangeError(
      `train is ${rows}×${cols} but test is ${splits.test.rows}×${splits.test.cols}`,
    );
  }
  const files: ManifestFile[] = [];
  for (const s of ["train", "test"] as const) {
    const set = splits[s];
    if (set.images.length !== set.count * rows * cols || set.labels.length !== set.count) {
      throw new RangeError(
        `${s}: ${set.count} images need ${set.count * rows * cols} pixel ` +
          `bytes and ${set.count} labels; got ${set.images.length} and ${set.labels.length}`,
      );
    }
    if (set.labels.some((l) => l >= LABEL_NAMES.length)) {
      throw new RangeError(`${s}: labels must be 0..${LABEL_NAMES.length - 1}`);
    }
    const prefix = s === "train" ? "train" : "t10k";
    for (
      const [kind, bytes] of [
        ["images", writeIdx([set.count, rows, cols], set.images)],
        ["labels", writeIdx([set.count], set.labels)],
      ] as const
    ) {
      const sha256 = sha256Hex(bytes);
      const key = contentKey(sha256);
      const existing = await ctx.store.stat(key);
      if (existing?.size !== bytes.length) await ctx.store.put(key, bytes);
      files.push({
        name: `${prefix}-${kind}-idx${kind === "images" ? 3 : 1}-ubyte`,
        split: s,
        kind,
        key,
        size: bytes.length,
        sha256,
      });
    }
  }
  const content = describeContent(
    files,
    { train: splits.train.count, test: splits.test.count },
    rows,
    cols,
  );
  const m = buildManifest(
    opts.name,
    content,
    opts.source ?? { kind: "memory", location: "in-process" },
  );
  if (opts.writeManifest ?? true) await writeManifestFile(ctx.manifestDir, m);
  await registerVersion(ctx.db, m);
  return m;
}
