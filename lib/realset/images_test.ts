/** Labels of real images (CSV values, file names) and the cluster bootstrap over drawings. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { clusterAccuracy, labelFromFileName, parseLabel, softmaxRows } from "./mod.ts";

test("parseLabel: class ids and class names, case and punctuation ignored", () => {
  assert.equal(parseLabel("3"), 3);
  assert.equal(parseLabel("T-shirt/top"), 0);
  assert.equal(parseLabel("t shirt top"), 0);
  assert.equal(parseLabel(" Ankle boot "), 9);
  assert.equal(parseLabel("ankle-boot"), 9);
  assert.equal(parseLabel("Shirt"), 6);
  assert.equal(parseLabel("hat"), null);
  assert.equal(parseLabel("10"), null);
});

test("labelFromFileName: a leading class id or class name", () => {
  assert.equal(labelFromFileName("3_photo.jpg"), 3);
  assert.equal(labelFromFileName("dir/7-x.png"), 7);
  assert.equal(labelFromFileName("dress-01.jpg"), 3);
  assert.equal(labelFromFileName("t-shirt_2.png"), 0, "not Shirt");
  assert.equal(labelFromFileName("shirt_2.png"), 6);
  assert.equal(labelFromFileName("ankle-boot_2.png"), 9);
  assert.equal(labelFromFileName("boot.png"), 9);
  assert.equal(labelFromFileName("IMG_0001.jpg"), null);
  assert.equal(labelFromFileName("dresser.png"), null, "a class name must end at a separator");
});

test("clusterAccuracy: the estimate is the image accuracy, the interval widens with clustering", () => {
  // 30 drawings × 3 renderings, each drawing all right or all wrong (perfectly clustered).
  const correct: number[] = [], groups: string[] = [], singles: string[] = [];
  for (let d = 0; d < 30; d++) {
    for (let r = 0; r < 3; r++) {
      correct.push(d % 3 === 0 ? 0 : 1);
      groups.push(`d${d}`);
      singles.push(`d${d}-${r}`);
    }
  }
  const clustered = clusterAccuracy(correct, groups, { resamples: 2000, seed: 1 });
  const iid = clusterAccuracy(correct, singles, { resamples: 2000, seed: 1 });
  assert.equal(clustered.groups, 30);
  assert.equal(iid.groups, 90);
  assert.ok(Math.abs(clustered.interval.estimate - 2 / 3) < 1e-12);
  const width = (i: { low: number; high: number }) => i.high - i.low;
  assert.ok(
    width(clustered.interval) > 1.4 * width(iid.interval),
    `${width(clustered.interval)} vs ${width(iid.interval)}`,
  );
});

test("softmaxRows: rows sum to one; a temperature flattens them", () => {
  const p = softmaxRows(Float32Array.from([2, 0, 0, 1000, 0, 0]), 3);
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-6);
  assert.ok(Math.abs(p[3] - 1) < 1e-6, "large logits do not overflow");
  const t = softmaxRows(Float32Array.from([2, 0, 0]), 3, 2);
  assert.ok(t[0] < p[0] && Math.abs(t[0] - Math.exp(1) / (Math.exp(1) + 2)) < 1e-6);
});
