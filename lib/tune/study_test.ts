import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import { getObjective } from "./objectives.ts";
import { claimTrial, enqueueTrial, finishTrial, requeueStaleTrials } from "./storage.ts";
import { createStudy, loadStudy, StudyConflictError } from "./study.ts";
import { TrialPruned } from "./trial.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quad = getObjective("quadratic");

forEachDb("tune: concurrent async workers never duplicate trial numbers", async (db) => {
  const study = await createStudy(db, {
    name: "conc",
    sampler: { type: "random" },
    space: quad.space,
  });
  const summary = await study.optimize(async (trial) => {
    await sleep(Math.random() * 5);
    return await quad.objective(trial);
  }, { nTrials: 30, workers: 4 });
  const trials = await study.trials();
  assert.deepEqual(trials.map((t) => t.number), Array.from({ length: 30 }, (_, i) => i));
  assert.ok(trials.every((t) => t.state === "complete" && t.attempts === 1));
  assert.equal(summary.finished.length, 30);
  assert.ok(new Set(trials.map((t) => t.workerId)).size > 1, "work was shared among workers");
  assert.equal(summary.best?.value, Math.min(...trials.map((t) => t.value!)));
});

forEachDb(
  "tune: grid study with concurrent workers hands out each point exactly once",
  async (db) => {
    const study = await createStudy(db, {
      name: "grid",
      sampler: { type: "grid", pointsPerFloat: 3 },
      space: {
        a: { type: "int", low: 1, high: 2 },
        b: { type: "categorical", choices: ["x", "y"] },
        c: { type: "float", low: 0, high: 1 },
      },
    });
    await study.optimize(async (trial) => {
      const p = trial.suggestSpace();
      await sleep(Math.random() * 5);
      return (p.a as number) + (p.c as number);
    }, { nTrials: 1000, workers: 5 });
    const trials = await study.trials();
    assert.equal(trials.length, 12, "the grid has 2·2·3 points and no more trials are made");
    const points = trials.map((t) => JSON.stringify([t.params.a, t.params.b, t.params.c]));
    assert.equal(new Set(points).size, 12, "no grid point twice");
    assert.deepEqual(
      new Set(trials.map((t) => t.gridIndex)),
      new Set(Array.from({ length: 12 }, (_, i) => i)),
    );
    assert.equal((await study.bestTrial())?.value, 1);
    // Resuming a finished grid creates nothing new.
    const again = await createStudy(
      db,
      study.record.space
        ? {
          name: "grid",
          sampler: study.record.sampler,
          space: study.record.space,
        }
        : { name: "x" },
    );
    assert.equal((await again.optimize(() => 0, { nTrials: 1000 })).finished.length, 0);
  },
);

forEachDb(
  "tune: a stale running trial is requeued and rerun; its old worker is fenced off",
  async (db) => {
    const study = await createStudy(db, {
      name: "stale",
      sampler: { type: "random" },
      space: quad.space,
    });
    const dead = await claimTrial(db, study.record.id, {
      workerId: "dead-host:1:x:0",
      maxTrials: 3,
    });
    assert.equal(dead?.number, 0);
    assert.deepEqual(await requeueStaleTrials(db, study.record.id, 10_000), [], "fresh heartbeat");
    await sleep(250);
    assert.deepEqual(await requeueStaleTrials(db, study.record.id, 200), [0], "heartbeat too old");
    const summary = await study.optimize(quad.objective, { nTrials: 3, staleAfterMs: 200 });
    const trials = await study.trials();
    assert.deepEqual(trials.map((t) => [t.number, t.state, t.attempts]), [
      [0, "complete", 2],
      [1, "complete", 1],
      [2, "complete", 1],
    ]);
    assert.ok(summary.finished.some((f) => f.number === 0 && f.attempts === 2));
    const late = await finishTrial(db, dead!.id, "dead-host:1:x:0", {
      state: "complete",
      value: -1e9,
      params: {},
      distributions: {},
      intermediate: [],
    });
    assert.equal(late, false, "the dead worker can no longer write the trial");
    assert.notEqual((await study.bestTrial())?.value, -1e9);
  },
);

forEachDb("tune: live heartbeats keep long trials from being requeued", async (db) => {
  const study = await createStudy(db, {
    name: "live",
    sampler: { type: "random" },
    space: quad.space,
  });
  await study.optimize(async (trial) => {
    await sleep(450);
    return await quad.objective(trial);
  }, { nTrials: 4, workers: 2, heartbeatMs: 40, staleAfterMs: 200 });
  const trials = await study.trials();
  assert.equal(trials.length, 4);
  assert.ok(
    trials.every((t) => t.state === "complete" && t.attempts === 1),
    JSON.stringify(trials),
  );
});

forEachDb(
  "tune: a trial left running by a dead process is requeued when the study resumes",
  async (db) => {
    const study = await createStudy(db, {
      name: "crash",
      sampler: { type: "tpe" },
      space: quad.space,
    });
    await study.optimize(quad.objective, { nTrials: 4 });
    await claimTrial(db, study.record.id, { workerId: "gone:999:dead:0", maxTrials: 5 });
    const resumed = await loadStudy(db, "crash");
    // On PGlite the foreign trial is requeued at once (PGlite is single-process); on Postgres
    // only once its heartbeat is older than staleAfterMs.
    const summary = await resumed.optimize(quad.objective, { nTrials: 6, staleAfterMs: 150 });
    const trials = await resumed.trials();
    assert.deepEqual(trials.map((t) => t.number), [0, 1, 2, 3, 4, 5]);
    assert.ok(trials.every((t) => t.state === "complete"));
    assert.equal(trials[4].attempts, 2);
    assert.equal(summary.finished.length, 2);
  },
);

forEachDb(
  "tune: a study resumes where it stopped and refuses a conflicting configuration",
  async (db) => {
    const opts = {
      name: "resume",
      sampler: { type: "tpe" as const, nStartupTrials: 4 },
      space: quad.space,
      seed: 3,
    };
    const first = await createStudy(db, opts);
    await first.optimize(quad.objective, { nTrials: 8 });
    const before = (await first.trials()).map((t) => t.params);
    const second = await createStudy(db, opts);
    const s = await second.optimize(quad.objective, { nTrials: 15 });
    assert.equal(s.finished.length, 7);
    const after = await second.trials();
    assert.deepEqual(after.map((t) => t.number), Array.from({ length: 15 }, (_, i) => i));
    assert.deepEqual(after.slice(0, 8).map((t) => t.params), before);
    await assert.rejects(
      createStudy(db, { ...opts, sampler: { type: "random" } }),
      (e: unknown) => e instanceof StudyConflictError && /sampler/.test(e.message),
    );
    await assert.rejects(loadStudy(db, "nope"), /no study named "nope"/);
    assert.equal((await loadStudy(db, "resume")).record.sampler.type, "tpe");
  },
);

forEachDb("tune: one-worker TPE studies are reproducible from the seed", async (db) => {
  const run = async (name: string, seed: number) => {
    const s = await createStudy(db, {
      name,
      sampler: { type: "tpe", nStartupTrials: 5 },
      space: getObjective("mixed").space,
      seed,
    });
    await s.optimize(getObjective("mixed").objective, { nTrials: 14 });
    return (await s.trials()).map((t) => t.params);
  };
  const a = await run("det-a", 5);
  assert.deepEqual(await run("det-b", 5), a);
  assert.notDeepEqual(await run("det-c", 6), a);
});

forEachDb("tune: pruned, failed and enqueued trials are recorded as such", async (db) => {
  const curve = getObjective("curve");
  const study = await createStudy(db, {
    name: "prune",
    sampler: { type: "random" },
    pruner: { type: "median", nStartupTrials: 2 },
    space: curve.space,
  });
  await enqueueTrial(db, study.record.id, { x: 0, y: 0 });
  await enqueueTrial(db, study.record.id, { x: 0.1, y: 0 });
  await study.optimize(async (trial) => {
    if (trial.number === 5) throw new Error("boom");
    if (trial.number === 6) return Number.NaN;
    return await curve.objective(trial);
  }, { nTrials: 20 });
  const trials = await study.trials();
  assert.deepEqual(trials[0].params, { x: 0, y: 0 }, "enqueued params are used");
  assert.equal(trials[0].value, 10 / 27, "final value of the enqueued optimum");
  assert.equal(trials[5].state, "failed");
  assert.match(trials[5].error ?? "", /boom/);
  assert.equal(trials[6].state, "failed");
  assert.match(trials[6].error ?? "", /finite number/);
  const pruned = trials.filter((t) => t.state === "pruned");
  assert.ok(
    pruned.length >= 5,
    `random points are mostly worse than the enqueued optimum (${pruned.length} pruned)`,
  );
  for (const t of pruned) {
    assert.ok(t.intermediate.length < 27);
    assert.equal(t.value, t.intermediate.at(-1)!.value);
  }
  assert.equal((await study.counts()).pruned, pruned.length);
  // TrialPruned thrown without reports ends the trial as pruned with no value.
  const p2 = await createStudy(db, { name: "prune2", sampler: { type: "random" } });
  await p2.optimize(() => {
    throw new TrialPruned();
  }, { nTrials: 1 });
  assert.deepEqual((await p2.trials()).map((t) => [t.state, t.value]), [["pruned", null]]);
});
