/**
 * A whole A/B experiment over real HTTP, reproducible from its seed: two model versions with
 * different real accuracy (nearest-centroid classifiers from 20 and 2,000 training images) are
 * served with a sticky 50/50 split; simulated users send real Fashion-MNIST test images and
 * report the true labels; the always-valid sequential test stops the experiment; the decision
 * promotes the winner through the registry gate with its evidence, disables the experiment, and
 * the HTML report shows it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runSimulatedUsers } from "../../lib/ab/simulated_users.ts";
import { registerCentroidModel } from "../../lib/ab/testing.ts";
import { readDebianDataset } from "../../lib/data/testing.ts";
import { getAliases, getModelVersion, listEvents } from "../../lib/registry/mod.ts";
import { type Serving, startServing } from "../serving_testing.ts";

const KEY = "e2e-admin-key-0123456789";
const SEED = 11;
let s: Serving;

before(async () => {
  s = await startServing({ adminKey: KEY, seed: false });
});
after(async () => {
  await s?.close();
});

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(s.url + path, {
    method,
    headers: { "content-type": "application/json", "x-admin-key": KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("e2e A/B: users, feedback, the sequential test stops, the gate promotes the winner", async () => {
  const ds = await readDebianDataset();
  assert.ok(ds, "the Debian package dataset-fashion-mnist is needed");
  const weak = await registerCentroidModel(s.ctx, "fmnist", ds.train, 20, "champion");
  const strong = await registerCentroidModel(s.ctx, "fmnist", ds.train, 2000, "challenger");
  const put = await admin("PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "control", version: weak, weight: 1 }, {
      name: "treatment",
      version: strong,
      weight: 1,
    }],
    salt: `e2e-${SEED}`,
    reason: "centroid-2000 vs centroid-20",
    design: {
      alpha: 0.05,
      tau: 0.1,
      min_samples: 100,
      max_samples_per_arm: 1500,
      mde: 0.1,
      // Both arms are the same architecture; on a shared, loaded test machine their p99
      // latencies differ by noise alone, so the latency guardrail is loose here.
      guardrails: { latency_p99_ratio: 10, latency_p99_slack_ms: 250 },
    },
  });
  assert.equal(put.status, 200, await put.clone().text());
  await put.body?.cancel();

  const test = { ...ds.test, count: 2000 };
  const run = await runSimulatedUsers({
    baseUrl: s.url,
    model: "fmnist",
    seed: SEED,
    users: 80,
    maxRequests: 1500,
    checkEvery: 20,
    // Feedback is credentialed where the service requires it; the admin key also authorizes it.
    headers: { "x-admin-key": KEY },
  }, test);
  assert.equal(run.stoppedEarly, true, JSON.stringify(run.decision));
  assert.deepEqual(
    [run.decision?.action, run.decision?.final, run.decision?.winner],
    ["promote", true, "treatment"],
    run.decision?.reason ?? "no decision",
  );
  assert.deepEqual(run.arms.control.versions, [weak]);
  assert.deepEqual(run.arms.treatment.versions, [strong]);
  const analysis = run.analysis as {
    arms: { arm: string; units: number; feedback: number; accuracy: number }[];
    srm: { mismatch: boolean; p_value: number };
    tests: {
      status: string;
      sequential: { ci: [number, number]; p_value: number; stopped_at: { n1: number; n2: number } };
    }[];
    guardrails: { arm: string; errors: number; latency_p99_ms: number }[];
  };
  const [ctl, trt] = ["control", "treatment"].map((n) => analysis.arms.find((a) => a.arm === n)!);
  assert.equal(ctl.feedback + trt.feedback, run.feedback);
  assert.equal(ctl.units + trt.units <= 80, true);
  assert.equal(analysis.srm.mismatch, false);
  const seq = analysis.tests[0].sequential;
  assert.ok(seq.ci[0] > 0, `always-valid CI ${seq.ci}`);
  assert.ok(seq.p_value < 0.05);
  assert.equal(analysis.tests[0].status, "better");
  assert.ok(analysis.guardrails.every((g) => g.errors === 0));
  console.log(
    `e2e A/B (seed ${SEED}): ${run.requests} requests, ${run.feedback} feedbacks in ` +
      `${(run.durationMs / 1000).toFixed(1)} s; control ${ctl.feedback} fb acc ${
        ctl.accuracy.toFixed(3)
      }, treatment ${trt.feedback} fb acc ${trt.accuracy.toFixed(3)}; stopped at ${
        JSON.stringify(seq.stopped_at)
      }; diff CI [${seq.ci.map((x) => x.toFixed(3))}], p ${seq.p_value.toExponential(2)}; ` +
      `decision ${run.decision?.action} ${run.decision?.winner}`,
  );

  // The decision needs the admin key, then goes through the registry gate.
  const denied = await fetch(`${s.url}/v1/experiments/ab/fmnist/decide`, { method: "POST" });
  assert.equal(denied.status, 401);
  await denied.body?.cancel();
  const badBody = await admin("POST", "/v1/experiments/ab/fmnist/decide", { actor: "e2e", x: 1 });
  assert.equal(badBody.status, 400);
  await badBody.body?.cancel();
  const decided = await admin("POST", "/v1/experiments/ab/fmnist/decide", { actor: "e2e" });
  assert.equal(decided.status, 200, await decided.clone().text());
  const d = await decided.json();
  assert.equal(d.applied, true);
  assert.deepEqual(d.gates.map((g: { outcome: string }) => g.outcome), ["promoted"]);
  assert.equal(typeof d.gates[0].challenger_accuracy, "number");
  assert.equal(typeof d.gates[0].event_id, "number");
  assert.deepEqual(await getAliases(s.ctx, "fmnist"), { champion: strong, challenger: strong });
  const gate = (await listEvents(s.ctx, "fmnist", { kind: "gate" })).at(-1)!;
  assert.equal(gate.actor, "e2e");
  assert.equal((gate.details as { source: string }).source, "ab_experiment");

  // The experiment is off: traffic goes to the new champion without an arm.
  const after = await fetch(`${s.url}/v1/models/fmnist/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-client-key": "user-x" },
    body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => 0)] }),
  });
  assert.equal(after.status, 200);
  assert.equal(after.headers.get("x-ab-arm"), null);
  assert.equal((await after.json()).model.version, strong);
  const again = await admin("POST", "/v1/experiments/ab/fmnist/decide", {});
  assert.equal(again.status, 200);
  assert.equal((await again.json()).applied, false);

  const report = await fetch(`${s.url}/v1/experiments/ab/fmnist/report`);
  assert.equal(report.status, 200);
  assert.match(report.headers.get("content-type") ?? "", /text\/html/);
  const html = await report.text();
  for (
    const part of ["Sample-ratio mismatch", "mSPRT boundary", "Guardrails", "decided: promote"]
  ) {
    assert.ok(html.includes(part), `report lacks ${part}`);
  }
  const doc = await (await fetch(`${s.url}/openapi.json`)).json();
  assert.ok(doc.paths["/v1/experiments/ab/{name}/report"]?.get);
  assert.ok(doc.paths["/v1/experiments/ab/{name}/decide"]?.post);
  const missing = await fetch(`${s.url}/v1/experiments/ab/nope/report`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();

  // The error-rate guardrail: an arm whose model cannot load fails its requests, and each failure
  // is logged against the arm.
  const broken = await registerCentroidModel(s.ctx, "fmnist", ds.train, 5);
  await s.ctx.store.delete((await getModelVersion(s.ctx, "fmnist", broken)).artifactKey);
  const put2 = await admin("PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "ok", version: strong, weight: 1 }, { name: "bad", version: broken, weight: 1 }],
    salt: `e2e-errors-${SEED}`,
    design: { min_samples: 5 },
  });
  assert.equal(put2.status, 200, await put2.clone().text());
  await put2.body?.cancel();
  let failed = 0;
  for (let i = 0; i < 40; i++) {
    const r = await fetch(`${s.url}/v1/models/fmnist/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-client-key": `err-${i}` },
      body: JSON.stringify({ instances: [Array.from({ length: 784 }, () => 0)] }),
    });
    if (r.status >= 500) failed++;
    else assert.equal(r.status, 200);
    await r.body?.cancel();
  }
  assert.ok(failed >= 5 && failed <= 35, `failed ${failed}`);
  const an2 = await (await fetch(`${s.url}/v1/experiments/ab/fmnist`)).json();
  const bad = an2.guardrails.find((g: { arm: string }) => g.arm === "bad");
  assert.deepEqual([bad.errors, bad.requests, bad.error_rate], [failed, 0, 1]);
  assert.equal(an2.tests[0].arm, "bad");
  const check = an2.tests[0].guardrails.find((g: { metric: string }) => g.metric === "error_rate");
  assert.equal(check.ok, false);
  assert.equal(an2.tests[0].status, "guardrail_breached");
  assert.deepEqual([an2.decision.action, an2.decision.final], ["keep_control", true]);
});
