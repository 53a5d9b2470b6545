/** Opening object stores from settings or a location string, and copying between stores. */
import { resolve } from "node:path";
import { type Settings, statePaths } from "../config/mod.ts";
import { FsObjectStore } from "./fs.ts";
import { S3ObjectStore } from "./s3.ts";
import type { ObjectStore } from "./types.ts";

/** The workspace object store: S3 when `settings.s3` is set, else the state dir's `objects/`. */
export function openStore(settings: Settings): ObjectStore {
  if (settings.s3) return new S3ObjectStore(settings.s3);
  return new FsObjectStore(statePaths(settings.stateDir).objects);
}

/**
 * Open the store at `location`: `s3://bucket[/prefix]` (endpoint and credentials from the
 * `FMNIST_REMOTE_S3_*` settings, else the workspace's `S3_*`; the bucket named in the URL wins over `S3_BUCKET`), `file:///dir`, or a
 * directory path (relative paths resolve against the working directory).
 * @throws Error naming what is missing when an `s3://` location lacks S3 settings.
 */
export function openStoreAt(location: string, settings: Settings): ObjectStore {
  const loc = location.trim();
  if (loc === "") throw new Error("empty store location: use s3://bucket/prefix or a directory");
  if (loc.startsWith("s3://")) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(loc);
    if (!m) throw new Error(`invalid store location ${loc}: expected s3://bucket/prefix`);
    const s3 = settings.remoteS3 ?? settings.s3;
    if (!s3) {
      throw new Error(
        `store location ${loc} needs S3 credentials: set FMNIST_REMOTE_S3_ENDPOINT, ` +
          `FMNIST_REMOTE_S3_ACCESS_KEY and FMNIST_REMOTE_S3_SECRET_KEY (or the workspace's S3_*)`,
      );
    }
    return new S3ObjectStore({ ...s3, bucket: m[1], prefix: m[2] });
  }
  if (loc.startsWith("file://")) {
    return new FsObjectStore(decodeURIComponent(new URL(loc).pathname));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(loc)) {
    throw new Error(`unsupported store location ${loc}: use s3://bucket/prefix or a directory`);
  }
  return new FsObjectStore(resolve(loc));
}

/** Outcome of {@link copyObjects}. */
export interface CopyResult {
  /** Keys copied (absent or of a different size in the target). */
  copied: string[];
  /** Keys already present with the same size. */
  skipped: string[];
  /** Bytes transferred. */
  bytes: number;
}

/**
 * Copy `keys` (default: every key of `from`) that `to` lacks or holds with a different size.
 * Each object is written atomically; `onProgress(done, total, key)` runs after each key.
 * @throws ObjectNotFoundError when a requested key is missing from `from`.
 */
export async function copyObjects(
  from: ObjectStore,
  to: ObjectStore,
  keys?: readonly string[],
  onProgress?: (done: number, total: number, key: string) => void,
): Promise<CopyResult> {
  const wanted = keys ?? (await from.list()).map((o) => o.key);
  const result: CopyResult = { copied: [], skipped: [], bytes: 0 };
  let done = 0;
  for (const key of wanted) {
    const [src, dst] = await Promise.all([from.stat(key), to.stat(key)]);
    if (src !== null && dst !== null && dst.size === src.size) {
      result.skipped.push(key);
    } else {
      const bytes = await from.get(key); // throws ObjectNotFoundError when src is null
      await to.put(key, bytes);
      result.copied.push(key);
      result.bytes += bytes.length;
    }
    onProgress?.(++done, wanted.length, key);
  }
  return result;
}
