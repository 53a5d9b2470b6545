/** Public face of hashing: canonical JSON and its SHA-256 (stable hashes of JSON values). */
export { canonicalJson, hashJson } from "./canonical.ts";
export type { Json } from "./canonical.ts";
