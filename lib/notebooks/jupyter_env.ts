/**
 * Where Jupyter finds the project's Deno kernel and where it may write: the kernel spec is
 * committed under `jupyter_config/kernels/deno/`, everything Jupyter writes goes to the state dir.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (two levels above this module). */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Directory put on `JUPYTER_PATH`; holds `kernels/deno/kernel.json`. */
export const JUPYTER_CONFIG_DIR: string = join(REPO_ROOT, "jupyter_config");

/** The Python notebook runner (run with Debian's `/usr/bin/python3`). */
export const RUNNER_SCRIPT: string = join(JUPYTER_CONFIG_DIR, "run_notebook.py");

/** Debian's Python, which sees jupyter_client, nbformat and nbconvert (pyenv's python does not). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Jupyter's writable directories inside the state dir. */
export interface JupyterDirs {
  config: string;
  data: string;
  runtime: string;
  ipython: string;
}

/** Jupyter directories under `<stateDir>/jupyter/` (nothing is created). */
export function jupyterDirs(stateDir: string): JupyterDirs {
  const root = join(resolve(stateDir), "jupyter");
  return {
    config: join(root, "config"),
    data: join(root, "data"),
    runtime: join(root, "runtime"),
    ipython: join(root, "ipython"),
  };
}

/**
 * Environment variables that make Jupyter use the committed Deno kernel spec and write only
 * under the state dir (never `$HOME`). `FMNIST_STATE_DIR` is made absolute because kernels run
 * in the notebook's directory.
 */
export function jupyterEnv(stateDir: string): Record<string, string> {
  const d = jupyterDirs(stateDir);
  return {
    JUPYTER_PATH: JUPYTER_CONFIG_DIR,
    JUPYTER_CONFIG_DIR: d.config,
    JUPYTER_DATA_DIR: d.data,
    JUPYTER_RUNTIME_DIR: d.runtime,
    IPYTHONDIR: d.ipython,
    FMNIST_STATE_DIR: resolve(stateDir),
    PYTHONNOUSERSITE: "1",
  };
}

/** Create the Jupyter directories under the state dir and return them. */
export async function ensureJupyterDirs(stateDir: string): Promise<JupyterDirs> {
  const d = jupyterDirs(stateDir);
  for (const dir of Object.values(d)) await Deno.mkdir(dir, { recursive: true });
  return d;
}
