/**
 * `/v1/models/{name}/explain` and `/v1/models/{name}/versions/{v}/evaluation(.html)` over real
 * HTTP, on seeded CNNs (explanations need no accuracy) and a version whose tracking run holds an
 * evaluation report.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { registerModelVersion } from "../../lib/registry/mod.ts";
import { withRun } from "../../lib/tracking/mod.ts";
import { pixels, type Serving, startServing } from "../serving_testing.ts";

let s: Serving;

before(async () => {
  s = await startServing();
});
after(async () => await s?.close());

async function post(path: string, body: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test("explain: every method returns the prediction with a 28×28 map and a PNG", async () => {
  for (const method of ["saliency", "integrated_gradients", "smoothgrad", "occlusion", "gradcam"]) {
    const r = await post(`/v1/models/fmnist/explain?method=${method}&steps=8&samples=4&stride=6`, {
      instances: method === "saliency" ? [pixels(1), pixels(2)] : [pixels(1)],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.model.version, 1);
    assert.equal(r.body.instances.length, method === "saliency" ? 2 : 1);
    const i = r.body.instances[0];
    assert.equal(i.attribution.length, 28);
    assert.equal(i.attribution[0].length, 28);
    assert.equal(i.target, i.class_id);
    assert.ok(i.probability > 0 && i.probability <= 1);
    const png = Uint8Array.from(atob(i.png), (ch) => ch.charCodeAt(0));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    if (method === "integrated_gradients") assert.equal(typeof i.completeness_gap, "number");
  }
  const v2 = await post(`/v1/models/fmnist/versions/2/explain?method=saliency&target=3`, {
    instances: [pixels(1)],
  });
  assert.equal(v2.status, 200);
  assert.equal(v2.body.model.version, 2);
  assert.equal(v2.body.instances[0].target, 3);
  const alias = await post(`/v1/models/fmnist/aliases/challenger/explain?method=gradcam`, {
    instances: [pixels(1)],
  });
  assert.equal(alias.body.model.version, 2);
});

test("explain: bounded cost and clear errors", async () => {
  // Occlusion at stride 1: 25 × 25 windows per image, 5000 passes for 8 images.
  const big = await post(`/v1/models/fmnist/explain?method=occlusion&stride=1`, {
    instances: Array.from({ length: 8 }, (_, k) => pixels(k)),
  });
  assert.equal(big.status, 400);
  assert.match(big.body.error.message, /needs 5000 passes, over the limit of 4096/);
  const many = await post(`/v1/models/fmnist/explain?method=saliency`, {
    instances: Array.from({ length: 9 }, (_, k) => pixels(k)),
  });
  assert.equal(many.status, 400);
  const bad = await post(`/v1/models/fmnist/explain?method=lime`, { instances: [pixels(1)] });
  assert.equal(bad.status, 400);
  const shap = await post(`/v1/models/fmnist/explain?method=gradient_shap`, {
    instances: [pixels(1)],
  });
  assert.equal(shap.status, 400);
  assert.match(shap.body.error.message, /background/);
  const missing = await post(`/v1/models/nope/explain?method=saliency`, { instances: [pixels(1)] });
  assert.equal(missing.status, 404);
});

test("evaluation: served from the version's run; 404 without one", async () => {
  const none = await fetch(`${s.url}/v1/models/fmnist/versions/1/evaluation`);
  assert.equal(none.status, 404);
  await none.body?.cancel();
  const report = { format: "fmnist-evaluation/v1", test: { accuracy: { estimate: 0.5 } } };
  const runId = await withRun(s.ctx, { experiment: "eval-route" }, async (run) => {
    await run.logArtifact(
      "evaluation.json",
      new TextEncoder().encode(JSON.stringify(report)),
      "application/json",
    );
    await run.logArtifact(
      "evaluation.html",
      new TextEncoder().encode("<!DOCTYPE html><title>r</title>"),
      "text/html",
    );
    return run.id;
  });
  const { version } = await registerModelVersion(s.ctx, {
    name: "fmnist",
    artifact: new TextEncoder().encode("evaluated"),
    runId,
  });
  const j = await fetch(`${s.url}/v1/models/fmnist/versions/${version.version}/evaluation`);
  assert.equal(j.status, 200);
  assert.deepEqual(await j.json(), report);
  const h = await fetch(`${s.url}/v1/models/fmnist/versions/${version.version}/evaluation.html`);
  assert.equal(h.status, 200);
  assert.match(h.headers.get("content-type") ?? "", /text\/html/);
  assert.equal(await h.text(), "<!DOCTYPE html><title>r</title>");
  const doc = await (await fetch(`${s.url}/openapi.json`)).json();
  assert.ok(doc.paths["/v1/models/{name}/explain"].post);
  assert.ok(doc.paths["/v1/models/{name}/versions/{version}/evaluation.html"].get);
});
