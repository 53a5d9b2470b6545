/**
 * The analysis page end to end in headless Chromium (Debian `chromium` via `playwright-core`):
 * test-set images from the real dataset (ingested into the test's state dir), predictions of two
 * seeded model versions, filters that change the grid, and an attribution overlay that renders.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ingest } from "../../lib/data/mod.ts";
import {
  chromiumSkipReason,
  distinctColours,
  launchChromium,
} from "../../lib/report/browser_testing.ts";
import { type Serving, startServing } from "../serving_testing.ts";

let s: Serving;
const skip = chromiumSkipReason(
  ["/usr/share/datasets/fashion-mnist"],
  "chromium dataset-fashion-mnist",
);

before(async () => {
  if (skip) return;
  s = await startServing();
  await ingest(s.ctx);
});
after(async () => await s?.close());

test("analysis: grid, class and disagreement filters, attribution overlay, screenshot", {
  skip,
  timeout: 180_000,
}, async () => {
  const html = await (await fetch(`${s.url}/analysis`)).text();
  assert.doesNotMatch(html, /https?:\/\//, "no external URLs");
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const external: string[] = [];
    page.on("request", (r) => {
      if (/^(https?|wss?):/.test(r.url()) && !r.url().startsWith(s.url)) external.push(r.url());
    });
    await page.goto(`${s.url}/analysis`);
    await page.waitForFunction(() => Number(document.body.dataset.cells ?? 0) > 0, null, {
      timeout: 60_000,
    });
    assert.equal(await page.locator("#grid .cell").count(), 60);

    // Class filter: only trousers.
    await page.selectOption("#label", "1");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#grid .cell")].every((c) =>
        (c as HTMLElement).dataset.label === "1"
      ) && document.querySelectorAll("#grid .cell").length > 0
    );
    // Compare with v2, show only disagreements: every cell shown is marked.
    await page.selectOption("#modelB", "fmnist@2");
    await page.waitForFunction(() =>
      document.querySelector(".cell")?.textContent?.includes("| B:")
    );
    await page.selectOption("#filter", "disagree");
    const cells = await page.locator("#grid .cell").count();
    assert.equal(await page.locator("#grid .cell.disagree").count(), cells);
    await page.selectOption("#filter", "all");
    assert.ok((await page.locator("#grid .cell").count()) >= cells);

    // An attribution overlay renders for a clicked image.
    await page.selectOption("#method", "gradcam");
    await page.locator("#grid .cell").first().click();
    await page.waitForFunction(() => document.body.dataset.explained === "1", null, {
      timeout: 60_000,
    });
    const width = await page.locator("#overlay").evaluate((img) =>
      (img as HTMLImageElement).naturalWidth
    );
    assert.equal(width, 224);
    assert.match(await page.locator("#explained").textContent() ?? "", /gradcam for class/);

    const { colours } = distinctColours(await page.screenshot({ fullPage: true }));
    assert.ok(colours > 100, `only ${colours} distinct colours`);
    assert.deepEqual(errors, [], "no page errors");
    assert.deepEqual(external, [], "no requests leave the server");
  } finally {
    await browser.close();
  }
});
