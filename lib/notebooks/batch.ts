/**
 * Running every notebook of a directory: hygiene (committed without outputs), type-check, then
 * headless execution; failures are collected per notebook and an index of the executed copies
 * is written for publishing.
 */
import { basename, join, resolve } from "node:path";
import { atomicWriteFile } from "../config/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { describeHygiene, notebookHygiene, readNotebook } from "./ipynb.ts";
import { type NotebookRun, runNotebook } from "./run.ts";
import { typeCheckNotebooks, type TypeCheckResult } from "./typecheck.ts";

/** The notebooks (`*.ipynb`) of `dir`, sorted; `only` keeps those whose file name or stem matches. */
export async function listNotebooks(dir: string, only: readonly string[] = []): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb")) names.push(e.name);
  }
  names.sort();
  const picked = only.length === 0
    ? names
    : names.filter((n) => only.includes(n) || only.includes(n.replace(/\.ipynb$/, "")));
  const unknown = only.filter((o) => !names.includes(o) && !names.includes(`${o}.ipynb`));
  if (unknown.length) {
    throw new Error(
      `no notebook named ${unknown.join(", ")} in ${dir}; available: ${names.join(", ") || "none"}`,
    );
  }
  return picked.map((n) => join(dir, n));
}

/** Options of {@link runNotebooks}. */
export interface NotebookBatchOptions {
  /** Directory of the notebooks (e.g. the repository's `notebooks/`). */
  notebooksDir: string;
  stateDir: string;
  /** Run only these notebooks (file names or stems). */
  only?: readonly string[];
  /** Type-check before running (default true). */
  typecheck?: boolean;
  /** Execute (default true); false only checks hygiene and types. */
  execute?: boolean;
  /** Export HTML (default true). */
  html?: boolean;
  /** Extra kernel environment, e.g. `{ FMNIST_NB_SMALL: "1" }`. */
  env?: Record<string, string>;
  cellTimeoutS?: number;
  log?: Logger;
}

/** One notebook's failure. */
export interface NotebookFailure {
  notebook: string;
  stage: "hygiene" | "typecheck" | "run";
  message: string;
}

/** Outcome of {@link runNotebooks}. */
export interface NotebookBatchResult {
  ok: boolean;
  runs: NotebookRun[];
  failures: NotebookFailure[];
  /** `<stateDir>/notebooks/index.json` (written when notebooks were executed). */
  index?: string;
}

/**
 * Check and run every notebook in `notebooksDir` (in name order). A failing notebook does not
 * stop the others; the result lists every failure with its stage and message.
 */
export async function runNotebooks(opts: NotebookBatchOptions): Promise<NotebookBatchResult> {
  const log = opts.log ?? createLogger({ stage: "notebooks" });
  const outDir = join(resolve(opts.stateDir), "notebooks");
  const paths = await listNotebooks(opts.notebooksDir, opts.only);
  const runs: NotebookRun[] = [];
  const failures: NotebookFailure[] = [];
  // Hygiene for all, then one type-check run for the clean ones (the lib graph is checked once).
  const clean: string[] = [];
  for (const path of paths) {
    const problem = describeHygiene(path, notebookHygiene(await readNotebook(path)));
    if (problem) {
      failures.push({ notebook: basename(path), stage: "hygiene", message: problem });
      log.child({ notebook: basename(path) }).error("notebook not clean", { problem });
    } else clean.push(path);
  }
  const typeChecked = new Map<string, TypeCheckResult>();
  if ((opts.typecheck ?? true) && clean.length > 0) {
    log.info("type-checking", { notebooks: clean.length });
    const results = await typeCheckNotebooks(clean, { outDir: join(outDir, "check") });
    for (const r of results) typeChecked.set(r.notebook, r);
  }
  for (const [i, path] of clean.entries()) {
    const name = basename(path);
    const progress = `${i + 1}/${clean.length}`;
    const nlog = log.child({ notebook: name });
    const tc = typeChecked.get(path);
    if (tc && !tc.ok) {
      failures.push({
        notebook: name,
        stage: "typecheck",
        message: `${name} does not type-check (exported to ${tc.file}):\n${tc.diagnostics}`,
      });
      nlog.error("type check failed", { progress, file: tc.file });
      continue;
    }
    if (!(opts.execute ?? true)) continue;
    nlog.info("executing", { progress });
    try {
      const run = await runNotebook(path, {
        stateDir: opts.stateDir,
        outDir,
        html: opts.html,
        env: opts.env,
        cellTimeoutS: opts.cellTimeoutS,
        log: nlog,
      });
      runs.push(run);
      nlog.info("notebook done", {
        progress,
        seconds: Math.round(run.seconds * 10) / 10,
        output: run.output,
        html: run.html,
      });
    } catch (err) {
      failures.push({ notebook: name, stage: "run", message: (err as Error).message });
      nlog.error("notebook failed", { progress, error: (err as Error).message.split("\n")[0] });
    }
  }
  let index: string | undefined;
  if ((opts.execute ?? true) && runs.length > 0) {
    index = join(outDir, "index.json");
    const entries = runs.map((r) => ({
      notebook: basename(r.notebook),
      output: basename(r.output),
      html: r.html ? basename(r.html) : null,
      seconds: Math.round(r.seconds * 1000) / 1000,
      cells: r.cells.length,
      executedAt: new Date().toISOString(),
    }));
    await atomicWriteFile(index, JSON.stringify({ notebooks: entries, failures }, null, 2) + "\n");
  }
  return { ok: failures.length === 0, runs, failures, index };
}
