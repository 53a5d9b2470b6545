/**
 * The experiments UI (`GET /ui`) end to end in headless Chromium (Debian `chromium` via
 * `playwright-core`): runs logged through `lib/tracking` appear in the run table and its filters,
 * a run page draws its curves and refreshes them while the run is live, an artifact opens in place,
 * runs compare with a param diff, the registry shows versions and the audit log, and a tuning
 * study draws its history, importance and parallel coordinates — with no request leaving the app.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../../lib/report/browser_testing.ts";
import { type RunHandle, startRun } from "../../lib/tracking/mod.ts";
import { type Serving, startServing } from "../serving_testing.ts";

let s: Serving;
let live: RunHandle;
const ids: Record<string, string> = {};
const skip = chromiumSkipReason();

async function logged(
  name: string,
  experiment: string,
  params: Record<string, unknown>,
  curve: number[],
  extra: { tags?: Record<string, string>; parentId?: string; finish?: boolean } = {},
): Promise<RunHandle> {
  const run = await startRun(s.ctx, {
    experiment,
    name,
    params,
    tags: extra.tags,
    parentId: extra.parentId,
    heartbeatMs: 0,
    lineage: { seed: 7, datasetVersion: "ds-ui" },
  });
  for (const [step, v] of curve.entries()) {
    await run.logMetrics({ loss: v, accuracy: 1 - v / 2 }, step);
  }
  ids[name] = run.id;
  if (extra.finish ?? true) await run.finish();
  return run;
}

before(async () => {
  if (skip) return;
  s = await startServing();
  const a = await logged(
    "cnn-a",
    "cnn",
    { lr: 0.01, epochs: 3, recipe: "quick" },
    [0.9, 0.5, 0.3],
    {
      finish: false,
    },
  );
  await a.logArtifact(
    "report.html",
    new TextEncoder().encode("<!doctype html><h1 id=r>report of run a</h1>"),
    "text/html",
  );
  await a.finish();
  await logged("cnn-b", "cnn", { lr: 0.001, epochs: 3, recipe: "quick" }, [0.95, 0.7, 0.6]);
  live = await logged("cnn-live", "cnn", { lr: 0.1, epochs: 5, recipe: "default" }, [0.99], {
    finish: false,
  });
  const study = await logged("study demo", "tune", { direction: "minimize", study: "demo" }, [], {
    tags: { "tune.role": "study", "tune.study": "demo" },
    finish: false,
  });
  const trials: [number, string, number][] = [[0.1, "a", 3], [0.5, "b", 2], [0.9, "a", 1], [
    0.3,
    "b",
    2.5,
  ]];
  for (const [n, [x, kind, value]] of trials.entries()) {
    const t = await startRun(s.ctx, {
      experiment: "tune",
      name: `demo#${n}`,
      parentId: study.id,
      params: { x, kind },
      tags: { "tune.role": "trial", "tune.study": "demo", "tune.trial": String(n) },
      heartbeatMs: 0,
    });
    await t.logMetrics({ objective: value }, 0);
    await t.finish();
  }
  await study.finish();
});
after(async () => {
  await live?.finish().catch(() => {});
  await s?.close();
});

async function ready(page: Page, view: string): Promise<void> {
  await page.waitForFunction(
    (v) =>
      document.body.dataset.ready === "1" &&
      (document.body.dataset.view === v || document.body.dataset.view === "error"),
    view,
    { timeout: 60_000 },
  );
  const shown = await page.evaluate(() => document.body.dataset.view);
  if (shown === "error") assert.fail(`${view}: ${await page.locator("#error").textContent()}`);
}

async function drawn(page: Page, selector: string): Promise<number> {
  await page.waitForFunction(
    (sel) =>
      [...document.querySelectorAll(sel)].length > 0 &&
      [...document.querySelectorAll(sel)].every((el) => el.querySelector("svg.main-svg path")),
    selector,
    { timeout: 30_000 },
  );
  return await page.locator(selector).count();
}

test("experiments UI: runs, filters, live run page, artifacts, compare, registry, studies", {
  skip,
  timeout: 240_000,
}, async () => {
  const html = await (await fetch(`${s.url}/ui`)).text();
  assert.doesNotMatch(html, /https?:\/\//, "no external URLs");
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(s.url) || url.startsWith("data:")) return route.continue();
      problems.push(`external request: ${url}`);
      return route.abort();
    });

    // The run table: every run, then one experiment, then a filter on params.
    await page.goto(`${s.url}/ui`);
    await ready(page, "runs");
    assert.equal(await page.locator("tr.run-row").count(), 8);
    await page.locator('#experiments li[data-experiment="cnn"]').click();
    await page.waitForFunction(() => document.querySelectorAll("tr.run-row").length === 3);
    await page.fill(
      "#filter",
      "params.lr < 0.05 and metrics.loss <= 0.6 and params.recipe = quick",
    );
    await page.click('button[type="submit"]');
    await page.waitForFunction(() =>
      document.body.dataset.ready === "1" && document.querySelectorAll("tr.run-row").length === 2
    );
    await page.fill("#filter", "metrics.loss < 0.5");
    await page.click('button[type="submit"]');
    await page.waitForFunction(() =>
      document.body.dataset.ready === "1" && document.querySelectorAll("tr.run-row").length === 1
    );
    assert.equal(await page.locator("tr.run-row").getAttribute("data-id"), ids["cnn-a"]);
    await page.fill("#filter", "lr is big");
    await page.click('button[type="submit"]');
    await page.waitForSelector("#filter-error");

    // Compare two runs: overlaid curves and the param diff.
    await page.goto(`${s.url}/ui#/runs?experiment=cnn&filter=params.epochs+%3D+3`);
    await ready(page, "runs");
    assert.equal(await page.locator("tr.run-row").count(), 2);
    await page.locator("input.pick").nth(0).check();
    await page.locator("input.pick").nth(1).check();
    await page.click("#compare");
    await ready(page, "compare");
    assert.equal(await drawn(page, "#overlay .plot"), 2, "loss and accuracy overlaid");
    const traces = await page.locator("#overlay-0 .scatterlayer .trace").count();
    assert.equal(traces, 2, "one curve per run");
    const diff = await page.locator("tr.diff").allTextContents();
    assert.ok(diff.some((t) => t.startsWith("lr")), `param diff rows: ${diff}`);
    assert.ok(!diff.some((t) => t.startsWith("epochs")), "equal params are not highlighted");

    // A run page: curves, lineage, an artifact opened in place.
    await page.goto(`${s.url}/ui#/run/${ids["cnn-a"]}`);
    await ready(page, "run");
    assert.equal(await drawn(page, "#curves .plot"), 2);
    assert.match(await page.locator("main").textContent() ?? "", /ds-ui/);
    await page.locator("a.artifact").first().click();
    const frame = page.frameLocator("#artifact-frame");
    await frame.locator("#r").waitFor({ timeout: 30_000 });
    assert.equal(await frame.locator("#r").textContent(), "report of run a");

    // A live run: its curves refresh while it runs.
    await page.goto(`${s.url}/ui#/run/${ids["cnn-live"]}`);
    await ready(page, "run");
    await drawn(page, "#curves .plot");
    await live.logMetrics({ loss: 0.5, accuracy: 0.75 }, 1);
    await page.waitForFunction(
      () => {
        const el = document.getElementById("curve-1") as unknown as
          | { data?: { x: number[] }[] }
          | null;
        return (el?.data?.[0]?.x?.length ?? 0) === 2;
      },
      null,
      { timeout: 30_000 },
    );
    await live.finish();
    await page.waitForFunction(
      () => document.getElementById("run-status")?.textContent === "finished",
      null,
      {
        timeout: 30_000,
      },
    );

    // The registry: versions, aliases and the audit log.
    await page.goto(`${s.url}/ui#/registry`);
    await ready(page, "registry");
    assert.equal(await page.locator("tr.version-row").count(), 2);
    assert.ok(await page.locator("tr.event-row").count() >= 4, "registrations and alias moves");
    assert.ok(await page.locator("tr.event-alias_set").count() >= 2);
    const card = await page.locator('a:text("model card")').first().getAttribute("href");
    assert.equal(card, "/v1/models/fmnist/versions/1/card");

    // A tuning study: history, importance, parallel coordinates, trials.
    await page.goto(`${s.url}/ui#/studies`);
    await ready(page, "studies");
    assert.equal(await page.locator("tr.trial-row").count(), 4);
    await drawn(page, "#history");
    await drawn(page, "#importance");
    await page.waitForSelector("#parcoords .parcoords", { timeout: 30_000 });
    const best = await page.evaluate(() => {
      const el = document.getElementById("history") as unknown as { data: { y: number[] }[] };
      return el.data[1].y;
    });
    assert.deepEqual(best, [3, 2, 1, 1], "best so far of a minimised objective");

    assert.deepEqual(problems, [], "no errors and no request leaves the app");
  } finally {
    await browser.close();
  }
});
