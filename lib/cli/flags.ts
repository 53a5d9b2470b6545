/**
 * Flags derived from a zod object schema, written once: each key is a `--flag`, its type picks
 * how `node:util` parseArgs reads it (boolean → switch, array → repeatable, anything else →
 * a value), and its metadata gives the help line:
 *
 * ```ts
 * z.object({
 *   epochs: z.coerce.number().int().positive().optional()
 *     .meta({ description: "override the recipe's epochs", arg: "N" }),
 *   quiet: z.boolean().optional().meta({ description: "no progress", short: "q" }),
 * })
 * ```
 *
 * `description` (or `.describe()`) is the help text, `arg` the value placeholder (default: the
 * enum's values joined by `|`, `N` for numbers, `VALUE` otherwise) and `short` a one-letter
 * alias. Defaults (`.default(x)`) are shown in the help. Every problem is a {@link UsageError}.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "./errors.ts";

/** A zod object schema whose keys are flag names. */
export type FlagsSchema = z.ZodObject<z.ZodRawShape>;

/** How one flag is read and shown, derived from its schema. */
export interface FlagInfo {
  name: string;
  kind: "boolean" | "string" | "multiple";
  short?: string;
  /** Placeholder of the value in the help, e.g. `N`, `default|quick`. */
  arg?: string;
  description?: string;
  /** The schema's default, shown as `(default: …)`. */
  defaultValue?: unknown;
}

/** Parsed flags and positional arguments. */
export interface ParsedCli<T> {
  flags: T;
  positionals: string[];
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string | number>;
  values?: unknown[];
};

const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function meta(s: z.ZodType): Record<string, unknown> {
  return (z.globalRegistry.get(s) as Record<string, unknown> | undefined) ?? {};
}

/** Describe one flag from its schema (unwrapping optional/default/pipe wrappers). */
export function flagInfo(name: string, schema: z.ZodType): FlagInfo {
  const info: FlagInfo = { name, kind: "string" };
  let s: z.ZodType | undefined = schema;
  while (s) {
    const m = meta(s);
    info.description ??= typeof m.description === "string" ? m.description : undefined;
    info.arg ??= typeof m.arg === "string" ? m.arg : undefined;
    info.short ??= typeof m.short === "string" ? m.short : undefined;
    const d = def(s);
    if (d.type === "default" || d.type === "prefault") {
      if (info.defaultValue === undefined) info.defaultValue = d.defaultValue;
      s = d.innerType;
    } else if (d.type === "pipe") s = d.in;
    else if (d.innerType) s = d.innerType;
    else {
      if (d.type === "boolean") info.kind = "boolean";
      else if (d.type === "array") info.kind = "multiple";
      else if (d.type === "enum" && d.entries) info.arg ??= Object.values(d.entries).join("|");
      else if (d.type === "literal" && d.values) info.arg ??= d.values.join("|");
      else if (d.type === "number" || d.type === "int") info.arg ??= "N";
      break;
    }
  }
  if (info.kind !== "boolean") info.arg ??= "VALUE";
  return info;
}

/** The flags of `schema`, in declaration order. */
export function flagInfos(schema: FlagsSchema): FlagInfo[] {
  return Object.entries(schema.shape).map(([name, s]) => flagInfo(name, s as z.ZodType));
}

/** Word-wrap `text` (paragraphs split on newlines) at `width` columns. */
export function wrap(text: string, width = 100): string {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** Aligned help lines (`  --name ARG   description (default: x)`) for `flags`. */
export function formatFlags(flags: FlagInfo[]): string[] {
  const left = flags.map((f) =>
    `${f.short ? `-${f.short}, ` : ""}--${f.name}${f.arg ? ` ${f.arg}` : ""}`
  );
  // Flags longer than 24 columns put their description on the next line.
  const width = Math.min(24, Math.max(0, ...left.map((l) => l.length))) + 2;
  return flags.map((f, i) => {
    const dflt = f.defaultValue === undefined || f.defaultValue === false
      ? ""
      : ` (default: ${Array.isArray(f.defaultValue) ? f.defaultValue.join(",") : f.defaultValue})`;
    const body = wrap(`${f.description ?? ""}${dflt}`, Math.max(40, 98 - width)).split("\n");
    const pad = (head: string) => head.padEnd(width + 2);
    const head = `  ${left[i]}`;
    if (head.length > width + 1 && body[0]) body.unshift("");
    return body.map((l, j) => `${j ? pad("") : head.length > width + 1 ? head : pad(head)}${l}`)
      .map((l) => l.trimEnd()).join("\n");
  });
}

/** One line naming every problem of a failed flag parse, e.g. `--epochs: Too small: …`. */
export function formatFlagIssues(error: z.ZodError): string {
  return error.issues.map((i) => {
    const flag = i.path.length ? `--${i.path.join(".")}` : "flags";
    return `${flag}: ${i.message}`;
  }).join("; ");
}

/**
 * Parse `argv` with the flags of `schema` (plus any `extra` switches, e.g. `help`) and validate
 * them with `schema`. Positional arguments are returned only when `positionals` is true.
 * @throws UsageError naming the offending flag.
 */
export function parseCli<S extends FlagsSchema>(
  argv: readonly string[],
  schema: S,
  opts: { positionals?: boolean; extra?: FlagInfo[] } = {},
): ParsedCli<z.infer<S>> & { extra: Record<string, unknown> } {
  const infos = [...flagInfos(schema), ...(opts.extra ?? [])];
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const f of infos) {
    options[f.name] = {
      type: f.kind === "boolean" ? "boolean" : "string",
      ...(f.short ? { short: f.short } : {}),
      ...(f.kind === "multiple" ? { multiple: true } : {}),
    };
  }
  let raw: { values: Record<string, unknown>; positionals: string[] };
  try {
    raw = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: opts.positionals ?? false,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const values: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw.values)) {
    if (k in schema.shape) values[k] = v;
    else extra[k] = v;
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new UsageError(formatFlagIssues(parsed.error));
  return { flags: parsed.data, positionals: raw.positionals, extra };
}
