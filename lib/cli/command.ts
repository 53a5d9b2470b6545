/**
 * The one way to write an entry point (`pipelines/*.ts`, `bench/*.ts`, `ops/*.ts`):
 *
 * ```ts
 * export const command = defineCommand({
 *   name: "pipeline:data",
 *   summary: "Ingest, validate and build the features of Fashion-MNIST.",
 *   schema: z.object({
 *     source: z.string().min(1).optional().meta({ description: "IDX directory or URL", arg: "DIR|URL" }),
 *   }),
 *   env: (f) => ({ FMNIST_SOURCE: f.source }),
 *   run: async ({ open, out }) => {
 *     const ctx = await open();
 *     out.line("done");
 *   },
 * });
 * export const main = commandMain(command);
 * if (import.meta.main) Deno.exit(await main(Deno.args));
 * ```
 *
 * `runCommand` answers `-h`/`--help` with text derived from the schema (exit 0), parses and
 * validates the flags (a bad one: one line, exit 2), runs the command and maps what it throws to
 * one line on stderr and an exit code by error class: {@link UsageError} and `ConfigError` → 2,
 * {@link CommandError} → its `exitCode`, anything else → 1. The workspace (`open()`) is opened
 * lazily inside that `try` and always closed. A {@link CommandGroup} dispatches on its first
 * argument to subcommands (`runs ls|show|compare`).
 */
import type { z } from "zod";
import { ConfigError, parseSettings, type Settings } from "../config/mod.ts";
import { logFormat } from "../log/mod.ts";
import { type ContextOptions, type Ctx, openContext } from "../workspace/mod.ts";
import { sharedFlagEnv } from "./common.ts";
import { CommandError, UsageError } from "./errors.ts";
import {
  type FlagInfo,
  flagInfos,
  type FlagsSchema,
  formatFlags,
  parseCli,
  wrap,
} from "./flags.ts";
import { consoleIo, createOutput, type Io, type Output } from "./output.ts";

/** What a command's `run` gets. */
export interface CommandContext<F> {
  /** The validated flags. */
  flags: F;
  /** Positional arguments (only when the command declares `args`). */
  positionals: string[];
  /** Where to write (human lines, or the JSON result with `--json`). */
  out: Output;
  /** The environment with the command's flag overrides applied. */
  env: Record<string, string | undefined>;
  /** Settings parsed from `env` (a `ConfigError` exits 2). */
  settings(): Settings;
  /** Open the workspace (once); `runCommand` closes it when `run` returns or throws. */
  open(opts?: ContextOptions): Promise<Ctx>;
}

/** A command: its flags (a zod object), help text and work. */
export interface Command<S extends FlagsSchema> {
  /** The name people type after `deno task` (for a subcommand: defaults to `GROUP KEY`). */
  name?: string;
  /** One sentence shown at the top of the help and in a group's command list. */
  summary: string;
  /** More help text (paragraphs), shown after the summary. */
  description?: string;
  /** The flags: one key per `--flag` (see `flags.ts` for the metadata read). */
  schema: S;
  /** Positional arguments: their usage text and how many are allowed (default: none). */
  args?: { usage: string; min?: number; max?: number };
  /** Add `--json` (the result as JSON on stdout; `out.json` tells the command). */
  json?: boolean;
  /** Environment overrides from flags (`--state-dir` and `--source` are applied already). */
  env?(flags: z.infer<S>): Record<string, string | undefined>;
  /**
   * Exit codes of domain errors by class (checked in order, `instanceof`), e.g.
   * `[[RegistryNotFoundError, 2]]`; other errors exit 1.
   */
  // deno-lint-ignore no-explicit-any
  exitCodes?: [new (...args: any[]) => Error, number][];
  /** The work; returns the exit code (default 0). */
  run(c: CommandContext<z.infer<S>>): Promise<number | void>;
}

/** Subcommands dispatched on the first argument. */
export interface CommandGroup {
  name: string;
  /** The usage line after `deno task ` (default: `NAME <command> [flags]`). */
  usage?: string;
  summary: string;
  description?: string;
  // deno-lint-ignore no-explicit-any
  commands: Record<string, Command<any>>;
  /** The subcommand run when the first argument is not one (e.g. `notebooks` → `run`). */
  default?: string;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** The environment (default: the process's). */
  env?: Record<string, string | undefined>;
  /** The output streams (default: stdout/stderr). */
  io?: Io;
}

/** Identity, for type inference of `run`'s flags from `schema`. */
export function defineCommand<S extends FlagsSchema>(command: Command<S>): Command<S> {
  return command;
}

const HELP: FlagInfo = { name: "help", kind: "boolean", short: "h", description: "show this help" };
const JSON_FLAG: FlagInfo = {
  name: "json",
  kind: "boolean",
  description: "print the result as JSON (human lines go to stderr)",
};

function isGroup(c: Command<FlagsSchema> | CommandGroup): c is CommandGroup {
  return "commands" in c;
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n").map((l) => l.trim()).filter(Boolean).join("; ") || String(err);
}

/** The help text of a command (`name` as typed after `deno task`). */
export function commandHelp(cmd: Command<FlagsSchema>, name: string): string {
  const extra = cmd.json ? [JSON_FLAG, HELP] : [HELP];
  const flags = [...flagInfos(cmd.schema), ...extra];
  return [
    `usage: deno task ${name} [flags]${cmd.args ? ` ${cmd.args.usage}` : ""}`,
    "",
    wrap(cmd.summary),
    ...(cmd.description ? ["", wrap(cmd.description)] : []),
    "",
    "flags:",
    ...formatFlags(flags),
  ].join("\n");
}

/** The help text of a group: its subcommands and their summaries. */
export function groupHelp(group: CommandGroup): string {
  const keys = Object.keys(group.commands);
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  return [
    `usage: deno task ${group.usage ?? `${group.name} <command> [flags]`}`,
    "",
    wrap(group.summary),
    ...(group.description ? ["", wrap(group.description)] : []),
    "",
    "commands:",
    ...keys.map((k) =>
      `  ${k.padEnd(width)}${group.commands[k].summary}${k === group.default ? " (default)" : ""}`
    ),
    "",
    "A command followed by --help lists its flags.",
  ].join("\n");
}

/** `-h`/`--help` before any `--` (what follows `--` belongs to the command). */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/**
 * Run `command` (or a subcommand of a group) with `argv`; returns the exit code: 0 done (or
 * `--help`), 2 usage/config error, 1 failure (or a {@link CommandError}'s code).
 */
export async function runCommand(
  command: Command<FlagsSchema> | CommandGroup,
  argv: string[],
  opts: RunOptions = {},
): Promise<number> {
  const io = opts.io ?? consoleIo;
  const env = opts.env ?? Deno.env.toObject();
  // `deno task x -- --flag` passes the `--` through; it only separates task arguments.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  let cmd: Command<FlagsSchema>;
  let name: string;
  let rest: string[];
  if (isGroup(command)) {
    const [first, ...tail] = args;
    const keys = Object.keys(command.commands);
    if (first !== undefined && Object.hasOwn(command.commands, first)) {
      cmd = command.commands[first];
      name = cmd.name ?? `${command.name} ${first}`;
      rest = tail;
    } else if (first !== undefined && !first.startsWith("-")) {
      io.err(
        `${command.name}: unknown command ${JSON.stringify(first)} (one of ${keys.join(", ")})`,
      );
      return 2;
    } else if (wantsHelp(args)) {
      io.out(groupHelp(command));
      return 0;
    } else if (command.default) {
      cmd = command.commands[command.default];
      name = cmd.name ?? command.name;
      rest = args;
    } else {
      const got = first === undefined ? "" : `, got '${first}'`;
      io.err(`${command.name}: expected a command (${keys.join(", ")})${got} (see --help)`);
      return 2;
    }
  } else {
    cmd = command;
    name = command.name ?? "command";
    rest = args;
  }
  if (wantsHelp(rest)) {
    io.out(commandHelp(cmd, name));
    return 0;
  }
  return await execute(cmd, name, rest, env, io);
}

async function execute(
  cmd: Command<FlagsSchema>,
  name: string,
  argv: string[],
  baseEnv: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  let ctx: Ctx | undefined;
  try {
    const parsed = parseCli(argv, cmd.schema, {
      positionals: cmd.args !== undefined,
      extra: cmd.json ? [JSON_FLAG] : [],
    });
    const { min = 0, max = Infinity, usage = "" } = cmd.args ?? {};
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      throw new UsageError(
        `expected ${usage} (${min === max ? min : `${min}–${max}`} argument(s)), got ${n}`,
      );
    }
    const env = { ...baseEnv };
    const overrides = { ...sharedFlagEnv(parsed.flags), ...cmd.env?.(parsed.flags) };
    for (const [k, v] of Object.entries(overrides)) {
      if (v !== undefined) env[k] = v;
    }
    let settings: Settings | undefined;
    const getSettings = () => (settings ??= parseSettings(env));
    const out = createOutput(io, parsed.extra.json === true);
    return (await cmd.run({
      flags: parsed.flags,
      positionals: parsed.positionals,
      out,
      env,
      settings: getSettings,
      async open(opts) {
        if (ctx) return ctx;
        const s = getSettings();
        try {
          ctx = await openContext({ ...s, logLevel: commandLogLevel(env, s.logLevel) }, opts);
        } catch (err) {
          throw new CommandError(`cannot open the workspace: ${oneLine(err)}`, 1, { cause: err });
        }
        return ctx;
      },
    })) ?? 0;
  } catch (err) {
    const usage = err instanceof UsageError;
    io.err(`${name}: ${oneLine(err)}${usage ? " (see --help)" : ""}`);
    ctx?.log.debug(`${name} failed`, { error: err });
    if (usage || err instanceof ConfigError) return 2;
    if (err instanceof CommandError) return err.exitCode;
    return cmd.exitCodes?.find(([cls]) => err instanceof cls)?.[1] ?? 1;
  } finally {
    await ctx?.close();
  }
}

/**
 * The log level of a command's workspace: `LOG_LEVEL` when set; otherwise, when the lines are for
 * a person (pretty format: a terminal, or `FMNIST_LOG_FORMAT=pretty`), `warn` — the command's own
 * output (progress bars, a line per finished step, the summary) tells what happens, and info lines
 * would bury it; for machines (JSON) the settings' level (`info`).
 */
export function commandLogLevel(
  env: Record<string, string | undefined>,
  level: Settings["logLevel"],
  isTerminal?: boolean,
): Settings["logLevel"] {
  if (env.LOG_LEVEL?.trim()) return level;
  const format = logFormat({ env: env.FMNIST_LOG_FORMAT, isTerminal });
  return format === "pretty" ? "warn" : level;
}

/** `main(argv, env?, io?)` of an entry point: {@link runCommand} bound to `command`. */
export function commandMain(
  command: Command<FlagsSchema> | CommandGroup,
): (argv: string[], env?: Record<string, string | undefined>, io?: Io) => Promise<number> {
  return (argv, env, io) => runCommand(command, argv, { env, io });
}
