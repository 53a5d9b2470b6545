/**
 * Dataset manifests: the content-addressed description of one dataset version (DVC-style).
 *
 * A manifest has a `content` part (files with their object keys, sizes and SHA-256 of the
 * decompressed bytes; the schema: counts, rows, cols, dtype, label domain) and bookkeeping
 * (`name`, `source`, `createdAt`). The version id is the SHA-256 of the canonical JSON of
 * `content` only, so the same bytes always give the same version whatever their source or time.
 */
import { zodErrorText } from "../config/mod.ts";
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFile } from "../config/mod.ts";
import { canonicalJson, hashJson } from "../hashing/mod.ts";

/** Format tag of manifest documents. */
export const MANIFEST_FORMAT = "fmnist-dataset-manifest/1";
/** File suffix of manifests in the manifest directory. */
export const MANIFEST_SUFFIX = ".dvc.json";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex chars");
const count = z.number().int().nonnegative();

/** One file of a version. */
const manifestFileSchema = z.object({
  /** Base IDX file name, e.g. `train-images-idx3-ubyte`. */
  name: z.string().min(1),
  split: z.enum(["train", "test"]),
  kind: z.enum(["images", "labels"]),
  /** Object-store key (`cas/sha256/..`). */
  key: z.string().min(1),
  /** Decompressed size in bytes. */
  size: count,
  /** SHA-256 of the decompressed bytes. */
  sha256: hex64,
});

/** The hashed part of a manifest. */
const manifestContentSchema = z.object({
  files: z.array(manifestFileSchema).min(1),
  schema: z.object({
    splits: z.object({ train: z.object({ count }), test: z.object({ count }) }),
    rows: z.number().int().positive(),
    cols: z.number().int().positive(),
    dtype: z.literal("uint8"),
    labels: z.object({
      /** Allowed label values (ascending). */
      values: z.array(z.number().int().min(0).max(255)).min(1),
      /** Class name of each value, same order. */
      names: z.array(z.string()),
    }),
  }),
});

/** Where a version's bytes came from. */
const manifestSourceSchema = z.object({
  kind: z.enum(["dir", "url", "store", "memory"]),
  location: z.string(),
});

/** A whole manifest document. */
export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, . _ -"),
  version: hex64,
  content: manifestContentSchema,
  source: manifestSourceSchema,
  createdAt: z.iso.datetime(),
});

/** One file of a version. */
export type ManifestFile = z.infer<typeof manifestFileSchema>;
/** The hashed part of a manifest. */
export type ManifestContent = z.infer<typeof manifestContentSchema>;
/** Where a version's bytes came from. */
export type ManifestSource = z.infer<typeof manifestSourceSchema>;
/** A dataset version manifest. */
export type Manifest = z.infer<typeof manifestSchema>;

/** Raised for a manifest that is malformed or whose version does not match its content. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

/** Version id of `content`: SHA-256 of its canonical JSON. */
export function versionOf(content: ManifestContent): string {
  return hashJson(content);
}

/** Build a manifest (computes the version id). */
export function buildManifest(
  name: string,
  content: ManifestContent,
  source: ManifestSource,
  createdAt = new Date(),
): Manifest {
  return manifestSchema.parse({
    format: MANIFEST_FORMAT,
    name,
    version: versionOf(content),
    content,
    source,
    createdAt: createdAt.toISOString(),
  });
}

/**
 * Validate an untrusted manifest value and check its version id against its content.
 * @param where names the origin in errors (a path or `db`).
 * @throws ManifestError saying what is wrong.
 */
export function parseManifest(value: unknown, where: string): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new ManifestError(`invalid manifest ${where}:\n${zodErrorText(parsed.error)}`);
  }
  const m = parsed.data;
  const actual = versionOf(m.content);
  if (actual !== m.version) {
    throw new ManifestError(
      `manifest ${where} was edited: its version is ${m.version} but its content hashes to ` +
        `${actual}; restore it from git (or re-run the ingest)`,
    );
  }
  return m;
}

/** Path of the manifest of dataset `name` in `dir`. */
export function manifestPath(dir: string, name: string): string {
  return join(dir, `${name}${MANIFEST_SUFFIX}`);
}

/** Serialize a manifest for committing: stable key order, 2-space indent, trailing newline. */
export function formatManifest(m: Manifest): string {
  return JSON.stringify(JSON.parse(canonicalJson(m)), null, 2) + "\n";
}

/**
 * Read and validate `path`. Returns null when the file does not exist.
 * @throws ManifestError for unreadable JSON or an invalid/tampered manifest.
 */
export async function readManifestFile(path: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(
      `manifest ${path} is not valid JSON (${err instanceof Error ? err.message : err}); ` +
        `restore it from git`,
    );
  }
  return parseManifest(value, path);
}

/**
 * Write the manifest of `m.name` into `dir` atomically, unless the file there already holds the
 * same version (so re-ingesting keeps the committed file byte-identical).
 * @returns the path and whether it was (re)written.
 */
export async function writeManifestFile(
  dir: string,
  m: Manifest,
): Promise<{ path: string; written: boolean }> {
  const path = manifestPath(dir, m.name);
  const existing = await readManifestFile(path).catch(() => null);
  if (existing?.version === m.version) return { path, written: false };
  await atomicWriteFile(path, formatManifest(m));
  return { path, written: true };
}

/** Every valid manifest in `dir` (invalid ones are reported through `onError` and skipped). */
export async function readManifestDir(
  dir: string,
  onError?: (path: string, err: unknown) => void,
): Promise<Manifest[]> {
  const out: Manifest[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile || !e.name.endsWith(MANIFEST_SUFFIX)) continue;
    const path = join(dir, e.name);
    try {
      const m = await readManifestFile(path);
      if (m) out.push(m);
    } catch (err) {
      onError?.(path, err);
    }
  }
  return out;
}
