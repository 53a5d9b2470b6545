/**
 * Helpers of the ops tests: find the real binaries (Prometheus, Alertmanager, nginx, Locust),
 * run them as child processes on free loopback ports with their own config and data dirs, and
 * wait for them. Nothing here mocks a program: a missing binary fails with the Debian package
 * that provides it (`.ci/run` installs them).
 */
import { fileURLToPath } from "node:url";

/** Absolute path of a file under `ops/`. */
export function opsPath(rel: string): string {
  return fileURLToPath(new URL(rel, import.meta.url));
}

/** Absolute path of a file under the repository root. */
export function repoPath(rel: string): string {
  return fileURLToPath(new URL(`../${rel}`, import.meta.url));
}

export { requireBinary } from "../lib/doctor/mod.ts";

/** Run a program to completion; returns exit code and decoded output. */
export async function runProgram(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Poll `check` every `everyMs` until it returns a value other than `undefined`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}` +
      (last ? ` (last error: ${last instanceof Error ? last.message : String(last)})` : ""),
  );
}

/** GET `url` and return the status (0 when the connection fails). */
export async function httpStatus(url: string, init?: RequestInit): Promise<number> {
  try {
    const res = await fetch(url, init);
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** A child process whose output is kept (last 64 KiB) for failure messages. */
export class Proc {
  readonly child: Deno.ChildProcess;
  #out = "";
  readonly #done: Promise<void>;

  constructor(readonly name: string, cmd: string, args: string[], opts: {
    cwd?: string;
    env?: Record<string, string>;
  } = {}) {
    this.child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const keep = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of s) {
        this.#out = (this.#out + dec.decode(chunk, { stream: true })).slice(-65536);
      }
    };
    this.#done = Promise.all([keep(this.child.stdout), keep(this.child.stderr)]).then(() => {});
  }

  /** Output so far (stdout and stderr interleaved by arrival). */
  get output(): string {
    return this.#out;
  }

  /** Send `signal` (ignored when already exited) and wait for exit. */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 10_000): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch { /* exited */ }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* exited */ }
    }, graceMs);
    try {
      const status = await this.child.status;
      await this.#done;
      return status;
    } finally {
      clearTimeout(timer);
    }
  }
}
