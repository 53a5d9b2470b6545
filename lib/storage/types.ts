/** The object-store contract shared by every implementation (local filesystem, S3). */

/** Metadata of one stored object. */
export interface ObjectInfo {
  /** Key relative to the store root, `/`-separated, e.g. `cas/sha256/ab/ab12…`. */
  key: string;
  /** Size in bytes. */
  size: number;
}

/** An object store: a flat namespace of keys holding immutable byte strings. */
export interface ObjectStore {
  /** Implementation kind. */
  readonly kind: "fs" | "s3";
  /** Human-readable location (directory path or `s3://bucket/prefix`). */
  readonly location: string;
  /** Store `data` under `key` atomically (readers never see a partial object). */
  put(key: string, data: Uint8Array, opts?: { contentType?: string }): Promise<ObjectInfo>;
  /** Read an object. @throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Uint8Array>;
  /** Metadata of an object, or null when absent. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** All objects whose key starts with `prefix`, sorted by key. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Remove an object (no error when absent). */
  delete(key: string): Promise<void>;
  /** Release connections/handles. */
  close(): Promise<void>;
}

/** Raised when a key does not exist in the store. */
export class ObjectNotFoundError extends Error {
  override name = "ObjectNotFoundError";
  constructor(readonly key: string, location: string) {
    super(`object not found: ${key} in ${location}`);
  }
}

/** Raised for keys that are empty, absolute, contain `..`, or use characters outside `[A-Za-z0-9._=/-]`. */
export class InvalidKeyError extends Error {
  override name = "InvalidKeyError";
}

const KEY_RE = /^[A-Za-z0-9._=-]+(\/[A-Za-z0-9._=-]+)*$/;

/** Validate an object key; returns it unchanged. @throws InvalidKeyError */
export function assertKey(key: string): string {
  if (!KEY_RE.test(key) || key.split("/").some((p) => p === "." || p === "..")) {
    throw new InvalidKeyError(
      `invalid object key ${
        JSON.stringify(key)
      }: use relative '/'-separated segments of [A-Za-z0-9._=-], without '.' or '..'`,
    );
  }
  return key;
}
