/**
 * Command-line flag parsing for pipeline entry points: `node:util` parseArgs (strict) followed by
 * a zod schema, with every problem reported as a {@link UsageError} (entry points print it with
 * the usage text and exit 2).
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Raised for unknown flags, missing values or values the schema rejects. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Declaration of one flag for `parseArgs`. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

/** Parsed flags and positional arguments. */
export interface ParsedCli<T> {
  flags: T;
  positionals: string[];
}

/**
 * Parse `argv` against `flags` (declared for `parseArgs`) and validate the result with `schema`.
 * @throws UsageError naming the offending flag.
 */
export function parseCli<S extends z.ZodType>(
  argv: readonly string[],
  flags: Record<string, FlagSpec>,
  schema: S,
  opts: { positionals?: boolean } = {},
): ParsedCli<z.infer<S>> {
  let raw: { values: Record<string, unknown>; positionals: string[] };
  try {
    raw = parseArgs({
      args: [...argv],
      options: flags,
      strict: true,
      allowPositionals: opts.positionals ?? false,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const parsed = schema.safeParse(raw.values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const flag = i.path.length ? `--${i.path.join(".")}` : "flags";
      return `${flag}: ${i.message}`;
    });
    throw new UsageError(lines.join("\n"));
  }
  return { flags: parsed.data, positionals: raw.positionals };
}
