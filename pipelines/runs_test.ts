import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSettings } from "../lib/config/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { RunComparisonSchema, RunDetailSchema, RunSchema, startRun } from "../lib/tracking/mod.ts";
import { z } from "zod";
import { main } from "./runs.ts";

async function cli(argv: string[], env: Record<string, string>) {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("runs CLI lists, shows and compares runs; bad arguments exit 2", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-runs-cli-" });
  const env = { FMNIST_STATE_DIR: stateDir, LOG_LEVEL: "error" };
  try {
    const ctx = await openContext(parseSettings(env));
    const ids: string[] = [];
    try {
      for (const [name, lr, acc] of [["slow", 0.01, 0.8], ["fast", 0.1, 0.85]] as const) {
        const run = await startRun(ctx, {
          experiment: "mlp",
          name,
          params: { lr, epochs: 3 },
          heartbeatMs: 0,
        });
        await run.logMetrics({ accuracy: acc, loss: 1 - acc }, 2);
        await run.logArtifact("model.json", new TextEncoder().encode(name), "application/json");
        await run.finish();
        ids.push(run.id);
      }
      // A run left running by a process that "died" an hour ago on another host.
      const dead = await startRun(ctx, { experiment: "mlp", name: "crashed", heartbeatMs: 0 });
      await ctx.db.query(
        `UPDATE tracking_runs SET host = 'gone-host', heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
        [dead.id],
      );
      ids.push(dead.id);
    } finally {
      await ctx.close();
    }

    const ls = await cli(["ls", "--json"], env);
    assert.equal(ls.code, 0, ls.err);
    const runs = z.array(RunSchema).parse(JSON.parse(ls.out));
    assert.deepEqual(runs.map((r) => r.name).sort(), ["crashed", "fast", "slow"]);
    // The reaper ran first: the crashed run is no longer "running".
    assert.equal(runs.find((r) => r.name === "crashed")?.status, "failed");

    const table = await cli(["ls", "--status", "finished"], env);
    assert.equal(table.code, 0);
    assert.match(table.out, /^ID\s+EXPERIMENT\s+NAME\s+STATUS/);
    assert.match(table.out, new RegExp(`${ids[0].slice(0, 8)}\\s+mlp\\s+slow\\s+finished`));
    assert.doesNotMatch(table.out, /crashed/);

    const show = await cli(["show", ids[1].slice(0, 6), "--json"], env);
    assert.equal(show.code, 0, show.err);
    const detail = RunDetailSchema.parse(JSON.parse(show.out));
    assert.equal(detail.name, "fast");
    assert.equal(detail.metrics.accuracy.last, 0.85);
    const showText = await cli(["show", ids[2]], env);
    assert.match(showText.out, /status\s+failed \(process presumed dead/);

    const cmp = await cli(["compare", ids[0], ids[1], "--json"], env);
    assert.equal(cmp.code, 0, cmp.err);
    const parsed = RunComparisonSchema.parse(JSON.parse(cmp.out));
    assert.deepEqual(parsed.params.find((r) => r.key === "lr")?.values, [0.01, 0.1]);
    const cmpText = await cli(["compare", ids[0], ids[1]], env);
    assert.match(cmpText.out, /\*\s+lr\s+0\.0100000\s+0\.100000/);
    assert.doesNotMatch(cmpText.out, /epochs/); // equal rows hidden without --all
    assert.match((await cli(["compare", ids[0], ids[1], "--all"], env)).out, /epochs\s+3\s+3/);

    for (
      const [argv, msg] of [
        [["frobnicate"], /unknown command "frobnicate"/],
        [[], /expected a command/],
        [["show"], /^runs show: expected <id> \(1 argument\(s\)\), got 0/],
        [["compare", ids[0]], /^runs compare: expected <id> <id>\.\.\. .*got 1/],
        [["ls", "--limit", "zero"], /--limit/],
        [["ls", "--status", "done"], /--status/],
        [["ls", "--bogus"], /bogus/],
        [["show", ids[0], "--experiment", "x"], /^runs show: Unknown option '--experiment'/],
      ] as const
    ) {
      const r = await cli([...argv], env);
      assert.equal(r.code, 2, `${argv.join(" ")}: ${r.out}`);
      assert.match(r.err, msg);
      assert.equal(r.err.split("\n").length, 1, r.err);
    }
    const missing = await cli(["show", "ffffffff"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /run not found: "ffffffff"/);
    const help = await cli(["--help"], env);
    assert.equal(help.code, 0);
    assert.match(help.out, /^ {2}compare +side-by-side/m);
    const showHelp = await cli(["show", "--help"], env);
    assert.match(showHelp.out, /^usage: deno task runs show \[flags\] <id>/);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
