/**
 * Public face of the CLI module: entry points declare a {@link Command} (flags as a zod object,
 * help derived from it) and run it with {@link runCommand}; see `command.ts` for an example.
 */
export {
  commandHelp,
  commandLogLevel,
  commandMain,
  defineCommand,
  groupHelp,
  runCommand,
} from "./command.ts";
export type { Command, CommandContext, CommandGroup, RunOptions } from "./command.ts";
export { CommandError, UsageError } from "./errors.ts";
export { flagInfo, flagInfos, formatFlagIssues, formatFlags, parseCli } from "./flags.ts";
export type { FlagInfo, FlagsSchema, ParsedCli } from "./flags.ts";
export { consoleIo, createOutput } from "./output.ts";
export type { Io, Output } from "./output.ts";
export { dataDirFlag, nonEmpty, sourceFlag, stateDirFlag } from "./common.ts";
