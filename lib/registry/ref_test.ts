import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelRefSchema } from "./ref.ts";

test("ModelRefSchema: NAME is the champion, numbers are versions, other refs are aliases", () => {
  assert.deepEqual(ModelRefSchema.parse("fmnist"), { name: "fmnist", ref: "champion" });
  assert.deepEqual(ModelRefSchema.parse("fmnist@3"), { name: "fmnist", ref: 3 });
  assert.deepEqual(ModelRefSchema.parse(" fmnist@latest "), { name: "fmnist", ref: "latest" });
  assert.deepEqual(ModelRefSchema.parse("m.v2@challenger"), { name: "m.v2", ref: "challenger" });
  for (const bad of ["", "@3", "fmnist@", "fmnist@a@b", "fm nist", "-x@1"]) {
    assert.equal(ModelRefSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
