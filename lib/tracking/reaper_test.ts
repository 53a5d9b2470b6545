import assert from "node:assert/strict";
import { hostname } from "node:os";
import { test } from "node:test";
import { openPglite } from "../db/mod.ts";
import { forEachDb } from "../db/testing.ts";
import { getRun, reapStaleRuns, RunEndedError, startRun } from "./mod.ts";
import { testTrackingContext } from "./testing.ts";

/** The pid of a process that has exited (spawned and awaited here). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

forEachDb("reapStaleRuns marks runs of dead processes failed and spares live ones", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    const mk = async (
      name: string,
    ) => (await startRun(ctx, { experiment: "r", name, heartbeatMs: 0 }));
    const live = await mk("live-here"); // this process, fresh heartbeat
    const remoteStale = await mk("remote-stale");
    const remoteFresh = await mk("remote-fresh");
    const localDead = await mk("local-dead");
    const localAliveStale = await mk("local-alive-stale");
    const done = await mk("done");
    await done.finish();
    const pid = await deadPid();
    await db.query(`UPDATE tracking_runs SET host = 'elsewhere', pid = 4242 WHERE id IN ($1, $2)`, [
      remoteStale.id,
      remoteFresh.id,
    ]);
    await db.query(
      `UPDATE tracking_runs SET heartbeat_at = now() - interval '1 hour' WHERE id IN ($1, $2, $3)`,
      [remoteStale.id, localAliveStale.id, done.id],
    );
    // A process on this host that is gone: reaped at once, heartbeat age notwithstanding.
    await db.query(`UPDATE tracking_runs SET pid = $2, host = $3 WHERE id = $1`, [
      localDead.id,
      pid,
      hostname(),
    ]);
    // A stale heartbeat whose process on this host is still alive (e.g. a long blocking step).
    await db.query(`UPDATE tracking_runs SET pid = $2 WHERE id = $1`, [localAliveStale.id, 1]);

    const { reaped } = await reapStaleRuns(ctx, { staleAfterMs: 60_000 });
    assert.deepEqual(reaped.map((r) => r.id).sort(), [remoteStale.id, localDead.id].sort());
    const byId = new Map(reaped.map((r) => [r.id, r]));
    assert.match(
      byId.get(localDead.id)!.reason,
      new RegExp(`process died: pid ${pid} on .* is gone`),
    );
    assert.match(
      byId.get(remoteStale.id)!.reason,
      /no heartbeat for 36\d\d s \(pid 4242 on elsewhere/,
    );

    const stale = await getRun(ctx, remoteStale.id);
    assert.equal(stale.status, "failed");
    assert.ok(stale.endedAt !== null);
    assert.match(stale.error ?? "", /process presumed dead/);
    for (const r of [live, remoteFresh, localAliveStale]) {
      assert.equal((await getRun(ctx, r.id)).status, "running", r.name);
    }
    assert.equal((await getRun(ctx, done.id)).status, "finished");
    assert.ok(ctx.lines.some((l) => l.msg === "reaped dead run" && l.runId === localDead.id));

    // Reaping is idempotent, and a reaped run's own handle cannot resurrect it.
    assert.deepEqual((await reapStaleRuns(ctx, { staleAfterMs: 60_000 })).reaped, []);
    await assert.rejects(localDead.finish(), (e: unknown) => {
      assert.ok(e instanceof RunEndedError);
      assert.match(e.message, /already failed \(process died/);
      return true;
    });
    for (const r of [live, remoteFresh, localAliveStale]) await r.finish();
  } finally {
    await ctx.close();
  }
});

test("a run whose process crashes mid-run is reaped as failed by the next process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-crash-test-" });
  try {
    const dbDir = `${dir}/pglite`;
    const mod = (p: string) => new URL(p, import.meta.url).href;
    // The child starts a run, logs a metric, then dies without finishing it.
    const script = `
      import { migrate, openPglite } from ${JSON.stringify(mod("../db/mod.ts"))};
      import { FsObjectStore } from ${JSON.stringify(mod("../storage/mod.ts"))};
      import { createLogger } from ${JSON.stringify(mod("../log/mod.ts"))};
      import { startRun } from ${JSON.stringify(mod("./mod.ts"))};
      const db = await openPglite(${JSON.stringify(dbDir)});
      await migrate(db);
      const ctx = { db, store: new FsObjectStore(${JSON.stringify(`${dir}/objects`)}),
        log: createLogger({}, { level: "error" }) };
      const run = await startRun(ctx, { experiment: "crash", name: "doomed" });
      await run.logMetric("loss", 1.5, 0);
      console.log(run.id);
      Deno.exit(3);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script],
      stdout: "piped",
      stderr: "piped",
      env: { LOG_LEVEL: "error" },
    }).output();
    assert.equal(out.code, 3, new TextDecoder().decode(out.stderr));
    const runId = new TextDecoder().decode(out.stdout).trim();

    const db = await openPglite(dbDir);
    const ctx = await testTrackingContext(db);
    try {
      assert.equal((await getRun(ctx, runId)).status, "running");
      // Fresh heartbeat, but the process on this host is gone: reaped without waiting.
      const { reaped } = await reapStaleRuns(ctx);
      assert.deepEqual(reaped.map((r) => r.id), [runId]);
      const run = await getRun(ctx, runId);
      assert.equal(run.status, "failed");
      assert.match(run.error ?? "", /process died/);
      assert.equal(run.metrics.loss.last, 1.5);
    } finally {
      await ctx.close();
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
