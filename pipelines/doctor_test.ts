import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "./doctor.ts";

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return { code: await fn(), out: lines.join("\n") };
  } finally {
    console.log = orig;
  }
}

test("deno task doctor: an unreachable database exits 1 with JSON checks and fix hints", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-doctor-cli-" });
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  try {
    const { code, out } = await capture(() =>
      main(["--json", "--state-dir", stateDir], {
        FMNIST_BACKEND: "wasm",
        DATABASE_URL: `postgres://x:y@127.0.0.1:${port}/none`,
      })
    );
    assert.equal(code, 1);
    const report = JSON.parse(out);
    assert.equal(report.ok, false);
    const db = report.checks.find((c: { name: string }) => c.name === "database");
    assert.equal(db.status, "fail");
    assert.ok(db.hint);
    assert.equal(report.checks.find((c: { name: string }) => c.name === "state dir").status, "ok");
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

test("deno task doctor: a bad flag exits 2", async () => {
  const { code } = await capture(() => main(["--prometheus", "not a url"], {}));
  assert.equal(code, 2);
});
