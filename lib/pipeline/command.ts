/**
 * The shared shape of a pipeline entry point: parse and validate flags (usage errors → exit 2),
 * `--help`, resolve settings with flag overrides (config errors → exit 2), open the context,
 * run, and turn failures into a one-line message and exit 1 — always closing the context.
 */
import type { z } from "zod";
import { ConfigError, parseSettings, type Settings } from "../config/mod.ts";
import { type FlagSpec, parseCli, UsageError } from "./cli.ts";
import { type ContextOptions, type Ctx, openContext } from "../workspace/mod.ts";

/** A pipeline command. */
export interface CommandSpec<S extends z.ZodType> {
  /** Name used in messages, e.g. `pipeline:data`. */
  name: string;
  /** Usage text printed by `--help` and after usage errors. */
  usage: string;
  /** Flags for `parseArgs`; a boolean `help` flag (`-h`) is added. */
  flags: Record<string, FlagSpec>;
  /** zod schema validating the parsed flags. */
  schema: S;
  /** Accept positional arguments (default false). */
  positionals?: boolean;
  /** Environment overrides derived from flags (e.g. `--state-dir` → `FMNIST_STATE_DIR`). */
  envFromFlags?: (flags: z.infer<S>) => Record<string, string | undefined>;
  /** Context options (e.g. a manifest directory), possibly derived from flags. */
  contextOptions?: (flags: z.infer<S>) => ContextOptions;
  /**
   * Called instead of the one-line error when the workspace cannot be opened (e.g. the doctor
   * still diagnoses what it can); returns the exit code.
   */
  onOpenError?: (err: unknown, settings: Settings, flags: z.infer<S>) => Promise<number>;
  /** The work; returns the exit code (default 0). */
  run: (ctx: Ctx, flags: z.infer<S>, positionals: string[]) => Promise<number | void>;
}

/** Run a command with `argv` and `env`; returns its exit code. */
export async function runCommand<S extends z.ZodType>(
  spec: CommandSpec<S>,
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  let flags: z.infer<S>;
  let positionals: string[];
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(spec.usage);
    return 0;
  }
  try {
    ({ flags, positionals } = parseCli(argv, spec.flags, spec.schema, {
      positionals: spec.positionals,
    }));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${spec.name}: ${err.message}\n\n${spec.usage}`);
    return 2;
  }
  let settings: Settings;
  try {
    const merged = { ...env };
    for (const [k, v] of Object.entries(spec.envFromFlags?.(flags) ?? {})) {
      if (v !== undefined) merged[k] = v;
    }
    settings = parseSettings(merged);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${spec.name}: ${err.message}`);
    return 2;
  }
  let ctx: Ctx;
  try {
    ctx = await openContext(settings, spec.contextOptions?.(flags));
  } catch (err) {
    if (spec.onOpenError) return await spec.onOpenError(err, settings, flags);
    console.error(
      `${spec.name}: cannot open the workspace: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
    return 1;
  }
  try {
    return (await spec.run(ctx, flags, positionals)) ?? 0;
  } catch (err) {
    ctx.log.error(`${spec.name} failed`, { error: err });
    console.error(`${spec.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await ctx.close();
  }
}
