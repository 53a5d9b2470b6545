/**
 * The real service as a child process, for experiments driven from outside it: `deno run -A
 * <script>` (the caller passes `serve/main.ts`) on a free loopback port with the environment it is
 * given on top of the caller's (so production defaults hold unless the caller overrides them),
 * ready when `GET /readyz` answers 200; stopped with SIGTERM (graceful: in-flight requests finish,
 * prediction logs are flushed, the workspace is closed). Its output is kept (last 64 KiB) for
 * error messages and written to `logFile` when given.
 */
import { freeLoopbackPort } from "../config/mod.ts";

/** A running service process. */
export interface ServiceProcess {
  url: string;
  port: number;
  pid: number;
  /** Output so far (stdout and stderr, by arrival). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Options of {@link startServiceProcess}. */
export interface ServiceProcessOptions {
  /** Entry point run with `deno run -A` (e.g. the path of `serve/main.ts`). */
  script: string;
  /** Environment on top of this process's (`PORT` and `HOST` are set here). */
  env?: Record<string, string>;
  /** How long to wait for `/readyz` (default 180 s: a cold start loads and probes models). */
  readyTimeoutMs?: number;
  /** Append the service's output here when it stops. */
  logFile?: string;
}

/**
 * Start the service and wait until it is ready.
 * @throws Error with the tail of its output when it exits or is not ready in time.
 */
/**
 * Collect a child's stdout and stderr (by arrival, keeping the last `maxChars`); `done` settles
 * when both streams end.
 */
export function captureOutput(
  child: Deno.ChildProcess,
  maxChars: number,
): { text: () => string; done: Promise<void> } {
  let out = "";
  const keep = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) out = (out + dec.decode(chunk, { stream: true })).slice(-maxChars);
  };
  const done = Promise.all([keep(child.stdout), keep(child.stderr)]).then(() => {});
  return { text: () => out, done };
}

export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = freeLoopbackPort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", opts.script],
    env: { ...opts.env, PORT: String(port), HOST: "127.0.0.1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const captured = captureOutput(child, 65536);
  const pumped = captured.done;
  const state: { exited: Deno.CommandStatus | null } = { exited: null };
  const status = child.status.then((s) => (state.exited = s));
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<Deno.CommandStatus> | null = null;
  const stop = (graceMs = 15_000) =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* exited already */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, graceMs);
      try {
        const s = await status;
        await pumped;
        if (opts.logFile) await Deno.writeTextFile(opts.logFile, captured.text(), { append: true });
        return s;
      } finally {
        clearTimeout(timer);
      }
    })();
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
  while (true) {
    if (state.exited) {
      await pumped;
      throw new Error(
        `the service exited (code ${state.exited.code}) before it was ready:\n${
          captured.text().slice(-3000)
        }`,
      );
    }
    try {
      const res = await fetch(`${url}/readyz`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop(2000);
      throw new Error(`the service was not ready in time:\n${captured.text().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, pid: child.pid, output: captured.text, stop };
}
