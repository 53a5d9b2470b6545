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
import { parseArgs } from "node:util";
import { z } from "zod";
import { atomicWriteFile, ConfigError, loadSettings } from "../lib/config/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import {
  clearOutputs,
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

const USAGE = `usage: deno task notebooks [run|check|clear|jupyter] [flags]

  run (default)   type-check and execute every notebook headlessly; executed copies, HTML and
                  index.json under <state>/notebooks/
  check           hygiene (committed without outputs) and type-check only
  clear           clear outputs of the committed notebooks in place
  jupyter         Jupyter Notebook with the project's Deno kernel (= deno task jupyter);
                  arguments after -- go to Jupyter

  --only NAME        only this notebook (file name or stem; repeatable)
  --small            small settings (FMNIST_NB_SMALL=1: fewer images and epochs, as in CI)
  --no-html          do not export HTML
  --no-typecheck     skip the type-check before running
  --cell-timeout S   seconds one cell may run (default 300)
  -h, --help         show this help`;

const flagsSchema = z.object({
  command: z.enum(["run", "check", "clear", "jupyter"]),
  only: z.array(z.string().min(1)),
  small: z.boolean(),
  html: z.boolean(),
  typecheck: z.boolean(),
  cellTimeout: z.coerce.number().positive().max(3600),
});

function parseFlags(args: string[]): { flags: z.infer<typeof flagsSchema>; rest: string[] } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      only: { type: "string", multiple: true },
      small: { type: "boolean" },
      "no-html": { type: "boolean" },
      "no-typecheck": { type: "boolean" },
      "cell-timeout": { type: "string" },
    },
  });
  const parsed = flagsSchema.safeParse({
    command: positionals[0] ?? "run",
    only: values.only ?? [],
    small: values.small ?? false,
    html: !values["no-html"],
    typecheck: !values["no-typecheck"],
    cellTimeout: values["cell-timeout"] ?? 300,
  });
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new ConfigError(
      `invalid arguments:\n${msg}\nSee the usage at the top of pipelines/notebooks.ts.`,
    );
  }
  return { flags: parsed.data, rest: positionals.slice(1) };
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

async function main(argv: string[]): Promise<number> {
  const log = createLogger({ stage: "notebooks" });
  const dashDash = argv.indexOf("--");
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : argv;
  if (own.includes("-h") || own.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const { flags, rest } = parseFlags(dashDash >= 0 ? argv.slice(0, dashDash) : argv);
  const passthrough = dashDash >= 0 ? argv.slice(dashDash + 1) : rest;
  const settings = loadSettings();
  if (flags.command === "jupyter") return await jupyter(settings.stateDir, passthrough);
  if (flags.command === "clear") {
    for (const path of await listNotebooks(NOTEBOOKS_DIR, flags.only)) {
      const nb = await readNotebook(path);
      if (notebookHygiene(nb).length === 0) continue;
      await atomicWriteFile(path, serializeNotebook(clearOutputs(nb)));
      log.info("outputs cleared", { notebook: path });
    }
    return 0;
  }
  const result = await runNotebooks({
    notebooksDir: NOTEBOOKS_DIR,
    stateDir: settings.stateDir,
    only: flags.only,
    typecheck: flags.typecheck,
    execute: flags.command === "run",
    html: flags.html,
    env: flags.small ? { FMNIST_NB_SMALL: "1" } : {},
    cellTimeoutS: flags.cellTimeout,
    log,
  });
  for (const f of result.failures) console.error(`\n✗ ${f.notebook} (${f.stage}): ${f.message}`);
  const done = flags.command === "run" ? `${result.runs.length} executed` : "checked";
  console.error(
    `\nnotebooks: ${done}, ${result.failures.length} failed` +
      (result.index ? `; outputs in ${join(settings.stateDir, "notebooks")}` : ""),
  );
  return result.ok ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`notebooks: ${(err as Error).message}`);
    Deno.exit(2);
  }
}
