/** Public face of the storage stage: object stores (local FS, S3) and content addressing. */
export { assertKey, InvalidKeyError, ObjectNotFoundError } from "./types.ts";
export type { ObjectInfo, ObjectStore } from "./types.ts";
export { FsObjectStore } from "./fs.ts";
export { S3ObjectStore } from "./s3.ts";
export type { S3StoreOptions } from "./s3.ts";
export { ContentCorruptError, contentKey, getContent, putContent } from "./cas.ts";
export { sha256Hex } from "./hash.ts";
export type { ContentRef } from "./cas.ts";
export { copyObjects, openStore, openStoreAt } from "./open.ts";
export type { CopyResult } from "./open.ts";
