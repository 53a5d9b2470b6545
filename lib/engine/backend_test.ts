import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/mod.ts";
import { initEngine } from "./mod.ts";

test("initEngine reports `engine ready` on the logger it is given (a command's level holds)", async () => {
  const lines: string[] = [];
  const log = createLogger({}, { level: "info", sink: (l) => lines.push(l) });
  const info = await initEngine({ backend: "cpu", threads: 1 }, log);
  assert.equal(info.backend, "cpu");
  const ready = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "engine ready");
  assert.equal(ready.length, 1, lines.join("\n"));
  assert.equal(ready[0].engine.backend, "cpu");
});
