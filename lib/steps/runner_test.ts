import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { atomicWriteFile } from "../config/mod.ts";
import { forEachDb } from "../db/testing.ts";
import type { Db } from "../db/mod.ts";
import { createLogger } from "../log/mod.ts";
import { listStepRuns, runStep, type StepCtx, stepInputHash } from "./mod.ts";
import { withStepCtx } from "./testing.ts";

function withCtx(db: Db, fn: (ctx: StepCtx, dir: string) => Promise<void>): Promise<void> {
  const log = createLogger({}, { level: "debug", sink: () => {} });
  return withStepCtx(db, fn, { log, prefix: "fmnist-steps-" });
}

forEachDb("runStep skips unchanged inputs and reruns on changed inputs", async (db) => {
  await withCtx(db, async (ctx, dir) => {
    let runs = 0;
    const step = (n: number) => ({
      name: "test.square",
      inputs: { n, opts: { a: 1, b: [1, 2] } },
      run: async () => {
        runs++;
        const key = `out/square-${n}`;
        await ctx.store.put(key, Uint8Array.of(n * n));
        const file = join(dir, `square-${n}.txt`);
        await atomicWriteFile(file, String(n * n));
        return { result: { square: n * n }, objects: [key], files: [file] };
      },
    });
    const first = await runStep(ctx, step(3));
    assert.equal(first.skipped, false);
    assert.deepEqual(first.result, { square: 9 });
    const second = await runStep(ctx, step(3));
    assert.equal(second.skipped, true);
    assert.equal(second.reason, "unchanged inputs");
    assert.deepEqual(second.result, { square: 9 });
    assert.equal(second.runId, first.runId);
    assert.equal(runs, 1);
    const other = await runStep(ctx, step(4));
    assert.equal(other.skipped, false);
    assert.equal(runs, 2);
    const recs = await listStepRuns(db, "test.square");
    assert.equal(recs.length, 2);
    assert.ok(recs.every((r) => r.status === "completed"));
    assert.equal(recs[0].inputHash, stepInputHash("test.square", step(4).inputs));
  });
});

forEachDb("runStep reruns when a recorded output is gone", async (db) => {
  await withCtx(db, async (ctx, dir) => {
    let runs = 0;
    const file = join(dir, "out.txt");
    const spec = {
      name: "test.file",
      inputs: { v: 1 },
      run: async () => {
        runs++;
        await ctx.store.put("out/x", Uint8Array.of(1));
        await atomicWriteFile(file, "x");
        return { result: runs, objects: ["out/x"], files: [file] };
      },
    };
    await runStep(ctx, spec);
    await Deno.remove(file);
    const again = await runStep(ctx, spec);
    assert.equal(again.skipped, false);
    assert.match(again.reason, /outputs missing: file .*out\.txt/);
    await ctx.store.delete("out/x");
    const third = await runStep(ctx, spec);
    assert.match(third.reason, /outputs missing: object out\/x/);
    assert.equal(third.result, 3);
    assert.equal((await runStep(ctx, spec)).skipped, true);
  });
});

forEachDb("a step that crashes records nothing reusable; the rerun completes", async (db) => {
  await withCtx(db, async (ctx) => {
    let attempt = 0;
    const spec = {
      name: "test.flaky",
      inputs: { v: 1 },
      run: async () => {
        attempt++;
        if (attempt === 1) throw new Error("disk on fire");
        await ctx.store.put("out/flaky", Uint8Array.of(7));
        return { result: "ok", objects: ["out/flaky"] };
      },
    };
    await assert.rejects(runStep(ctx, spec), /disk on fire/);
    const failed = await listStepRuns(db, "test.flaky");
    assert.equal(failed.length, 1);
    assert.equal(failed[0].status, "failed");
    assert.equal(failed[0].error, "disk on fire");
    const rerun = await runStep(ctx, spec);
    assert.equal(rerun.skipped, false);
    assert.equal(rerun.reason, "no previous run with these inputs");
    assert.equal((await runStep(ctx, spec)).skipped, true);
  });
});

test("input hashes ignore key order but not values", () => {
  assert.equal(stepInputHash("s", { a: 1, b: 2 }), stepInputHash("s", { b: 2, a: 1 }));
  assert.notEqual(stepInputHash("s", { a: 1 }), stepInputHash("s", { a: 2 }));
  assert.notEqual(stepInputHash("s", { a: 1 }), stepInputHash("t", { a: 1 }));
  assert.throws(() => stepInputHash("s", { a: Number.NaN }), /non-finite/);
});
