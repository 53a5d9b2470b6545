import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { main } from "./pipeline.ts";

async function run(argv: string[], env: Record<string, string>, manifestDir?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return {
      code: await main(manifestDir ? [...argv, "--data-dir", manifestDir] : argv, env),
      out: out.join("\n"),
      err: err.join("\n"),
    };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("pipeline: bad flags and settings exit 2 with a message; --help exits 0", async () => {
  const env = { FMNIST_STATE_DIR: "/nonexistent-never-written" };
  const bad = await run(["--recipe", "huge"], env);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^pipeline: --recipe: .*\(see --help\)$/);
  assert.equal((await run(["--epochs", "0"], env)).code, 2);
  assert.equal((await run(["--alpha", "2"], env)).code, 2);
  assert.equal((await run(["--model", "Bad Name"], env)).code, 2);
  const badEnv = await run([], { ...env, FMNIST_BACKEND: "cuda" });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.err, /FMNIST_BACKEND/);
  const help = await run(["--help"], env);
  assert.equal(help.code, 0);
  assert.match(help.out, /--recipe default\|quick +training recipe/);
});

test("pipeline: quick recipe trains, registers a champion, prints the test accuracy; rerun reuses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-pipeline-" });
  try {
    const env = { LOG_LEVEL: "error", FMNIST_BACKEND: "wasm" };
    const argv = ["--recipe", "quick", "--state-dir", join(dir, "state")];
    const first = await run(argv, env, join(dir, "data"));
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^train {5}done/m);
    assert.match(first.out, /^register +new +fmnist v1; gate: no champion yet/m);
    assert.match(
      first.out,
      /^evaluate +done +test accuracy 0\.\d{4} \(95% CI 0\.\d{4}–0\.\d{4}\); ECE/m,
    );
    assert.match(first.out, /^drift +done +reference profile of v1 \(.*validation split/m);
    const acc = Number(first.out.match(/^test accuracy (0\.\d{4})$/m)?.[1]);
    assert.ok(acc > 0.6 && acc < 1, `test accuracy ${acc}`);
    const second = await run(argv, env, join(dir, "data"));
    assert.equal(second.code, 0, second.err);
    for (const step of ["ingest", "validate", "features", "train", "drift"]) {
      assert.match(second.out, new RegExp(`^${step} +unchanged`, "m"));
    }
    assert.match(
      second.out,
      /^register +unchanged +fmnist v1; already champion; champion is v1/m,
    );
    assert.match(second.out, new RegExp(`^test accuracy ${acc.toFixed(4)}$`, "m"));
    // A summary for people, then the two lines scripts read, last.
    for (const out of [first.out, second.out]) {
      const lines = out.trimEnd().split("\n");
      assert.match(
        lines.at(-4) ?? "",
        /^summary +dataset [0-9a-f]{12} · model fmnist v1 \(champion v1\)/,
      );
      assert.match(
        lines.at(-3) ?? "",
        /^reports +validation \S+report\.html; training run: deno task runs show/,
      );
      assert.match(lines.at(-2) ?? "", /^done in \d+ s$/);
      assert.match(lines.at(-1) ?? "", /^test accuracy 0\.\d{4}$/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
