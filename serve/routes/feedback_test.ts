/**
 * Prediction logs and feedback over real HTTP (PGlite): logs are keyed by a server-generated id,
 * so clients that reuse an `x-request-id` lose no rows (their id is kept as a correlation
 * column); feedback needs a key (anonymous → 401, nothing changes), keeps the first label,
 * refuses a silent overwrite (409) and records every change with who and when.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import { createLogger } from "../../lib/log/mod.ts";
import type { AppEnv } from "../env.ts";
import { errorHandler } from "../middleware/errors.ts";
import { feedbackAuth } from "../middleware/feedback_key.ts";
import { pixels, type Serving, startServing } from "../serving_testing.ts";

const ADMIN = "feedback-test-admin-key-01";
const FEEDBACK = "feedback-test-labeller-key-02";
let s: Serving;

before(async () => {
  s = await startServing({ adminKey: ADMIN, feedbackKey: FEEDBACK });
});
after(async () => {
  await s?.close();
});

async function predict(instances: number, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/v1/models/fmnist/versions/1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ instances: Array.from({ length: instances }, (_, i) => pixels(i)) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
  return res.headers.get("x-request-id")!;
}

function feedback(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${s.url}/v1/feedback`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

async function count(sql: string, params: unknown[]): Promise<number> {
  return Number((await s.ctx.db.query<{ n: number }>(sql, params))[0].n);
}

test("prediction logs: 200 requests reusing one x-request-id log 200 × instances rows", async () => {
  const clientId = `reused-${crypto.randomUUID()}`;
  const ids = new Set<string>();
  const work = Array.from({ length: 200 }, () => () => predict(2, { "x-request-id": clientId }));
  // 8 at a time, so the rows arrive in concurrent batches as they do in production.
  for (let i = 0; i < work.length; i += 8) {
    for (const id of await Promise.all(work.slice(i, i + 8).map((f) => f()))) ids.add(id);
  }
  assert.equal(ids.size, 200, "each request gets its own server id");
  assert.ok(!ids.has(clientId), "the server id is not the client's");
  await s.logs.sync();
  assert.equal(s.logs.stats().dropped, 0);
  assert.equal(
    await count(
      `SELECT count(*)::int AS n FROM prediction_logs WHERE client_request_id = $1`,
      [clientId],
    ),
    400,
  );
  assert.equal(
    await count(
      `SELECT count(DISTINCT request_id)::int AS n FROM prediction_logs
        WHERE client_request_id = $1`,
      [clientId],
    ),
    200,
  );
  // Replaying what was written (a crash after the write, before the spool was deleted) adds
  // nothing: the key is the server's id, so a conflict can only be the same record.
  const before = await count(`SELECT count(*)::int AS n FROM prediction_logs`, []);
  const rows = await s.ctx.db.query<Record<string, unknown>>(
    `SELECT request_id, client_request_id, idx, model, version, input_hash, class_id, label,
       confidence, latency_ms, cached, at FROM prediction_logs WHERE client_request_id = $1`,
    [clientId],
  );
  await s.logs.spool.append(rows.map((r) => ({
    requestId: String(r.request_id),
    clientRequestId: String(r.client_request_id),
    index: Number(r.idx),
    model: String(r.model),
    version: Number(r.version),
    inputHash: String(r.input_hash),
    classId: Number(r.class_id),
    label: String(r.label),
    confidence: Number(r.confidence),
    latencyMs: Number(r.latency_ms),
    cached: Boolean(r.cached),
    at: new Date(r.at as string).toISOString(),
  })));
  await s.logs.spool.rotate();
  assert.equal(await s.logs.replay(), 400);
  assert.equal(await count(`SELECT count(*)::int AS n FROM prediction_logs`, []), before);
});

test("feedback: anonymous or wrong key → 401 and nothing changes", async () => {
  const id = await predict(1);
  const ok = await feedback({ request_id: id, label: 3 }, { "x-feedback-key": FEEDBACK });
  assert.equal(ok.status, 201, await ok.clone().text());
  await ok.body?.cancel();
  const snapshot = () =>
    s.ctx.db.query(`SELECT * FROM prediction_feedback ORDER BY request_id, idx`);
  const was = await snapshot();
  const tries: Record<string, string>[] = [
    {},
    { "x-feedback-key": FEEDBACK + "x" },
    { "x-admin-key": FEEDBACK }, // the feedback key is not an admin key…
    { "x-feedback-key": ADMIN }, // …nor the other way round in the other's header
    { authorization: "Bearer nope-nope-nope-nope" },
  ];
  for (const headers of tries) {
    for (
      const body of [{ request_id: id, label: 7 }, { request_id: id, label: 5, replace: true }]
    ) {
      const res = await feedback(body, headers);
      assert.equal(res.status, 401, `${JSON.stringify(headers)} → ${res.status}`);
      assert.equal((await res.json()).error.code, "unauthorized");
      assert.ok(res.headers.get("www-authenticate"));
    }
  }
  // Not even a malformed body is looked at before the key.
  const junk = await fetch(`${s.url}/v1/feedback`, { method: "POST", body: "{" });
  assert.equal(junk.status, 401);
  await junk.body?.cancel();
  assert.deepEqual(await snapshot(), was);
  assert.equal(
    await count(
      `SELECT count(*)::int AS n FROM prediction_feedback_events WHERE request_id = $1`,
      [id],
    ),
    1,
    "only the keyed label is in the audit trail",
  );
  // A service with no key configured refuses feedback outright.
  const off = new Hono<AppEnv>();
  off.use("*", feedbackAuth({}));
  off.post("/", (c) => c.text("stored"));
  off.onError(errorHandler(createLogger({}, { level: "error", sink: () => {} })));
  const res = await off.request("/", { method: "POST", headers: { "x-feedback-key": FEEDBACK } });
  assert.equal(res.status, 503);
  assert.match((await res.json()).error.message, /FMNIST_FEEDBACK_KEY/);
});

test("feedback: first label kept, overwrite refused without replace, changes audited", async () => {
  const id = await predict(2);
  const first = await feedback({ request_id: id, index: 1, label: 3 }, {
    "x-feedback-key": FEEDBACK,
    "x-actor": "alice",
  });
  assert.equal(first.status, 201);
  const f1 = await first.json();
  assert.equal(f1.outcome, "created");
  assert.equal(f1.updated_by, "feedback-key:alice");
  // The same label again: 200, nothing changes.
  const same = await feedback({ request_id: id, index: 1, label: 3 }, {
    authorization: `Bearer ${FEEDBACK}`,
  });
  assert.equal(same.status, 200);
  assert.equal((await same.json()).outcome, "unchanged");
  // A different label without replace: 409 naming the stored label; nothing changes.
  const clash = await feedback({ request_id: id, index: 1, label: "Coat" }, {
    "x-feedback-key": FEEDBACK,
    "x-actor": "bob",
  });
  assert.equal(clash.status, 409);
  const err = await clash.json();
  assert.equal(err.error.code, "conflict");
  assert.match(err.error.message, /already labelled class 3 \(by feedback-key:alice/);
  // With replace (here by the admin): applied, the first label kept, the change recorded.
  const changed = await feedback({ request_id: id, index: 1, label: "Coat", replace: true }, {
    "x-admin-key": ADMIN,
    "x-actor": "carol",
  });
  assert.equal(changed.status, 200);
  const f2 = await changed.json();
  assert.equal(f2.outcome, "replaced");
  assert.equal(f2.true_label, "Coat");
  assert.equal(f2.true_class_id, null);
  assert.deepEqual(f2.previous, { class_id: 3, label: null });
  assert.deepEqual(
    [f2.first.class_id, f2.first.label, f2.first.by],
    [3, null, "feedback-key:alice"],
  );
  assert.equal(f2.revisions, 1);
  assert.equal(f2.updated_by, "admin-key:carol");
  const events = await s.ctx.db.query<Record<string, unknown>>(
    `SELECT true_class_id, true_label, previous_class_id, previous_label, actor
       FROM prediction_feedback_events WHERE request_id = $1 AND idx = 1 ORDER BY id`,
    [id],
  );
  assert.deepEqual(events, [
    {
      true_class_id: 3,
      true_label: null,
      previous_class_id: null,
      previous_label: null,
      actor: "feedback-key:alice",
    },
    {
      true_class_id: null,
      true_label: "Coat",
      previous_class_id: 3,
      previous_label: null,
      actor: "admin-key:carol",
    },
  ]);
  const bad = await feedback({ request_id: id, label: 1 }, {
    "x-feedback-key": FEEDBACK,
    "x-actor": "no spaces allowed",
  });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});
