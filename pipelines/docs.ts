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
import { commandMain, defineCommand, nonEmpty, stateDirFlag, UsageError } from "../lib/cli/mod.ts";
import { openApiDocument } from "../serve/mod.ts";

/** The docs command. */
export const command = defineCommand({
  name: "docs",
  summary: "Build the documentation site (MkDocs Material, offline) into site/; with serve, " +
    "then serve it on 127.0.0.1:PORT until interrupted.",
  description: "The pages of docs/, the configuration reference (from the env schemas of lib/), " +
    "the CLI reference (each task's --help), the HTTP API (OpenAPI + Swagger UI), the runbooks " +
    "of the alert rules, a model card per registered version, the diagrams rendered from " +
    "docs/diagrams/*.dot, and the book of reports (the notebooks executed, then published with " +
    "Sphinx). Internal links are checked after the build. Needs Debian's mkdocs, " +
    "mkdocs-material and graphviz; the book also python3-sphinx, python3-sphinx-book-theme, " +
    "python3-myst-parser, python3-nbsphinx and pandoc. Exit 1 when a notebook fails or a link " +
    "is broken.",
  args: { usage: "[serve]", min: 0, max: 1 },
  schema: z.object({
    small: z.boolean().default(false).meta({
      description: "execute the notebooks with small settings (as in CI)",
    }),
    "no-book": z.boolean().default(false).meta({
      description: "leave the book out (a page says how to build it)",
    }),
    "no-execute": z.boolean().default(false).meta({
      description: "build the book from the notebooks last executed",
    }),
    only: nonEmpty().optional().meta({
      description: "execute and publish only this notebook",
      arg: "NAME",
    }),
    out: nonEmpty().optional().meta({
      description: "output directory (default: site/ of the repository)",
      arg: "DIR",
    }),
    port: z.coerce.number().int().min(0).max(65535).default(8800).meta({
      description: "port of serve",
      arg: "N",
    }),
    ...stateDirFlag,
  }),
  run: async ({ flags: f, positionals, open, out }) => {
    const serve = positionals[0] === "serve";
    if (positionals.length > (serve ? 1 : 0)) {
      throw new UsageError(`unknown argument ${positionals.at(-1)} (only "serve")`);
    }
    const ctx = await open();
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
          out.warn(`✗ ${fl.notebook} (${fl.stage}): ${fl.message}`);
        }
        failed = book.failures.length;
        bookDir = book.outDir;
        out.line(
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
      for (const b of links.broken) out.warn(`broken link: ${b}`);
      for (const e of links.externalResources) out.warn(`external resource: ${e}`);
      out.line(
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
        out.line(`serving ${server.url}/ (Ctrl-C to stop)`);
        await new Promise<void>((done) => Deno.addSignalListener("SIGINT", () => done()));
        await server.close();
      }
      return bad ? 1 : 0;
    } finally {
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
});

/** Run the command; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
