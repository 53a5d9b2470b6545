/**
 * `deno task validate:real` end to end on a tiny folder of photo-like JPEGs and transparent
 * PNG cut-outs made from Fashion-MNIST test images, with a seeded model: the report's figures
 * agree with its own predictions, labels come from a CSV or from file names, bad input exits 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSettings } from "../lib/config/mod.ts";
import { ingest, loadDataset } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { garmentCutoutPng, garmentPhotoJpeg } from "../lib/inference/photos_testing.ts";
import { registerSeededModel } from "../lib/inference/testing.ts";
import { createLogger } from "../lib/log/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import type { RealValidationReport } from "../lib/realset/mod.ts";
import { main } from "./validate_real.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

async function capture(f: () => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await f(), out: out.join("\n"), err: err.join("\n") };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test("validate:real: report on a tiny real set, CSV and file-name labels, bad input", async () => {
  await initEngine({ backend: "wasm" });
  const state = await Deno.makeTempDir({ prefix: "fmnist-real-" });
  const env = { FMNIST_STATE_DIR: state, FMNIST_SOURCE: SOURCE, LOG_LEVEL: "error" };
  const images = join(state, "images");
  await Deno.mkdir(images);
  const rows = ["file,label,package,source"];
  try {
    const ctx = await openContext(parseSettings(env), {
      manifestDir: join(state, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
    try {
      await ingest(ctx);
      await registerSeededModel(ctx, "fmnist", 3, "champion", 1.5);
      const ds = await loadDataset(ctx);
      for (let i = 0; i < 12; i++) {
        const img = ds.test.images.subarray(i * 784, (i + 1) * 784);
        const label = ds.test.labels[i];
        const photo = garmentPhotoJpeg(img, { width: 160, height: 120, seed: i });
        const cutout = garmentCutoutPng(img, { width: 96, height: 96 });
        await Deno.writeFile(join(images, `${label}_photo${i}.jpg`), photo);
        await Deno.writeFile(join(images, `${label}_cutout${i}.png`), cutout);
        const pkg = i % 2 ? "pkg-a" : "pkg-b";
        rows.push(`${label}_photo${i}.jpg,${label},${pkg},item${i}`);
        rows.push(`${label}_cutout${i}.png,${label},${pkg},item${i}`);
      }
    } finally {
      await ctx.close();
    }
    await Deno.writeTextFile(join(images, "notes.txt"), "not an image");
    const csv = join(state, "labels.csv");
    await Deno.writeTextFile(csv, rows.join("\n") + "\n");

    const out = join(state, "report");
    const r = await capture(() =>
      main([
        "--images",
        images,
        "--labels",
        csv,
        "--out",
        out,
        "--resamples",
        "50",
        "--failures",
        "3",
        "--reference",
        "2000",
        "--json",
      ], env)
    );
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out.trim().split("\n").at(-1)!);
    assert.equal(summary.count, 24);
    assert.equal(summary.groups, 12, "a photo and a cut-out of one image form one drawing");
    const report: RealValidationReport = JSON.parse(
      await Deno.readTextFile(join(out, "real.json")),
    );
    const hits = report.predictions.filter((p) => p.label === p.predicted).length;
    assert.equal(report.scores.accuracy.estimate, hits / 24);
    assert.ok(report.scores.accuracy.low <= hits / 24 && hits / 24 <= report.scores.accuracy.high);
    assert.equal(report.temperature, 1.5);
    const confusionTotal = report.scores.confusion.flat().reduce((a, b) => a + b, 0);
    assert.equal(confusionTotal, 24);
    assert.equal(report.failures.length, Math.min(3, 24 - hits));
    for (const f of report.failures) {
      assert.notEqual(f.label, f.predicted);
      assert.ok(f.inputPng.length > 100 && f.overlayPng.length > 100);
    }
    assert.ok(report.slices.slices.some((s) => s.grouping === "source" && s.slice === "pkg-a"));
    // Dev and holdout halves: whole drawings, together the set.
    assert.deepEqual(report.splits.map((h) => h.split), ["dev", "holdout"]);
    assert.equal(report.splits.reduce((n, h) => n + h.count, 0), 24);
    assert.equal(report.splits.reduce((n, h) => n + h.groups, 0), 12);
    for (const h of report.splits) {
      const mine = report.predictions.filter((p) => p.split === h.split);
      assert.equal(mine.length, h.count);
      assert.equal(mine.filter((p) => p.label === p.predicted).length, h.correct);
    }
    for (let i = 0; i < 12; i++) {
      const halves = new Set(
        report.predictions.filter((p) => new RegExp(`(photo|cutout)${i}\\.`).test(p.file))
          .map((p) => p.split),
      );
      assert.equal(halves.size, 1, `drawing ${i} straddles the halves`);
    }
    assert.equal(report.tta, null);
    assert.ok("verdict" in report.drift || "skipped" in report.drift);
    const html = await Deno.readTextFile(join(out, "real.html"));
    assert.match(html, /Confusion matrix/);
    assert.match(html, /data:image\/png;base64,/);

    // Labels from file names (no CSV): the same 24 images, each its own drawing.
    const byName = await capture(() =>
      main(["--images", images, "--no-drift", "--resamples", "20", "--json"], env)
    );
    assert.equal(byName.code, 0, byName.err);
    const s2 = JSON.parse(byName.out.trim().split("\n").at(-1)!);
    assert.equal(s2.count, 24);
    assert.equal(s2.groups, 24);
    assert.equal(s2.drift, "not tested (--no-drift)");

    // Test-time augmentation: 2 sizes × 5 shifts averaged; the report says so.
    const ttaOut = join(state, "tta");
    const tta = await capture(() =>
      main([
        "--images",
        images,
        "--labels",
        csv,
        "--out",
        ttaOut,
        "--no-drift",
        "--resamples",
        "20",
        "--tta-fits",
        "24,28",
        "--tta-shift",
        "1",
        "--json",
      ], env)
    );
    assert.equal(tta.code, 0, tta.err);
    const ttaReport: RealValidationReport = JSON.parse(
      await Deno.readTextFile(join(ttaOut, "real.json")),
    );
    assert.deepEqual(ttaReport.tta?.fits, [24, 28]);
    assert.equal(ttaReport.tta?.shifts.length, 5);
    assert.equal(ttaReport.count, 24);
    assert.equal(
      (await capture(() => main(["--images", images, "--tta-shift", "9"], env))).code,
      2,
    );

    // Bad input: a missing folder, a label that is no class, a CSV naming a missing file.
    const missing = await capture(() => main(["--images", join(state, "nope")], env));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read --images/);
    await Deno.writeTextFile(csv, "file,label\n0_photo0.jpg,hat\n");
    const badLabel = await capture(() => main(["--images", images, "--labels", csv], env));
    assert.equal(badLabel.code, 2);
    assert.match(badLabel.err, /line 2: need a file and a label/);
    await Deno.writeTextFile(csv, "file,label\nghost.png,Dress\n");
    const ghost = await capture(() => main(["--images", images, "--labels", csv], env));
    assert.equal(ghost.code, 2);
    assert.match(ghost.err, /ghost\.png/);
    const usage = await capture(() => main([], env));
    assert.equal(usage.code, 2);
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
