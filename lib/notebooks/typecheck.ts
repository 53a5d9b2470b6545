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
  const nb = await readNotebook(notebookPath);
  const exported = notebookToTs(nb, resolve(opts.kernelCwd ?? dirname(notebookPath)));
  const file = join(resolve(opts.outDir), basename(notebookPath, extname(notebookPath)) + ".ts");
  await atomicWriteFile(file, exported.source);
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "cache",
      "--check",
      "--no-lock",
      "--quiet",
      "--config",
      join(REPO_ROOT, "deno.json"),
      file,
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const res = await cmd.output();
  const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  const fileUrl = pathToFileURL(file).href;
  const diagnostics = res.success ? "" : text.split("\n").map((l) => {
    const at = l.indexOf(fileUrl + ":");
    if (at < 0) return l;
    const m = /^:(\d+):(\d+)/.exec(l.slice(at + fileUrl.length));
    const where = m ? cellAt(exported.spans, Number(m[1])) : null;
    return where ? `${l}  [cell ${where.cell}, line ${where.line}]` : l;
  }).join("\n").trim();
  return { ok: res.success, notebook: notebookPath, file, diagnostics };
}
