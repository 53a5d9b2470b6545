import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import { SWAGGER_ASSETS, swaggerPage } from "./swagger.ts";

test("swaggerPage: assets under assetBase, the document's URL, an optional back link", () => {
  const served = swaggerPage({
    title: "a <b>",
    specUrl: "/openapi.json",
    assetBase: "/docs/assets",
  });
  assert.ok(served.includes("<title>a &lt;b&gt;</title>"));
  assert.ok(served.includes('url: "/openapi.json"'));
  assert.ok(!served.includes("<a href"), "no back link unless asked");
  assert.ok(!/https?:\/\//.test(served), "nothing fetched from outside");
  const refs = [...served.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(refs.length, 4);
  for (const r of refs) {
    assert.ok(r.startsWith("/docs/assets/"), r);
    const name = r.slice("/docs/assets/".length);
    assert.ok(Object.hasOwn(SWAGGER_ASSETS, name), `${name} is a listed asset`);
    assert.ok(existsSync(join(swaggerUiPath(), name)), `${name} is in swagger-ui-dist`);
  }

  const site = swaggerPage({
    title: "API",
    specUrl: "openapi.json",
    assetBase: "swagger",
    back: { href: "index.html", text: "← HTTP API" },
  });
  assert.ok(site.includes('<a href="index.html">← HTTP API</a>'));
  assert.ok(site.includes('href="swagger/swagger-ui.css"'));
  assert.ok(site.includes('url: "openapi.json"'));
});
