import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_FUNCTIONS } from "./functions.ts";
import { gridSampler } from "./grid.ts";
import { randomSampler } from "./random.ts";
import { createRng } from "./rng.ts";
import { samplerConfigSchema } from "./sampler.ts";
import { contains, parseSearchSpace, type SearchSpace } from "./space.ts";
import { runSamplerInMemory } from "./testing.ts";
import { defaultWeights, splitTrials, type TpeConfig, tpeSampler } from "./tpe.ts";
import type { FrozenTrial } from "./types.ts";

const tpeCfg = samplerConfigSchema.parse({ type: "tpe" }) as TpeConfig;
const quad = TEST_FUNCTIONS.quadratic;
const quadSpace = parseSearchSpace(quad.space);
const quadFn = (p: Record<string, unknown>) => quad.fn(p as Record<string, number>);
const bestOf = (h: FrozenTrial[]) => Math.min(...h.map((t) => t.value!));
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

const mixedSpace: SearchSpace = parseSearchSpace({
  lr: { type: "float", low: 1e-5, high: 1, log: true },
  units: { type: "int", low: 16, high: 256, step: 16 },
  depth: { type: "int", low: 1, high: 64, log: true },
  drop: { type: "float", low: 0, high: 0.5, step: 0.1 },
  act: { type: "categorical", choices: ["relu", "gelu", null, 3, true] },
});

test("rng streams are deterministic per seed and key, and differ across them", () => {
  const a = createRng(7, "x", 1);
  const b = createRng(7, "x", 1);
  const c = createRng(8, "x", 1);
  const d = createRng(7, "x", 2);
  const sa = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(sa, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.next()));
  assert.notDeepEqual(sa, Array.from({ length: 5 }, () => d.next()));
  const r = createRng(1);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  assert.ok(Math.abs(mean(xs)) < 0.03, `normal mean ${mean(xs)}`);
  assert.ok(Math.abs(mean(xs.map((x) => x * x)) - 1) < 0.04, "normal variance ≈ 1");
});

test("random and TPE samples are always legal values of int/log/step/categorical spaces", () => {
  for (const sampler of [randomSampler(), tpeSampler({ ...tpeCfg, nStartupTrials: 5 })]) {
    const h = runSamplerInMemory(
      sampler,
      mixedSpace,
      (p) => {
        const lr = p.lr as number;
        return (Math.log10(lr) + 3) ** 2 + Math.abs((p.units as number) - 128) / 64 +
          (p.act === "gelu" ? 0 : 1);
      },
      40,
      3,
    );
    for (const t of h) {
      for (const [name, dist] of Object.entries(mixedSpace)) {
        assert.ok(
          contains(dist, t.params[name]),
          `${name}=${t.params[name]} in ${sampler.config.type}`,
        );
      }
    }
    const depths = new Set(h.map((t) => t.params.depth));
    assert.ok(depths.size > 3, "log-int explores several values");
  }
});

test("TPE is deterministic given the seed and differs across seeds", () => {
  const run = (seed: number) =>
    runSamplerInMemory(tpeSampler(tpeCfg), mixedSpace, (p) => (p.lr as number) * 10, 25, seed)
      .map((t) => t.params);
  assert.deepEqual(run(11), run(11));
  assert.notDeepEqual(run(11), run(12));
});

test("TPE beats random search on a quadratic, averaged over 10 seeds", () => {
  // Measured (50 trials, seeds 0..39): random mean best 2.33, TPE 0.35 (ratio 6.7); the worst
  // group of 5 consecutive seeds still had ratio 3.2. We require ratio >= 2 over seeds 0..9.
  const rnd: number[] = [];
  const tpe: number[] = [];
  for (let seed = 0; seed < 10; seed++) {
    rnd.push(bestOf(runSamplerInMemory(randomSampler(), quadSpace, quadFn, 50, seed)));
    tpe.push(bestOf(runSamplerInMemory(tpeSampler(tpeCfg), quadSpace, quadFn, 50, seed)));
  }
  assert.ok(
    mean(rnd) >= 2 * mean(tpe),
    `TPE mean best ${mean(tpe).toFixed(3)} vs random ${mean(rnd).toFixed(3)}`,
  );
});

test("TPE finds the good category and the good region of a log parameter", () => {
  const space = parseSearchSpace({
    lr: { type: "float", low: 1e-6, high: 1, log: true },
    act: { type: "categorical", choices: ["a", "b", "c", "d"] },
  });
  const h = runSamplerInMemory(
    tpeSampler(tpeCfg),
    space,
    (p) => (Math.log10(p.lr as number) + 4) ** 2 + (p.act === "c" ? 0 : 5),
    60,
    5,
  );
  const late = h.slice(30);
  const shareC = late.filter((t) => t.params.act === "c").length / late.length;
  assert.ok(shareC > 0.6, `TPE chose the best category in ${(shareC * 100).toFixed(0)}% late`);
  assert.ok(bestOf(h) < 0.5, `best ${bestOf(h)}`);
});

test("TPE splits complete trials by value and ranks pruned ones after them by progress", () => {
  const mk = (number: number, state: FrozenTrial["state"], value: number | null, steps = 0) => ({
    number,
    state,
    params: {},
    distributions: {},
    value,
    intermediate: Array.from({ length: steps }, (_, s) => ({ step: s, value: 100 - s })),
  });
  const trials = [
    mk(0, "complete", 5),
    mk(1, "complete", 1),
    mk(2, "pruned", null, 3),
    mk(3, "complete", 3),
    mk(4, "pruned", null, 9),
  ];
  const split = splitTrials(trials, "minimize", { gamma: 0.5, gammaCap: 25 });
  assert.deepEqual(split.below.map((t) => t.number), [0, 1, 3], "best three, in trial order");
  assert.deepEqual(split.above.map((t) => t.number), [2, 4]);
  const max = splitTrials(trials, "maximize", { gamma: 0.2, gammaCap: 25 });
  assert.deepEqual(max.below.map((t) => t.number), [0]);
  assert.deepEqual(defaultWeights(3), [1, 1, 1]);
  const w = defaultWeights(30);
  assert.equal(w.length, 30);
  assert.ok(w[0] < w[3] && w[3] < 1 && w[4] === 1 && w[29] === 1, "ramp then flat");
});

test("grid enumerates every combination exactly once, in a seeded order", () => {
  const space = parseSearchSpace({
    a: { type: "int", low: 0, high: 4, step: 2 },
    b: { type: "categorical", choices: ["x", "y"] },
    c: { type: "float", low: 1, high: 100, log: true },
  });
  const g = gridSampler(space, { type: "grid", pointsPerFloat: 3, shuffle: true }, 1);
  assert.equal(g.size, 3 * 2 * 3);
  const pts = Array.from({ length: g.size }, (_, k) => g.point(k));
  const keys = new Set(pts.map((p) => JSON.stringify(p)));
  assert.equal(keys.size, g.size, "no duplicate points");
  assert.deepEqual(new Set(pts.map((p) => p.c)), new Set([1, 10, 100]));
  assert.deepEqual(new Set(pts.map((p) => p.a)), new Set([0, 2, 4]));
  const again = gridSampler(space, { type: "grid", pointsPerFloat: 3, shuffle: true }, 1);
  assert.deepEqual(Array.from({ length: g.size }, (_, k) => again.point(k)), pts);
  const other = gridSampler(space, { type: "grid", pointsPerFloat: 3, shuffle: true }, 2);
  assert.notDeepEqual(Array.from({ length: g.size }, (_, k) => other.point(k)), pts);
  assert.throws(() => g.point(g.size), RangeError);
  assert.throws(
    () =>
      gridSampler(space, { type: "grid", pointsPerFloat: 3, shuffle: false, grid: { a: [1] } }, 1),
    /outside its distribution/,
  );
  assert.throws(
    () => gridSampler(undefined, { type: "grid", pointsPerFloat: 3, shuffle: true }, 1),
    /declared search space/,
  );
});
