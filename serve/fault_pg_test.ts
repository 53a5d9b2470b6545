/**
 * Fault test: Postgres goes down in the middle of a prediction load and comes back. Uses its own
 * throwaway Postgres (initdb in a temp dir as the `postgres` user, random port) so stopping it
 * cannot disturb other tests. Every prediction must answer 200 while the database is down (logs
 * spool to `<state>/spool/`), and once it is back the spool is replayed: the number of
 * `prediction_logs` rows equals the number of predictions made — zero lost, none doubled.
 * Runs on the production defaults (inference workers `auto`, the decode pool, the default body
 * limit), and every request reuses one client `x-request-id`: logs are keyed by the server's
 * id, so none collide. Skipped (with the reason) when not root or Postgres binaries are missing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pixels, startServing } from "./serving_testing.ts";
import { freeLoopbackPort } from "../lib/config/mod.ts";

function pgBin(): string | null {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch { /* next */ }
    }
  } catch { /* none */ }
  return null;
}

function skipReason(): string | null {
  if (Deno.uid() !== 0) return "needs root (initdb runs as the postgres user via runuser)";
  if (!pgBin()) return "no Postgres binaries under /usr/lib/postgresql/*/bin";
  return null;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}${
        new TextDecoder().decode(out.stdout)
      }`,
    );
  }
}

/** A throwaway Postgres cluster that can be stopped and started again. */
async function throwawayPostgres() {
  const bin = pgBin()!;
  const dir = await Deno.makeTempDir({ prefix: "fmnist-pgfault-" });
  await Deno.chmod(dir, 0o755);
  const data = `${dir}/data`, sock = `${dir}/run`;
  await Deno.mkdir(data);
  await Deno.mkdir(sock);
  await run("chown", ["postgres:postgres", data, sock]);
  await run("runuser", [
    "-u",
    "postgres",
    "--",
    `${bin}/initdb`,
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
  ]);
  const port = freeLoopbackPort();
  const pgCtl = (...a: string[]) =>
    run("runuser", ["-u", "postgres", "--", `${bin}/pg_ctl`, "-D", data, ...a]);
  const start = () =>
    pgCtl(
      "-l",
      `${sock}/pg.log`,
      "-w",
      "-o",
      `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    );
  await start();
  await run("runuser", [
    "-u",
    "postgres",
    "--",
    `${bin}/createdb`,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "fmnist",
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/fmnist`,
    start,
    stop: () => pgCtl("-m", "fast", "-w", "stop"),
    async destroy() {
      await pgCtl("-m", "immediate", "stop").catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const reason = skipReason();

test("fault: Postgres down mid-load → all 200, logs spooled, replayed when back, zero lost", {
  skip: reason ?? false,
}, async () => {
  const pg = await throwawayPostgres();
  try {
    const s = await startServing({ databaseUrl: pg.url, production: true });
    try {
      const predictOnce = async (i: number): Promise<number> => {
        const res = await fetch(`${s.url}/v1/models/fmnist/predict`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-client-key": `c${i % 7}`,
            "x-request-id": "fault-load", // reused on purpose: must not collide in the logs
          },
          body: JSON.stringify({ instances: [pixels(i), pixels(i + 100_000)] }),
        });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await predictOnce(500_000), 200); // loads the champion while the DB is up
      let made = 1;
      const statuses: number[] = [];
      let next = 0;
      const total = 240;
      const worker = async () => {
        while (next < total) {
          const i = next++;
          statuses.push(await predictOnce(i));
          made++;
          if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5)); // spread over the outage
        }
      };
      const load = Promise.all(Array.from({ length: 6 }, worker));
      while (next < 60) await new Promise((r) => setTimeout(r, 5));
      await pg.stop();
      const downAt = next;
      // Keep predicting while the database is down.
      while (next < Math.min(total, downAt + 120)) await new Promise((r) => setTimeout(r, 5));
      const spooledWhileDown = s.logs.stats().spooled;
      await pg.start();
      await load;
      assert.deepEqual(statuses.filter((x) => x !== 200), [], "every prediction answered 200");
      assert.equal(statuses.length, total);
      await s.logs.flush();
      const expected = made * 2;
      const deadline = Date.now() + 30_000;
      let rows = 0;
      while (Date.now() < deadline) {
        await s.logs.sync().catch(() => {});
        try {
          rows = Number(
            (await s.ctx.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM prediction_logs`,
            ))[0].n,
          );
          if (rows === expected && !s.logs.stats().dbDown) break;
        } catch { /* reconnecting */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      const st = s.logs.stats();
      console.log(
        JSON.stringify({ predictions: made, instances: expected, rows, spooledWhileDown, ...st }),
      );
      assert.ok(
        spooledWhileDown > 0 || st.spooled > 0,
        `nothing was spooled: ${JSON.stringify(st)}`,
      );
      assert.equal(rows, expected, `rows ${rows}, predictions ${expected}: ${JSON.stringify(st)}`);
      assert.equal(st.replayed, st.spooled, "every spooled record was replayed");
      assert.deepEqual(await s.logs.spool.files(), [], "the spool is empty");
      const distinct = Number(
        (await s.ctx.db.query<{ n: number }>(
          `SELECT count(DISTINCT request_id)::int AS n FROM prediction_logs`,
        ))[0].n,
      );
      assert.equal(distinct, made);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(metrics, /fmnist_predlog_replayed_total \d+/);
      assert.match(metrics, /fmnist_predlog_spool_bytes 0/);
    } finally {
      await s.close();
    }
  } finally {
    await pg.destroy();
  }
});
