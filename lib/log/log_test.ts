import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, logFormat } from "./mod.ts";

test("logFormat: JSON for pipes and FMNIST_LOG_FORMAT=json, pretty for people at a terminal", () => {
  assert.equal(logFormat({ env: undefined, isTerminal: false }), "json");
  assert.equal(logFormat({ env: undefined, isTerminal: true }), "pretty");
  assert.equal(logFormat({ env: "auto", isTerminal: true }), "pretty");
  assert.equal(logFormat({ env: "json", isTerminal: true }), "json");
  assert.equal(logFormat({ env: "pretty", isTerminal: false }), "pretty");
  assert.equal(logFormat({ env: "yaml", isTerminal: false }), "json"); // settings reject it
});

test("JSON lines carry ts, level, msg, base and fields; errors are serialized", () => {
  const lines: string[] = [];
  const log = createLogger({ stage: "data" }, { level: "info", sink: (l) => lines.push(l) });
  log.debug("hidden");
  log.child({ step: "ingest" }).warn("slow mirror", { error: new Error("boom"), n: 2n });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.level, "warn");
  assert.equal(rec.msg, "slow mirror");
  assert.equal(rec.stage, "data");
  assert.equal(rec.step, "ingest");
  assert.deepEqual(rec.error, { name: "Error", message: "boom" });
  assert.equal(rec.n, "2");
  assert.ok(!Number.isNaN(Date.parse(rec.ts)));
});

test("pretty lines are one human line per event, not JSON", () => {
  const lines: string[] = [];
  const log = createLogger({ stage: "train" }, {
    level: "info",
    format: "pretty",
    colors: false,
    sink: (l) => lines.push(l),
  });
  log.info("epoch", { epoch: 2, inputHash: "ab".repeat(32) });
  log.warn("mirror failed", { url: "https://x/y.gz" });
  assert.equal(lines.length, 2);
  assert.throws(() => JSON.parse(lines[0]));
  // info: time, level, stage and message, no field dump
  assert.match(lines[0], /^\[\d\d:\d\d:\d\d\] INFO: train: epoch$/);
  // warnings keep their fields: they say what went wrong
  assert.match(
    lines[1],
    /^\[\d\d:\d\d:\d\d\] WARN: train: mirror failed \{.*"url":"https:\/\/x\/y\.gz".*\}$/,
  );
  assert.ok(lines.every((l) => !l.includes("\n")));
});

test("a logger reports its level; children keep it", () => {
  const warn = createLogger({}, { level: "warn", sink: () => {} });
  assert.equal(warn.level, "warn");
  assert.equal(warn.child({ step: "x" }).level, "warn");
  assert.equal(createLogger({}, { level: "debug", sink: () => {} }).child({}).level, "debug");
});
