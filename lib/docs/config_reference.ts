/**
 * The configuration reference, generated from the environment schemas the modules export (the
 * workspace settings of `lib/config/settings.ts`, the inference service, live drift detection,
 * the automation, notebooks, the registry's actor): every environment variable with its type,
 * default, constraint and the doc comment written above it in its schema, so the page cannot
 * drift from the code.
 */
import { z } from "zod";
import { envSchema } from "../config/mod.ts";
import { liveEnvSchema } from "../drift/mod.ts";
import { inferenceEnvSchema } from "../inference/mod.ts";
import { automationEnvSchema } from "../jobs/mod.ts";
import { notebookEnvSchema } from "../notebooks/mod.ts";
import { actorEnvSchema } from "../registry/mod.ts";

/** One documented environment variable. */
export interface ConfigEntry {
  name: string;
  /** The part of the system that reads it, e.g. `Inference service`. */
  section: string;
  type: string;
  default: string | null;
  constraint: string | null;
  description: string;
}

/** An exported environment schema and the source file its doc comments are read from. */
interface EnvSource {
  section: string;
  schema: z.ZodObject;
  /** Its name in `file` (`export const <name> = z.object({`). */
  name: string;
  file: URL;
}

const at = (path: string) => new URL(path, import.meta.url);

/** Every environment schema of the code base, in the order of the reference page. */
const ENV_SOURCES: readonly EnvSource[] = [
  { section: "Workspace", schema: envSchema, name: "envSchema", file: at("../config/settings.ts") },
  {
    section: "Inference service",
    schema: inferenceEnvSchema,
    name: "inferenceEnvSchema",
    file: at("../inference/setup.ts"),
  },
  {
    section: "Live drift detection",
    schema: liveEnvSchema,
    name: "liveEnvSchema",
    file: at("../drift/live.ts"),
  },
  {
    section: "Automation",
    schema: automationEnvSchema,
    name: "automationEnvSchema",
    file: at("../jobs/settings.ts"),
  },
  {
    section: "Notebooks",
    schema: notebookEnvSchema,
    name: "notebookEnvSchema",
    file: at("../notebooks/params.ts"),
  },
  {
    section: "Registry",
    schema: actorEnvSchema,
    name: "actorEnvSchema",
    file: at("../registry/actor.ts"),
  },
];

/**
 * The doc comments (`/** … *\/`) written directly above each key of the object schema exported
 * as `name` (default `envSchema`) in `source`.
 */
export function settingsDocComments(source: string, name = "envSchema"): Map<string, string> {
  const out = new Map<string, string>();
  const start = source.indexOf(`export const ${name} = z.object({`);
  if (start < 0) return out;
  const body = source.slice(start, source.indexOf("\n});", start));
  const re = /\/\*\*([\s\S]*?)\*\/\s*\n\s*([A-Z][A-Z0-9_]*):/g;
  for (const m of body.matchAll(re)) {
    const text = m[1].split("\n").map((l) => l.replace(/^\s*\*?\s?/, "")).join(" ");
    out.set(m[2], text.replace(/\s+/g, " ").trim());
  }
  return out;
}

interface JsonProp {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

function constraintOf(p: JsonProp): string | null {
  const parts: string[] = [];
  if (p.enum) parts.push(`one of ${p.enum.map((v) => `\`${String(v)}\``).join(", ")}`);
  if (p.format) parts.push(`a ${p.format}`);
  if (p.pattern) parts.push(`matches \`${p.pattern}\``);
  if (p.minimum !== undefined || p.maximum !== undefined) {
    parts.push(`${p.minimum ?? "-∞"} … ${p.maximum ?? "∞"}`);
  }
  if (p.minLength !== undefined && p.minLength > 1) parts.push(`at least ${p.minLength} chars`);
  if (p.maxLength !== undefined) parts.push(`at most ${p.maxLength} chars`);
  return parts.length ? parts.join("; ") : null;
}

/**
 * Every variable of every environment schema ({@link ENV_SOURCES}), in schema order; a variable
 * in several schemas (e.g. `REDIS_URL`) is listed once, where it first appears.
 */
export async function configEntries(): Promise<ConfigEntry[]> {
  const out: ConfigEntry[] = [];
  const seen = new Set<string>();
  for (const src of ENV_SOURCES) {
    const docs = settingsDocComments(await Deno.readTextFile(src.file), src.name);
    const schema = z.toJSONSchema(src.schema, { io: "input", unrepresentable: "any" }) as {
      properties: Record<string, JsonProp>;
    };
    for (const [name, p] of Object.entries(schema.properties)) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({
        name,
        section: src.section,
        type: p.enum ? "enum" : p.type ?? "string",
        default: p.default === undefined ? null : String(p.default),
        constraint: constraintOf(p),
        description: docs.get(name) ?? "",
      });
    }
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The configuration reference page (Markdown): one table per section. */
export function configReferenceMarkdown(entries: readonly ConfigEntry[]): string {
  const row = (e: ConfigEntry) =>
    `| \`${e.name}\` | ${e.type} | ${e.default === null ? "—" : `\`${cell(e.default)}\``} | ${
      cell(e.constraint ?? "—")
    } | ${cell(e.description || "—")} |`;
  const sections = [...new Set(entries.map((e) => e.section))];
  return [
    "# Configuration reference",
    "",
    "<!-- generated by `deno task docs` from the environment schemas of lib/; do not edit -->",
    "",
    "Every setting is an environment variable, validated with zod when a command starts: an",
    "invalid value stops it with a message naming the variable (secrets are never echoed).",
    "Every setting has a default that needs no running service.",
    ...sections.flatMap((section) => [
      "",
      `## ${section}`,
      "",
      "| variable | type | default | constraint | meaning |",
      "| --- | --- | --- | --- | --- |",
      ...entries.filter((e) => e.section === section).map(row),
    ]),
    "",
  ].join("\n");
}
