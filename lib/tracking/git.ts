/** The git state of a working tree, read with the `git` CLI; absent git is not an error. */

/** Commit and dirty flag of a working tree; both null when git or the repository is missing. */
export interface GitState {
  /** `git rev-parse HEAD`, null outside a repository (or before the first commit). */
  commit: string | null;
  /** Whether tracked files differ from HEAD (untracked files are ignored); null when unknown. */
  dirty: boolean | null;
}

async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args,
      cwd,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    // git not installed, or no permission to run it.
    return null;
  }
}

/** Read the git commit and dirty flag of the tree at `cwd` (default: the current directory). */
export async function gitState(cwd: string = Deno.cwd()): Promise<GitState> {
  const head = await git(cwd, ["rev-parse", "--verify", "HEAD"]);
  const commit = head?.trim() || null;
  if (commit === null) return { commit: null, dirty: null };
  const status = await git(cwd, ["status", "--porcelain", "--untracked-files=no"]);
  return { commit, dirty: status === null ? null : status.trim().length > 0 };
}
