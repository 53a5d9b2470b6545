/**
 * `deno task book`: execute every notebook and publish the executed copies as the book of
 * reports (Sphinx + sphinx-book-theme + nbsphinx, offline) under `<state>/book/html/`.
 */
import { z } from "zod";
import { publishBook } from "../lib/docs/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";

const USAGE =
  `usage: deno task book [--small] [--no-execute] [--only NAME] [--out DIR] [--state-dir DIR]

Execute every notebook headlessly and build the book of reports from the executed copies: a table
of contents by lifecycle phase, the narrative, tables and interactive plotly figures, and a header
per notebook (dataset version, model version, code commit, execution time). Works offline.

  --small            small settings (FMNIST_NB_SMALL=1, as in CI)
  --no-execute       build from the notebooks last executed (<state>/notebooks/index.json)
  --only NAME        only this notebook (file name or stem)
  --out DIR          where the HTML book goes (default <state>/book/html)
  --cell-timeout S   seconds one cell may run (default 300)
  --state-dir DIR    state directory (default: FMNIST_STATE_DIR or .fmnist)
  -h, --help         show this help

Needs Debian's python3-sphinx, python3-sphinx-book-theme, python3-myst-parser, python3-nbsphinx
and pandoc. Exit 1 when a notebook fails (the book is still built from the others).`;

const flagsSchema = z.object({
  small: z.boolean().default(false),
  "no-execute": z.boolean().default(false),
  only: z.string().trim().min(1, "must not be empty").optional(),
  out: z.string().trim().min(1, "must not be empty").optional(),
  "cell-timeout": z.coerce.number().positive().max(3600).default(300),
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
      name: "book",
      usage: USAGE,
      flags: {
        small: { type: "boolean" },
        "no-execute": { type: "boolean" },
        only: { type: "string" },
        out: { type: "string" },
        "cell-timeout": { type: "string" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f) => {
        // The notebooks open the workspace themselves (embedded PGlite: one process at a time).
        await ctx.close();
        const book = await publishBook(ctx.settings, {
          small: f.small,
          execute: !f["no-execute"],
          only: f.only ? [f.only] : [],
          outDir: f.out,
          cellTimeoutS: f["cell-timeout"],
          log: ctx.log,
        });
        for (const p of book.pages) console.log(`${p.phase.padEnd(15)} ${p.page}`);
        for (const fl of book.failures) {
          console.error(`✗ ${fl.notebook} (${fl.stage}): ${fl.message}`);
        }
        console.log(
          `book: ${book.pages.length} notebook page(s) in ${book.outDir}/index.html ` +
            `(executed in ${book.executeSeconds.toFixed(0)} s, built in ${
              book.seconds.toFixed(0)
            } s)`,
        );
        return book.failures.length ? 1 : 0;
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
