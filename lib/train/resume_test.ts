/**
 * Checkpoint resume that proves something: a 3-epoch run in a child process is killed (SIGKILL)
 * right after its epoch-1 checkpoint was written, then resumed here; its final weights and every
 * epoch's metrics must equal those of an uninterrupted run with the same seed — bit for bit on
 * one replica, within 1e-6 with two data-parallel replicas (the same arithmetic, summed in the
 * same order, but the workers restart from a serialized copy of the state).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { debianTrainSubset } from "../data/testing.ts";
import { initEngine } from "../engine/mod.ts";
import { buildModel } from "../models/mod.ts";
import { FsObjectStore } from "../storage/mod.ts";
import { type EpochMetrics, type TrainConfigInput, trainModel } from "./loop.ts";

const NORM = { scale: 1 / 255, mean: 0, std: 1 };
const IMAGES = 192;
/** Every source of randomness of the loop: shuffling, augmentation, dropout, a schedule, Adam. */
const CONFIG: TrainConfigInput = {
  epochs: 3,
  batchSize: 32,
  seed: 7,
  learningRate: 2e-3,
  schedule: { kind: "cosine" },
  augment: { shift: 2, hflip: 0.5 },
};
const MODEL = { arch: "m1" as const, seed: 5, dropout: 0.5 };

await initEngine({ backend: "wasm" });
const data = await debianTrainSubset(IMAGES);

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The child: trains with a checkpoint, reports epoch 0's end, then waits to be killed. */
function childScript(storeDir: string, replicas: number): string {
  const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  return `
import { initEngine } from ${mod("../engine/mod.ts")};
import { buildModel } from ${mod("../models/mod.ts")};
import { FsObjectStore } from ${mod("../storage/mod.ts")};
import { trainModel } from ${mod("./loop.ts")};
await initEngine({ backend: "wasm" });
// The parent's subset, passed as raw bytes (re-reading the dataset would only slow the test).
const data = {
  count: ${IMAGES},
  rows: 28,
  cols: 28,
  images: await Deno.readFile(${JSON.stringify(join(storeDir, "..", "images.bin"))}),
  labels: await Deno.readFile(${JSON.stringify(join(storeDir, "..", "labels.bin"))}),
};
await trainModel({
  model: buildModel(${JSON.stringify(MODEL)}),
  data,
  normalization: ${JSON.stringify(NORM)},
  config: ${JSON.stringify(CONFIG)},
  workers: ${replicas},
  checkpoint: { store: new FsObjectStore(${JSON.stringify(storeDir)}), id: "run" },
  onEpochEnd: async (epoch) => {
    if (epoch !== 0) throw new Error("the child must be killed before epoch " + epoch);
    console.log("checkpointed epoch 0");
    await new Promise((r) => setTimeout(r, 600_000));
  },
});
`;
}

/** Run the child until it has checkpointed epoch 0, then SIGKILL it mid-run. */
async function trainAndKill(dir: string, storeDir: string, replicas: number): Promise<void> {
  const script = join(dir, "child.ts");
  await Deno.writeFile(join(dir, "images.bin"), data.images.subarray(0, IMAGES * 28 * 28));
  await Deno.writeFile(join(dir, "labels.bin"), data.labels.subarray(0, IMAGES));
  await Deno.writeTextFile(script, childScript(storeDir, replicas));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(REPO, "deno.json"), script],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let seen = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    seen += dec.decode(chunk, { stream: true });
    if (seen.includes("checkpointed epoch 0")) {
      child.kill("SIGKILL");
      break;
    }
  }
  const status = await child.status;
  assert.ok(
    seen.includes("checkpointed epoch 0"),
    `the child ended before its first checkpoint: ${seen}\n${await stderr}`,
  );
  assert.equal(status.signal, "SIGKILL", "the child was killed, not finished");
  await stderr;
}

async function train(replicas: number, storeDir?: string) {
  const model = buildModel(MODEL);
  const res = await trainModel({
    model,
    data,
    normalization: NORM,
    config: CONFIG,
    workers: replicas,
    checkpoint: storeDir ? { store: new FsObjectStore(storeDir), id: "run" } : undefined,
  });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return { res, weights };
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].length, b[i].length);
    for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  }
  return m;
}

function assertHistoryClose(a: EpochMetrics[], b: EpochMetrics[], tol: number): void {
  assert.equal(a.length, b.length);
  for (let e = 0; e < a.length; e++) {
    assert.deepEqual(Object.keys(a[e]).sort(), Object.keys(b[e]).sort());
    for (const k of Object.keys(a[e])) {
      assert.ok(
        Math.abs(a[e][k] - b[e][k]) <= tol,
        `epoch ${e} ${k}: resumed ${a[e][k]} vs uninterrupted ${b[e][k]}`,
      );
    }
  }
}

for (const replicas of [1, 2]) {
  const tol = replicas === 1 ? 0 : 1e-6;
  test(
    `a run killed after epoch 1 of 3 resumes to the uninterrupted result (${replicas} replica${
      replicas > 1 ? "s" : ""
    }, tolerance ${tol})`,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "fmnist-resume-" });
      try {
        const storeDir = join(dir, "store");
        await trainAndKill(dir, storeDir, replicas);
        const resumed = await train(replicas, storeDir);
        assert.equal(resumed.res.resumedFrom, 0, "resumed after the checkpoint of epoch 1");
        assert.equal(resumed.res.epochs, 3);
        assert.equal(resumed.res.replicas, replicas);
        const whole = await train(replicas);
        assert.equal(whole.res.resumedFrom, null);
        assertHistoryClose(resumed.res.history, whole.res.history, tol);
        const diff = maxAbsDiff(resumed.weights, whole.weights);
        assert.ok(diff <= tol, `final weights differ by up to ${diff} (tolerance ${tol})`);
        // The comparison can fail: training moved the weights away from their initial values.
        const init = buildModel(MODEL);
        const moved = maxAbsDiff(
          init.getWeights().map((w) => w.dataSync() as Float32Array),
          whole.weights,
        );
        init.dispose();
        assert.ok(moved > 1e-3, `training did not change the weights (${moved})`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

test("tensors are not leaked by the resume test's helpers", () => {
  assert.ok(tf.memory().numTensors < 100, `${tf.memory().numTensors} live tensors`);
});
