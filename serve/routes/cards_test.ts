import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Serving, startServing } from "../serving_testing.ts";

let s: Serving;
before(async () => {
  s = await startServing();
});
after(async () => await s?.close());

test("GET /v1/models/{name}/versions/{v}/card answers the model card as Markdown", async () => {
  const res = await fetch(`${s.url}/v1/models/fmnist/versions/1/card`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/markdown/);
  const md = await res.text();
  assert.match(md, /^# Model card: fmnist v1$/m);
  assert.match(md, /^## Intended use$/m);
  assert.match(md, /aliases \| champion/);
  assert.match(md, /registered v1/, "the audit log is in the card");

  const missing = await fetch(`${s.url}/v1/models/fmnist/versions/99/card`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
  const bad = await fetch(`${s.url}/v1/models/fmnist/versions/x/card`);
  assert.equal(bad.status, 400);
  await bad.body?.cancel();

  const doc = await (await fetch(`${s.url}/openapi.json`)).json();
  assert.ok(doc.paths["/v1/models/{name}/versions/{version}/card"]?.get, "documented");
});
