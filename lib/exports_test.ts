/**
 * Keeps unused exports from coming back. Over the code of `lib/`, `serve/`, `pipelines/`,
 * `bench/` and `ops/` (tests included) and the notebooks' code cells, every exported value
 * (`export function|class|const|let|enum`; types are part of signatures and exempt) must have a
 * user:
 *
 * - an internal export (not re-exported by a `mod.ts`) is used in some other file — else it
 *   should not be exported;
 * - public API (re-exported by a `mod.ts`, the face of a stage) is used somewhere besides its
 *   declaration — its own module, a test, another stage or a notebook — else it is dead code.
 *
 * `export {…} from` lines are not uses. Deliberate exceptions go into {@link ALLOWED} with the
 * reason. Text-based (a name used in another file under the same spelling counts), so it
 * misses some unused exports but never flags a used one.
 */
import assert from "node:assert/strict";

/** `file:name` of exports kept without a user, and why. */
const ALLOWED: Record<string, string> = {};

const ROOT = new URL("../", import.meta.url);
const CODE_DIRS = ["lib", "serve", "pipelines", "bench", "ops"];
const SKIP_DIRS = new Set(["node_modules", "vendor", "fixtures"]);

async function* walk(dir: URL, rel: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !SKIP_DIRS.has(e.name)) {
      yield* walk(new URL(`${e.name}/`, dir), `${rel}${e.name}/`);
    } else if (e.isFile) yield `${rel}${e.name}`;
  }
}

/** The code of every scanned file (notebooks: their code cells), by repository path. */
async function readSources(): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  for (const dir of CODE_DIRS) {
    for await (const path of walk(new URL(`${dir}/`, ROOT), `${dir}/`)) {
      if (path.endsWith(".ts")) sources.set(path, await Deno.readTextFile(new URL(path, ROOT)));
    }
  }
  for await (const path of walk(new URL("notebooks/", ROOT), "notebooks/")) {
    if (!path.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(new URL(path, ROOT))) as {
      cells: { cell_type: string; source: string | string[] }[];
    };
    const code = nb.cells.filter((c) => c.cell_type === "code")
      .map((c) => Array.isArray(c.source) ? c.source.join("") : c.source);
    sources.set(path, code.join("\n"));
  }
  return sources;
}

const REEXPORT = /export\s+(?:type\s+)?\{([^}]*)\}\s*from\s*"[^"]*";/g;
const DECLARATION =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|class|const|let|enum)\s+([A-Za-z_$][\w$]*)/gm;
const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

/** Exported values without a user, as `file:name (why)`. */
async function unusedExports(): Promise<string[]> {
  const sources = await readSources();
  const publicNames = new Set<string>();
  /** How often each identifier occurs in each file, re-export lines left out. */
  const uses = new Map<string, Map<string, number>>();
  for (const [path, code] of sources) {
    for (const m of code.matchAll(REEXPORT)) {
      if (!path.endsWith("mod.ts")) continue;
      for (const part of m[1].split(",")) {
        const name = part.replace(/\btype\s+/, "").split(/\s+as\s+/).at(-1)!.trim();
        if (name) publicNames.add(name);
      }
    }
    for (const m of code.replace(REEXPORT, "").matchAll(IDENTIFIER)) {
      const byFile = uses.get(m[0]) ?? new Map<string, number>();
      byFile.set(path, (byFile.get(path) ?? 0) + 1);
      uses.set(m[0], byFile);
    }
  }
  const unused: string[] = [];
  for (const [path, code] of sources) {
    if (path.endsWith("_test.ts") || path.endsWith(".ipynb")) continue;
    for (const m of code.matchAll(DECLARATION)) {
      const name = m[1];
      if (`${path}:${name}` in ALLOWED) continue;
      const byFile = uses.get(name) ?? new Map<string, number>();
      const own = byFile.get(path) ?? 0;
      const elsewhere = [...byFile.keys()].some((p) => p !== path);
      if (elsewhere) continue;
      if (!publicNames.has(name)) {
        unused.push(`${path}:${name} (no other file uses it: drop the export)`);
      } else if (own <= 1) {
        unused.push(`${path}:${name} (public API that nothing uses: delete it)`);
      }
    }
  }
  return unused.sort();
}

Deno.test("every exported value has a user (see lib/exports_test.ts to allow one)", async () => {
  const unused = await unusedExports();
  assert.deepEqual(unused, [], `unused exports:\n${unused.join("\n")}`);
});

Deno.test("every allowlisted export still exists", async () => {
  const sources = await readSources();
  for (const key of Object.keys(ALLOWED)) {
    const [path, name] = key.split(":");
    const code = sources.get(path) ?? "";
    assert.match(code, new RegExp(`^export\\s.*\\b${name}\\b`, "m"), `${key} is allowlisted`);
  }
});
