/**
 * Type-checking notebooks: the code cells are exported, in order, to one TypeScript module under
 * the state dir and checked with the repository's deno.json (strict mode, import map).
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { atomicWriteFile } from "../config/mod.ts";
import { type Notebook, readNotebook } from "./ipynb.ts";
import { REPO_ROOT } from "./jupyter_env.ts";

/** Where each exported cell starts in the generated module. */
export interface CellSpan {
  /** Index of the cell in the notebook. */
  cell: number;
  /** 1-based line of the cell's first source line in the module. */
  startLine: number;
  /** Number of source lines of the cell. */
  lines: number;
}

/** A notebook's code cells as one TypeScript module. */
export interface ExportedNotebook {
  source: string;
  spans: CellSpan[];
}

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"'\n]*)\2/g;

/**
 * Export the code cells of `nb` to one module. Relative import specifiers are resolved against
 * `kernelCwd` (the kernel runs in the notebook's directory) so the module can live anywhere.
 */
export function notebookToTs(nb: Notebook, kernelCwd: string): ExportedNotebook {
  const out: string[] = ["// Generated from a notebook for type-checking; do not edit.", ""];
  const spans: CellSpan[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code" || cell.source.trim() === "") return;
    const code = cell.source.replace(
      RELATIVE_IMPORT,
      (_m, head: string, q: string, spec: string) =>
        `${head}${q}${pathToFileURL(resolve(kernelCwd, spec)).href}${q}`,
    );
    out.push(`// ---- cell ${i} ----`);
    const lines = code.split("\n");
    spans.push({ cell: i, startLine: out.length + 1, lines: lines.length });
    out.push(...lines, ";", "");
  });
  out.push("export {};", "");
  return { source: out.join("\n"), spans };
}

/** Translate a line of the generated module into (cell, line within the cell). */
export function cellAt(
  spans: readonly CellSpan[],
  line: number,
): { cell: number; line: number } | null {
  for (const s of spans) {
    if (line >= s.startLine && line < s.startLine + s.lines) {
      return { cell: s.cell, line: line - s.startLine + 1 };
    }
  }
  return null;
}

/** Outcome of type-checking one notebook. */
export interface TypeCheckResult {
  ok: boolean;
  notebook: string;
  /** The generated module that was checked. */
  file: string;
  /** Compiler output with locations annotated as `[cell N, line M]`; empty when ok. */
  diagnostics: string;
}

/** Write `notebookPath`'s exported module under `outDir`; returns its path and cell spans. */
async function exportNotebook(
  notebookPath: string,
  opts: { outDir: string; kernelCwd?: string },
): Promise<{ file: string; spans: CellSpan[] }> {
  const nb = await readNotebook(notebookPath);
  const exported = notebookToTs(nb, resolve(opts.kernelCwd ?? dirname(notebookPath)));
  const file = join(resolve(opts.outDir), basename(notebookPath, extname(notebookPath)) + ".ts");
  await atomicWriteFile(file, exported.source);
  return { file, spans: exported.spans };
}

/** `deno cache --check` of `files` as one program with the repository's deno.json. */
async function denoCheck(files: readonly string[]): Promise<{ ok: boolean; text: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "cache",
      "--check",
      "--no-lock",
      "--quiet",
      "--config",
      join(REPO_ROOT, "deno.json"),
      ...files,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const res = await cmd.output();
  const dec = new TextDecoder();
  return { ok: res.success, text: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

/** Compiler output with the generated module's locations annotated as `[cell N, line M]`. */
function annotate(text: string, file: string, spans: readonly CellSpan[]): string {
  const fileUrl = pathToFileURL(file).href;
  return text.split("\n").map((l) => {
    const at = l.indexOf(fileUrl + ":");
    if (at < 0) return l;
    const m = /^:(\d+):(\d+)/.exec(l.slice(at + fileUrl.length));
    const where = m ? cellAt(spans, Number(m[1])) : null;
    return where ? `${l}  [cell ${where.cell}, line ${where.line}]` : l;
  }).join("\n").trim();
}

/**
 * Export `notebookPath`'s code cells to `<outDir>/<name>.ts` (relative imports resolved from
 * `kernelCwd`, default the notebook's directory) and type-check it with the
 * repository's deno.json. (`deno cache --check` is used because `deno check` silently skips
 * files under excluded paths such as `.fmnist/`.)
 */
export async function typeCheckNotebook(
  notebookPath: string,
  opts: { outDir: string; kernelCwd?: string },
): Promise<TypeCheckResult> {
  const { file, spans } = await exportNotebook(notebookPath, opts);
  const res = await denoCheck([file]);
  const diagnostics = res.ok ? "" : annotate(res.text, file, spans);
  return { ok: res.ok, notebook: notebookPath, file, diagnostics };
}

/**
 * Type-check several notebooks (as {@link typeCheckNotebook}) in one compiler run: the lib graph
 * they share is checked once instead of once per notebook (~7 s each here). Each exported module
 * is its own ES module, so the notebooks cannot see each other's names. When the run fails, each
 * notebook is checked alone so that every diagnostic is reported against its own notebook.
 * Notebooks must have distinct file names. Results are in `notebookPaths` order.
 */
export async function typeCheckNotebooks(
  notebookPaths: readonly string[],
  opts: { outDir: string; kernelCwd?: string },
): Promise<TypeCheckResult[]> {
  const names = notebookPaths.map((p) => basename(p, extname(p)));
  if (new Set(names).size !== names.length) {
    throw new Error(`notebooks to type-check share a file name: ${names.join(", ")}`);
  }
  const exported: { file: string; spans: CellSpan[] }[] = [];
  for (const p of notebookPaths) exported.push(await exportNotebook(p, opts));
  if (exported.length === 0) return [];
  const res = await denoCheck(exported.map((e) => e.file));
  if (res.ok) {
    return notebookPaths.map((notebook, i) => ({
      ok: true,
      notebook,
      file: exported[i].file,
      diagnostics: "",
    }));
  }
  const out: TypeCheckResult[] = [];
  for (const p of notebookPaths) out.push(await typeCheckNotebook(p, opts));
  return out;
}
