/**
 * Binding: the service listens on loopback unless another interface is chosen explicitly, so a
 * `deno task serve` on a laptop or a shared host is not reachable from the network by default.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../lib/log/mod.ts";
import { startServer } from "./server.ts";
import { parseSettings } from "../lib/config/mod.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });
const app = { fetch: () => new Response("ok") };

/**
 * Another address of this machine than 127.0.0.1: on Linux the whole 127.0.0.0/8 range is
 * loopback, so 127.0.0.2 reaches a server bound to every interface but not one bound to
 * 127.0.0.1 only — the same test as from another host, without leaving the machine.
 */
const OTHER = "127.0.0.2";

async function reachable(host: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

test("server: binds 127.0.0.1 by default; HOST=0.0.0.0 is an explicit choice", async () => {
  assert.equal(parseSettings({}).host, "127.0.0.1");
  assert.equal(parseSettings({ HOST: "0.0.0.0" }).host, "0.0.0.0");
  assert.throws(() => parseSettings({ HOST: "a b" }), /HOST/);
  const s = startServer(app, { port: 0, log: silent });
  try {
    assert.equal(s.hostname, "127.0.0.1");
    assert.equal(await reachable("127.0.0.1", s.port), true);
    assert.equal(await reachable(OTHER, s.port), false, `reachable on ${OTHER}`);
  } finally {
    await s.shutdown();
  }
  const all = startServer(app, { port: 0, hostname: "0.0.0.0", log: silent });
  try {
    assert.equal(all.hostname, "0.0.0.0");
    assert.equal(await reachable(OTHER, all.port), true, `not reachable on ${OTHER}`);
  } finally {
    await all.shutdown();
  }
});
