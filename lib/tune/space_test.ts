import assert from "node:assert/strict";
import { test } from "node:test";
import {
  contains,
  enumerate,
  fromInternal,
  internalBounds,
  parseDistribution,
  parseSearchSpace,
} from "./space.ts";

test("bad distributions are rejected with the parameter named", () => {
  assert.throws(
    () => parseDistribution("lr", { type: "float", low: 0, high: 1, log: true }),
    /"lr".*low > 0/,
  );
  assert.throws(
    () => parseDistribution("n", { type: "int", low: 5, high: 1 }),
    /"n".*low must be <= high/,
  );
  assert.throws(() => parseDistribution("n", { type: "int", low: 0.5, high: 1 }), /"n"/);
  assert.throws(() => parseDistribution("c", { type: "categorical", choices: [] }), /"c"/);
  assert.throws(
    () => parseDistribution("c", { type: "categorical", choices: ["a", "a"] }),
    /distinct/,
  );
  assert.throws(
    () => parseSearchSpace({ "bad name": { type: "float", low: 0, high: 1 } }),
    /identifiers/,
  );
  const d = parseDistribution("n", { type: "int", low: 1, high: 9 });
  assert.deepEqual(d, { type: "int", low: 1, high: 9, step: 1, log: false });
});

test("internal representation round-trips to legal values", () => {
  const logInt = parseDistribution("a", { type: "int", low: 1, high: 100, log: true });
  const b = internalBounds(logInt as never);
  assert.equal(fromInternal(logInt as never, b.low), 1);
  assert.equal(fromInternal(logInt as never, b.high), 100);
  const stepped = parseDistribution("s", { type: "float", low: 0, high: 1, step: 0.1 });
  assert.equal(fromInternal(stepped as never, 0.34), 0.3);
  assert.equal(fromInternal(stepped as never, 1.04), 1);
  assert.ok(contains(stepped, 0.3) && !contains(stepped, 0.35));
  const stepInt = parseDistribution("u", { type: "int", low: 16, high: 100, step: 16 });
  assert.deepEqual(enumerate(stepInt), [16, 32, 48, 64, 80, 96]);
  assert.equal(fromInternal(stepInt as never, 200), 96);
  assert.deepEqual(enumerate(stepped)?.length, 11);
  assert.equal(enumerate(parseDistribution("f", { type: "float", low: 0, high: 1 })), undefined);
});
