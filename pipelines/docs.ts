/**
 * `deno task docs`: build the documentation site into `site/` — MkDocs Material pages, generated
 * references, model cards, diagrams, and the book of executed notebooks — offline;
 * `deno task docs -- serve` then serves it.
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  buildSite,
  checkLinks,
  collectCards,
  collectTaskHelp,
  configEntries,
  publishBook,
  serveSite,
} from "../lib/docs/mod.ts";
import { REPO_ROOT } from "../lib/notebooks/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import { openApiDocument } from "../serve/mod.ts";

const USAGE = `usage: deno task docs [serve] [--small] [--no-book] [--no-execute] [--only NAME]
                      [--out DIR] [--port N] [--state-dir DIR]

Build the documentation site (MkDocs Material, offline) into site/: the pages of docs/, the
configuration reference (from lib/config/settings.ts), the CLI reference (each task's --help), the
HTTP API (OpenAPI + Swagger UI), the runbooks of the alert rules, a model card per registered
version, the diagrams rendered from docs/diagrams/*.dot, and the book of reports (the notebooks
executed, then published with Sphinx). Internal links are checked after the build.

  serve              then serve the site on 127.0.0.1:PORT until interrupted
  --small            execute the notebooks with small settings (as in CI)
  --no-book          leave the book out (a page says how to build it)
  --no-execute       build the book from the notebooks last executed
  --only NAME        execute and publish only this notebook
  --out DIR          output directory (default: site/ of the repository)
  --port N           port of serve (default 8800)
  --state-dir DIR    state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help

Needs Debian's mkdocs, mkdocs-material and graphviz; the book also python3-sphinx,
python3-sphinx-book-theme, python3-myst-parser, python3-nbsphinx and pandoc.
Exit 1 when a notebook fails or a link is broken.`;

const flagsSchema = z.object({
  small: z.boolean().default(false),
  "no-book": z.boolean().default(false),
  "no-execute": z.boolean().default(false),
  only: z.string().trim().min(1, "must not be empty").optional(),
  out: z.string().trim().min(1, "must not be empty").optional(),
  port: z.coerce.number().int().min(0).max(65535).default(8800),
  "state-dir": z.string().trim().min(1, "must not be empty").optional(),
  help: z.boolean().optional(),
});

/** Run the command; returns the exit code (2 for usage/config errors, 1 for failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "docs",
      usage: USAGE,
      positionals: true,
      flags: {
        small: { type: "boolean" },
        "no-book": { type: "boolean" },
        "no-execute": { type: "boolean" },
        only: { type: "string" },
        out: { type: "string" },
        port: { type: "string" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f, positionals) => {
        const serve = positionals[0] === "serve";
        if (positionals.length > (serve ? 1 : 0)) {
          console.error(`docs: unknown argument ${positionals.at(-1)}\n\n${USAGE}`);
          return 2;
        }
        const settings = ctx.settings;
        const outDir = resolve(f.out ?? join(REPO_ROOT, "site"));
        const scratch = await Deno.makeTempDir({ prefix: "fmnist-docs-" });
        try {
          const started = performance.now();
          const config = await configEntries();
          const cli = await collectTaskHelp(REPO_ROOT, { env: { FMNIST_STATE_DIR: scratch } });
          const openapi = await openApiDocument(ctx, ctx.log);
          let bookDir: string | null = null;
          let failed = 0;
          let cardsCtx = ctx;
          if (!f["no-book"]) {
            // The notebooks open the workspace themselves (embedded PGlite: one process at a time).
            await ctx.close();
            const book = await publishBook(settings, {
              small: f.small,
              execute: !f["no-execute"],
              only: f.only ? [f.only] : [],
              log: ctx.log,
            });
            for (const fl of book.failures) {
              console.error(`✗ ${fl.notebook} (${fl.stage}): ${fl.message}`);
            }
            failed = book.failures.length;
            bookDir = book.outDir;
            console.log(
              `book     ${book.pages.length} notebook page(s), executed in ` +
                `${book.executeSeconds.toFixed(0)} s, built in ${book.seconds.toFixed(0)} s`,
            );
            cardsCtx = await openContext(settings, { log: ctx.log });
          }
          let cards;
          try {
            cards = await collectCards(cardsCtx);
          } finally {
            if (cardsCtx !== ctx) await cardsCtx.close();
          }
          const site = await buildSite({
            repoRoot: REPO_ROOT,
            outDir,
            workDir: join(scratch, "site"),
            config,
            cli,
            openapi,
            cards,
            bookDir,
          });
          const links = await checkLinks(outDir);
          for (const b of links.broken) console.error(`broken link: ${b}`);
          for (const e of links.externalResources) console.error(`external resource: ${e}`);
          console.log(
            `site     ${site.pages.length} page(s), ${cards.length} model card(s), ` +
              `${site.diagrams.length} diagram(s), ${links.links} link(s) checked, ` +
              `${links.broken.length} broken, ${links.externalResources.length} external ` +
              `resource(s) → ${outDir}/index.html (${
                ((performance.now() - started) / 1000).toFixed(0)
              } s)`,
          );
          const bad = failed + links.broken.length + links.externalResources.length;
          if (serve) {
            const server = await serveSite(outDir, { port: f.port });
            console.log(`serving ${server.url}/ (Ctrl-C to stop)`);
            await new Promise<void>((done) => Deno.addSignalListener("SIGINT", () => done()));
            await server.close();
          }
          return bad ? 1 : 0;
        } finally {
          await Deno.remove(scratch, { recursive: true }).catch(() => {});
        }
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
