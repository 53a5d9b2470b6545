/**
 * `deno task book`: execute every notebook and publish the executed copies as the book of
 * reports (Sphinx + sphinx-book-theme + nbsphinx, offline) under `<state>/book/html/`.
 */
import { z } from "zod";
import { publishBook } from "../lib/docs/mod.ts";
import { commandMain, defineCommand, nonEmpty, stateDirFlag } from "../lib/cli/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { DEFAULT_CELL_TIMEOUT_S } from "../lib/notebooks/mod.ts";

/** The book command. */
export const command = defineCommand({
  name: "book",
  summary: "Execute every notebook headlessly and build the book of reports from the executed " +
    "copies (offline).",
  description: "A table of contents by lifecycle phase, the narrative, tables and interactive " +
    "plotly figures, and a header per notebook (dataset version, model version, code commit, " +
    "execution time). Needs Debian's python3-sphinx, python3-sphinx-book-theme, " +
    "python3-myst-parser, python3-nbsphinx and pandoc. Exit 1 when a notebook fails (the book " +
    "is still built from the others).",
  schema: z.object({
    small: z.boolean().default(false).meta({
      description: "small settings (FMNIST_NB_SMALL=1, as in CI)",
    }),
    "no-execute": z.boolean().default(false).meta({
      description: "build from the notebooks last executed (<state>/notebooks/index.json)",
    }),
    only: nonEmpty().optional().meta({
      description: "only this notebook (file name or stem)",
      arg: "NAME",
    }),
    out: nonEmpty().optional().meta({
      description: "where the HTML book goes (default <state>/book/html)",
      arg: "DIR",
    }),
    "cell-timeout": z.coerce.number().positive().max(3600).default(DEFAULT_CELL_TIMEOUT_S).meta({
      description: "seconds one cell may run",
      arg: "S",
    }),
    ...stateDirFlag,
  }),
  run: async ({ flags: f, settings, out }) => {
    // The notebooks open the workspace themselves (embedded PGlite: one process at a time), so
    // this command never opens it.
    const s = settings();
    const book = await publishBook(s, {
      small: f.small,
      execute: !f["no-execute"],
      only: f.only ? [f.only] : [],
      outDir: f.out,
      cellTimeoutS: f["cell-timeout"],
      log: createLogger({}, { level: s.logLevel }),
    });
    for (const p of book.pages) out.line(`${p.phase.padEnd(15)} ${p.page}`);
    for (const fl of book.failures) out.warn(`✗ ${fl.notebook} (${fl.stage}): ${fl.message}`);
    out.line(
      `book: ${book.pages.length} notebook page(s) in ${book.outDir}/index.html ` +
        `(executed in ${book.executeSeconds.toFixed(0)} s, built in ${book.seconds.toFixed(0)} s)`,
    );
    return book.failures.length ? 1 : 0;
  },
});

/** Run the command; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
