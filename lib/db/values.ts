/**
 * Value parsing shared by both engines, so PGlite and Postgres return identical JS values:
 * int8/bigint/bigserial/count(*) → `number`, bytea → plain `Uint8Array`; timestamptz → `Date`
 * and json/jsonb → parsed values are what both drivers already return.
 */

/** Type OIDs normalized here. */
export const OID = { int8: 20, bytea: 17, json: 114, jsonb: 3802 } as const;

/**
 * Parse an int8 text value as a JS number. Values beyond ±2^53 lose precision (this workspace
 * stores counts, sizes and ids far below that); cast to `text` in SQL when exactness matters.
 */
export function parseInt8(text: string): number {
  return Number(text);
}

/** Parse bytea in Postgres hex output format (`\x0a0b…`) into a plain `Uint8Array`. */
export function parseBytea(text: string): Uint8Array {
  const hex = text.startsWith("\\x") ? text.slice(2) : text;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Serialize a json/jsonb parameter: strings are JSON text already, other values are stringified. */
export function serializeJson(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
