import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import { startRun } from "../tracking/mod.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import {
  getModelVersion,
  listEvents,
  listModels,
  listModelVersions,
  loadModelArtifact,
  registerModelVersion,
  RegistryInputError,
  RegistryNotFoundError,
} from "./mod.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

forEachDb(
  "versions are immutable and re-registering an artifact returns its version",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      const run = await startRun(ctx, { experiment: "cnn", heartbeatMs: 0 });
      await run.finish();
      const first = await registerModelVersion(ctx, {
        name: "fmnist-cnn",
        artifact: bytes("weights-v1"),
        signature: { input: [28, 28, 1], dtype: "float32", classes: 10 },
        metrics: { accuracy: 0.9 },
        runId: run.id,
        datasetVersion: "ds-1",
        description: "a CNN",
        actor: "alice",
      });
      assert.equal(first.created, true);
      const v1 = first.version;
      assert.equal(v1.version, 1);
      assert.equal(v1.runId, run.id);
      assert.equal(v1.createdBy, "alice");
      assert.deepEqual(v1.metrics, { accuracy: 0.9 });
      assert.deepEqual(v1.signature, { input: [28, 28, 1], dtype: "float32", classes: 10 });
      assert.deepEqual(v1.aliases, []);

      const again = await registerModelVersion(ctx, {
        name: "fmnist-cnn",
        artifact: bytes("weights-v1"),
        metrics: { accuracy: 0.1 }, // ignored: the artifact is already version 1
      });
      assert.equal(again.created, false);
      assert.deepEqual(again.version, v1);

      const v2 =
        (await registerModelVersion(ctx, { name: "fmnist-cnn", artifact: bytes("weights-v2") }))
          .version;
      assert.equal(v2.version, 2);
      // Same bytes under another model is a separate model's version 1.
      assert.equal(
        (await registerModelVersion(ctx, { name: "other", artifact: bytes("weights-v1") })).version
          .version,
        1,
      );

      assert.equal((await getModelVersion(ctx, "fmnist-cnn", 1)).sha256, v1.sha256);
      assert.equal((await getModelVersion(ctx, "fmnist-cnn", "2")).version, 2);
      assert.equal((await getModelVersion(ctx, "fmnist-cnn", "latest")).version, 2);
      await assert.rejects(getModelVersion(ctx, "fmnist-cnn", 3), RegistryNotFoundError);
      await assert.rejects(getModelVersion(ctx, "fmnist-cnn", "champion"), RegistryNotFoundError);
      const loaded = await loadModelArtifact(ctx, "fmnist-cnn", 1);
      assert.deepEqual(loaded.bytes, bytes("weights-v1"));
      assert.deepEqual((await listModelVersions(ctx, "fmnist-cnn")).map((v) => v.version), [1, 2]);
      const models = await listModels(ctx);
      assert.deepEqual(models.map((m) => [m.name, m.latestVersion, m.description]), [
        ["fmnist-cnn", 2, "a CNN"],
        ["other", 1, ""],
      ]);

      // The database itself refuses to change or delete a version, or to rewrite the audit log.
      await assert.rejects(
        db.query(`UPDATE registry_versions SET sha256 = 'x' WHERE model = 'fmnist-cnn'`),
        /registry_versions rows are immutable \(UPDATE refused\)/,
      );
      await assert.rejects(
        db.query(`DELETE FROM registry_versions WHERE model = 'fmnist-cnn'`),
        /immutable \(DELETE refused\)/,
      );
      await assert.rejects(
        db.query(`DELETE FROM registry_events`),
        /registry_events rows are immutable/,
      );
      assert.equal((await getModelVersion(ctx, "fmnist-cnn", 1)).sha256, v1.sha256);

      const events = await listEvents(ctx, "fmnist-cnn");
      assert.deepEqual(events.map((e) => [e.kind, e.toVersion]), [["register", 1], [
        "register",
        2,
      ]]);
      assert.equal(events[0].actor, "alice");

      await assert.rejects(
        registerModelVersion(ctx, { name: "bad name", artifact: bytes("x") }),
        RegistryInputError,
      );
      await assert.rejects(
        registerModelVersion(ctx, { name: "m", artifact: bytes("x"), runId: "nope" }),
        /runId nope is not a tracked run/,
      );
      await assert.rejects(
        registerModelVersion(ctx, {
          name: "m",
          artifact: bytes("x"),
          metrics: { acc: Number.NaN },
        }),
        /metric acc must be a finite number/,
      );
    } finally {
      await ctx.close();
    }
  },
);

forEachDb("concurrent registrations get distinct versions, same bytes one version", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    const distinct = await Promise.all(
      Array.from(
        { length: 6 },
        (_, i) => registerModelVersion(ctx, { name: "m", artifact: bytes(`w${i}`) }),
      ),
    );
    assert.deepEqual(distinct.map((r) => r.version.version).sort(), [1, 2, 3, 4, 5, 6]);
    const same = await Promise.all(
      Array.from(
        { length: 3 },
        () => registerModelVersion(ctx, { name: "m", artifact: bytes("dup") }),
      ),
    );
    assert.deepEqual(same.map((r) => r.version.version), [7, 7, 7]);
    assert.equal(same.filter((r) => r.created).length, 1);
  } finally {
    await ctx.close();
  }
});
