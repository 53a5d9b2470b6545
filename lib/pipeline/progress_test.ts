import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/mod.ts";
import { createProgress, renderBar } from "./mod.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: "info", sink: (l) => lines.push(JSON.parse(l)) });
  return { lines, log };
}

test("renderBar fills proportionally and clamps", () => {
  assert.equal(renderBar(5, 10, 10), "[#####-----]  50%");
  assert.equal(renderBar(20, 10, 4), "[####] 100%");
  assert.equal(renderBar(1, undefined, 3), "[???]");
});

test("non-TTY progress logs throttled JSON lines and a final one", () => {
  const { lines, log } = capture();
  let t = 0;
  const p = createProgress(log, {
    label: "work",
    total: 100,
    unit: "bytes",
    tty: false,
    logIntervalMs: 1000,
    now: () => t,
  });
  for (let i = 0; i < 10; i++) {
    t += 250;
    p.tick(10);
  }
  p.done();
  p.done();
  // start + one per second of the 2.5 s + the final line
  assert.deepEqual(lines.map((l) => l.done), [0, 40, 80, 100]);
  assert.ok(lines.every((l) => l.msg === "progress" && l.label === "work" && l.unit === "bytes"));
  const last = lines.at(-1);
  assert.equal(last?.finished, true);
  assert.equal(last?.pct, 100);
  assert.equal(last?.rate, 40);
});

test("TTY progress draws a bar and logs only start and end", () => {
  const { lines, log } = capture();
  const drawn: string[] = [];
  let t = 0;
  const p = createProgress(log, {
    label: "dl",
    total: 4,
    tty: true,
    write: (s) => drawn.push(s),
    now: () => t,
  });
  for (let i = 0; i < 4; i++) {
    t += 200;
    p.tick();
  }
  p.done();
  assert.equal(lines.length, 2);
  assert.ok(drawn.some((d) => d.includes("dl [###############---------------]  50% 2/4 items")));
  assert.equal(drawn.at(-1), "\r\x1b[2K");
});
