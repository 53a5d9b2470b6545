/**
 * End to end on a small subset: ingest the real dataset into a temp state dir, build features,
 * train a candidate (tracked), register it, gate a second candidate, and check a rerun reuses
 * the recorded result.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSettings } from "../config/mod.ts";
import { ingest, loadDataset } from "../data/mod.ts";
import { featuresStep } from "../features/mod.ts";
import { openContext } from "../workspace/mod.ts";
import { getRun, listRuns, loadArtifact } from "../tracking/mod.ts";
import { readArtifactManifest } from "../models/mod.ts";
import { getAliases, getModelVersion, listEvents } from "../registry/mod.ts";
import { trainCandidate } from "./candidate.ts";
import { registerCandidate } from "./promote.ts";

test("candidate: train → evaluate → register → gate, and a rerun reuses results", async () => {
  const state = await Deno.makeTempDir({ prefix: "fmnist-cand-" });
  const manifests = await Deno.makeTempDir({ prefix: "fmnist-man-" });
  const ctx = await openContext(
    parseSettings({ FMNIST_STATE_DIR: state, FMNIST_BACKEND: "wasm" }),
    {
      manifestDir: manifests,
    },
  );
  try {
    const ing = await ingest(ctx);
    await featuresStep(ctx, await loadDataset(ctx, ing.version));
    const opts = {
      experiment: "cnn-test",
      model: { arch: "m1" as const, seed: 1 },
      train: { epochs: 1, batchSize: 64, seed: 1 },
      limit: 1200,
    };
    const a = await trainCandidate(ctx, opts);
    assert.equal(a.skipped, false);
    assert.ok(a.testAccuracy > 0.55 && a.testAccuracy < 1, `test accuracy ${a.testAccuracy}`);
    const run = await getRun(ctx, a.runId);
    assert.equal(run.status, "finished");
    assert.ok(run.metrics.val_accuracy.count >= 1);
    // The evaluation report: logged with the run, temperature in the artifact's signature.
    const report = JSON.parse(
      new TextDecoder().decode(await loadArtifact(ctx, a.runId, "evaluation.json")),
    );
    assert.equal(report.format, "fmnist-evaluation/v1");
    assert.equal(report.artifactSha256, a.artifactSha256);
    assert.equal(report.test.count, 10000);
    assert.equal(report.test.accuracy.estimate, a.testAccuracy);
    assert.ok(a.testAccuracyLow < a.testAccuracy && a.testAccuracy < a.testAccuracyHigh);
    assert.ok(report.slices.slices.some((s: { grouping: string }) => s.grouping === "ink_ratio"));
    assert.ok(report.mistakes.length > 0 && report.sanity.methods.length === 6);
    const manifest = await readArtifactManifest(ctx.store, a.artifactSha256);
    assert.equal(manifest.signature.temperature, a.temperature);
    assert.ok(a.testEceCalibrated <= a.testEce + 0.02, `ECE ${a.testEce} → ${a.testEceCalibrated}`);
    const html = new TextDecoder().decode(await loadArtifact(ctx, a.runId, "evaluation.html"));
    assert.match(html, /Reliability diagram/);
    assert.doesNotMatch(html, /<script src="http/);

    const reg = await registerCandidate(ctx, { name: "fmnist", candidate: a });
    assert.equal(reg.created, true);
    assert.equal(reg.champion, reg.version.version);
    assert.equal(reg.decision?.promoted, true);
    // Its ONNX export was checked on the whole test split and attached (content-addressed).
    assert.equal(reg.onnx.equivalence.images, 10_000);
    assert.ok(reg.onnx.equivalence.maxAbsDiff <= 1e-5);
    assert.equal(reg.onnx.equivalence.argmaxMismatches, 0);
    assert.equal(
      (await getModelVersion(ctx, "fmnist", reg.version.version)).onnxSha256,
      reg.onnx.sha256,
    );
    assert.ok(await ctx.store.stat(reg.onnx.key));

    const again = await trainCandidate(ctx, opts);
    assert.equal(again.skipped, true);
    assert.equal(again.artifactSha256, a.artifactSha256);
    const reg2 = await registerCandidate(ctx, { name: "fmnist", candidate: again });
    assert.equal(reg2.created, false);
    assert.equal(reg2.decision, null);
    assert.equal(reg2.onnx.sha256, reg.onnx.sha256);
    assert.equal((await listRuns(ctx, { experiment: "cnn-test" })).length, 1);

    // A much weaker challenger (40 images) must not replace the champion.
    const weak = await trainCandidate(ctx, {
      ...opts,
      limit: 40,
      train: { ...opts.train, batchSize: 20 },
    });
    const reg3 = await registerCandidate(ctx, { name: "fmnist", candidate: weak });
    assert.equal(reg3.decision?.promoted, false);
    assert.equal((await getAliases(ctx, "fmnist")).champion, reg.version.version);
    const events = await listEvents(ctx, "fmnist");
    assert.ok(events.some((e) => e.kind === "gate"));
  } finally {
    await ctx.close();
    await Deno.remove(state, { recursive: true });
    await Deno.remove(manifests, { recursive: true });
  }
});
