/**
 * Logging on pino: structured JSON lines for machines, pino-pretty lines for people.
 *
 * The format follows {@link logFormat}: `FMNIST_LOG_FORMAT=json|pretty` forces one; by default
 * (`auto`) people at a terminal (stdout is a TTY) get pretty lines and everything else (pipes,
 * files, CI, log collectors) gets one JSON object per line. Lines go to stderr; stdout stays for
 * a command's results. Progress bars live in `lib/progress`.
 */
import { pino } from "pino";
import { prettyFactory } from "pino-pretty";
import { z } from "zod";

/** Log levels in increasing severity, as a schema (worker messages carry their parent's). */
export const levelSchema = z.enum(["debug", "info", "warn", "error"]);

/** Log levels in increasing severity. */
export type Level = z.infer<typeof levelSchema>;

/** Output formats: one JSON object per line, or pino-pretty's human lines. */
export type LogFormat = "json" | "pretty";

/** Fields attached to a log line. */
export type Fields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger whose lines all carry `fields`. */
  child(fields: Fields): Logger;
  /**
   * The minimum level written. A worker thread's logger takes it from the logger of the code that
   * started the worker, so a command quiet at a terminal (`warn`) is quiet in its workers too.
   */
  readonly level: Level;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no env permission
  }
}

function envLevel(): Level {
  const v = levelSchema.safeParse(env("LOG_LEVEL"));
  return v.success ? v.data : "info";
}

function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/**
 * The output format: `FMNIST_LOG_FORMAT` (`json`, `pretty`, or `auto`/unset), where `auto` means
 * pretty when stdout is a terminal and JSON otherwise. Pass `env`/`isTerminal` to decide for
 * another process or in tests. A wrong value counts as `auto` here; `lib/config` settings reject
 * it at start-up with a message naming the variable.
 */
export function logFormat(
  opts: { env?: string | undefined; isTerminal?: boolean } = {},
): LogFormat {
  const v = "env" in opts ? opts.env : env("FMNIST_LOG_FORMAT");
  if (v === "json" || v === "pretty") return v;
  // `auto`, unset, or a wrong value (the settings reject that one at start-up, naming it)
  return (opts.isTerminal ?? stdoutIsTerminal()) ? "pretty" : "json";
}

function serialize(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (typeof v === "bigint") return v.toString();
  return v;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level (default `LOG_LEVEL`, else `info`). */
  level?: Level;
  /** Receives each line without its newline (default: stderr). */
  sink?: (line: string) => void;
  /** Line format (default: JSON when a sink is given, else {@link logFormat}). */
  format?: LogFormat;
  /** Colour pretty lines (default: when stderr is a terminal). */
  colors?: boolean;
}

const enc = new TextEncoder();
const toStderr = (line: string) => Deno.stderr.writeSync(enc.encode(line + "\n"));
/** At a terminal, a line first clears the one it lands on: a live progress bar may be there. */
const toTerminal = (line: string) => Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}\n`));

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/**
 * pino-pretty, configured for people: one short line per event — time, level, the step or stage
 * and the message. Fields (hashes, ids, engine details) are left out of info and debug lines and
 * kept, on the same line, for warnings and errors, where they explain what went wrong.
 */
function prettyLine(colors: boolean): (json: string) => string {
  const common = {
    colorize: colors,
    translateTime: "HH:MM:ss",
    messageKey: "msg",
    timestampKey: "ts",
    singleLine: true,
    ignore: "pid,hostname",
    messageFormat: "{if step}{step}: {end}{if stage}{stage}: {end}{msg}",
  };
  const brief = prettyFactory({ ...common, hideObject: true }) as (json: string) => string;
  const full = prettyFactory(common) as (json: string) => string;
  return (json) => (/"level":"(warn|error)"/.test(json) ? full(json) : brief(json));
}

/** Create a logger with `base` fields on every line. */
export function createLogger(base: Fields = {}, opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? (opts.sink ? "json" : logFormat());
  const sink = opts.sink ?? (format === "pretty" && stderrIsTerminal() ? toTerminal : toStderr);
  const pretty = format === "pretty" ? prettyLine(opts.colors ?? stderrIsTerminal()) : null;
  const stream = {
    write(chunk: string) {
      const line = chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk;
      sink(pretty ? pretty(line).trimEnd() : line);
    },
  };
  const root = pino({
    level: opts.level ?? envLevel(),
    base: null,
    messageKey: "msg",
    timestamp: () => `,"ts":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
  }, stream);
  return wrap(Object.keys(base).length ? root.child(serializeAll(base)) : root);
}

function serializeAll(fields: Fields | undefined): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = serialize(v);
  return out;
}

function wrap(p: pino.Logger): Logger {
  // Fields are serialized only for lines the level lets through (an access-log line per request
  // at LOG_LEVEL=warn costs nothing).
  const at = (level: Level) => (m: string, f?: Fields) => {
    if (p.isLevelEnabled(level)) p[level](serializeAll(f), m);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => lazyChild(p, fields),
    level: p.level as Level,
  };
}

/**
 * A child logger of `p` carrying `fields`, made on its first line the level lets through: most
 * request-scoped loggers never write one, and a pino child costs a serialization each.
 */
function lazyChild(p: pino.Logger, fields: Fields): Logger {
  let made: Logger | undefined;
  const at = (level: Level) => (m: string, f?: Fields) => {
    if (!p.isLevelEnabled(level)) return;
    made ??= wrap(p.child(serializeAll(fields)));
    made[level](m, f);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => lazyChild(p, { ...fields, ...more }),
    level: p.level as Level,
  };
}

/** The default process logger. */
export const log: Logger = createLogger();
