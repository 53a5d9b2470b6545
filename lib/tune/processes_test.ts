import assert from "node:assert/strict";
import { forEachDb, testDatabaseUrl } from "../db/testing.ts";
import { getObjective } from "./objectives.ts";
import { spawnWorkerProcesses, waitForWorkers } from "./processes.ts";
import { assertMultiProcessCapable, createStudy } from "./study.ts";

const WORKER = new URL("./testdata/worker.ts", import.meta.url);
const quad = getObjective("quadratic");

async function currentSchema(db: { query<T>(s: string): Promise<T[]> }): Promise<string> {
  return (await db.query<{ s: string }>("SELECT current_schema() AS s"))[0].s;
}

forEachDb("tune: separate worker processes share one study without duplicates", async (db) => {
  if (db.kind === "pglite") {
    // PGlite is single-process: multi-process workers must be refused with a clear message.
    assert.throws(() => assertMultiProcessCapable(db), /Postgres.*DATABASE_URL/s);
    return;
  }
  const url = testDatabaseUrl()!;
  const schema = await currentSchema(db);
  for (const sampler of [{ type: "tpe" as const }, { type: "grid" as const, pointsPerFloat: 5 }]) {
    const name = `mp-${sampler.type}`;
    const study = await createStudy(db, { name, sampler, space: quad.space });
    const workers = spawnWorkerProcesses({
      script: WORKER,
      n: 3,
      args: () => [url, schema, name, "25", "slow", "30000"],
    });
    await waitForWorkers(workers);
    const trials = await study.trials();
    assert.deepEqual(trials.map((t) => t.number), Array.from({ length: 25 }, (_, i) => i));
    assert.ok(trials.every((t) => t.state === "complete" && t.attempts === 1));
    const pids = new Set(trials.map((t) => t.workerId!.split(":")[1]));
    assert.ok(pids.size >= 2, `trials ran in ${pids.size} processes`);
    if (sampler.type === "grid") {
      const pts = trials.map((t) => JSON.stringify(t.params));
      assert.equal(new Set(pts).size, 25, "5×5 grid: each point once across processes");
      assert.equal(new Set(trials.map((t) => t.gridIndex)).size, 25);
    }
  }
});

forEachDb(
  "tune: a killed worker process's trial is requeued and finished by another",
  async (db) => {
    if (db.kind === "pglite") return; // needs a second process: Postgres only (see above)
    const url = testDatabaseUrl()!;
    const schema = await currentSchema(db);
    const study = await createStudy(db, {
      name: "kill",
      sampler: { type: "random" },
      space: quad.space,
    });
    let claimed = -1;
    const gotClaim = Promise.withResolvers<void>();
    const [victim] = spawnWorkerProcesses({
      script: WORKER,
      n: 1,
      args: () => [url, schema, "kill", "3", "hang", "400"],
      onLine: (_i, line) => {
        const m = /^claimed (\d+)/.exec(line);
        if (m) {
          claimed = Number(m[1]);
          gotClaim.resolve();
        }
      },
    });
    await gotClaim.promise;
    victim.child.kill("SIGKILL");
    const status = await victim.done;
    assert.equal(status.success, false);
    const running = (await study.trials()).filter((t) => t.state === "running");
    assert.deepEqual(
      running.map((t) => t.number),
      [claimed],
      "the dead worker's trial is left running",
    );
    const survivor = spawnWorkerProcesses({
      script: WORKER,
      n: 1,
      args: () => [url, schema, "kill", "3", "slow", "400"],
    });
    await waitForWorkers(survivor);
    const trials = await study.trials();
    assert.deepEqual(trials.map((t) => [t.number, t.state]), [[0, "complete"], [1, "complete"], [
      2,
      "complete",
    ]]);
    assert.equal(trials[claimed].attempts, 2, "the killed trial ran a second time");
    assert.notEqual(trials[claimed].workerId, running[0].workerId);
  },
);
