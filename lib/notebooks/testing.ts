/** Test helpers: build small notebooks in code. */
import type { Notebook } from "./ipynb.ts";

/** A code cell; pass `tags` for cell metadata tags (e.g. `no-output`). */
export function codeCell(source: string, tags: string[] = []): Notebook["cells"][number] {
  return {
    cell_type: "code",
    source,
    metadata: tags.length ? { tags } : {},
    outputs: [],
    execution_count: null,
  };
}

/** A markdown cell. */
export function markdownCell(source: string): Notebook["cells"][number] {
  return { cell_type: "markdown", source, metadata: {} };
}

/** A notebook for the project's Deno kernel holding `cells`. */
export function makeNotebook(cells: Notebook["cells"]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno (fmnist-lab)", language: "typescript" },
    },
    cells,
  };
}
