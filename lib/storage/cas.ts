/** Content addressing on top of any object store: objects keyed by the SHA-256 of their bytes. */
import { sha256Hex } from "./hash.ts";
import type { ObjectStore } from "./types.ts";

/** Where a content-addressed object lives and what it is. */
export interface ContentRef {
  /** Store key, `cas/sha256/<first 2 hex>/<64 hex>`. */
  key: string;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  /** Size in bytes. */
  size: number;
}

/** Raised when stored bytes no longer hash to the digest they are filed under. */
export class ContentCorruptError extends Error {
  override name = "ContentCorruptError";
  constructor(readonly key: string, readonly expected: string, readonly actual: string) {
    super(
      `corrupt object ${key}: expected sha256 ${expected}, got ${actual}; delete it and put the content again (or pull it from the remote)`,
    );
  }
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** Store key of the content with digest `sha256`. @throws Error for a malformed digest. */
export function contentKey(sha256: string): string {
  if (!SHA256_RE.test(sha256)) {
    throw new Error(`invalid sha256 ${JSON.stringify(sha256)}: expected 64 lower-case hex chars`);
  }
  return `cas/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * Store `bytes` under their content key. Does no write when an object of the same size already
 * sits there (same digest + same size ⇒ same content).
 */
export async function putContent(store: ObjectStore, bytes: Uint8Array): Promise<ContentRef> {
  const sha256 = sha256Hex(bytes);
  const key = contentKey(sha256);
  const existing = await store.stat(key);
  if (existing === null || existing.size !== bytes.length) {
    await store.put(key, bytes, { contentType: "application/octet-stream" });
  }
  return { key, sha256, size: bytes.length };
}

/**
 * Read the content with digest `sha256`, re-verifying the hash.
 * @throws ObjectNotFoundError (from the store) when absent, ContentCorruptError when the bytes do not match.
 */
export async function getContent(store: ObjectStore, sha256: string): Promise<Uint8Array> {
  const key = contentKey(sha256);
  const bytes = await store.get(key);
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw new ContentCorruptError(key, sha256, actual);
  return bytes;
}
