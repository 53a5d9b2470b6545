/**
 * A model reference as the command-line tools take it: `NAME` (its champion) or `NAME@REF`, where
 * REF is a version number, an alias or `latest` — parsed once, for every entry point.
 */
import { z } from "zod";
import { CHAMPION } from "./schemas.ts";

/** `NAME` or `NAME@REF` → `{ name, ref }`; a numeric REF becomes a version number. */
export const ModelRefSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*(@[A-Za-z0-9_-]+)?$/,
    "use NAME or NAME@REF (a version number, an alias or latest), e.g. fmnist@champion",
  )
  .transform((text) => {
    const [name, ref] = text.split("@");
    return {
      name,
      ref: ref === undefined ? CHAMPION : /^\d+$/.test(ref) ? Number(ref) : ref,
    } as ModelRef;
  });

/** A parsed model reference. */
export interface ModelRef {
  name: string;
  /** A version number, or an alias (`champion`, `latest`, …). */
  ref: number | string;
}
