/**
 * Admin, feedback and A/B routes over real HTTP (PGlite state dir, seeded models v1 champion /
 * v2 challenger): key checks (503 disabled, 401 missing/wrong), promotion with audit event,
 * reload, A/B config CRUD, sticky arms by `x-client-key` recorded in the prediction logs,
 * feedback (201, 404 unknown; with the admin key), and the per-arm summary.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { parseSettings } from "../../lib/config/mod.ts";
import { listEvents } from "../../lib/registry/mod.ts";
import { pixels, type Serving, startServing } from "../serving_testing.ts";
import { keysMatch } from "../middleware/admin_key.ts";

const KEY = "test-admin-key-0123456789";
let s: Serving;
let off: Serving;

before(async () => {
  s = await startServing({ adminKey: KEY });
  off = await startServing({ seed: false });
});
after(async () => {
  await s?.close();
  await off?.close();
});

function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { "x-admin-key": KEY },
): Promise<Response> {
  return fetch(base + path, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function predict(clientKey?: string, seed = 1) {
  const res = await fetch(`${s.url}/v1/models/fmnist/predict`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(clientKey ? { "x-client-key": clientKey } : {}),
    },
    body: JSON.stringify({ instances: [pixels(seed)] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  return {
    arm: res.headers.get("x-ab-arm"),
    requestId: res.headers.get("x-request-id")!,
    version: body.model.version as number,
    classId: body.predictions[0].class_id as number,
  };
}

test("settings: FMNIST_ADMIN_KEY is optional and must be long enough", () => {
  assert.equal(parseSettings({}).adminKey, undefined);
  assert.equal(parseSettings({ FMNIST_ADMIN_KEY: KEY }).adminKey, KEY);
  assert.throws(() => parseSettings({ FMNIST_ADMIN_KEY: "short" }), /FMNIST_ADMIN_KEY/);
  assert.equal(keysMatch(KEY, KEY), true);
  assert.equal(keysMatch(KEY + "x", KEY), false);
  assert.equal(keysMatch("", KEY), false);
});

test("admin: 503 when disabled, 401 without or with a wrong key, bearer accepted", async () => {
  const r0 = await call(off.url, "GET", "/v1/admin/ab/fmnist");
  assert.equal(r0.status, 503);
  assert.match((await r0.json()).error.message, /admin disabled/);
  const r1 = await call(s.url, "GET", "/v1/admin/ab/fmnist", undefined, {});
  assert.equal(r1.status, 401);
  assert.equal((await r1.json()).error.code, "unauthorized");
  const r2 = await call(s.url, "GET", "/v1/admin/ab/fmnist", undefined, {
    "x-admin-key": KEY + "!",
  });
  assert.equal(r2.status, 401);
  await r2.body?.cancel();
  const r3 = await call(s.url, "GET", "/v1/admin/ab/fmnist", undefined, {
    authorization: `Bearer ${KEY}`,
  });
  assert.equal(r3.status, 404); // authorised; no experiment yet
  await r3.body?.cancel();
});

test("admin: promote moves an alias with an audit event; strict bodies; reload", async () => {
  const bad = await call(s.url, "POST", "/v1/admin/models/fmnist/promote", {
    version: 2,
    alias: "staging",
    reason: "x",
    extra: 1,
  });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  const noReason = await call(s.url, "POST", "/v1/admin/models/fmnist/promote", { version: 2 });
  assert.equal(noReason.status, 400);
  await noReason.body?.cancel();
  const missing = await call(s.url, "POST", "/v1/admin/models/fmnist/promote", {
    version: 9,
    alias: "staging",
    reason: "x",
  });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const res = await call(s.url, "POST", "/v1/admin/models/fmnist/promote", {
    version: 2,
    alias: "staging",
    reason: "canary",
    actor: "alice",
  });
  assert.equal(res.status, 200);
  const b = await res.json();
  assert.deepEqual([b.from, b.to, b.changed], [null, 2, true]);
  const ev = (await listEvents(s.ctx, "fmnist")).find((e) => e.id === b.event_id);
  assert.equal(ev?.actor, "alice");
  assert.equal(ev?.reason, "canary");
  const conflict = await call(s.url, "POST", "/v1/admin/models/fmnist/promote", {
    version: 1,
    alias: "staging",
    reason: "x",
    expected_version: 1,
  });
  assert.equal(conflict.status, 409);
  await conflict.body?.cancel();
  const text = await call(s.url, "POST", "/v1/admin/reload", "{}", {
    "x-admin-key": KEY,
    "content-type": "text/plain",
  });
  assert.equal(text.status, 415);
  await text.body?.cancel();

  await predict("warm");
  const rl = await call(s.url, "POST", "/v1/admin/reload", { model: "fmnist" });
  assert.equal(rl.status, 200);
  const r = await rl.json();
  assert.ok(r.unloaded.some((l: { version: number }) => l.version === 1));
  assert.deepEqual(r.loaded, [{ name: "fmnist", version: 1 }]);
  const unknown = await call(s.url, "POST", "/v1/admin/reload", { model: "nope" });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
});

test("A/B: config CRUD, sticky arms by client key, arms logged, feedback, summary", async () => {
  const badArm = await call(s.url, "PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 7, weight: 1 }],
  });
  assert.equal(badArm.status, 400);
  assert.match((await badArm.json()).error.message, /no version 7/);
  const put = await call(s.url, "PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", alias: "challenger", weight: 1 }],
    reason: "test split",
  });
  assert.equal(put.status, 200, await put.clone().text());
  const exp = await put.json();
  assert.equal(exp.enabled, true);
  // The design answers (and is written) in snake_case, with the library's defaults.
  assert.equal(exp.design.min_samples, 100);
  assert.equal(exp.design.auto_decide, false);
  assert.equal(exp.design.guardrails.latency_p99_ratio, 1.5);
  assert.equal(typeof exp.started_at, "string");
  const camel = await call(s.url, "PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }],
    design: { minSamples: 5 },
  });
  assert.equal(camel.status, 400);
  assert.match((await camel.json()).error.message, /minSamples/);
  const dup = await call(s.url, "PUT", "/v1/admin/ab/fmnist", {
    arms: [{ name: "a", version: 1, weight: 1 }, { name: "a", version: 2, weight: 1 }],
  });
  assert.equal(dup.status, 400);
  assert.match((await dup.json()).error.message, /arms\[1\]\.name|arms\.1\.name/);
  const got = await (await call(s.url, "GET", "/v1/admin/ab/fmnist")).json();
  assert.deepEqual(got.arms, exp.arms);

  // Sticky: every request of a client lands on the same arm; both arms get clients.
  const byClient = new Map<string, string>();
  const made: { requestId: string; arm: string; version: number; classId: number }[] = [];
  for (let i = 0; i < 16; i++) {
    for (let rep = 0; rep < 3; rep++) {
      const p = await predict(`client-${i}`, i * 10 + rep);
      assert.ok(p.arm === "a" || p.arm === "b");
      assert.equal(p.version, p.arm === "a" ? 1 : 2);
      if (byClient.has(`client-${i}`)) assert.equal(byClient.get(`client-${i}`), p.arm);
      byClient.set(`client-${i}`, p.arm!);
      made.push({ ...p, arm: p.arm! });
    }
  }
  assert.deepEqual(new Set(byClient.values()), new Set(["a", "b"]));
  const anon = await predict(undefined, 999);
  assert.ok(anon.arm === "a" || anon.arm === "b");

  // Feedback right away (logs may still be buffered), then unknown ids.
  for (const [i, p] of made.entries()) {
    const label = p.arm === "a" || i % 2 === 0 ? p.classId : (p.classId + 1) % 10;
    const res = await call(s.url, "POST", "/v1/feedback", { request_id: p.requestId, label });
    assert.equal(res.status, 201, await res.clone().text());
    await res.body?.cancel();
  }
  const unknown = await call(s.url, "POST", "/v1/feedback", { request_id: "nope", label: 1 });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  const badIndex = await call(s.url, "POST", "/v1/feedback", {
    request_id: made[0].requestId,
    index: 1,
    label: 1,
  });
  assert.equal(badIndex.status, 404);
  await badIndex.body?.cancel();
  const extra = await call(s.url, "POST", "/v1/feedback", {
    request_id: made[0].requestId,
    label: 1,
    x: 1,
  });
  assert.equal(extra.status, 400);
  await extra.body?.cancel();

  const sum = await (await fetch(`${s.url}/v1/experiments/ab/fmnist`)).json();
  assert.equal(sum.control, "a");
  const a = sum.arms.find((x: { arm: string }) => x.arm === "a");
  const b = sum.arms.find((x: { arm: string }) => x.arm === "b");
  const na = made.filter((m) => m.arm === "a").length;
  const nb = made.filter((m) => m.arm === "b").length;
  assert.equal(a.feedback, na);
  assert.equal(b.feedback, nb);
  assert.equal(a.predictions + b.predictions, made.length + 1);
  assert.equal(a.accuracy, 1);
  assert.equal(b.correct, made.filter((m, i) => m.arm === "b" && i % 2 === 0).length);
  assert.deepEqual(a.versions, [1]);
  assert.deepEqual(b.versions, [2]);
  assert.equal(sum.tests[0].arm, "b");
  assert.ok(sum.tests[0].p_value > 0 && sum.tests[0].p_value <= 1);

  // Rows in the DB carry the arm.
  const rows = await s.ctx.db.query<{ arm: string; n: number }>(
    `SELECT arm, count(*)::int AS n FROM prediction_logs WHERE arm IS NOT NULL GROUP BY arm ORDER BY arm`,
  );
  assert.equal(rows.reduce((t, r) => t + Number(r.n), 0), made.length + 1);

  // Stop the experiment: requests go to the champion without an arm.
  const del = await call(s.url, "DELETE", "/v1/admin/ab/fmnist");
  assert.equal(del.status, 204);
  const after = await predict("client-0");
  assert.equal(after.arm, null);
  assert.equal(after.version, 1);
  const again = await call(s.url, "DELETE", "/v1/admin/ab/fmnist");
  assert.equal(again.status, 404);
  await again.body?.cancel();
});

test("openapi: the admin, feedback and A/B routes are documented", async () => {
  const res = await fetch(`${s.url}/openapi.json`);
  assert.equal(res.status, 200);
  const doc = await res.json();
  for (
    const path of [
      "/v1/admin/models/{name}/promote",
      "/v1/admin/reload",
      "/v1/admin/ab/{name}",
      "/v1/feedback",
      "/v1/experiments/ab/{name}",
    ]
  ) {
    assert.ok(doc.paths[path], `${path} missing from the OpenAPI document`);
  }
  assert.ok(doc.paths["/v1/admin/ab/{name}"].put.requestBody);
  assert.equal(doc.components.securitySchemes.AdminKey.name, "x-admin-key");
});
