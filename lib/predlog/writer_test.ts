/**
 * The prediction-log writer against real databases (PGlite, and Postgres in CI): batching,
 * time-triggered flushes, spooling while the database refuses writes (a switchable wrapper
 * around the real database), replay when it returns and at the next start, idempotence, torn
 * spool lines, bounded memory, feedback.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Db, Queryable } from "../db/mod.ts";
import { forEachDb } from "../db/testing.ts";
import type { PredictionRecord } from "../inference/mod.ts";
import { createLogger } from "../log/mod.ts";
import {
  FeedbackConflictError,
  feedbackEvents,
  recordFeedback,
  UnknownPredictionError,
} from "./feedback.ts";
import { Spool } from "./spool.ts";
import { PredictionLogWriter } from "./writer.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });

function rec(
  requestId: string,
  index = 0,
  extra: Partial<PredictionRecord> = {},
): PredictionRecord {
  return {
    requestId,
    index,
    model: "fmnist",
    version: 1,
    inputHash: "ab".repeat(32),
    classId: 3,
    label: "Dress",
    confidence: 0.75,
    latencyMs: 1.5,
    cached: false,
    at: new Date().toISOString(),
    ...extra,
  };
}

/** The real database behind a switch: while `down`, every query fails like a lost server. */
function switchable(db: Queryable): Queryable & { down: boolean } {
  const s = {
    down: false,
    query<T>(sql: string, params?: unknown[]): Promise<T[]> {
      if (s.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
      return db.query<T>(sql, params);
    },
    exec(sql: string): Promise<void> {
      if (s.down) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
      return db.exec(sql);
    },
  };
  return s;
}

async function count(db: Db): Promise<number> {
  return Number(
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM prediction_logs`))[0].n,
  );
}

async function spoolFiles(dir: string): Promise<string[]> {
  return await new Spool(dir, silent).files();
}

async function waitFor(what: string, f: () => Promise<boolean> | boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

forEachDb("predlog: size-triggered and time-triggered flushes write every field", async (db) => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
  const w = await PredictionLogWriter.open({ db, spoolDir: dir, log: silent }, {
    batchSize: 4,
    flushIntervalMs: 50,
  });
  try {
    w.record([rec("a", 0), rec("a", 1), rec("a", 2), rec("a", 3, { arm: "b", cached: true })]);
    await waitFor("size flush", async () => (await count(db)) === 4);
    w.record([rec("b", 0)]); // below batch size: the timer flushes it
    await waitFor("timed flush", async () => (await count(db)) === 5);
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT * FROM prediction_logs WHERE request_id = 'a' AND idx = 3`,
    );
    assert.equal(row.model, "fmnist");
    assert.equal(row.version, 1);
    assert.equal(row.class_id, 3);
    assert.equal(row.label, "Dress");
    assert.equal(row.confidence, 0.75);
    assert.equal(row.arm, "b");
    assert.equal(row.cached, true);
    assert.equal(w.stats().written, 5);
    assert.equal(w.stats().spooled, 0);
    // Graceful shutdown flushes what is still buffered.
    w.record([rec("c", 0), rec("c", 1)]);
    await w.close();
    assert.equal(await count(db), 7);
  } finally {
    await w.close();
    await Deno.remove(dir, { recursive: true });
  }
});

forEachDb(
  "predlog: DB down → spool (fsync'd JSON lines) → DB back → replayed, none lost or doubled",
  async (db) => {
    const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
    const flaky = switchable(db);
    const w = await PredictionLogWriter.open({ db: flaky, spoolDir: dir, log: silent }, {
      batchSize: 10,
      flushIntervalMs: 20,
      retryIntervalMs: 50,
    });
    try {
      w.record(Array.from({ length: 10 }, (_, i) => rec("before", i)));
      await w.flush();
      flaky.down = true;
      for (let r = 0; r < 30; r++) w.record([rec(`down-${r}`, 0), rec(`down-${r}`, 1)]);
      await w.flush();
      assert.equal(w.stats().dbDown, true);
      assert.equal(w.stats().spooled, 60);
      const files = await spoolFiles(dir);
      assert.equal(files.length, 1);
      const lines = (await Deno.readTextFile(files[0])).trim().split("\n");
      assert.equal(lines.length, 60);
      assert.equal(JSON.parse(lines[0]).requestId, "down-0");
      assert.equal(w.instanceCount("down-29"), 2);
      flaky.down = false;
      await waitFor("replay", async () => (await count(db)) === 70);
      await waitFor("spool emptied", async () => (await spoolFiles(dir)).length === 0);
      assert.equal(w.stats().replayed, 60);
      assert.equal(w.stats().dbDown, false);
      // Later records go to the DB directly again.
      w.record([rec("after", 0)]);
      await w.flush();
      assert.equal(await count(db), 71);
    } finally {
      await w.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

forEachDb(
  "predlog: a spool left by a previous process is replayed at open; torn lines skipped; idempotent",
  async (db) => {
    const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
    try {
      const flaky = switchable(db);
      flaky.down = true;
      const first = await PredictionLogWriter.open({ db: flaky, spoolDir: dir, log: silent }, {
        retryIntervalMs: 60_000,
      });
      first.record([rec("r1", 0), rec("r2", 0), rec("r2", 1)]);
      await first.close(); // "crash" with the DB down: records stay on disk
      const [file] = await spoolFiles(dir);
      // A torn last line (the process died mid-write) and a duplicate of an already-written row.
      await db.query(
        `INSERT INTO prediction_logs (request_id, idx, model, version, input_hash, class_id, label,
        confidence, latency_ms, cached, at) VALUES ('r1', 0, 'fmnist', 1, 'x', 3, 'Dress', 0.5, 1,
        false, now())`,
      );
      await Deno.writeTextFile(file, '{"requestId":"r3","ind', { append: true });
      const second = await PredictionLogWriter.open({ db, spoolDir: dir, log: silent });
      try {
        assert.equal(await count(db), 3);
        assert.equal(second.stats().replayed, 3);
        assert.deepEqual(await spoolFiles(dir), []);
        const [r1] = await db.query<{ confidence: number }>(
          `SELECT confidence FROM prediction_logs WHERE request_id = 'r1'`,
        );
        assert.equal(r1.confidence, 0.5, "the existing row is kept, not duplicated");
      } finally {
        await second.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

test("predlog: memory stays bounded while the DB hangs (backlog spooled), timed-out writes spool", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
  let release: () => void = () => {};
  const hung = new Promise<never[]>((resolve) => (release = () => resolve([])));
  const hanging: Queryable = {
    query: () => hung as Promise<never[]>,
    exec: () => hung.then(() => {}),
  };
  const w = await PredictionLogWriter.open({ db: hanging, spoolDir: dir, log: silent }, {
    batchSize: 5,
    maxBuffered: 50,
    writeTimeoutMs: 100,
    retryIntervalMs: 60_000,
  }).catch(async (err) => {
    await Deno.remove(dir, { recursive: true });
    throw err;
  });
  try {
    for (let i = 0; i < 500; i++) {
      w.record([rec(`m-${i}`)]);
      assert.ok(w.stats().buffered <= 50, `buffered ${w.stats().buffered}`);
    }
    await w.flush();
    await waitFor("all spooled", () => w.stats().spooled === 500);
    assert.equal(w.stats().dropped, 0);
  } finally {
    release();
    await w.close();
    await Deno.remove(dir, { recursive: true });
  }
});

forEachDb(
  "feedback: stored by request id and index; unknown ids and indexes refused; audited changes",
  async (db) => {
    const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
    const w = await PredictionLogWriter.open({ db, spoolDir: dir, log: silent }, {
      flushIntervalMs: 60_000,
    });
    const fb = (request_id: string, index: number, label: number | string, replace = false) => ({
      request_id,
      index,
      label,
      replace,
    });
    try {
      w.record([rec("q1", 0), rec("q1", 1)]);
      // Still buffered: the writer vouches for it.
      const f = await recordFeedback(db, fb("q1", 1, 3), "tester", (id) => w.instanceCount(id));
      assert.equal(f.trueClassId, 3);
      assert.equal(f.outcome, "created");
      await assert.rejects(
        recordFeedback(db, fb("q1", 2, 3), "tester", (id) => w.instanceCount(id)),
        /index 2 is out of range/,
      );
      await assert.rejects(recordFeedback(db, fb("nope", 0, 1), "tester"), UnknownPredictionError);
      await w.flush();
      // Known from the database alone; a different second label is refused unless replaced.
      await recordFeedback(db, fb("q1", 0, "Coat"), "alice");
      await assert.rejects(recordFeedback(db, fb("q1", 0, "Dress"), "bob"), FeedbackConflictError);
      const same = await recordFeedback(db, fb("q1", 0, "Coat"), "bob");
      assert.equal(same.outcome, "unchanged");
      const r = await recordFeedback(db, fb("q1", 0, "Dress", true), "carol");
      assert.equal(r.outcome, "replaced");
      assert.deepEqual(r.previous, { classId: null, label: "Coat" });
      assert.deepEqual([r.first.label, r.first.by, r.revisions], ["Coat", "alice", 1]);
      const rows = await db.query<
        { idx: number; true_class_id: number | null; true_label: string | null }
      >(
        `SELECT idx, true_class_id, true_label FROM prediction_feedback ORDER BY idx`,
      );
      assert.deepEqual(rows, [
        { idx: 0, true_class_id: null, true_label: "Dress" },
        { idx: 1, true_class_id: 3, true_label: null },
      ]);
      const trail = await feedbackEvents(db, "q1", 0);
      assert.deepEqual(trail.map((e) => [e.label, e.previous?.label ?? null, e.actor]), [
        ["Coat", null, "alice"],
        ["Dress", "Coat", "carol"],
      ]);
    } finally {
      await w.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

test("spool: a file locked by a live writer is not replayed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-spool-" });
  try {
    const a = new Spool(dir, silent), b = new Spool(dir, silent);
    await a.append([rec("x", 0)]);
    const seen: string[] = [];
    const done = await b.replay((rs) => {
      seen.push(...rs.map((r) => r.requestId));
      return Promise.resolve();
    });
    assert.deepEqual(done, []);
    assert.equal((await a.files()).length, 1);
    await a.close();
    const done2 = await b.replay((rs) => {
      seen.push(...rs.map((r) => r.requestId));
      return Promise.resolve();
    });
    assert.equal(done2.length, 1);
    assert.deepEqual(seen, ["x"]);
    assert.deepEqual(await b.files(), [], "replayed files are deleted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
