/**
 * Analysis from the database: SRM on units, guardrails from logs and errors, the sequential test
 * over the feedback timeline, the decision, the registry gate acting on it, and the report.
 */
import assert from "node:assert/strict";
import type { Queryable } from "../db/mod.ts";
import { forEachDb } from "../db/testing.ts";
import { errorInsertStatement, insertStatement } from "../predlog/mod.ts";
import { getAliases, listEvents, registerModelVersion, setAlias } from "../registry/mod.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import { analyzeExperiment } from "./analysis.ts";
import { applyDecision } from "./apply.ts";
import { AbDecisionMonitor } from "./monitor.ts";
import { abConfigInputSchema, getAbExperiment, putAbExperiment } from "./config.ts";
import { experimentReportHtml } from "./report.ts";

interface ArmTraffic {
  arm: string;
  version: number;
  units: number;
  requestsPerUnit: number;
  /** Every how-many-th feedback is wrong. */
  wrongEvery: number;
  latencyMs: number;
  errors: number;
}

/**
 * Log predictions, feedback (interleaved in time across arms) and errors, time-stamped from now
 * on; returns the latest time stamp written (ms), which may lie a few seconds in the future.
 */
async function seed(
  db: Queryable,
  model: string,
  tag: string,
  arms: ArmTraffic[],
): Promise<number> {
  const t0 = Date.now();
  let last = t0;
  const records = [];
  const feedback: unknown[][] = [];
  for (const a of arms) {
    let k = 0;
    for (let u = 0; u < a.units; u++) {
      for (let r = 0; r < a.requestsPerUnit; r++, k++) {
        const requestId = `${tag}-${a.arm}-${k}`;
        records.push({
          requestId,
          index: 0,
          model,
          version: a.version,
          inputHash: "h",
          classId: 1,
          label: "Trouser",
          confidence: 0.9,
          latencyMs: a.latencyMs + (k % 10) / 10,
          cached: false,
          arm: a.arm,
          unit: `${tag}-${a.arm}-u${u}`,
          at: new Date(t0 + k).toISOString(),
        });
        const right = (k + 1) % a.wrongEvery !== 0;
        feedback.push([requestId, right ? 1 : 7, new Date(t0 + 1000 + 2 * k).toISOString()]);
        last = Math.max(last, t0 + 1000 + 2 * k);
      }
    }
    for (let i = 0; i < a.errors; i++) {
      const { sql, params } = errorInsertStatement({
        requestId: `${tag}-${a.arm}-err${i}`,
        model,
        version: a.version,
        arm: a.arm,
        error: "ModelLoadError: boom",
        latencyMs: 3,
        at: new Date(t0 + i).toISOString(),
      });
      await db.query(sql, params);
    }
  }
  for (let i = 0; i < records.length; i += 500) {
    const { sql, params } = insertStatement(records.slice(i, i + 500));
    await db.query(sql, params);
  }
  for (let i = 0; i < feedback.length; i += 500) {
    const chunk = feedback.slice(i, i + 500);
    await db.query(
      `INSERT INTO prediction_feedback (request_id, idx, true_class_id, received_at) VALUES ${
        chunk.map((_, j) => `($${3 * j + 1}, 0, $${3 * j + 2}, $${3 * j + 3})`).join(", ")
      }`,
      chunk.flat(),
    );
  }
  return last;
}

forEachDb(
  "ab analysis: SRM, guardrails, sequential decision; the gate promotes the winner with evidence",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      for (let i = 1; i <= 2; i++) {
        await registerModelVersion(ctx, { name: "m", artifact: new TextEncoder().encode(`w${i}`) });
      }
      await setAlias(ctx, { name: "m", alias: "champion", version: 1 });
      await putAbExperiment(
        db,
        "m",
        abConfigInputSchema.parse({
          arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }],
          salt: "s1",
          design: { minSamples: 50, tau: 0.1, mde: 0.05, autoDecide: true },
        }),
        "t",
      );
      // A re-PUT with the same arms and salt (a new reason; weights alike) keeps the start.
      const first = await getAbExperiment(db, "m");
      const reweighted = await putAbExperiment(
        db,
        "m",
        abConfigInputSchema.parse({
          arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }],
          salt: "s1",
          design: { minSamples: 50, tau: 0.1, mde: 0.05, autoDecide: true },
          reason: "same arms",
        }),
        "t",
      );
      assert.equal(reweighted.startedAt, first!.startedAt);
      // a: 80% right, b: 95% right; 300 units × 2 requests each; b a little slower, one error each.
      const firstSeeded = await seed(db, "m", "x", [
        {
          arm: "a",
          version: 1,
          units: 300,
          requestsPerUnit: 2,
          wrongEvery: 5,
          latencyMs: 10,
          errors: 1,
        },
        {
          arm: "b",
          version: 2,
          units: 300,
          requestsPerUnit: 2,
          wrongEvery: 20,
          latencyMs: 12,
          errors: 1,
        },
      ]);
      const an = await analyzeExperiment(db, "m");
      assert.deepEqual(
        [...an.units].sort((x, y) => x.arm.localeCompare(y.arm)),
        // 300 client keys each, plus one failed request without a key (its own unit).
        [{ arm: "a", units: 301 }, { arm: "b", units: 301 }],
      );
      assert.equal(an.srm?.mismatch, false);
      assert.equal(an.srm?.pValue, 1);
      const [ga, gb] = an.guardrails;
      assert.deepEqual([ga.arm, ga.requests, ga.errors], ["a", 600, 1]);
      assert.ok(Math.abs(gb.latencyP99Ms! - 12.9) < 0.01, `p99 ${gb.latencyP99Ms}`);
      assert.ok(Math.abs(ga.errorRate! - 1 / 601) < 1e-12);
      const c = an.comparisons[0];
      assert.equal(c.arm, "b");
      assert.equal(c.vs, "a");
      assert.ok(c.guardrails.every((g) => g.ok === true), JSON.stringify(c.guardrails));
      assert.ok(Math.abs(c.sequential!.diff - (0.95 - 0.8)) < 1e-12);
      assert.equal(c.sequential!.rejected, true);
      assert.ok(c.sequential!.stoppedAt!.n1 < 600, JSON.stringify(c.sequential!.stoppedAt));
      assert.ok(c.sequential!.ci[0] > 0 && c.sequential!.ci[1] > 0.15);
      assert.equal(c.sequential!.looks, 1200);
      assert.ok(c.fixed!.pValue < 1e-6);
      assert.equal(c.status, "better");
      assert.deepEqual([an.decision.action, an.decision.final, an.decision.winner], [
        "promote",
        true,
        "b",
      ]);
      assert.ok(an.plan !== null && an.plan.n1 > 100, JSON.stringify(an.plan));
      const html = experimentReportHtml(an);
      for (const s of ["Sample-ratio mismatch", "Guardrails", "mSPRT boundary", "promote"]) {
        assert.ok(html.includes(s), s);
      }

      // The monitor applies the final decision of an autoDecide experiment, once.
      const told: string[] = [];
      const monitor = new AbDecisionMonitor({
        ctx,
        log: ctx.log,
        actor: "tester",
        onApplied: (model) => told.push(model),
      });
      const [applied, ...more] = await monitor.tick();
      assert.deepEqual(more, []);
      assert.deepEqual(told, ["m"]);
      assert.deepEqual(await monitor.tick(), []);
      assert.equal(applied.applied, true);
      assert.equal(applied.gates.length, 1);
      assert.equal(applied.gates[0].outcome, "promoted");
      assert.equal(applied.gates[0].method, "msprt");
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 2 });
      const gate = (await listEvents(ctx, "m", { kind: "gate" })).at(-1)!;
      const details = gate.details as {
        source: string;
        evidence: { decision: { winner: string } };
      };
      assert.equal(details.source, "ab_experiment");
      assert.equal(details.evidence.decision.winner, "b");
      const after = await getAbExperiment(db, "m");
      assert.equal(after?.enabled, false);
      assert.match(after!.reason!, /decided: promote/);
      // Disabling kept the start: the analysis still sees the same data.
      assert.equal(after!.startedAt, an.experiment!.startedAt);

      // A new experiment (new salt) starts afresh; a broken split blocks the decision and a
      // much slower treatment breaches the latency guardrail. The first experiment's traffic is
      // time-stamped up to ~2 s ahead: start the new one after it, or a fast database would count
      // its tail as the new experiment's traffic.
      await new Promise((r) => setTimeout(r, Math.max(0, firstSeeded - Date.now() + 10)));
      await putAbExperiment(
        db,
        "m",
        abConfigInputSchema.parse({
          arms: [{ name: "a", version: 2, weight: 1 }, { name: "b", version: 1, weight: 1 }],
          salt: "s2",
          design: { minSamples: 20 },
        }),
        "t",
      );
      await seed(db, "m", "y", [
        {
          arm: "a",
          version: 2,
          units: 300,
          requestsPerUnit: 1,
          wrongEvery: 10,
          latencyMs: 10,
          errors: 0,
        },
        {
          arm: "b",
          version: 1,
          units: 200,
          requestsPerUnit: 1,
          wrongEvery: 10,
          latencyMs: 100,
          errors: 0,
        },
      ]);
      const an2 = await analyzeExperiment(db, "m");
      assert.equal(an2.summary.arms.reduce((s, a) => s + a.predictions, 0), 500);
      assert.equal(an2.srm?.mismatch, true);
      assert.ok(an2.srm!.pValue < 1e-3 && Math.abs(an2.srm!.chi2 - 20) < 1e-9);
      assert.equal(an2.decision.action, "blocked");
      assert.equal(
        an2.comparisons[0].guardrails.find((g) => g.metric === "latency_p99")?.ok,
        false,
      );
      const none = await applyDecision(ctx, an2);
      assert.equal(none.applied, false);
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 2 });
    } finally {
      await ctx.close();
    }
  },
);
