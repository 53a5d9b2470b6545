/**
 * The documentation site checked as a reader would: `deno task docs` builds it at small settings
 * (one notebook executed for the book, one registered version for a model card) and headless
 * Chromium (Debian `chromium` via `playwright-core`) opens every page with the network blocked
 * except the local server: no console errors, no failed requests, every plotly figure drawn,
 * every diagram rendered, the site search finds "drift", screenshots are not blank; a link
 * checker walks the built site.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { parseSettings } from "../lib/config/mod.ts";
import { checkLinks, listFiles, serveSite } from "../lib/docs/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import {
  chromiumSkipReason,
  distinctColours,
  launchChromium,
} from "../lib/report/browser_testing.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { main } from "./docs.ts";

const skip = chromiumSkipReason(
  [
    "/usr/bin/mkdocs",
    "/usr/bin/dot",
    "/usr/bin/sphinx-build",
    "/usr/bin/pandoc",
    "/usr/share/datasets/fashion-mnist",
  ],
  "chromium mkdocs mkdocs-material graphviz python3-sphinx python3-sphinx-book-theme " +
    "python3-myst-parser python3-nbsphinx pandoc dataset-fashion-mnist",
);

/** Plotly figures in a built page's HTML as written on disk. */
async function figuresOnDisk(site: string, path: string): Promise<number> {
  const html = await Deno.readTextFile(join(site, path));
  return html.match(/class="fmnist-plot"/g)?.length ?? 0;
}

/**
 * Every figure of the page on disk is in the browser's DOM and drew; `problems` (console errors,
 * failed requests) are part of the message, since they are the likely cause. Returns the count.
 */
async function assertFiguresDrawn(
  page: Page,
  path: string,
  expected: number,
  problems: readonly string[],
): Promise<number> {
  const plots = await page.locator(".fmnist-plot").count();
  assert.equal(
    plots,
    expected,
    `${path}: ${plots} of the ${expected} plotly figure(s) of the built page are in the DOM; ` +
      `problems so far: ${JSON.stringify(problems)}`,
  );
  if (plots === 0) return 0;
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".fmnist-plot")].every((el) =>
        el.querySelector("svg.main-svg path") !== null
      ),
    null,
    { timeout: 30_000 },
  ).catch(() =>
    assert.fail(
      `${path}: not every plotly figure drew (SVG paths missing); problems so far: ${
        JSON.stringify(problems)
      }`,
    )
  );
  return plots;
}

/** Plotly outputs of an executed notebook (what its book page must show). */
async function plotlyOutputs(notebook: string): Promise<number> {
  const nb = JSON.parse(await Deno.readTextFile(notebook)) as {
    cells: { outputs?: { data?: Record<string, unknown> }[] }[];
  };
  return nb.cells.flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data?.["application/vnd.plotly.v1+json"] !== undefined).length;
}

test("deno task docs builds the site at small settings; every page reads cleanly offline", {
  skip,
  timeout: 900_000,
}, async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-docs-test-" });
  const out = join(stateDir, "site");
  const env = { ...Deno.env.toObject(), FMNIST_STATE_DIR: stateDir, LOG_LEVEL: "warn" };
  try {
    // One registered version, so the site has a model card.
    await initEngine({ backend: "wasm" });
    const ctx = await openContext(parseSettings(env), { manifestDir: join(stateDir, "manifests") });
    try {
      await registerSeededModel(ctx, "fmnist", 1, "champion");
    } finally {
      await ctx.close();
    }
    // The book from the smallest setting: one notebook, small settings.
    const code = await main(["--small", "--only", "01_data_exploration", "--out", out], env);
    assert.equal(code, 0, "deno task docs exits 0 (no failed notebook, no broken link)");

    const links = await checkLinks(out);
    assert.deepEqual(links.broken, [], "internal links resolve");
    assert.deepEqual(links.externalResources, [], "no page loads anything from outside the site");
    assert.ok(links.links > 100, `${links.links} links checked`);

    const pages = await listFiles(out, ".html");
    for (
      const p of [
        "index.html",
        "getting-started.html",
        "concepts.html",
        "diagrams.html",
        "stages/drift.html",
        "reference/configuration.html",
        "reference/cli.html",
        "api/index.html",
        "api/swagger.html",
        "ops/runbooks.html",
        "models/index.html",
        "models/fmnist-v1.html",
        "book/index.html",
        "book/01_data_exploration.html",
      ]
    ) assert.ok(pages.includes(p), `${p} built`);
    const cli = await Deno.readTextFile(join(out, "reference/cli.html"));
    assert.match(cli, /deno task pipeline:data/);
    assert.match(cli, /--source DIR\|URL/);
    const config = await Deno.readTextFile(join(out, "reference/configuration.html"));
    assert.match(config, /FMNIST_STATE_DIR/);
    const runbooks = await Deno.readTextFile(join(out, "ops/runbooks.html"));
    assert.match(runbooks, /id="fmnistdriftdetected"/, "runbook_url anchors exist");

    const server = await serveSite(out);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      let current = "";
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`${current}: console error ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`${current}: page error ${e.message}`));
      page.on("requestfailed", (r) => {
        // Chromium fetches a page's favicon on its own, after `load` and outside `networkidle`;
        // opening the next page aborts it when it is still in flight. That is not a page problem
        // (a missing favicon still shows up below as a 404); every other failure is.
        const favicon = /\/favicon\.[a-z]+$/.test(new URL(r.url()).pathname);
        if (favicon && r.failure()?.errorText === "net::ERR_ABORTED") return;
        problems.push(`${current}: request failed ${r.url()} (${r.failure()?.errorText})`);
      });
      page.on("response", (r) => {
        if (r.status() >= 400) problems.push(`${current}: ${r.status()} ${r.url()}`);
      });
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(server.url) || url.startsWith("data:")) return route.continue();
        problems.push(`${current}: blocked external request ${url}`);
        return route.abort();
      });

      let figures = 0, diagrams = 0;
      for (const p of pages) {
        current = p;
        // `load`: the document is parsed and its scripts have run. Playwright's `networkidle` is
        // not that: it is 500 ms without a request in flight, which a page spends parsing
        // plotly.js and drawing its figures on a loaded machine, so it can fire before `load`
        // (seen: 0 of 5 figures in the DOM). Then networkidle: nothing of this page is still
        // loading when the next one is opened.
        const res = await page.goto(`${server.url}/${p}`, { waitUntil: "load" });
        await page.waitForLoadState("networkidle");
        assert.equal(res?.status(), 200, `${p}: answered ${res?.status()}; ${problems}`);
        figures += await assertFiguresDrawn(page, p, await figuresOnDisk(out, p), problems);
        const svgs = await page.locator('img[src$=".svg"]').evaluateAll((imgs) =>
          imgs.map((i) => [(i as HTMLImageElement).src, (i as HTMLImageElement).naturalWidth])
        );
        for (const [src, width] of svgs) assert.ok(Number(width) > 0, `${p}: ${src} rendered`);
        diagrams += svgs.length;
        if (p === "api/swagger.html") {
          await page.waitForSelector(".opblock-summary-path", { timeout: 30_000 });
          assert.ok(await page.locator(".opblock").count() > 10, "Swagger UI lists the routes");
        }
      }
      const notebookFigures = await plotlyOutputs(
        join(stateDir, "notebooks", "01_data_exploration.ipynb"),
      );
      assert.ok(notebookFigures >= 5, `${notebookFigures} plotly outputs in the executed notebook`);
      assert.equal(
        await figuresOnDisk(out, "book/01_data_exploration.html"),
        notebookFigures,
        "the book page shows every figure of the executed notebook",
      );
      assert.ok(figures >= notebookFigures, `${figures} plotly figure(s) drawn in the site`);
      assert.ok(diagrams >= 4, `${diagrams} diagrams rendered`);

      current = "search";
      await page.goto(`${server.url}/index.html`, { waitUntil: "load" });
      await page.locator("label.md-search__icon, .md-search__input").first().click();
      // Typed key by key (the theme searches on key events); the index is built in a web
      // worker, so a query typed before it is ready is typed again.
      let found = false;
      for (let i = 0; i < 18 && !found; i++) {
        await page.locator(".md-search__input").fill("");
        await page.locator(".md-search__input").pressSequentially("drift", { delay: 20 });
        found = await page.waitForSelector(".md-search-result__item", { timeout: 5_000 })
          .then(() => true, () => false);
      }
      assert.ok(found, "the site search answers");
      const hits = await page.locator(".md-search-result__link").evaluateAll((as) =>
        as.map((a) => (a as HTMLAnchorElement).getAttribute("href") ?? "")
      );
      assert.ok(hits.some((h) => h.includes("stages/drift.html")), `search hits: ${hits}`);

      for (const p of ["index.html", "book/01_data_exploration.html", "models/fmnist-v1.html"]) {
        current = p;
        await page.goto(`${server.url}/${p}`, { waitUntil: "load" });
        await assertFiguresDrawn(page, p, await figuresOnDisk(out, p), problems);
        const { colours } = distinctColours(await page.screenshot());
        assert.ok(colours > 50, `${p}: screenshot has only ${colours} distinct colours`);
      }
      assert.deepEqual(problems, [], "no console errors, failed or external requests");
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});
