import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { flagInfos, formatFlags, parseCli, UsageError } from "./mod.ts";

const schema = z.object({
  n: z.coerce.number().int().min(1).optional().meta({ description: "how many" }),
  v: z.boolean().optional().meta({ description: "verbose", short: "v" }),
  mode: z.enum(["fast", "slow"]).default("fast").describe("the mode"),
  dir: z.string().min(1).optional().meta({ arg: "DIR" }),
  tag: z.array(z.string()).optional(),
});

test("parseCli parses and validates flags derived from the schema", () => {
  const r = parseCli(["--n", "3", "-v", "pos", "--tag", "a", "--tag", "b"], schema, {
    positionals: true,
  });
  assert.deepEqual(r.flags, { n: 3, v: true, mode: "fast", tag: ["a", "b"] });
  assert.deepEqual(r.positionals, ["pos"]);
});

test("parseCli reports unknown flags, bad values and stray positionals as UsageError", () => {
  assert.throws(() => parseCli(["--x"], schema), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /Unknown option '--x'/);
    return true;
  });
  assert.throws(() => parseCli(["--n", "0"], schema), /--n: Too small/i);
  assert.throws(() => parseCli(["--mode", "medium"], schema), /--mode: /);
  assert.throws(() => parseCli(["--n"], schema), UsageError);
  assert.throws(() => parseCli(["extra"], schema), UsageError);
  assert.throws(() => parseCli(["--v=1"], schema), UsageError);
});

test("flag help lines come from the schema: placeholder, alias, description, default", () => {
  const lines = formatFlags(flagInfos(schema));
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^ {2}--n N +how many$/);
  assert.match(lines[1], /^ {2}-v, --v +verbose$/);
  assert.match(lines[2], /^ {2}--mode fast\|slow +the mode \(default: fast\)$/);
  assert.match(lines[3], /^ {2}--dir DIR$/);
  assert.match(lines[4], /^ {2}--tag VALUE$/);
});
