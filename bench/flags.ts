/**
 * Flag parsing for `deno task bench:*`: the pipelines' `parseCli` (strict `parseArgs` + a zod
 * schema); a bad flag prints `NAME: problem` and exits 2 instead of throwing.
 */
import type { z } from "zod";
import { type FlagSpec, parseCli, UsageError } from "../lib/pipeline/mod.ts";

/** Parse `Deno.args` for bench `name`, or exit 2 naming the bad flag. */
export function benchFlags<S extends z.ZodType>(
  name: string,
  flags: Record<string, FlagSpec>,
  schema: S,
): z.infer<S> {
  try {
    return parseCli(Deno.args, flags, schema).flags;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${name}: ${err.message}`);
    Deno.exit(2);
  }
}
