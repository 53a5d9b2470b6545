import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachDb } from "../db/testing.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import {
  AliasConflictError,
  getAliases,
  getModelVersion,
  listEvents,
  registerModelVersion,
  RegistryInputError,
  RegistryNotFoundError,
  removeAlias,
  resolveActor,
  setAlias,
} from "./mod.ts";

forEachDb("alias moves are transitions recorded in the audit log", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    for (const w of ["a", "b", "c"]) {
      await registerModelVersion(ctx, { name: "m", artifact: new TextEncoder().encode(w) });
    }
    const set1 = await setAlias(ctx, {
      name: "m",
      alias: "champion",
      version: 1,
      actor: "alice",
      reason: "first",
    });
    assert.equal(set1.from, null);
    assert.equal(set1.to, 1);
    const move = await setAlias(ctx, {
      name: "m",
      alias: "champion",
      version: 2,
      actor: "bob",
      reason: "better on test",
      expectedVersion: 1,
    });
    assert.deepEqual([move.from, move.to], [1, 2]);
    assert.equal(move.event?.actor, "bob");
    assert.equal(move.event?.reason, "better on test");
    // Pointing it where it already points is not a transition.
    assert.equal((await setAlias(ctx, { name: "m", alias: "champion", version: 2 })).event, null);
    // Compare-and-set refuses a stale expectation and moves nothing.
    await assert.rejects(
      setAlias(ctx, { name: "m", alias: "champion", version: 3, expectedVersion: 1 }),
      (e: unknown) => e instanceof AliasConflictError && /points at 2, expected 1/.test(e.message),
    );
    await setAlias(ctx, { name: "m", alias: "challenger", version: 3, actor: "carol" });
    assert.deepEqual(await getAliases(ctx, "m"), { challenger: 3, champion: 2 });
    assert.deepEqual((await getModelVersion(ctx, "m", "champion")).version, 2);
    assert.deepEqual((await getModelVersion(ctx, "m", 3)).aliases, ["challenger"]);

    const removed = await removeAlias(ctx, {
      name: "m",
      alias: "challenger",
      actor: "carol",
      reason: "done",
    });
    assert.equal(removed.from, 3);
    assert.equal((await removeAlias(ctx, { name: "m", alias: "challenger" })).event, null);
    assert.deepEqual(await getAliases(ctx, "m"), { champion: 2 });

    const log = await listEvents(ctx, "m", { kind: "alias_set" });
    assert.deepEqual(
      log.map((e) => [e.alias, e.fromVersion, e.toVersion, e.actor, e.reason]),
      [
        ["champion", null, 1, "alice", "first"],
        ["champion", 1, 2, "bob", "better on test"],
        ["challenger", null, 3, "carol", null],
      ],
    );
    for (const e of log) assert.ok(!Number.isNaN(Date.parse(e.at)));
    const all = await listEvents(ctx, "m");
    assert.deepEqual(all.at(-1)?.kind, "alias_removed");

    await assert.rejects(
      setAlias(ctx, { name: "m", alias: "champion", version: 9 }),
      RegistryNotFoundError,
    );
    await assert.rejects(
      setAlias(ctx, { name: "nope", alias: "champion", version: 1 }),
      /not registered/,
    );
    await assert.rejects(setAlias(ctx, { name: "m", alias: "42", version: 1 }), RegistryInputError);
  } finally {
    await ctx.close();
  }
});

test("the actor comes from the argument, then FMNIST_ACTOR, then USER", () => {
  const saved = { a: Deno.env.get("FMNIST_ACTOR"), u: Deno.env.get("USER") };
  try {
    Deno.env.set("FMNIST_ACTOR", "ci-bot");
    Deno.env.set("USER", "someone");
    assert.equal(resolveActor("alice"), "alice");
    assert.equal(resolveActor(), "ci-bot");
    Deno.env.delete("FMNIST_ACTOR");
    assert.equal(resolveActor("  "), "someone");
    Deno.env.delete("USER");
    assert.equal(resolveActor(), "unknown");
  } finally {
    for (const [k, v] of [["FMNIST_ACTOR", saved.a], ["USER", saved.u]] as const) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
});
