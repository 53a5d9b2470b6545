import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { parseCli, UsageError } from "./mod.ts";

const flags = { n: { type: "string" }, v: { type: "boolean", short: "v" } } as const;
const schema = z.object({
  n: z.coerce.number().int().min(1).optional(),
  v: z.boolean().optional(),
});

test("parseCli parses and validates flags", () => {
  const r = parseCli(["--n", "3", "-v", "pos"], flags, schema, { positionals: true });
  assert.deepEqual(r.flags, { n: 3, v: true });
  assert.deepEqual(r.positionals, ["pos"]);
});

test("parseCli reports unknown flags, bad values and stray positionals as UsageError", () => {
  assert.throws(() => parseCli(["--x"], flags, schema), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /Unknown option '--x'/);
    return true;
  });
  assert.throws(() => parseCli(["--n", "0"], flags, schema), /--n: Too small/i);
  assert.throws(() => parseCli(["--n"], flags, schema), UsageError);
  assert.throws(() => parseCli(["extra"], flags, schema), UsageError);
});
