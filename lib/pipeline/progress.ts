/**
 * Progress reporting for long steps: structured JSON `progress` log lines (throttled), and a
 * redrawn bar on stderr when it is a terminal (then only the first and last JSON lines are
 * logged, so the bar is not interleaved with log noise).
 */
import type { Logger } from "../log/mod.ts";

/** A progress reporter for one unit of work. */
export interface Progress {
  /** Advance by `n` (default 1). */
  tick(n?: number): void;
  /** Set the absolute amount done. */
  set(done: number): void;
  /** Change the total (when it becomes known). */
  setTotal(total: number | undefined): void;
  /** Mark finished: logs a final line and clears the bar. */
  done(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is progressing, e.g. `download train-images`. */
  label: string;
  /** Total amount, if known. */
  total?: number;
  /** Unit of the amounts, e.g. `bytes`, `files` (default `items`). */
  unit?: string;
  /** Minimum ms between JSON progress lines (default 2000). */
  logIntervalMs?: number;
  /** Draw a bar; defaults to whether stderr is a terminal. */
  tty?: boolean;
  /** Where the bar is written (default stderr). */
  write?: (text: string) => void;
  /** Clock in ms (tests). */
  now?: () => number;
}

function stderrIsTty(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** Render a fixed-width bar, e.g. `[#####-----]  50%`. */
export function renderBar(done: number, total: number | undefined, width = 30): string {
  if (!total || total <= 0) return `[${"?".repeat(width)}]`;
  const frac = Math.max(0, Math.min(1, done / total));
  const full = Math.round(frac * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
}

/** Create a progress reporter that logs through `log`. */
export function createProgress(log: Logger, opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  const tty = opts.tty ?? stderrIsTty();
  const enc = new TextEncoder();
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(enc.encode(t)));
  const interval = opts.logIntervalMs ?? 2000;
  const unit = opts.unit ?? "items";
  const start = now();
  let total = opts.total;
  let done = 0;
  let lastLog = -Infinity;
  let lastDraw = -Infinity;
  let finished = false;

  const fields = () => {
    const elapsedS = (now() - start) / 1000;
    return {
      label: opts.label,
      done,
      total: total ?? null,
      unit,
      pct: total ? Math.round((done / total) * 1000) / 10 : null,
      elapsedS: Math.round(elapsedS * 10) / 10,
      rate: elapsedS > 0 ? Math.round(done / elapsedS) : null,
    };
  };
  const draw = (force: boolean) => {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    write(`\r\x1b[2K${opts.label} ${renderBar(done, total)} ${done}/${total ?? "?"} ${unit}`);
  };
  const update = () => {
    if (finished) return;
    if (tty) return draw(false);
    const t = now();
    if (t - lastLog >= interval) {
      lastLog = t;
      log.info("progress", fields());
    }
  };
  log.info("progress", fields());
  lastLog = now();
  return {
    tick(n = 1) {
      done += n;
      update();
    },
    set(d) {
      done = d;
      update();
    },
    setTotal(t) {
      total = t;
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty) write("\r\x1b[2K");
      log.info("progress", { ...fields(), finished: true });
    },
  };
}
