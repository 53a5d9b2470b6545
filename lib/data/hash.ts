/** SHA-256 helpers for dataset bytes (synchronous, native, fast on large buffers). */
import { createHash } from "node:crypto";

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256HexSync(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export function sha256OfText(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
