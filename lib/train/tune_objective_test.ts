/**
 * The `cnn` objective end to end on a tiny subset of the real dataset in a temp workspace
 * (PGlite): four trials with a median pruner — a good configuration first, then a starved one
 * that the pruner must stop after its first epoch, then two sampled ones.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSettings } from "../config/mod.ts";
import { ingest, loadDataset } from "../data/mod.ts";
import { featuresStep } from "../features/mod.ts";
import { createLogger } from "../log/mod.ts";
import { openContext } from "../workspace/mod.ts";
import {
  CNN_OBJECTIVE,
  CNN_SPACE,
  configureCnnObjective,
  parseCnnObjectiveOptions,
} from "./tune_objective.ts";
import { createStudy, enqueueTrial, getObjective } from "../tune/mod.ts";

test("cnn objective: options are validated with a clear message", () => {
  assert.equal(parseCnnObjectiveOptions({}).limit, 6000);
  assert.throws(() => parseCnnObjectiveOptions({ limit: 5 }), /limit/);
  assert.throws(() => parseCnnObjectiveOptions({ epochs: 0 }), /epochs/);
  assert.throws(() => parseCnnObjectiveOptions({ lr: 1 }), /lr|unrecognized/i);
});

test("cnn objective: trials train through trainModel, report per epoch, prune, record best", async () => {
  const state = await Deno.makeTempDir({ prefix: "fmnist-cnn-tune-" });
  const ctx = await openContext(
    parseSettings({ FMNIST_STATE_DIR: state, FMNIST_BACKEND: "wasm" }),
    { manifestDir: `${state}/manifests`, log: createLogger({}, { level: "warn" }) },
  );
  try {
    const def = getObjective(CNN_OBJECTIVE);
    assert.equal(def.direction, "maximize");
    assert.deepEqual(Object.keys(def.space ?? {}).sort(), Object.keys(CNN_SPACE).sort());

    await featuresStep(ctx, await loadDataset(ctx, (await ingest(ctx)).version));
    configureCnnObjective(ctx, { limit: 400, valLimit: 200, epochs: 2, arch: "m1", seed: 3 });
    const study = await createStudy(ctx.db, {
      name: "cnn-test",
      direction: def.direction,
      objective: def.name,
      space: def.space,
      sampler: { type: "random" },
      pruner: { type: "median", nStartupTrials: 1, nWarmupSteps: 0 },
      seed: 11,
    });
    // A configuration that learns, then one that cannot (3 steps per epoch at the lowest rate).
    await enqueueTrial(ctx.db, study.record.id, {
      learningRate: 5e-3,
      dropout: 0.1,
      dense: 128,
      batchSize: 32,
      labelSmoothing: 0,
      shift: 0,
    });
    await enqueueTrial(ctx.db, study.record.id, {
      learningRate: 3e-4,
      dropout: 0.6,
      dense: 64,
      batchSize: 128,
      labelSmoothing: 0.2,
      shift: 2,
    });
    const summary = await study.optimize(def.objective, { nTrials: 4, throwOnError: true });

    const trials = await study.trials();
    assert.equal(trials.length, 4);
    assert.ok(trials.every((t) => t.state === "complete" || t.state === "pruned"));
    const [good, starved] = trials;
    assert.equal(good.state, "complete");
    assert.deepEqual(good.intermediate.map((iv) => iv.step), [0, 1]);
    assert.ok(good.value! > 0.5 && good.value! <= 1, `good trial accuracy ${good.value}`);
    assert.equal(good.value, Math.max(...good.intermediate.map((iv) => iv.value)));
    assert.equal(starved.state, "pruned");
    assert.deepEqual(starved.intermediate.map((iv) => iv.step), [0], "stopped after epoch 1");
    assert.ok(starved.intermediate[0].value < good.intermediate[0].value);

    const best = summary.best!;
    assert.ok(best, "a best trial is recorded");
    const complete = trials.filter((t) => t.state === "complete");
    assert.equal(best.value, Math.max(...complete.map((t) => t.value!)));
    assert.deepEqual(Object.keys(best.params).sort(), Object.keys(CNN_SPACE).sort());
    for (const t of trials) {
      assert.ok(
        (t.params.learningRate as number) >= 3e-4 && (t.params.learningRate as number) <= 1e-2,
      );
      assert.ok([32, 64, 128].includes(t.params.batchSize as number));
    }
  } finally {
    await ctx.close();
    await Deno.remove(state, { recursive: true });
  }
});
