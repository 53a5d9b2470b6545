/**
 * Every `deno task` entry point answers `--help` (exit 0, usage text on stdout) and a bad flag
 * (exit 2, one line on stderr naming it). Table-driven from deno.json's tasks, so a new task
 * cannot skip it: a task is either `deno run … FILE.ts [ARGS]` (whose module must export
 * `main(argv, env, io)`, see lib/cli) or one of Deno's own subcommands listed below.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  type Command,
  type CommandGroup,
  flagInfos,
  type FlagsSchema,
  type Io,
} from "../lib/cli/mod.ts";

const ROOT = new URL("../", import.meta.url);
/** Tasks that run Deno's own tools (their --help is Deno's), not an entry point of ours. */
const DENO_TOOLS = new Set(["fmt", "lint", "check", "test", "test:slow"]);

type Main = (argv: string[], env?: Record<string, string>, io?: Io) => Promise<number>;

interface EntryPoint {
  task: string;
  file: string;
  args: string[];
}

async function entryPoints(): Promise<EntryPoint[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const out: EntryPoint[] = [];
  for (const [task, cmd] of Object.entries(config.tasks as Record<string, string>)) {
    const m = /^deno run(?: -\S+)* (\S+\.ts)((?: [a-z][a-z-]*)*)$/.exec(cmd);
    if (m) out.push({ task, file: m[1], args: m[2].trim().split(" ").filter(Boolean) });
    else assert.ok(DENO_TOOLS.has(task), `task ${task} is neither an entry point nor a Deno tool`);
  }
  return out;
}

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

test("every deno task answers --help (0) and a bad flag (2, one line)", async () => {
  const env = { FMNIST_STATE_DIR: "/nonexistent-never-written", LOG_LEVEL: "error" };
  const tasks = await entryPoints();
  assert.ok(tasks.length >= 20, `found ${tasks.length} entry points`);
  for (const { task, file, args } of tasks) {
    const mod = await import(new URL(file, ROOT).href);
    assert.equal(typeof mod.main, "function", `${file} exports main(argv, env, io)`);
    const main = mod.main as Main;
    const help = capture();
    assert.equal(await main([...args, "--help"], env, help.io), 0, `${task} --help`);
    assert.match(help.out.join("\n"), /^usage: deno task \S+/, `${task} --help prints usage`);
    assert.deepEqual(help.err, [], `${task} --help writes nothing to stderr`);
    const bad = capture();
    assert.equal(await main([...args, "--no-such-flag"], env, bad.io), 2, `${task} bad flag`);
    assert.equal(bad.err.length, 1, `${task}: one line, got ${JSON.stringify(bad.err)}`);
    assert.match(bad.err[0], /^\S+( \S+)?: .*'--no-such-flag'/, task);
    assert.deepEqual(bad.out, [], `${task} bad flag writes nothing to stdout`);
  }
});

test("every flag of every command (subcommands included) has a description", async () => {
  const missing: string[] = [];
  let flags = 0;
  for (const { task, file } of await entryPoints()) {
    const mod = await import(new URL(file, ROOT).href);
    const command = mod.command as Command<FlagsSchema> | CommandGroup | undefined;
    assert.ok(command, `${file} exports its command`);
    const commands = "commands" in command
      ? Object.entries(command.commands).map(([sub, c]) => [`${task} ${sub}`, c] as const)
      : [[task, command] as const];
    for (const [name, c] of commands) {
      for (const f of flagInfos(c.schema)) {
        flags++;
        if (!f.description?.trim()) missing.push(`${name} --${f.name}`);
      }
    }
  }
  assert.ok(flags > 100, `only ${flags} flags found`);
  assert.deepEqual(missing, [], `flags without a description:\n${missing.join("\n")}`);
});

test("the process exits with runCommand's code and prints no stack trace", async () => {
  const file = fileURLToPath(new URL("pipelines/data.ts", ROOT));
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file, "--no-such-flag"],
    env: { FMNIST_STATE_DIR: "/nonexistent-never-written" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 2);
  const err = new TextDecoder().decode(r.stderr).trimEnd().split("\n");
  assert.deepEqual(err, ["pipeline:data: Unknown option '--no-such-flag' (see --help)"]);
});
