/**
 * `deno task notebooks` — check and execute every notebook headlessly (executed copies and HTML
 * under `<state>/notebooks/`); `deno task jupyter` — open Jupyter with the project's Deno kernel.
 *
 *   deno task notebooks [run] [--only NAME]… [--small] [--no-html] [--no-typecheck] [--cell-timeout S]
 *   deno task notebooks check [--only NAME]…   hygiene + type-check only
 *   deno task notebooks clear [--only NAME]…   clear outputs of the committed notebooks in place
 *   deno task notebooks jupyter [-- ARGS]      Jupyter Notebook with the Deno kernel (= deno task jupyter)
 */
import { join } from "node:path";
import { z } from "zod";
import { atomicWriteFile } from "../lib/config/mod.ts";
import { type CommandGroup, commandMain, defineCommand, type Output } from "../lib/cli/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import {
  clearOutputs,
  DEFAULT_CELL_TIMEOUT_S,
  ensureJupyterDirs,
  jupyterEnv,
  listNotebooks,
  notebookHygiene,
  readNotebook,
  REPO_ROOT,
  runNotebooks,
  serializeNotebook,
} from "../lib/notebooks/mod.ts";

const NOTEBOOKS_DIR = join(REPO_ROOT, "notebooks");

const only = {
  only: z.array(z.string().min(1)).default([]).meta({
    description: "only this notebook (repeatable)",
    arg: "NAME",
  }),
};
const runSchema = z.object({
  ...only,
  small: z.boolean().default(false).meta({ description: "small settings (FMNIST_NB_SMALL=1)" }),
  "no-html": z.boolean().default(false).meta({ description: "do not export HTML" }),
  "no-typecheck": z.boolean().default(false).meta({ description: "skip the type-check" }),
  "cell-timeout": z.coerce.number().positive().max(3600).default(DEFAULT_CELL_TIMEOUT_S).meta({
    description: "seconds a cell may run",
    arg: "S",
  }),
});
type RunFlags = z.infer<typeof runSchema>;

/** Check (and with `execute`, run) the notebooks; prints failures and a summary on stderr. */
async function runAll(flags: RunFlags, execute: boolean, stateDir: string, out: Output) {
  const result = await runNotebooks({
    notebooksDir: NOTEBOOKS_DIR,
    stateDir,
    only: flags.only,
    typecheck: !flags["no-typecheck"],
    execute,
    html: !flags["no-html"],
    env: flags.small ? { FMNIST_NB_SMALL: "1" } : {},
    cellTimeoutS: flags["cell-timeout"],
    log: createLogger({ stage: "notebooks" }),
  });
  for (const f of result.failures) out.warn(`\n✗ ${f.notebook} (${f.stage}): ${f.message}`);
  const done = execute ? `${result.runs.length} executed` : "checked";
  out.warn(
    `\nnotebooks: ${done}, ${result.failures.length} failed` +
      (result.index ? `; outputs in ${join(stateDir, "notebooks")}` : ""),
  );
  return result.ok ? 0 : 1;
}

async function jupyter(stateDir: string, extra: string[]): Promise<number> {
  const dirs = await ensureJupyterDirs(stateDir);
  const args = [
    "-m",
    "notebook",
    `--notebook-dir=${NOTEBOOKS_DIR}`,
    `--FileCheckpoints.checkpoint_dir=${join(dirs.data, "checkpoints")}`,
    ...extra,
  ];
  const child = new Deno.Command("/usr/bin/python3", {
    args,
    env: jupyterEnv(stateDir),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

export const command: CommandGroup = {
  name: "notebooks",
  summary: "Check and execute every notebook headlessly (executed copies and HTML under " +
    "<state>/notebooks/), clear their outputs, or open Jupyter with the project's Deno kernel.",
  default: "run",
  commands: {
    run: defineCommand({
      summary: "type-check and execute the notebooks",
      schema: runSchema,
      run: ({ flags, settings, out }) => runAll(flags, true, settings().stateDir, out),
    }),
    check: defineCommand({
      summary: "hygiene + type-check only",
      schema: runSchema,
      run: ({ flags, settings, out }) => runAll(flags, false, settings().stateDir, out),
    }),
    clear: defineCommand({
      summary: "clear outputs of the committed notebooks in place",
      schema: z.object(only),
      run: async ({ flags }) => {
        const log = createLogger({ stage: "notebooks" });
        for (const path of await listNotebooks(NOTEBOOKS_DIR, flags.only)) {
          const nb = await readNotebook(path);
          if (notebookHygiene(nb).length === 0) continue;
          await atomicWriteFile(path, serializeNotebook(clearOutputs(nb)));
          log.info("outputs cleared", { notebook: path });
        }
      },
    }),
    jupyter: defineCommand({
      name: "jupyter",
      summary: "Jupyter Notebook with the Deno kernel (arguments after -- go to Jupyter)",
      schema: z.object({}),
      args: { usage: "[-- JUPYTER ARGS]" },
      run: ({ positionals, settings }) => jupyter(settings().stateDir, positionals),
    }),
  },
};

/** Run the CLI; returns the exit code (2 usage/config errors, 1 a notebook failed). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
