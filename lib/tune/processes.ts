/**
 * Worker processes for one study: spawn N `deno run` children (each runs its own async worker
 * against the shared Postgres) and collect their exit statuses. Used by `deno task tune
 * --workers N` and the multi-process tests.
 */

/** Options of {@link spawnWorkerProcesses}. */
export interface SpawnWorkersOptions {
  /** Script each child runs (`deno run -A <script> <args>`). */
  script: string | URL;
  /** Arguments of child `i`. */
  args: (i: number) => string[];
  /** Number of children. */
  n: number;
  /** Extra environment of the children (the parent's is inherited). */
  env?: Record<string, string>;
  /** Receives each stdout line of child `i` (stderr is inherited). */
  onLine?: (i: number, line: string) => void;
}

/** A spawned worker process. */
export interface WorkerProcess {
  index: number;
  pid: number;
  child: Deno.ChildProcess;
  /** Resolves with the exit status once the process ended and its output was read. */
  done: Promise<Deno.CommandStatus>;
}

async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void) {
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  if (buf) onLine(buf);
}

/** Start `n` worker processes running `script`. */
export function spawnWorkerProcesses(opts: SpawnWorkersOptions): WorkerProcess[] {
  const script = opts.script instanceof URL ? opts.script.pathname : opts.script;
  return Array.from({ length: opts.n }, (_, i) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...opts.args(i)],
      env: opts.env,
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    const pump = pumpLines(child.stdout, (l) => opts.onLine?.(i, l));
    const done = Promise.all([child.status, pump]).then(([s]) => s);
    return { index: i, pid: child.pid, child, done };
  });
}

/**
 * Wait for every worker; returns their statuses.
 * @throws Error naming the workers that exited non-zero.
 */
export async function waitForWorkers(
  workers: readonly WorkerProcess[],
): Promise<Deno.CommandStatus[]> {
  const statuses = await Promise.all(workers.map((w) => w.done));
  const bad = statuses.map((s, i) => ({ s, i })).filter(({ s }) => !s.success);
  if (bad.length) {
    throw new Error(
      `worker process(es) ${
        bad.map(({ s, i }) =>
          `#${i} (pid ${workers[i].pid}, exit ${s.code}${s.signal ? `, ${s.signal}` : ""})`
        ).join(", ")
      } failed; see their log lines above`,
    );
  }
  return statuses;
}
