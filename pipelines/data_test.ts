import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { main } from "./data.ts";

async function run(argv: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await main(argv, env), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("pipeline:data: a bad flag exits 2 with one line; --help exits 0", async () => {
  const env = { FMNIST_STATE_DIR: "/nonexistent-never-written" };
  const bad = await run(["--sauce", "x"], env);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^pipeline:data: Unknown option '--sauce'.*\(see --help\)$/);
  assert.match((await run(["--source", " "], env)).err, /--source: must not be empty/);
  assert.equal((await run(["stray"], env)).code, 2);
  const badEnv = await run([], { ...env, LOG_LEVEL: "loud" });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.err, /LOG_LEVEL/);
  const help = await run(["-h"], env);
  assert.equal(help.code, 0);
  assert.match(help.out, /--state-dir DIR/);
});

test("pipeline:data: ingest → validate → features, then a rerun is all unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-pipeline-data-" });
  try {
    const env = { LOG_LEVEL: "error" };
    const argv = ["--state-dir", join(dir, "state"), "--data-dir", join(dir, "data")];
    const first = await run(argv, env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^ingest {4}done {7}version [0-9a-f]{12} from dir:/m);
    assert.match(first.out, /^validate {2}done/m);
    assert.match(first.out, /^features {2}done/m);
    const second = await run(argv, env);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /^ingest {4}unchanged/m);
    assert.match(second.out, /^validate {2}unchanged/m);
    assert.match(second.out, /^features {2}unchanged/m);
    // A source that does not exist is an error exit, not a crash (nothing is cached for it).
    const bad = await run([
      "--state-dir",
      join(dir, "s2"),
      "--data-dir",
      join(dir, "d2"),
      "--source",
      join(dir, "nope"),
    ], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /source directory .*nope.* does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
