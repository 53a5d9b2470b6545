/**
 * The documentation site: the committed pages of `docs/` plus generated ones (configuration and
 * CLI references, the HTTP API from the OpenAPI document with an offline Swagger UI, the runbooks
 * with the alert table, model cards), diagrams rendered from their graphviz sources, the book of
 * executed notebooks, built with MkDocs Material (Debian `mkdocs`, `mkdocs-material`) into a
 * static site that needs no network.
 */
import { basename, dirname, join, relative } from "node:path";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { type ConfigEntry, configReferenceMarkdown } from "./config_reference.ts";
import { cliReferenceMarkdown, type TaskHelp } from "./cli_reference.ts";
import { SWAGGER_ASSETS, swaggerPage } from "./swagger.ts";

/** A generated model card to publish. */
export interface PublishedCard {
  model: string;
  version: number;
  aliases: string[];
  markdown: string;
}

/** What {@link buildSite} publishes. */
export interface SiteInputs {
  /** Repository root (holds `mkdocs.yml`, `docs/`, `ops/`). */
  repoRoot: string;
  /** Where the site is written (replaced), e.g. `site/`. */
  outDir: string;
  /** Scratch directory (replaced). */
  workDir: string;
  config: readonly ConfigEntry[];
  cli: readonly TaskHelp[];
  /** The service's OpenAPI document (`GET /openapi.json`). */
  openapi: unknown;
  cards: readonly PublishedCard[];
  /** A built book (HTML) to include under `book/`; null → the site says how to build it. */
  bookDir: string | null;
  /** `mkdocs` to run (default `/usr/bin/mkdocs`). */
  mkdocs?: string;
  /** `dot` to run (default `/usr/bin/dot`). */
  dot?: string;
}

/** Result of {@link buildSite}. */
export interface SiteResult {
  outDir: string;
  /** Every HTML page of the site, relative to outDir, sorted. */
  pages: string[];
  diagrams: string[];
  seconds: number;
}

/** Raised when the site cannot be built (a tool missing or failing, bad inputs). */
export class SiteError extends Error {
  override name = "SiteError";
}

async function exec(cmd: string, args: string[], cwd: string, hint: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    throw new SiteError(`cannot run ${cmd} (${(err as Error).message}); ${hint}`);
  }
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  if (!out.success) throw new SiteError(`${cmd} ${args.join(" ")} failed:\n${text.slice(-4000)}`);
  return text;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const a = join(from, e.name), b = join(to, e.name);
    if (e.isDirectory) await copyTree(a, b);
    else if (e.isFile) await Deno.copyFile(a, b);
  }
}

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** Files below `dir` (relative paths, sorted) whose names end with `ext`. */
export async function listFiles(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile && e.name.endsWith(ext)) out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

const alertsSchema = z.object({
  groups: z.array(z.object({
    name: z.string(),
    rules: z.array(z.object({
      alert: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })),
  })),
});

/** The alerts of `ops/prometheus/rules/alerts.yml` with their severity, summary and runbook. */
export async function alertRules(
  repoRoot: string,
): Promise<{ alert: string; group: string; severity: string; summary: string; runbook: string }[]> {
  const path = join(repoRoot, "ops/prometheus/rules/alerts.yml");
  const doc = alertsSchema.parse(parseYaml(await Deno.readTextFile(path)));
  return doc.groups.flatMap((g) =>
    g.rules.filter((r) => r.alert).map((r) => ({
      alert: r.alert ?? "",
      group: g.name,
      severity: r.labels?.severity ?? "",
      summary: r.annotations?.summary ?? "",
      runbook: r.annotations?.runbook_url ?? "",
    }))
  );
}

/** The runbooks page: the alert table (each alert linked to its section) and ops/runbooks.md. */
export async function runbooksMarkdown(repoRoot: string): Promise<string> {
  const alerts = await alertRules(repoRoot);
  const text = await Deno.readTextFile(join(repoRoot, "ops/runbooks.md"));
  const body = text.replace(/^# .*\n/, "");
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\{\{[^}]*\}\}/g, "…");
  return [
    "# Runbooks",
    "",
    "<!-- generated by `deno task docs` from ops/prometheus/rules/alerts.yml and ops/runbooks.md -->",
    "",
    "The alert rules of `ops/prometheus/rules/alerts.yml` point here with their `runbook_url`",
    "(`ops/runbooks.md#<alert>`, the same path in the repository and in this site).",
    "",
    "| alert | group | severity | summary |",
    "| --- | --- | --- | --- |",
    ...alerts.map((a) =>
      `| [${a.alert}](#${
        a.runbook.split("#")[1] ?? a.alert.toLowerCase()
      }) | ${a.group} | ${a.severity} | ${esc(a.summary)} |`
    ),
    "",
    body.trim(),
    "",
  ].join("\n");
}

const openapiSchema = z.object({
  info: z.object({ title: z.string(), version: z.string() }).loose(),
  paths: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({ summary: z.string().optional(), tags: z.array(z.string()).optional() }).loose(),
    ),
  ),
}).loose();

/** The HTTP API page: every route by tag, and the interactive reference (offline Swagger UI). */
export function apiMarkdown(openapi: unknown): string {
  const doc = openapiSchema.parse(openapi);
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const tag = op.tags?.[0] ?? "other";
      const rows = byTag.get(tag) ?? [];
      rows.push(`| \`${method.toUpperCase()}\` | \`${path}\` | ${op.summary ?? ""} |`);
      byTag.set(tag, rows);
    }
  }
  const out = [
    "# HTTP API",
    "",
    "<!-- generated by `deno task docs` from the service's OpenAPI document; do not edit -->",
    "",
    `${doc.info.title} ${doc.info.version}. The running service serves the same document at`,
    "`/openapi.json` and Swagger UI at `/docs`. Here:",
    "",
    "- [the interactive reference (Swagger UI, offline)](swagger.html)",
    "- [the OpenAPI document](openapi.json)",
    "",
  ];
  for (const [tag, rows] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`## ${tag}`, "", "| method | path | summary |", "| --- | --- | --- |", ...rows, "");
  }
  return out.join("\n");
}

function cardsIndex(cards: readonly PublishedCard[]): string {
  return [
    "# Model cards",
    "",
    "<!-- generated by `deno task docs` from the registry; do not edit -->",
    "",
    "One card per registered version (Mitchell et al. 2019 sections), generated from the",
    "registry, the training run, its evaluation report and the drift reference. The service",
    "answers the same card at `GET /v1/models/{name}/versions/{version}/card`.",
    "",
    ...(cards.length
      ? [
        "| model | version | aliases |",
        "| --- | --- | --- |",
        ...cards.map((c) =>
          `| ${c.model} | [v${c.version}](${cardFile(c)}) | ${c.aliases.join(", ") || "—"} |`
        ),
      ]
      : ["No model is registered in this workspace yet: run `deno task pipeline`."]),
    "",
  ].join("\n");
}

const cardFile = (c: PublishedCard) => `${c.model}-v${c.version}.md`;

/** Build the site; see the module doc. @throws SiteError */
export async function buildSite(inp: SiteInputs): Promise<SiteResult> {
  const started = performance.now();
  const work = inp.workDir;
  const docs = join(work, "docs");
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await copyTree(join(inp.repoRoot, "docs"), docs);

  const diagrams: string[] = [];
  for (const src of await listFiles(docs, ".dot")) {
    const svg = src.replace(/\.dot$/, ".svg");
    await exec(
      inp.dot ?? "/usr/bin/dot",
      ["-Tsvg", "-o", join(docs, svg), join(docs, src)],
      work,
      "install graphviz: apt-get install -y graphviz",
    );
    diagrams.push(svg);
  }

  await write(join(docs, "reference/configuration.md"), configReferenceMarkdown(inp.config));
  await write(join(docs, "reference/cli.md"), cliReferenceMarkdown(inp.cli));
  await write(join(docs, "api/index.md"), apiMarkdown(inp.openapi));
  await write(join(docs, "api/openapi.json"), JSON.stringify(inp.openapi, null, 2));
  await write(
    join(docs, "api/swagger.html"),
    swaggerPage({
      title: "fmnist-lab HTTP API",
      specUrl: "openapi.json",
      assetBase: "swagger",
      back: { href: "index.html", text: "← HTTP API" },
    }),
  );
  await Deno.mkdir(join(docs, "api/swagger"), { recursive: true });
  for (const f of Object.keys(SWAGGER_ASSETS)) {
    await Deno.copyFile(join(swaggerUiPath(), f), join(docs, "api/swagger", f));
  }
  await write(join(docs, "ops/runbooks.md"), await runbooksMarkdown(inp.repoRoot));
  await write(join(docs, "models/index.md"), cardsIndex(inp.cards));
  for (const c of inp.cards) await write(join(docs, "models", cardFile(c)), c.markdown);
  if (inp.bookDir) await copyTree(inp.bookDir, join(docs, "book"));
  else {
    // A static page, so links to book/index.html resolve with or without the book.
    await write(
      join(docs, "book/index.html"),
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>The book of reports' +
        '</title><link rel="icon" href="../api/swagger/favicon-32x32.png"></head><body>' +
        "<h1>The book of reports</h1><p>Not built in this site: run <code>deno task book</code>," +
        " or <code>deno task docs</code> without <code>--no-book</code>.</p>" +
        '<p><a href="../index.html">Back to the documentation</a></p></body></html>\n',
    );
  }

  // mkdocs.yml of the repository, with the generated pages added to its nav.
  const cfg = parseYaml(await Deno.readTextFile(join(inp.repoRoot, "mkdocs.yml"))) as Record<
    string,
    unknown
  >;
  const nav = Array.isArray(cfg.nav) ? [...cfg.nav] : [];
  nav.push({
    "Model cards": [
      { "All versions": "models/index.md" },
      ...inp.cards.map((c) => ({ [`${c.model} v${c.version}`]: `models/${cardFile(c)}` })),
    ],
  });
  nav.push({ "Book of reports": "book/index.html" });
  const mkdocsYml = join(work, "mkdocs.yml");
  await write(
    mkdocsYml,
    stringifyYaml({ ...cfg, nav, docs_dir: docs, site_dir: inp.outDir }),
  );
  await Deno.remove(inp.outDir, { recursive: true }).catch(() => {});
  await exec(
    inp.mkdocs ?? "/usr/bin/mkdocs",
    ["build", "--strict", "--quiet", "--config-file", mkdocsYml],
    work,
    "install MkDocs Material: apt-get install -y mkdocs mkdocs-material",
  );
  const pages = await listFiles(inp.outDir, ".html");
  return {
    outDir: inp.outDir,
    pages,
    diagrams: diagrams.map((d) => basename(d)),
    seconds: (performance.now() - started) / 1000,
  };
}
