/**
 * `deno task drift:evaluate` argument handling (the evaluation itself is tested in
 * lib/drift/drift_test.ts): bad flags and an unknown model exit 2 with a message.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./drift_evaluate.ts";

test("drift:evaluate: bad flags and unknown models exit 2", async () => {
  const state = await Deno.makeTempDir({ prefix: "fmnist-drift-eval-" });
  const env = { FMNIST_STATE_DIR: state, LOG_LEVEL: "error", FMNIST_BACKEND: "wasm" };
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    assert.equal(await main(["--sizes", "50,abc"], env), 2);
    assert.equal(await main(["--kinds", "melt"], env), 2);
    assert.equal(await main(["--severities", "4"], env), 2);
    assert.equal(await main(["--model", "nope@champion"], env), 2);
    assert.match(errors.join("\n"), /nope/);
  } finally {
    console.error = orig;
    await Deno.remove(state, { recursive: true });
  }
});
