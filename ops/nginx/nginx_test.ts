/**
 * The real nginx (rendered config) in front of two real app replicas: what it exposes and limits,
 * and that predict requests under load never fail while a replica is killed, restarted, or both
 * replicas are restarted one after the other.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type AppReplica, copyState, pixels, seedState, startApp } from "../stack_testing.ts";
import { httpStatus, Proc, requireBinary, waitFor } from "../testing.ts";
import { freeLoopbackPort } from "../../lib/config/mod.ts";
import { renderNginxConf } from "./conf.ts";

/** Concurrent clients of the load loop. */
const CLIENTS = 6;

interface LoadStats {
  ok: number;
  /** Requests answered with an error status, or with no response at all. */
  failed: { status: number; body: string }[];
  /**
   * Responses cut after their headers: the replica died between writing the head and the body
   * of a 200. No proxy could retry those (the head already went to the client).
   */
  torn: number;
  /** When each torn response was seen (`performance.now()`). */
  tornAt: number[];
}

/** Keep `CLIENTS` predict loops running through `base` until `stop` resolves. */
function runLoad(base: string, stop: Promise<void>): Promise<LoadStats> {
  const stats: LoadStats = { ok: 0, failed: [], torn: 0, tornAt: [] };
  let done = false;
  stop.then(() => done = true);
  const body = JSON.stringify({ instances: [pixels(1), pixels(2)] });
  const client = async (i: number) => {
    while (!done) {
      let res: Response;
      try {
        res = await fetch(`${base}/v1/models/fmnist/predict`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": `load-${i}` },
          body,
        });
      } catch (err) {
        stats.failed.push({ status: 0, body: String(err) });
        continue;
      }
      let text: string;
      try {
        text = await res.text();
      } catch {
        if (res.status === 200) {
          stats.torn++;
          stats.tornAt.push(performance.now());
        } else stats.failed.push({ status: res.status, body: "(body cut)" });
        continue;
      }
      if (res.status === 200) stats.ok++;
      else stats.failed.push({ status: res.status, body: text.slice(0, 200) });
    }
  };
  return Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i))).then(() => stats);
}

/** Predictions served by a replica since it started (its own /metrics, not through nginx). */
async function served(r: AppReplica): Promise<number> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("fmnist_predictions_total{"))
    .reduce((s, l) => s + Number(l.split(" ").at(-1)), 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nginx over 2 replicas: limits, and zero failed predicts through kill, rejoin and rolling restart", async () => {
  const seeded = await seedState();
  const dirs = [await copyState(seeded), await copyState(seeded)];
  const ports = [freeLoopbackPort(), freeLoopbackPort()];
  const replicas = await Promise.all(dirs.map((d, i) => startApp(d, ports[i])));
  const work = await Deno.makeTempDir({ prefix: "fmnist-ops-nginx-" });
  await Deno.chmod(work, 0o777);
  const port = freeLoopbackPort();
  Deno.writeTextFileSync(
    `${work}/nginx.conf`,
    renderNginxConf({
      upstreams: ports.map((p) => `127.0.0.1:${p}`),
      listen: `127.0.0.1:${port}`,
      workDir: work,
      adminRate: { perSecond: 1, burst: 2 },
    }),
  );
  const nginx = new Proc("nginx", requireBinary("nginx"), [
    "-p",
    work,
    "-c",
    `${work}/nginx.conf`,
    "-g",
    "daemon off;",
  ]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor("nginx", async () => {
      if ((await httpStatus(`${base}/healthz`)) === 200) return true;
    }, 20_000).catch((err) => {
      throw new Error(`${err.message}\n${nginx.output}`);
    });

    // /metrics is not public; the replicas still serve it directly.
    assert.equal(await httpStatus(`${base}/metrics`), 404);
    assert.equal(await httpStatus(`${replicas[0].url}/metrics`), 200);
    // JSON is gzipped.
    const doc = await fetch(`${base}/openapi.json`, { headers: { "accept-encoding": "gzip" } });
    await doc.body?.cancel();
    assert.equal(doc.headers.get("content-encoding"), "gzip");
    // Bodies over the app's limit stop at nginx.
    const big = await fetch(`${base}/v1/models/fmnist/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(4 * 1024 * 1024 + 1),
    });
    await big.body?.cancel();
    assert.equal(big.status, 413);
    // Admin routes are rate-limited per client (rate 1/s, burst 2 here).
    const admin = await Promise.all(
      Array.from({ length: 8 }, () => httpStatus(`${base}/v1/admin/models`)),
    );
    assert.ok(admin.includes(429), `admin statuses ${admin}`);
    // The client's request id reaches the app (which answers with its own id and echoes the
    // client's as its correlation id).
    const rid = await fetch(`${base}/healthz`, { headers: { "x-request-id": "from-client-1" } });
    await rid.body?.cancel();
    assert.equal(rid.headers.get("x-client-request-id"), "from-client-1");
    assert.match(rid.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);

    // Kill one replica mid-load: no predict fails.
    let stopKill!: () => void;
    const kill = runLoad(base, new Promise((r) => stopKill = r));
    await sleep(1500);
    const killAt = performance.now();
    await replicas[0].proc.stop("SIGKILL");
    await sleep(3000);
    stopKill();
    const killed = await kill;
    console.log(
      `kill: ${killed.ok} ok, ${killed.failed.length} failed, ${killed.torn} torn at the kill`,
    );
    assert.deepEqual(killed.failed, []);
    // A response can be torn only by the kill itself: nginx had already passed a 200's head to
    // the client when the killed replica's connection broke, and no proxy can retry after that
    // (seen once in about 1,500 kill-phase requests in a clean-clone CI run; the app writes each
    // small response in one write, so this is the kernel's reset of the killed socket racing
    // nginx's reads). So: at most the requests in flight at the kill, and only at the kill.
    assert.ok(killed.torn <= CLIENTS, `${killed.torn} torn responses`);
    for (const at of killed.tornAt) {
      assert.ok(
        at >= killAt && at - killAt < 2000,
        `a response torn ${at - killAt} ms from the kill`,
      );
    }
    assert.ok(killed.ok > 10, `only ${killed.ok} requests during the kill phase`);

    // Restart it under load: it rejoins (serves predictions through nginx again).
    let stopRejoin!: () => void;
    const rejoin = runLoad(base, new Promise((r) => stopRejoin = r));
    replicas[0] = await startApp(dirs[0], ports[0]);
    await waitFor("the restarted replica serving again", async () => {
      if ((await served(replicas[0])) > 0) return true;
    }, 30_000);
    stopRejoin();
    const rejoined = await rejoin;
    console.log(`rejoin: ${rejoined.ok} ok, ${rejoined.failed.length + rejoined.torn} failed`);
    assert.deepEqual(rejoined.failed, []);
    assert.equal(rejoined.torn, 0);

    // Rolling restart of both under load: SIGTERM one, start it, and only once nginx routes
    // predictions to it again restart the other. (Ready is not enough: nginx keeps a replica that
    // failed within `fail_timeout` out of rotation for a while after it is back, and stopping
    // the other one then leaves no live upstream — CI saw 504 failed predicts that way.)
    let stopRoll!: () => void;
    const roll = runLoad(base, new Promise((r) => stopRoll = r));
    for (const i of [0, 1]) {
      await replicas[i].proc.stop("SIGTERM");
      replicas[i] = await startApp(dirs[i], ports[i]);
      const back = replicas[i];
      await waitFor(`replica ${i} serving again`, async () => {
        if ((await served(back)) > 0) return true;
      }, 30_000);
    }
    await sleep(1000);
    stopRoll();
    const rolled = await roll;
    console.log(`rolling restart: ${rolled.ok} ok, ${rolled.failed.length + rolled.torn} failed`);
    assert.deepEqual(rolled.failed, []);
    assert.equal(rolled.torn, 0);
    assert.ok((await served(replicas[0])) + (await served(replicas[1])) > 0);
  } finally {
    await nginx.stop("SIGQUIT");
    for (const r of replicas) await r.proc.stop();
    for (const d of [seeded, work, ...dirs]) {
      await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  }
});
