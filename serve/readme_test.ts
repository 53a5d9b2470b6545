/** The README documents the service as the code implements it (headers, defaults). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN_KEY_HEADER } from "./middleware/admin_key.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

test("README: the admin routes' header is the one the middleware reads", () => {
  const rows = README.split("\n").filter((l) => l.startsWith("| `/v1/admin/*`"));
  assert.equal(rows.length, 1, "README's serving table has one /v1/admin/* row");
  const header = rows[0].match(/header `([a-z-]+):/)?.[1];
  assert.equal(header, ADMIN_KEY_HEADER);
});

test("README: HOST and its default are documented", () => {
  const row = README.split("\n").find((l) => l.startsWith("| `HOST`"));
  assert.ok(row, "README's configuration table has no HOST row");
  assert.match(row, /`127\.0\.0\.1`/);
});
