import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../config/mod.ts";
import { notebookParams, SMALL_LIMIT } from "./mod.ts";

test("notebookParams: full size by default, small in CI, explicit limit wins", () => {
  assert.deepEqual(notebookParams({}), { small: false, limit: Number.POSITIVE_INFINITY });
  assert.deepEqual(notebookParams({ FMNIST_NB_SMALL: "1" }), { small: true, limit: SMALL_LIMIT });
  assert.deepEqual(notebookParams({ FMNIST_NB_SMALL: "true", FMNIST_NB_LIMIT: "300" }), {
    small: true,
    limit: 300,
  });
  assert.deepEqual(notebookParams({ FMNIST_NB_SMALL: "0", FMNIST_NB_LIMIT: "" }), {
    small: false,
    limit: Infinity,
  });
});

test("notebookParams: bad values name the variable", () => {
  assert.throws(
    () => notebookParams({ FMNIST_NB_SMALL: "yes" }),
    (e: unknown) => e instanceof ConfigError && /FMNIST_NB_SMALL="yes"/.test(e.message),
  );
  assert.throws(() => notebookParams({ FMNIST_NB_LIMIT: "-3" }), /FMNIST_NB_LIMIT="-3"/);
});
