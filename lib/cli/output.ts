/**
 * Where an entry point writes: people get text lines on stdout, machines (`--json`) get the
 * command's result as one JSON document on stdout, with the human lines moved to stderr so
 * stdout stays parseable. Tests pass their own {@link Io} to capture both streams.
 */

/** The two streams, line by line (tests capture them). */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The process's stdout/stderr. */
export const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** An entry point's output. */
export interface Output {
  /** True when the caller asked for JSON (`--json`). */
  readonly json: boolean;
  /** The streams underneath. */
  readonly io: Io;
  /** A line for people: stdout, or stderr in JSON mode. */
  line(text: string): void;
  /** A warning or diagnostic line (stderr). */
  warn(text: string): void;
  /**
   * The command's result: one line of JSON on stdout in JSON mode, else `render(value)` (lines) on
   * stdout; without `render` the JSON is printed in both modes.
   */
  result<T>(value: T, render?: (value: T) => string | string[]): void;
}

/** An {@link Output} over `io`. */
export function createOutput(io: Io, json: boolean): Output {
  return {
    json,
    io,
    line: (text) => (json ? io.err : io.out)(text),
    warn: (text) => io.err(text),
    result(value, render) {
      if (json || !render) {
        io.out(JSON.stringify(value));
        return;
      }
      const text = render(value);
      for (const l of Array.isArray(text) ? text : [text]) io.out(l);
    },
  };
}
