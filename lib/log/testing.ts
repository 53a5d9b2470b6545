/**
 * Test helper: what a child Deno process logs. Worker threads write their log lines straight to
 * the process's stderr, which a test in the same process cannot capture; a child can be watched.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Run `script` (module source; import project modules by absolute URL) in a child process with
 * `LOG_LEVEL` unset and JSON log lines, and return the log records it wrote to stderr.
 * @throws Error with the child's stderr when it exits non-zero.
 */
export async function childLogRecords(script: string): Promise<Record<string, unknown>[]> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-log-child-" });
  try {
    const file = join(dir, "child.ts");
    await Deno.writeTextFile(file, script);
    const env = { ...Deno.env.toObject(), FMNIST_LOG_FORMAT: "json" };
    delete (env as Record<string, string | undefined>).LOG_LEVEL;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--config", join(REPO, "deno.json"), file],
      cwd: REPO,
      env,
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`the child exited with ${out.code}:\n${text}`);
    return text.split("\n").flatMap((line) => {
      try {
        const rec = JSON.parse(line);
        return typeof rec === "object" && rec !== null && "msg" in rec ? [rec] : [];
      } catch {
        return [];
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
