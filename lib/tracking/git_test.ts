import assert from "node:assert/strict";
import { test } from "node:test";
import { gitState } from "./mod.ts";

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

test("gitState reads commit and dirty flag, and tolerates a tree outside git", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-git-test-" });
  try {
    assert.deepEqual(await gitState(dir), { commit: null, dirty: null });
    await git(dir, "init", "-q");
    assert.deepEqual(await gitState(dir), { commit: null, dirty: null }); // no commit yet
    await Deno.writeTextFile(`${dir}/a.txt`, "one");
    await git(dir, "add", "a.txt");
    await git(dir, "commit", "-q", "-m", "first");
    const clean = await gitState(dir);
    assert.match(clean.commit ?? "", /^[0-9a-f]{40}$/);
    assert.equal(clean.dirty, false);
    await Deno.writeTextFile(`${dir}/untracked.txt`, "ignored for dirtiness");
    assert.equal((await gitState(dir)).dirty, false);
    await Deno.writeTextFile(`${dir}/a.txt`, "two");
    assert.deepEqual(await gitState(dir), { commit: clean.commit, dirty: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
