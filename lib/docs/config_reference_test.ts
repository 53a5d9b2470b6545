import assert from "node:assert/strict";
import { test } from "node:test";
import { envSchema } from "../config/mod.ts";
import { configEntries, configReferenceMarkdown, settingsDocComments } from "./mod.ts";

test("the configuration reference lists every setting with its default and meaning", async () => {
  const entries = await configEntries();
  assert.deepEqual(entries.map((e) => e.name), Object.keys(envSchema.shape));
  const undocumented = entries.filter((e) => !e.description).map((e) => e.name);
  assert.deepEqual(undocumented, [], "write a doc comment above these keys in settings.ts");
  const port = entries.find((e) => e.name === "PORT");
  assert.equal(port?.default, "8000");
  assert.equal(port?.constraint, "1 … 65535");
  const level = entries.find((e) => e.name === "LOG_LEVEL");
  assert.match(level?.constraint ?? "", /one of `debug`, `info`, `warn`, `error`/);
  const md = configReferenceMarkdown(entries);
  assert.match(md, /^\| `FMNIST_STATE_DIR` \| string \| `\.fmnist` \|/m);
  assert.equal(md.split("\n").filter((l) => l.startsWith("| `")).length, entries.length);
});

test("doc comments are read from the schema source, one or several lines", () => {
  const src = `export const envSchema = z.object({
  /** One line. */
  A: z.string(),
  B: z.string(),
  /**
   * Two
   * lines.
   */
  C_D: z.number(),
});`;
  assert.deepEqual([...settingsDocComments(src)], [["A", "One line."], ["C_D", "Two lines."]]);
});
