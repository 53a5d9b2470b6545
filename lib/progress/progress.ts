/**
 * Progress reporting for long steps. For machines (JSON logs): throttled structured `progress`
 * log lines. For people (pretty logs at a terminal): a live cli-progress bar on stderr with
 * percentage, amount, rate and ETA plus the step's own figures (e.g. an epoch's loss and
 * accuracy), and one short line when it finishes.
 */
import cliProgress from "cli-progress";
import { logFormat, type Logger } from "../log/mod.ts";

/** Figures shown next to the bar, e.g. `{ loss: 0.41, acc: 0.86 }`. */
export type ProgressInfo = Record<string, number | string>;

/** A progress reporter for one unit of work. */
export interface Progress {
  /** Advance by `n` (default 1); `info` replaces the figures shown next to the bar. */
  tick(n?: number, info?: ProgressInfo): void;
  /** Set the absolute amount done. */
  set(done: number, info?: ProgressInfo): void;
  /** Change the total (when it becomes known). */
  setTotal(total: number | undefined): void;
  /** Mark finished: logs a final line and removes the bar. */
  done(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is progressing, e.g. `download train-images`. */
  label: string;
  /** Total amount, if known. */
  total?: number;
  /** Unit of the amounts, e.g. `bytes`, `images` (default `items`). */
  unit?: string;
  /** Minimum ms between JSON progress lines (default 2000). */
  logIntervalMs?: number;
  /** Draw a bar; default: pretty logs ({@link logFormat}) and stderr is a terminal. */
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

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 100;
  }
}

/** Render a fixed-width bar, e.g. `[#####-----]  50%` (used in plain-text reports). */
export function renderBar(done: number, total: number | undefined, width = 30): string {
  if (!total || total <= 0) return `[${"?".repeat(width)}]`;
  const frac = Math.max(0, Math.min(1, done / total));
  const full = Math.round(frac * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
}

/** `1536` bytes → `1.5 KiB`; other units print as integers. */
export function formatAmount(n: number, unit: string): string {
  if (unit !== "bytes") return `${Math.round(n)}`;
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n, i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** `75` → `1m15s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatInfo(info: ProgressInfo): string {
  return Object.entries(info).map(([k, v]) =>
    `${k} ${typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`
  ).join("  ");
}

/** Create a progress reporter that logs through `log`. */
export function createProgress(log: Logger, opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  const tty = opts.tty ?? (logFormat() === "pretty" && stderrIsTty());
  const enc = new TextEncoder();
  const write = opts.write ?? ((t: string) => Deno.stderr.writeSync(enc.encode(t)));
  const interval = opts.logIntervalMs ?? 2000;
  const unit = opts.unit ?? "items";
  const start = now();
  let total = opts.total;
  let done = 0;
  let info: ProgressInfo = {};
  let lastLog = -Infinity;
  let finished = false;

  const elapsed = () => (now() - start) / 1000;
  const fields = () => {
    const elapsedS = elapsed();
    return {
      label: opts.label,
      done,
      total: total ?? null,
      unit,
      pct: total ? Math.round((done / total) * 1000) / 10 : null,
      elapsedS: Math.round(elapsedS * 10) / 10,
      rate: elapsedS > 0 ? Math.round(done / elapsedS) : null,
      ...info,
    };
  };

  let bar: cliProgress.SingleBar | null = null;
  if (tty) {
    // cli-progress draws and throttles the bar; the line format is ours (amounts, rate, ETA,
    // the step's figures). Its stream is a thin adapter over `write`.
    const stream = {
      isTTY: true,
      get columns() {
        return terminalColumns();
      },
      write(text: string) {
        write(text);
        return true;
      },
      cursorTo(x: number) {
        write(`\x1b[${x + 1}G`);
        return true;
      },
      clearLine() {
        write("\r\x1b[2K"); // clear the whole line and return to its start
        return true;
      },
      moveCursor() {
        return true;
      },
    };
    bar = new cliProgress.SingleBar({
      stream: stream as unknown as NodeJS.WritableStream,
      hideCursor: false,
      clearOnComplete: false, // the finished bar stays on screen, on its own line
      fps: 10,
      barsize: 30,
      barCompleteChar: "█",
      barIncompleteChar: "░",
      format: (options, params) => {
        const t = total ?? 0;
        const pct = t > 0 ? Math.min(100, Math.round((100 * done) / t)) : 0;
        const secs = elapsed();
        const rate = secs > 0 ? done / secs : 0;
        const eta = t > 0 && rate > 0 ? (t - done) / rate : NaN;
        const size = options.barsize ?? 30;
        const full = Math.round((params.progress ?? 0) * size);
        const barText = (options.barCompleteChar ?? "#").repeat(full) +
          (options.barIncompleteChar ?? "-").repeat(Math.max(0, size - full));
        const extra = formatInfo(info);
        return `${opts.label} ${barText} ${String(pct).padStart(3)}% ` +
          `${formatAmount(done, unit)}/${t > 0 ? formatAmount(t, unit) : "?"} ${
            unit === "bytes" ? "" : unit + " "
          }| ${formatAmount(rate, unit)}${unit === "bytes" ? "/s" : "/s"} | ETA ${
            formatDuration(eta)
          }${extra ? ` | ${extra}` : ""}`;
      },
    });
    bar.start(total ?? 0, 0);
  } else {
    log.info("progress", fields());
    lastLog = now();
  }

  const update = () => {
    if (finished) return;
    if (bar) {
      bar.setTotal(total ?? 0);
      bar.update(done);
      return;
    }
    const t = now();
    if (t - lastLog >= interval) {
      lastLog = t;
      log.info("progress", fields());
    }
  };
  return {
    tick(n = 1, i?: ProgressInfo) {
      done += n;
      if (i) info = i;
      update();
    },
    set(d, i?: ProgressInfo) {
      done = d;
      if (i) info = i;
      update();
    },
    setTotal(t) {
      total = t;
    },
    done() {
      if (finished) return;
      finished = true;
      if (bar) {
        bar.update(done);
        bar.stop();
        const extra = formatInfo(info);
        log.info(
          `${opts.label}: ${formatAmount(done, unit)}${unit === "bytes" ? "" : ` ${unit}`} in ${
            formatDuration(elapsed())
          }${extra ? ` (${extra})` : ""}`,
        );
        return;
      }
      log.info("progress", { ...fields(), finished: true });
    },
  };
}
