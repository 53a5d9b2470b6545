/**
 * `deno task experiment:run` end to end, small: a fresh pair of nearest-centroid versions (about
 * 41 % and 67 % accurate), the real service (`serve/main.ts`, a child process) and real Locust
 * users sending test images and feedback; the sequential test must stop the run, the registry
 * gate must promote the better version with the analysis stored as evidence, and the report must
 * name the samples per arm. Bad flags and a second `--setup` on the same model exit 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { ExperimentRunSummary } from "../lib/ab/experiment_run.ts";
import { parseSettings } from "../lib/config/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { getAliases, listEvents } from "../lib/registry/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { main } from "./experiment_run.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

async function run(argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { ...Deno.env.toObject(), LOG_LEVEL: "error" }, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("experiment:run: Locust traffic, the sequential test stops, the gate promotes with evidence", async () => {
  const state = await Deno.makeTempDir({ prefix: "fmnist-experiment-run-" });
  const common = ["--state-dir", state, "--data-dir", join(state, "manifests"), "--source", SOURCE];
  try {
    const both = await run([...common, "--setup", "centroid", "--treatment", "2"]);
    assert.equal(both.code, 2);
    assert.match(both.err, /not both/);
    assert.equal((await run([...common])).code, 2);
    assert.equal((await run([...common, "--setup", "centroid", "--think-ms", "9-1"])).code, 2);

    const out = join(state, "run");
    const r = await run([
      ...common,
      "--setup",
      "centroid",
      "--seed",
      "7",
      "--users",
      "4",
      "--images",
      "2000",
      "--think-ms",
      "0-10",
      "--tau",
      "0.1",
      "--min-samples",
      "50",
      "--max-samples",
      "1000",
      "--poll-ms",
      "250",
      "--max-duration",
      "90",
      // Both arms are the same architecture: latency differences are this machine's noise.
      "--latency-ratio",
      "10",
      "--latency-slack-ms",
      "250",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as ExperimentRunSummary;
    assert.equal(s.locust.failures, 0, Deno.readTextFileSync(`${s.locust.csvPrefix}_failures.csv`));
    assert.deepEqual(s.arms.map((a) => a.arm), ["control", "treatment"]);
    for (const a of s.arms) {
      assert.ok(a.samples > 0 && a.predictions >= a.samples, JSON.stringify(a));
    }
    assert.equal(s.stoppedBy, "decision");
    assert.ok(s.decidedAfterS !== null && s.looks >= 1);
    assert.equal(s.decision.action, "promote", s.decision.reason);
    assert.equal(s.decision.winner, "treatment");
    assert.ok(s.effect && s.effect.diff > 0 && s.effect.ci[0] > 0, JSON.stringify(s.effect));
    assert.ok(s.effect.pValue <= s.effect.alpha);
    const treatment = s.arms.find((a) => a.arm === "treatment")!.version;
    assert.equal(s.applied, true);
    assert.equal(s.gates.length, 1);
    assert.equal(s.gates[0].outcome, "promoted");
    assert.equal(s.gates[0].challenger, treatment);
    assert.equal(s.gates[0].evidence, true);
    assert.equal(s.champion, treatment);
    assert.ok(s.locust.requests >= 2 * s.arms.reduce((n, a) => n + a.samples, 0) - 8);
    const html = await Deno.readTextFile(s.report);
    assert.match(html, /samples \(feedback\)/);
    assert.match(html, new RegExp(`audit event ${s.gates[0].eventId}`));
    assert.ok(Deno.statSync(s.locust.html).size > 1000, "Locust's HTML report");

    // The gate's audit event in the registry holds the analysis the decision rests on.
    const ctx = await openContext(parseSettings({ FMNIST_STATE_DIR: state }), {
      manifestDir: join(state, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
    try {
      assert.equal((await getAliases(ctx, "fmnist")).champion, treatment);
      const ev = (await listEvents(ctx, "fmnist", { kind: "gate" }))
        .find((e) => e.id === s.gates[0].eventId);
      assert.ok(ev, "gate event recorded");
      const d = ev.details as {
        source: string;
        evidence: {
          decision: { action: string };
          arms: { arm: string; feedback: number }[];
          comparisons: { sequential: { rejected: boolean } }[];
          srm: { mismatch: boolean };
        };
      };
      assert.equal(d.source, "ab_experiment");
      assert.equal(d.evidence.decision.action, "promote");
      assert.equal(d.evidence.comparisons[0].sequential.rejected, true);
      assert.equal(d.evidence.srm.mismatch, false);
      for (const a of s.arms) {
        const stored = d.evidence.arms.find((x) => x.arm === a.arm)!;
        assert.ok(stored.feedback > 0 && stored.feedback <= a.samples);
      }
    } finally {
      await ctx.close();
    }

    const again = await run([...common, "--setup", "centroid"]);
    assert.equal(again.code, 2);
    assert.match(again.err, /registered already/);
  } finally {
    await Deno.remove(state, { recursive: true }).catch(() => {});
  }
});
