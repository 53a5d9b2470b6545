import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./tune.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

test("deno task tune: creates, resumes and reports a study; rejects bad flags", async () => {
  const state = await Deno.makeTempDir({ prefix: "fmnist-tune-cli-" });
  const env = { FMNIST_STATE_DIR: state, LOG_LEVEL: "error" };
  try {
    const a = capture();
    const argv = ["--study", "q", "--objective", "quadratic", "--trials", "12", "--workers", "3"];
    assert.equal(await main(argv, env, a.io), 0, a.err.join("\n"));
    assert.equal(a.out.filter((l) => /^trial \d+ complete/.test(l)).length, 12);
    assert.ok(a.out.some((l) => /async workers in this process/.test(l)), "PGlite: async workers");
    assert.ok(a.out.some((l) => /^best trial \d+: value=/.test(l)));

    const b = capture();
    assert.equal(await main(["--study", "q", "--trials", "15"], env, b.io), 0, b.err.join("\n"));
    assert.ok(b.out[0].includes("12 trial(s) so far"), b.out[0]);
    assert.equal(b.out.filter((l) => /^trial \d+ complete/.test(l)).length, 3, "resumed to 15");
    assert.ok(b.out.some((l) => /15 complete/.test(l)));

    const c = capture();
    assert.equal(await main(["--study", "q", "--sampler", "random"], env, c.io), 2);
    assert.match(c.err.join("\n"), /already exists with a different sampler/);

    const d = capture();
    assert.equal(await main(["--study", "new"], env, d.io), 2);
    assert.match(d.err.join("\n"), /give --objective/);

    const e = capture();
    assert.equal(
      await main(["--study", "x", "--objective", "quadratic", "--trials", "-1"], env, e.io),
      2,
    );
    assert.match(e.err.join("\n"), /--trials/);

    const f = capture();
    assert.equal(await main(["--study", "x", "--objective", "nope"], env, f.io), 2);
    assert.match(f.err.join("\n"), /unknown objective "nope"/);

    const g = capture();
    assert.equal(await main(["--study", "x", "--role", "worker"], env, g.io), 2);
    assert.match(g.err.join("\n"), /DATABASE_URL/);
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

test("deno task tune --workers 2 on Postgres spawns worker processes sharing the study", async (t) => {
  const url = Deno.env.get("FMNIST_TEST_DATABASE_URL");
  if (!url) return t.skip("FMNIST_TEST_DATABASE_URL not set");
  const state = await Deno.makeTempDir({ prefix: "fmnist-tune-cli-pg-" });
  const study = `cli-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const a = capture();
    const env = { FMNIST_STATE_DIR: state, LOG_LEVEL: "error", DATABASE_URL: url };
    const argv = [
      "--study",
      study,
      "--objective",
      "mixed",
      "--sampler",
      "grid",
      "--trials",
      "20",
      "--workers",
      "2",
    ];
    assert.equal(await main(argv, env, a.io), 0, a.err.join("\n"));
    const lines = a.out.filter((l) => /^\[w\d\] trial \d+ complete/.test(l));
    assert.equal(lines.length, 20);
    const numbers = lines.map((l) => Number(/trial (\d+)/.exec(l)![1])).sort((x, y) => x - y);
    assert.deepEqual(numbers, Array.from({ length: 20 }, (_, i) => i), "no duplicate trials");
    const params = lines.map((l) => l.replace(/^.*\]\s+/, ""));
    assert.equal(new Set(params).size, 20, "no duplicate grid points");
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
