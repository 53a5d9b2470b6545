import assert from "node:assert/strict";
import { z } from "zod";
import { zodErrorText } from "./zod_errors.ts";

const schema = z.object({ a: z.number().min(1), b: z.object({ c: z.string() }) });
const error = schema.safeParse({ a: 0, b: { c: 1 } }).error!;

Deno.test("zodErrorText: prettifyError's words, one issue a line with the path it is at", () => {
  assert.equal(zodErrorText(error), z.prettifyError(error));
  const lines = zodErrorText(error).split("\n");
  assert.equal(lines.length, 4);
  assert.equal(lines[1], "  → at a");
  assert.equal(lines[3], "  → at b.c");
});

Deno.test("zodErrorText: oneLine folds each issue and its path into one line", () => {
  assert.equal(
    zodErrorText(error, { oneLine: true }),
    "Too small: expected number to be >=1 at a; " +
      "Invalid input: expected string, received number at b.c",
  );
  assert.equal(
    zodErrorText(z.number().safeParse("x").error!, { oneLine: true }),
    "Invalid input: expected number, received string",
  );
});

Deno.test("zodErrorText: max keeps the first issues", () => {
  assert.equal(
    zodErrorText(error, { oneLine: true, max: 1 }),
    "Too small: expected number to be >=1 at a",
  );
});
