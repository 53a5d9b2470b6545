/** The previous entry-point API (being replaced by `lib/cli`). */
export { parseCli, UsageError } from "./cli.ts";
export type { FlagSpec, ParsedCli } from "./cli.ts";
export { runCommand } from "./command.ts";
export type { CommandSpec } from "./command.ts";
