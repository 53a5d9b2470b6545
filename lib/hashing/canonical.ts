/** Canonical JSON (sorted keys, no whitespace) and its SHA-256: stable hashes of JSON values. */
import { createHash } from "node:crypto";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Serialize `value` with object keys sorted at every level and no whitespace, so equal values
 * always give equal text.
 * @throws TypeError for values JSON cannot represent faithfully (undefined, functions,
 * non-finite numbers, bigint, symbols).
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(v: unknown, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return JSON.stringify(v);
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`${path}: non-finite number ${v} is not JSON`);
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${path}[${i}]`)).join(",")}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `${path}: only plain objects are hashable JSON, got ${proto?.constructor?.name}`,
        );
      }
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
      return `{${
        keys.map((k) => `${JSON.stringify(k)}:${write(rec[k], `${path}.${k}`)}`).join(",")
      }}`;
    }
    default:
      throw new TypeError(`${path}: ${typeof v} is not JSON`);
  }
}

/** Lower-case hex SHA-256 of the canonical JSON of `value`. */
export function hashJson(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value), "utf8").digest("hex");
}
