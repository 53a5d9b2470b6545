/** Reading Jupyter notebooks (nbformat 4) and checking that committed ones are clean. */
import { zodErrorText } from "../config/mod.ts";
import { basename } from "node:path";
import { z } from "zod";

const source = z.union([z.string(), z.array(z.string())]).transform((s) =>
  Array.isArray(s) ? s.join("") : s
);

/** Schema of one notebook cell (the fields this project reads; others are kept). */
export const cellSchema = z.looseObject({
  cell_type: z.enum(["code", "markdown", "raw"]),
  source,
  metadata: z.record(z.string(), z.unknown()).default({}),
  outputs: z.array(z.record(z.string(), z.unknown())).optional(),
  execution_count: z.number().int().nullable().optional(),
});

/** Schema of an nbformat 4 notebook. */
export const notebookSchema = z.looseObject({
  nbformat: z.literal(4),
  nbformat_minor: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  cells: z.array(cellSchema),
});

/** A parsed notebook; cell sources are joined into single strings. */
export type Notebook = z.infer<typeof notebookSchema>;
/** A parsed notebook cell. */
export type Cell = z.infer<typeof cellSchema>;

/** Raised for a file that is not a readable nbformat 4 notebook. */
export class NotebookFormatError extends Error {
  override name = "NotebookFormatError";
}

/** Parse notebook JSON text. @throws NotebookFormatError naming the file and the problem. */
export function parseNotebook(text: string, path = "<notebook>"): Notebook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NotebookFormatError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = notebookSchema.safeParse(json);
  if (!parsed.success) {
    const issues = zodErrorText(parsed.error, { max: 5 });
    throw new NotebookFormatError(
      `${path} is not an nbformat 4 notebook:\n${issues}\n` +
        "Open and re-save it in Jupyter, or fix the JSON by hand.",
    );
  }
  return parsed.data;
}

/** Read and parse a notebook file. @throws NotebookFormatError */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new NotebookFormatError(`cannot read notebook ${path}: ${(err as Error).message}`);
  }
  return parseNotebook(text, path);
}

/** One reason a committed notebook is not clean. */
export interface HygieneProblem {
  /** Index of the cell in the notebook. */
  cell: number;
  problem: "outputs" | "execution_count";
}

/**
 * Problems that stop a notebook from being committed: code cells with outputs or execution
 * counts (notebooks are committed cleared; executed copies live in the state dir).
 */
export function notebookHygiene(nb: Notebook): HygieneProblem[] {
  const problems: HygieneProblem[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length > 0) problems.push({ cell: i, problem: "outputs" });
    if (cell.execution_count !== null && cell.execution_count !== undefined) {
      problems.push({ cell: i, problem: "execution_count" });
    }
  });
  return problems;
}

/** A human-readable summary of hygiene problems, or null when the notebook is clean. */
export function describeHygiene(path: string, problems: readonly HygieneProblem[]): string | null {
  if (problems.length === 0) return null;
  const cells = problems.map((p) => `cell ${p.cell} has ${p.problem.replace("_", " ")}`);
  return `${basename(path)} is committed with outputs: ${cells.join("; ")}. ` +
    "Clear them (Jupyter: Edit → Clear All Outputs, or `deno task notebooks --clear`) before committing.";
}

/** A copy of `nb` with every output and execution count cleared. */
export function clearOutputs(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((c) =>
      c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : c
    ),
  };
}

/**
 * Serialize a notebook the way Jupyter does: sorted keys, 1-space indent, sources as line
 * arrays, trailing newline.
 */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => ({ ...c, source: splitLines(c.source) }));
  return JSON.stringify(sortKeys({ ...nb, cells }), null, 1) + "\n";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    out[k] = sortKeys((value as Record<string, unknown>)[k]);
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((l) => l + "\n");
  const last = lines.length - 1;
  lines[last] = lines[last].slice(0, -1);
  if (lines[last] === "") lines.pop();
  return lines;
}
