/** The decision rule: SRM blocks, a guarded significant win promotes, settled arms keep control. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ArmEvidence, decide } from "./decision.ts";
import type { GuardrailCheck } from "./guardrails.ts";

const ok: GuardrailCheck[] = [
  { arm: "b", metric: "latency_p99", value: 10, control: 10, limit: 20, ok: true },
  { arm: "b", metric: "error_rate", value: null, control: null, limit: null, ok: null },
];
const slow: GuardrailCheck[] = [{ ...ok[0], value: 30, ok: false }];
const arm = (o: Partial<ArmEvidence>): ArmEvidence => ({
  arm: "b",
  rejected: false,
  diff: 0,
  minObservations: 100,
  guardrails: ok,
  ...o,
});

test("decide: blocked, promote, keep_control and continue", () => {
  const base = { control: "a", srmMismatch: false, srmPValue: 0.5 };
  assert.equal(
    decide({ ...base, arms: [arm({ rejected: true, diff: 0.1 })], srmMismatch: true }).action,
    "blocked",
  );
  const win = decide({
    ...base,
    arms: [arm({ rejected: true, diff: 0.02 }), arm({ arm: "c", rejected: true, diff: 0.05 })],
  });
  assert.deepEqual([win.action, win.final, win.winner], ["promote", true, "c"]);
  // Better but slower: no winner; with the other arm worse, everything is settled.
  const kept = decide({
    ...base,
    arms: [
      arm({ rejected: true, diff: 0.05, guardrails: slow }),
      arm({ arm: "c", rejected: true, diff: -0.03 }),
    ],
  });
  assert.deepEqual([kept.action, kept.final, kept.winner], ["keep_control", true, null]);
  assert.match(kept.reason, /b: better but guardrail; c: worse/);
  // A breached guardrail settles an arm that is not (yet) different: the experiment ends.
  const harmful = decide({ ...base, arms: [arm({ guardrails: slow })] });
  assert.deepEqual([harmful.action, harmful.final], ["keep_control", true]);
  assert.match(harmful.reason, /guardrail breached/);
  // No difference yet: continue, until the planned horizon is reached.
  assert.equal(decide({ ...base, arms: [arm({})] }).action, "continue");
  assert.equal(decide({ ...base, arms: [arm({})], maxSamplesPerArm: 200 }).action, "continue");
  assert.equal(decide({ ...base, arms: [arm({})], maxSamplesPerArm: 100 }).action, "keep_control");
  assert.equal(decide({ ...base, control: null, arms: [] }).action, "continue");
});
