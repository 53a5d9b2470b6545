import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import { mcnemarTest } from "../evaluate/mcnemar.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import {
  getAliases,
  listEvents,
  promoteIfBetter,
  registerModelVersion,
  RegistryInputError,
} from "./mod.ts";

/**
 * Labels and two prediction vectors with exactly the given agreement counts:
 * `bothRight`, `b` (champion right only), `c` (challenger right only), `bothWrong`.
 */
function craft(bothRight: number, b: number, c: number, bothWrong: number) {
  const labels: number[] = [], champion: number[] = [], challenger: number[] = [];
  const push = (champRight: boolean, challRight: boolean) => {
    const y = labels.length % 10;
    labels.push(y);
    champion.push(champRight ? y : (y + 1) % 10);
    challenger.push(challRight ? y : (y + 2) % 10);
  };
  for (let i = 0; i < bothRight; i++) push(true, true);
  for (let i = 0; i < b; i++) push(true, false);
  for (let i = 0; i < c; i++) push(false, true);
  for (let i = 0; i < bothWrong; i++) push(false, false);
  return { labels: Uint8Array.from(labels), champion, challenger };
}

forEachDb(
  "the promotion gate promotes only significant wins and audits every decision",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      for (let i = 1; i <= 5; i++) {
        await registerModelVersion(ctx, { name: "m", artifact: new TextEncoder().encode(`w${i}`) });
      }
      const first = craft(150, 0, 0, 50);
      // No champion yet: promoted directly, recorded as such.
      const d1 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 1,
        testLabels: first.labels,
        challengerPreds: first.challenger,
        actor: "alice",
      });
      assert.equal(d1.outcome, "promoted_no_champion");
      assert.equal(d1.promoted, true);
      assert.equal(d1.champion, null);
      assert.equal(d1.challengerAccuracy, 0.75);
      assert.equal(d1.pValue, null);
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 1 });

      // Clear win: 42 examples only the challenger gets right, 2 only the champion.
      const win = craft(150, 2, 42, 6);
      const d2 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 2,
        testLabels: win.labels,
        challengerPreds: win.challenger,
        championPreds: win.champion,
        actor: "bob",
      });
      const expected = mcnemarTest(2, 42);
      assert.equal(d2.outcome, "promoted");
      assert.equal(d2.champion, 1);
      assert.deepEqual([d2.b, d2.c, d2.method], [2, 42, "chi2"]);
      assert.equal(d2.statistic, (40 - 1) ** 2 / 44);
      assert.equal(d2.pValue, expected.pValue);
      assert.ok(d2.pValue! < 1e-8);
      assert.equal(d2.championAccuracy, 152 / 200);
      assert.equal(d2.challengerAccuracy, 192 / 200);
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 2 });

      // Tie: equal discordant counts -> p = 1, champion kept.
      const tie = craft(150, 10, 10, 30);
      const d3 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 3,
        testLabels: tie.labels,
        challengerPreds: tie.challenger,
        championPreds: tie.champion,
      });
      assert.equal(d3.outcome, "kept_champion");
      assert.equal(d3.pValue, mcnemarTest(10, 10).pValue);
      assert.match(d3.reason, /not more accurate/);

      // Loss: the challenger is worse.
      const loss = craft(150, 30, 5, 15);
      const d4 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 4,
        testLabels: loss.labels,
        challengerPreds: loss.challenger,
        championPreds: loss.champion,
      });
      assert.equal(d4.outcome, "kept_champion");
      assert.equal(d4.promoted, false);
      assert.ok(d4.challengerAccuracy < d4.championAccuracy!);

      // More accurate but not significantly (exact test: b=5, c=10 -> p = 0.3018…, scipy: 2*binom.cdf(5, 15, .5)).
      const slight = craft(150, 5, 10, 35);
      const d5 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 5,
        testLabels: slight.labels,
        challengerPreds: slight.challenger,
        championPreds: slight.champion,
      });
      assert.equal(d5.outcome, "kept_champion");
      assert.equal(d5.method, "exact");
      assert.ok(Math.abs(d5.pValue! - 0.30175781249999994) < 1e-12);
      assert.match(d5.reason, /not significantly better/);
      // …but a looser alpha promotes it.
      const d6 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 5,
        testLabels: slight.labels,
        challengerPreds: slight.challenger,
        championPreds: slight.champion,
        alpha: 0.5,
      });
      assert.equal(d6.outcome, "promoted");
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 5 });
      const d7 = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 5,
        testLabels: slight.labels,
        challengerPreds: slight.challenger,
        championPreds: slight.challenger,
      });
      assert.equal(d7.outcome, "already_champion");

      // Every decision is in the audit log with its numbers; promotions also moved the alias.
      const gates = await listEvents(ctx, "m", { kind: "gate" });
      assert.deepEqual(gates.map((e) => e.id), [d1, d2, d3, d4, d5, d6, d7].map((d) => d.eventId));
      const g2 = gates[1].details as Record<string, unknown>;
      assert.deepEqual([g2.b, g2.c, g2.pValue, g2.outcome, g2.actor], [
        2,
        42,
        d2.pValue,
        "promoted",
        "bob",
      ]);
      assert.equal(gates[2].toVersion, 2); // kept: champion stays at 2
      const moves = await listEvents(ctx, "m", { kind: "alias_set" });
      assert.deepEqual(moves.map((e) => [e.fromVersion, e.toVersion]), [[null, 1], [1, 2], [2, 5]]);
      assert.deepEqual(moves[1].details, { gateEventId: d2.eventId });

      // Bad input is refused before anything is recorded.
      await assert.rejects(
        promoteIfBetter(ctx, {
          name: "m",
          challenger: 4,
          testLabels: win.labels,
          challengerPreds: win.challenger,
        }),
        /pass championPreds/,
      );
      await assert.rejects(
        promoteIfBetter(ctx, {
          name: "m",
          challenger: 4,
          testLabels: win.labels,
          challengerPreds: win.challenger.slice(1),
          championPreds: win.champion,
        }),
        RegistryInputError,
      );
      await assert.rejects(
        promoteIfBetter(ctx, {
          name: "m",
          challenger: 4,
          testLabels: win.labels,
          challengerPreds: win.challenger,
          championPreds: win.champion,
          alpha: 1.5,
        }),
        /alpha must be in \(0, 1\)/,
      );
      assert.equal((await listEvents(ctx, "m", { kind: "gate" })).length, 7);
    } finally {
      await ctx.close();
    }
  },
);

forEachDb("the gate can decide by a paired bootstrap and records its interval", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    for (let i = 1; i <= 3; i++) {
      await registerModelVersion(ctx, { name: "m", artifact: new TextEncoder().encode(`w${i}`) });
    }
    const first = craft(150, 0, 0, 50);
    await promoteIfBetter(ctx, {
      name: "m",
      challenger: 1,
      testLabels: first.labels,
      challengerPreds: first.challenger,
    });
    // 12 vs 2 discordant of 400: a difference of 0.025 whose CI excludes 0.
    const win = craft(300, 2, 12, 86);
    const d2 = await promoteIfBetter(ctx, {
      name: "m",
      challenger: 2,
      testLabels: win.labels,
      challengerPreds: win.challenger,
      championPreds: win.champion,
      test: "paired_bootstrap",
      resamples: 2000,
      seed: 1,
    });
    assert.equal(d2.test, "paired_bootstrap");
    assert.equal(d2.outcome, "promoted");
    assert.ok(d2.bootstrap !== null);
    assert.equal(d2.bootstrap.difference, 10 / 400);
    assert.ok(d2.bootstrap.low > 0 && d2.bootstrap.high > d2.bootstrap.difference);
    assert.equal(d2.bootstrap.level, 0.95);
    assert.match(d2.reason, /paired-bootstrap CI \[/);
    // McNemar's figures are recorded too.
    assert.deepEqual([d2.b, d2.c], [2, 12]);
    // 6 vs 4: the interval includes 0, champion kept.
    const close = craft(300, 4, 6, 90);
    const d3 = await promoteIfBetter(ctx, {
      name: "m",
      challenger: 3,
      testLabels: close.labels,
      challengerPreds: close.challenger,
      championPreds: close.champion,
      test: "paired_bootstrap",
    });
    assert.equal(d3.outcome, "kept_champion");
    assert.ok(d3.bootstrap!.low < 0 && d3.bootstrap!.high > 0);
    assert.match(d3.reason, /includes 0/);
    const ev = (await listEvents(ctx, "m", { kind: "gate" })).at(-1)!;
    const details = ev.details as Record<string, unknown>;
    assert.equal(details.test, "paired_bootstrap");
    assert.deepEqual(details.bootstrap, d3.bootstrap);
  } finally {
    await ctx.close();
  }
});

forEachDb(
  "a failed behavioural suite is recorded, and blocks promotion when enforced",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      for (let i = 1; i <= 2; i++) {
        await registerModelVersion(ctx, { name: "m", artifact: new TextEncoder().encode(`w${i}`) });
      }
      const first = craft(150, 0, 0, 50);
      const failed = { passed: false, checks: [{ name: "1 px shift down", passed: false }] };
      const recorded = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 1,
        testLabels: first.labels,
        challengerPreds: first.challenger,
        behaviour: failed,
      });
      assert.equal(recorded.outcome, "promoted_no_champion");
      assert.deepEqual(recorded.behaviour, failed);
      const win = craft(150, 2, 42, 6);
      const blocked = await promoteIfBetter(ctx, {
        name: "m",
        challenger: 2,
        testLabels: win.labels,
        challengerPreds: win.challenger,
        championPreds: win.champion,
        behaviour: failed,
        enforceBehaviour: true,
      });
      assert.equal(blocked.outcome, "kept_champion");
      assert.match(blocked.reason, /failed its behavioural tests \(1 px shift down\)/);
      assert.deepEqual(await getAliases(ctx, "m"), { champion: 1 });
    } finally {
      await ctx.close();
    }
  },
);
