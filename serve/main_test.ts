import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { freeLoopbackPort } from "../lib/config/mod.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  pred: (line: string) => boolean,
  timeoutMs: number,
): Promise<string[]> {
  const lines: string[] = [];
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    for (const l of parts) {
      lines.push(l);
      if (pred(l)) return lines;
    }
  }
  throw new Error(`timed out; got:\n${lines.join("\n")}`);
}

test("deno task serve: listens on PORT, serves, exits 0 on SIGTERM after draining", async () => {
  // A fresh embedded database migrates before listening: allow for a loaded CI machine.
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-serve-main-" });
  const port = freeLoopbackPort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { FMNIST_STATE_DIR: stateDir, PORT: String(port), LOG_LEVEL: "info" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const lines = await readUntil(reader, (l) => l.includes('"listening"'), 180_000);
    const listening = JSON.parse(lines.at(-1)!);
    assert.equal(listening.port, port);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, "ok");
    const access = await readUntil(reader, (l) => l.includes('"http request"'), 10_000);
    const rec = JSON.parse(access.at(-1)!);
    assert.equal(rec.path, "/healthz");
    assert.equal(rec.status, 200);
    assert.equal(rec.request_id, res.headers.get("x-request-id"));
    child.kill("SIGTERM");
    await readUntil(reader, (l) => l.includes('"stopped"'), 15_000);
    const status = await child.status;
    assert.equal(status.code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await reader.cancel().catch(() => {});
    await child.status;
    await Deno.remove(stateDir, { recursive: true });
  }
});

test("deno task serve: a bad setting exits 2 naming the variable", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { PORT: "eighty" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /PORT="eighty"/);
});
