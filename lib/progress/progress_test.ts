import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/mod.ts";
import { createProgress, formatAmount, formatDuration, renderBar } from "./mod.ts";

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

test("TTY progress draws a live bar (amount, rate, ETA, the step's figures) and one end line", () => {
  const { lines, log } = capture();
  const drawn: string[] = [];
  let t = 0;
  const p = createProgress(log, {
    label: "epoch 1/3",
    total: 400,
    unit: "images",
    tty: true,
    write: (s) => drawn.push(s),
    now: () => t,
  });
  for (let i = 0; i < 4; i++) {
    t += 1000;
    p.tick(100, { loss: 0.5 - i * 0.1, acc: 0.7 + i * 0.05 });
  }
  p.done();
  const screen = drawn.join("");
  // cli-progress redraws in place; the frames carry the label, percentage, amounts, ETA, figures
  assert.match(screen, /epoch 1\/3 [█░]{30} +\d+% \d+\/400 images \| \d+\/s \| ETA \d+s/);
  assert.match(screen, /loss 0\.\d{4} {2}acc 0\.\d{4}/);
  // no JSON progress lines at a terminal: one short line when it finishes
  assert.equal(lines.length, 1);
  assert.match(
    String(lines[0].msg),
    /^epoch 1\/3: 400 images in 4s \(loss 0\.2000 {2}acc 0\.8500\)$/,
  );
});

test("formatAmount and formatDuration speak human", () => {
  assert.equal(formatAmount(26_421_880, "bytes"), "25.2 MiB");
  assert.equal(formatAmount(512, "bytes"), "512 B");
  assert.equal(formatAmount(1234.6, "images"), "1235");
  assert.equal(formatDuration(75), "1m15s");
  assert.equal(formatDuration(4000), "1h06m");
  assert.equal(formatDuration(NaN), "?");
});
