import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { ConfigError } from "../config/mod.ts";
import {
  CommandError,
  type CommandGroup,
  commandLogLevel,
  defineCommand,
  type Io,
  runCommand,
  UsageError,
} from "./mod.ts";

function capture(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

const greet = defineCommand({
  name: "greet",
  summary: "Say hello.",
  schema: z.object({
    times: z.coerce.number().int().min(1).default(1).meta({ description: "repeats" }),
    fail: z.enum(["usage", "config", "code", "plain", "range"]).optional(),
  }),
  args: { usage: "NAME", min: 1, max: 1 },
  json: true,
  exitCodes: [[RangeError, 4]],
  run({ flags, positionals, out }) {
    if (flags.fail === "usage") throw new UsageError("bad name");
    if (flags.fail === "config") throw new ConfigError("FMNIST_X: bad");
    if (flags.fail === "code") throw new CommandError("not found", 3);
    if (flags.fail === "range") throw new RangeError("out of range");
    if (flags.fail === "plain") throw new Error("boom\n    at somewhere");
    out.line("greeting");
    out.result({ hello: positionals[0], times: flags.times }, (v) => `hello ${v.hello}`);
    return Promise.resolve();
  },
});

test("runCommand: help derived from the schema, exit 0", async () => {
  const c = capture();
  assert.equal(await runCommand(greet, ["--help"], { io: c.io, env: {} }), 0);
  const help = c.out.join("\n");
  assert.match(help, /^usage: deno task greet \[flags\] NAME/);
  assert.match(help, /--times N +repeats \(default: 1\)/);
  assert.match(help, /--json/);
  assert.match(help, /-h, --help/);
});

test("runCommand: human lines, or JSON on stdout with --json", async () => {
  const a = capture();
  assert.equal(await runCommand(greet, ["ann"], { io: a.io, env: {} }), 0);
  assert.deepEqual(a.out, ["greeting", "hello ann"]);
  const b = capture();
  assert.equal(await runCommand(greet, ["--json", "bo", "--times", "2"], { io: b.io, env: {} }), 0);
  assert.deepEqual(JSON.parse(b.out.join("\n")), { hello: "bo", times: 2 });
  assert.deepEqual(b.err, ["greeting"]);
});

test("runCommand: exit codes by error class, one line each", async () => {
  const cases: [string[], number, RegExp][] = [
    [["ann", "--bogus"], 2, /^greet: Unknown option '--bogus'.*\(see --help\)$/],
    [["ann", "--times", "0"], 2, /^greet: --times: Too small/],
    [[], 2, /^greet: expected NAME \(1 argument\(s\)\), got 0/],
    [["ann", "--fail", "usage"], 2, /^greet: bad name \(see --help\)$/],
    [["ann", "--fail", "config"], 2, /^greet: FMNIST_X: bad$/],
    [["ann", "--fail", "code"], 3, /^greet: not found$/],
    [["ann", "--fail", "range"], 4, /^greet: out of range$/],
    [["ann", "--fail", "plain"], 1, /^greet: boom; at somewhere$/],
  ];
  for (const [argv, code, line] of cases) {
    const c = capture();
    assert.equal(await runCommand(greet, argv, { io: c.io, env: {} }), code, argv.join(" "));
    assert.equal(c.err.length, 1, c.err.join("\n"));
    assert.match(c.err[0], line);
  }
});

test("runCommand: the workspace opens lazily and is closed after run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-cli-" });
  try {
    let closed = false;
    const cmd = defineCommand({
      name: "ws",
      summary: "Use the workspace.",
      schema: z.object({ "state-dir": z.string().min(1) }),
      env: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      async run({ open }) {
        const ctx = await open();
        assert.equal(await open(), ctx);
        const close = ctx.close;
        (ctx as { close: () => Promise<void> }).close = async () => {
          closed = true;
          await close();
        };
        throw new Error("after opening");
      },
    });
    const c = capture();
    const code = await runCommand(cmd, ["--state-dir", dir], {
      io: c.io,
      env: { LOG_LEVEL: "error" },
    });
    assert.equal(code, 1);
    assert.deepEqual(c.err, ["ws: after opening"]);
    assert.ok(closed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("runCommand: groups dispatch on the first argument, with a default", async () => {
  const ran: string[] = [];
  const sub = (key: string) =>
    defineCommand({
      summary: `the ${key} command`,
      schema: z.object({ x: z.boolean().optional() }),
      run({ flags }) {
        ran.push(`${key}:${flags.x ?? false}`);
        return Promise.resolve();
      },
    });
  const group: CommandGroup = {
    name: "tool",
    summary: "A tool.",
    commands: { a: sub("a"), b: sub("b") },
    default: "a",
  };
  const c = capture();
  assert.equal(await runCommand(group, ["b", "--x"], { io: c.io, env: {} }), 0);
  assert.equal(await runCommand(group, ["--x"], { io: c.io, env: {} }), 0);
  assert.equal(await runCommand(group, [], { io: c.io, env: {} }), 0);
  assert.deepEqual(ran, ["b:true", "a:true", "a:false"]);
  assert.equal(await runCommand(group, ["--help"], { io: c.io, env: {} }), 0);
  assert.match(c.out.join("\n"), /commands:\n {2}a +the a command \(default\)\n {2}b +the b/);
  assert.equal(await runCommand(group, ["b", "--help"], { io: c.io, env: {} }), 0);
  assert.match(c.out.at(-1) ?? "", /^usage: deno task tool b \[flags\]/);
  const e = capture();
  assert.equal(await runCommand(group, ["zz"], { io: e.io, env: {} }), 2);
  assert.equal(await runCommand(group, ["b", "--y"], { io: e.io, env: {} }), 2);
  assert.equal(e.err.length, 2);
  assert.match(e.err[0], /^tool: unknown command "zz" \(one of a, b\)$/);
  assert.match(e.err[1], /^tool b: Unknown option '--y'/);
});

test("commandLogLevel: people at a terminal get warnings only unless LOG_LEVEL says otherwise", () => {
  assert.equal(commandLogLevel({}, "info", true), "warn");
  assert.equal(commandLogLevel({ FMNIST_LOG_FORMAT: "pretty" }, "info", false), "warn");
  assert.equal(commandLogLevel({}, "info", false), "info");
  assert.equal(commandLogLevel({ FMNIST_LOG_FORMAT: "json" }, "info", true), "info");
  assert.equal(commandLogLevel({ LOG_LEVEL: "debug" }, "debug", true), "debug");
  assert.equal(commandLogLevel({ LOG_LEVEL: "info" }, "info", true), "info");
});
