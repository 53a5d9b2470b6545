/**
 * The demo page end to end in headless Chromium (Debian `chromium` driven by `playwright-core`):
 * the model selector fills from `/v1/models`, a garment drawn on the canvas and a generated photo
 * uploaded are classified, the plotly chart shows 10 bars, and a screenshot is a real rendering
 * (decodes as PNG, many distinct colours). Skipped with the reason when Chromium is missing.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { garmentPhotoJpeg } from "../../lib/inference/photos_testing.ts";
import {
  chromiumSkipReason,
  distinctColours,
  launchChromium,
} from "../../lib/report/browser_testing.ts";
import { type Serving, startServing } from "../serving_testing.ts";

let s: Serving;
const skip = chromiumSkipReason();

before(async () => {
  if (!skip) s = await startServing();
});
after(async () => {
  await s?.close();
});

test("demo: assets are local (no CDN) and unknown assets 404", { skip }, async () => {
  const html = await (await fetch(`${s.url}/demo`)).text();
  assert.match(html, /<canvas id="pad"/);
  assert.doesNotMatch(html, /https?:\/\//, "no external URLs");
  const js = await fetch(`${s.url}/demo/assets/plotly.min.js`);
  assert.equal(js.status, 200);
  assert.ok((await js.arrayBuffer()).byteLength > 1_000_000);
  const bad = await fetch(`${s.url}/demo/assets/..%2fapp.ts`);
  assert.equal(bad.status, 404);
  await bad.body?.cancel();
});

test("demo: draw and upload in headless Chromium → 10-bar plotly chart, real screenshot", {
  skip,
  timeout: 120_000,
}, async () => {
  const browser = await launchChromium();
  const dir = await Deno.makeTempDir({ prefix: "fmnist-demo-" });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const external: string[] = [];
    page.on("request", (r) => {
      if (/^(https?|wss?):/.test(r.url()) && !r.url().startsWith(s.url)) external.push(r.url());
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${s.url}/demo`);
    await page.waitForFunction(() => Number(document.body.dataset.models ?? 0) > 0);
    const options = await page.locator("#model option").allTextContents();
    assert.ok(options.some((o) => o.startsWith("fmnist (champion v1)")), options.join(" | "));

    // Draw a T-shirt-ish shape: a wide top bar and a body.
    const box = (await page.locator("#pad").boundingBox())!;
    const stroke = async (pts: [number, number][]) => {
      await page.mouse.move(box.x + pts[0][0], box.y + pts[0][1]);
      await page.mouse.down();
      for (const [x, y] of pts.slice(1)) {
        await page.mouse.move(box.x + x, box.y + y, { steps: 6 });
      }
      await page.mouse.up();
    };
    await stroke([[50, 60], [230, 60]]);
    for (let x = 90; x <= 190; x += 20) await stroke([[x, 60], [x, 240]]);
    await page.click("#predict");
    await page.waitForFunction(() => document.body.dataset.predictions === "1");
    assert.equal(await page.locator("#chart .bars .point").count(), 10);
    const result = await page.locator("#result").textContent();
    assert.match(result ?? "", /% \(fmnist v1, request /);

    // Upload a generated photo (JPEG, light background).
    const img = new Uint8Array(784).map((_, i) => (i % 28 > 8 && i % 28 < 20 ? 220 : 0));
    const photo = `${dir}/photo.jpg`;
    await Deno.writeFile(photo, garmentPhotoJpeg(img, { width: 320, height: 240 }));
    await page.setInputFiles("#file", photo);
    await page.waitForFunction(() => document.body.dataset.predictions === "2");
    assert.equal(await page.locator("#chart .bars .point").count(), 10);
    assert.equal(await page.locator("#error").textContent(), "");

    const shot = await page.screenshot({ fullPage: true });
    await Deno.writeFile(`${Deno.env.get("FMNIST_DEMO_SCREENSHOT") ?? `${dir}/demo.png`}`, shot);
    const png = distinctColours(shot);
    assert.ok(png.width >= 1000 && png.height >= 600, `${png.width}×${png.height}`);
    assert.ok(png.colours > 200, `only ${png.colours} distinct colours`);
    assert.deepEqual(errors, [], "no page errors");
    assert.deepEqual(external, [], "no requests leave the server");
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});
