/**
 * Headless notebook execution: runs `jupyter_config/run_notebook.py` with Debian's Python on the
 * project's Deno kernel, streams its progress to the log, and turns its JSON report into a
 * typed result or a {@link NotebookRunError} naming the notebook, the cell and the error.
 *
 * No output may travel as a multi-megabyte kernel message. The Deno 2.9.6 kernel, on a loaded
 * machine, publishes such an iopub message seconds after it reported the cell `idle` (the runner
 * then finds the cell without output) or with an HMAC signature that does not match its frames
 * (jupyter_client: `ValueError: Invalid Signature`). A figure used to inline plotly.js (4.8 MB)
 * into its first display; here the kernel gets `FMNIST_PLOTLY_JS=page` so figures never inline
 * it, and the HTML export gets the script once in its `<head>` (`--head-html`).
 */
import { basename, extname, join, resolve } from "node:path";
import { z } from "zod";
import { atomicWriteFile } from "../config/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { PLOTLY_JS_ENV, plotlyScriptTag } from "../report/mod.ts";
import {
  ensureJupyterDirs,
  jupyterDirs,
  jupyterEnv,
  RUNNER_SCRIPT,
  SYSTEM_PYTHON,
} from "./jupyter_env.ts";

const cellRunSchema = z.object({
  index: z.number().int(),
  execution_count: z.number().int().nullable(),
  outputs: z.number().int(),
  seconds: z.number(),
  /** Output messages the kernel sent after reporting idle (kept thanks to the quiet period). */
  after_idle: z.number().int(),
});

/** Schema of the JSON report line printed by `run_notebook.py`. */
export const runnerReportSchema = z.object({
  ok: z.boolean(),
  notebook: z.string(),
  output: z.string(),
  html: z.string().optional(),
  cells: z.array(cellRunSchema),
  error: z.object({
    cell: z.number().int().nullable(),
    kind: z.string(),
    ename: z.string(),
    evalue: z.string(),
    traceback: z.array(z.string()),
  }).optional(),
});

/** The runner's report. */
export type RunnerReport = z.infer<typeof runnerReportSchema>;
/** Timing and output count of one executed cell. */
export type CellRun = z.infer<typeof cellRunSchema>;

/** A successfully executed notebook. */
export interface NotebookRun {
  notebook: string;
  /** The executed notebook (with outputs). */
  output: string;
  /** The HTML export, when requested. */
  html?: string;
  cells: CellRun[];
  /** Wall time including kernel start, seconds. */
  seconds: number;
}

/** Raised when a notebook fails; the message names the notebook, the cell and the error. */
export class NotebookRunError extends Error {
  override name = "NotebookRunError";
  constructor(
    message: string,
    readonly notebook: string,
    /** Index of the failing cell, or null when the failure is not a cell's (kernel start, IO). */
    readonly cell: number | null,
    /** `error`, `no-output`, `timeout`, `kernel-died`, `bad-notebook`, `runner`. */
    readonly kind: string,
    /** The partly executed notebook, when one was written. */
    readonly output?: string,
  ) {
    super(message);
  }
}

/**
 * Seconds one cell may run unless told otherwise: a hang detector, not a budget — at full settings
 * one cell trains the default recipe (about 4–5 minutes on 2 cores), so a slower machine needs room.
 */
export const DEFAULT_CELL_TIMEOUT_S = 1800;

/** Options of {@link runNotebook}. */
export interface RunNotebookOptions {
  /** State dir: Jupyter's directories live under it, and the kernel gets it as FMNIST_STATE_DIR. */
  stateDir: string;
  /** Where executed notebooks and HTML go (default `<stateDir>/notebooks`). */
  outDir?: string;
  /** Export HTML next to the executed notebook (default true). */
  html?: boolean;
  /** Extra environment for the kernel, e.g. `{ FMNIST_NB_SMALL: "1" }`. */
  env?: Record<string, string>;
  /** Seconds one cell may run (default {@link DEFAULT_CELL_TIMEOUT_S}). */
  cellTimeoutS?: number;
  /** Seconds iopub must stay quiet after a cell went idle (default 0.5). */
  quietS?: number;
  /**
   * Kernel working directory (default: the notebook's directory). Relative imports in cells and
   * the discovery of deno.json (import map, compiler options) start from here.
   */
  cwd?: string;
  /** Logger for progress lines (default: a logger tagged with the notebook). */
  log?: Logger;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Remove terminal color codes (the Deno kernel colors tracebacks and values). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** Output paths of a notebook run. */
export function notebookOutputs(notebookPath: string, outDir: string): {
  output: string;
  failed: string;
  html: string;
} {
  const name = basename(notebookPath, extname(notebookPath));
  return {
    output: join(outDir, `${name}.ipynb`),
    failed: join(outDir, `${name}.failed.ipynb`),
    html: join(outDir, `${name}.html`),
  };
}

/** Turn a failed runner report into the error thrown by {@link runNotebook}. */
export function reportError(report: RunnerReport, stderrTail: string): NotebookRunError {
  const name = basename(report.notebook);
  const e = report.error;
  if (!e) {
    return new NotebookRunError(
      `notebook ${name} failed without an error report:\n${stderrTail}`,
      report.notebook,
      null,
      "runner",
    );
  }
  const where = e.cell === null ? "" : ` at cell ${e.cell}`;
  const head = `${e.ename}: ${stripAnsi(e.evalue)}`;
  const trace = e.traceback.map(stripAnsi);
  const headLines = trace.length > 0 ? head.split("\n").map((l) => l.trim()) : [];
  for (const l of headLines) {
    if (trace[0]?.trim() !== l) break;
    trace.shift();
  }
  const lines = [`notebook ${name} failed${where} (${e.kind}): ${head}`];
  if (trace.length > 0) lines.push(trace.join("\n"));
  if (e.kind === "runner" && stderrTail) lines.push(`runner stderr:\n${stderrTail}`);
  if (e.cell !== null) lines.push(`partly executed notebook: ${report.output}`);
  return new NotebookRunError(lines.join("\n"), report.notebook, e.cell, e.kind, report.output);
}

/** The plotly.js `<script>` for the HTML exports, written once under the state dir. */
async function plotlyHead(stateDir: string): Promise<string> {
  const path = join(jupyterDirs(stateDir).data, "plotly-head.html");
  const tag = plotlyScriptTag();
  const current = await Deno.readTextFile(path).catch(() => null);
  if (current !== tag) await atomicWriteFile(path, tag);
  return path;
}

/**
 * Execute `notebookPath` headlessly on a fresh Deno kernel (working directory: the notebook's),
 * write the executed copy (and HTML) under `outDir`, and return per-cell timings.
 * @throws NotebookRunError when a cell errors, produces no output, times out, or the kernel dies.
 */
export async function runNotebook(
  notebookPath: string,
  opts: RunNotebookOptions,
): Promise<NotebookRun> {
  const started = performance.now();
  const path = resolve(notebookPath);
  const outDir = resolve(opts.outDir ?? join(opts.stateDir, "notebooks"));
  const log = opts.log ?? createLogger({ stage: "notebooks", notebook: basename(path) });
  const out = notebookOutputs(path, outDir);
  for (const stale of Object.values(out)) await Deno.remove(stale).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  await ensureJupyterDirs(opts.stateDir);

  const args = [
    RUNNER_SCRIPT,
    "--input",
    path,
    "--output",
    out.output,
    "--failed-output",
    out.failed,
    "--cell-timeout",
    String(opts.cellTimeoutS ?? DEFAULT_CELL_TIMEOUT_S),
    "--quiet",
    String(opts.quietS ?? 0.5),
  ];
  if (opts.html ?? true) {
    args.push("--html", out.html, "--head-html", await plotlyHead(opts.stateDir));
  }
  if (opts.cwd) args.push("--cwd", resolve(opts.cwd));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(SYSTEM_PYTHON, {
      args,
      env: {
        ...jupyterEnv(opts.stateDir),
        NO_COLOR: "1",
        ...(opts.env ?? {}),
        [PLOTLY_JS_ENV]: "page",
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    throw new NotebookRunError(
      `cannot start ${SYSTEM_PYTHON} to run ${basename(path)}: ${(err as Error).message}. ` +
        "Install Debian's python3-jupyter-client, python3-nbformat and python3-nbconvert.",
      path,
      null,
      "runner",
    );
  }
  const stderrTail: string[] = [];
  const stderrDone = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    const handle = (line: string) => {
      if (!line.trim()) return;
      const clean = stripAnsi(line);
      try {
        const rec = JSON.parse(clean) as Record<string, unknown>;
        if (typeof rec.msg === "string") {
          const { msg, ts: _ts, level: _level, notebook: _nb, ...fields } = rec;
          log.info(msg as string, fields);
          return;
        }
      } catch { /* not a JSON progress line */ }
      if (clean.includes('"deno jupyter" is unstable')) return;
      stderrTail.push(clean);
      if (stderrTail.length > 40) stderrTail.shift();
      log.debug("runner stderr", { line: clean });
    };
    for await (const chunk of child.stderr) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        handle(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    handle(buf);
  })();
  const stdout = new Response(child.stdout).text();
  const [status, text] = await Promise.all([child.status, stdout, stderrDone]);

  const lastLine = text.trim().split("\n").pop() ?? "";
  let report: RunnerReport;
  try {
    report = runnerReportSchema.parse(JSON.parse(lastLine));
  } catch (err) {
    throw new NotebookRunError(
      `notebook ${basename(path)}: the runner exited with code ${status.code} without a valid ` +
        `report (${(err as Error).message}).\nrunner stderr:\n${stderrTail.join("\n")}`,
      path,
      null,
      "runner",
    );
  }
  if (!report.ok || status.code !== 0) throw reportError(report, stderrTail.join("\n"));
  return {
    notebook: path,
    output: report.output,
    html: report.html,
    cells: report.cells,
    seconds: (performance.now() - started) / 1000,
  };
}
