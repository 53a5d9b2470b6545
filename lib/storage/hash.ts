/** The one SHA-256 helper of `lib/`: synchronous and native (fast on large buffers). */
import { createHash } from "node:crypto";

/** Lower-case hex SHA-256 of `data` (a string is hashed as UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
