/** A/B: sticky weighted assignment, configs in the database, the cached resolver, the summary. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Queryable } from "../db/mod.ts";
import { forEachDb } from "../db/testing.ts";
import { createLogger } from "../log/mod.ts";
import { insertStatement } from "../predlog/mod.ts";
import { assignArm, hashUnit } from "./assign.ts";
import {
  abConfigInputSchema,
  deleteAbExperiment,
  getAbExperiment,
  putAbExperiment,
} from "./config.ts";
import { AbResolver } from "./resolver.ts";
import { abSummary } from "./summary.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });
const ARMS = [
  { name: "a", version: 1, weight: 3 },
  { name: "b", alias: "challenger", weight: 1 },
];

test("assignArm: same key → same arm; shares follow the weights; no key → random", () => {
  for (let i = 0; i < 100; i++) {
    const k = `client-${i}`;
    assert.equal(assignArm(ARMS, "s", k).name, assignArm(ARMS, "s", k).name);
  }
  const counts = { a: 0, b: 0 } as Record<string, number>;
  for (let i = 0; i < 20_000; i++) counts[assignArm(ARMS, "salt", `k${i}`).name]++;
  const share = counts.a / 20_000;
  assert.ok(Math.abs(share - 0.75) < 0.02, `arm a share ${share}`);
  // A different salt reshuffles keys.
  let moved = 0;
  for (let i = 0; i < 1000; i++) {
    if (assignArm(ARMS, "s1", `k${i}`).name !== assignArm(ARMS, "s2", `k${i}`).name) moved++;
  }
  assert.ok(moved > 200, `moved ${moved}`);
  assert.equal(assignArm(ARMS, "s", undefined, () => 0.74).name, "a");
  assert.equal(assignArm(ARMS, "s", undefined, () => 0.76).name, "b");
  assert.equal(
    assignArm([{ name: "z", version: 1, weight: 0 }, ...ARMS], "s", undefined, () => 0).name,
    "a",
  );
  const u = hashUnit("s", "k");
  assert.ok(u >= 0 && u < 1);
});

test("abConfigInputSchema: strict, one of version/alias, unique names, some weight", () => {
  assert.ok(abConfigInputSchema.safeParse({ arms: ARMS }).success);
  const bad = [
    { arms: [ARMS[0]] },
    { arms: [ARMS[0], { ...ARMS[0] }] },
    { arms: [{ name: "a", weight: 1 }, ARMS[1]] },
    { arms: [{ name: "a", version: 1, alias: "x", weight: 1 }, ARMS[1]] },
    { arms: [{ ...ARMS[0], weight: 0 }, { ...ARMS[1], weight: 0 }] },
    { arms: ARMS, extra: true },
    { arms: [{ ...ARMS[0], weight: Number.NaN }, ARMS[1]] },
  ];
  for (const b of bad) {
    assert.equal(abConfigInputSchema.safeParse(b).success, false, JSON.stringify(b));
  }
});

forEachDb(
  "ab: config round trip; resolver caches with a TTL and survives DB failures",
  async (db) => {
    assert.equal(await getAbExperiment(db, "fmnist"), null);
    const put = await putAbExperiment(
      db,
      "fmnist",
      abConfigInputSchema.parse({ arms: ARMS, salt: "x" }),
      "tester",
    );
    assert.deepEqual(put.arms, ARMS);
    assert.equal(put.updatedBy, "tester");
    assert.deepEqual((await getAbExperiment(db, "fmnist"))?.arms, ARMS);

    let down = false;
    const flaky: Queryable = {
      query: (sql, params) => down ? Promise.reject(new Error("db down")) : db.query(sql, params),
      exec: (sql) => db.exec(sql),
    };
    const r = new AbResolver({ db: flaky, log: silent, ttlSeconds: 0.05 });
    const first = await r.resolve({ model: "fmnist", requestId: "1", clientKey: "alice" });
    assert.ok(first?.arm === "a" || first?.arm === "b");
    assert.deepEqual(
      first.ref,
      first.arm === "a" ? { kind: "version", version: 1 } : { kind: "alias", alias: "challenger" },
    );
    for (let i = 0; i < 20; i++) {
      assert.equal(
        (await r.resolve({ model: "fmnist", requestId: "x", clientKey: "alice" }))?.arm,
        first.arm,
      );
    }
    assert.equal(await r.resolve({ model: "other", requestId: "1" }), null);
    // DB down: the cached config keeps serving after the TTL.
    down = true;
    await new Promise((res) => setTimeout(res, 80));
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (await r.resolve({ model: "fmnist", requestId: "x", clientKey: "alice" }))?.arm,
        first.arm,
      );
      await new Promise((res) => setTimeout(res, 20));
    }
    down = false;
    // Disabled → champion (after the TTL or an explicit invalidate).
    await putAbExperiment(
      db,
      "fmnist",
      abConfigInputSchema.parse({ arms: ARMS, enabled: false }),
      "t",
    );
    r.invalidate("fmnist");
    assert.equal(await r.resolve({ model: "fmnist", requestId: "1", clientKey: "alice" }), null);
    assert.equal(await deleteAbExperiment(db, "fmnist"), true);
    assert.equal(await deleteAbExperiment(db, "fmnist"), false);
  },
);

forEachDb(
  "ab: summary counts predictions, feedback and accuracy per arm with a z-test",
  async (db) => {
    const at = new Date().toISOString();
    const records = [];
    // arm a (v1): 40 predictions of class 0, feedback on 30, 27 right. arm b (v2): 40, 30, 15.
    for (const [arm, version, right] of [["a", 1, 27], ["b", 2, 15]] as const) {
      for (let i = 0; i < 40; i++) {
        records.push({
          requestId: `${arm}-${i}`,
          index: 0,
          model: "fmnist",
          version,
          inputHash: "h",
          classId: 0,
          label: "T-shirt/top",
          confidence: 0.9,
          latencyMs: 1,
          cached: false,
          arm,
          at,
        });
      }
      for (let i = 0; i < 30; i++) {
        await db.query(
          `INSERT INTO prediction_feedback (request_id, idx, true_class_id, true_label) VALUES ($1, 0, $2, $3)`,
          i < right
            ? [`${arm}-${i}`, i % 2 === 0 ? 0 : null, i % 2 === 0 ? null : "T-shirt/top"]
            : [`${arm}-${i}`, 5, null],
        );
      }
    }
    const { sql, params } = insertStatement(records);
    await db.query(sql, params);
    const s = await abSummary(db, "fmnist", { armOrder: ["a", "b"] });
    assert.equal(s.control, "a");
    assert.deepEqual(s.arms.map((a) => [a.arm, a.versions, a.predictions, a.feedback, a.correct]), [
      ["a", [1], 40, 30, 27],
      ["b", [2], 40, 30, 15],
    ]);
    assert.equal(s.arms[0].accuracy, 0.9);
    assert.equal(s.tests.length, 1);
    const t = s.tests[0].test!;
    assert.equal(s.tests[0].arm, "b");
    assert.ok(Math.abs(t.diff - (0.5 - 0.9)) < 1e-12);
    assert.ok(t.pValue < 0.01, `p ${t.pValue}`);
  },
);
