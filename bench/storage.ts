/**
 * `deno task bench:storage` — the platform layer's costs, each against a peer measured in the
 * same run:
 *  - FS object store put/get (temp + fsync + rename) vs plain `Deno.writeFile`/`readFile`;
 *  - S3 object store on an in-process s3rver vs the FS store;
 *  - PGlite: a fresh in-memory cluster (initdb + migrations) vs restoring a migrated snapshot
 *    (what `forEachDb` does per test), and parameterized inserts PGlite vs Postgres when
 *    `DATABASE_URL` is set.
 *
 * Flags: --count N (200 objects) --size BYTES (65536) --rows N (500) --opens N (3).
 * Writes under a temp dir only; prints one JSON line per measurement and a summary table.
 */
import { join } from "node:path";
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { loadSettings } from "../lib/config/mod.ts";
import { migrate, openPglite, openPostgres } from "../lib/db/mod.ts";
import type { Db } from "../lib/db/mod.ts";
import { FsObjectStore, type ObjectStore, S3ObjectStore } from "../lib/storage/mod.ts";
import { startS3Server } from "../lib/storage/testing.ts";

const flagsSchema = z.object({
  count: z.coerce.number().int().min(1).max(100_000).default(200).meta({
    description: "objects put and got per store",
  }),
  size: z.coerce.number().int().min(0).max(64 * 1024 * 1024).default(65536).meta({
    description: "bytes per object",
  }),
  rows: z.coerce.number().int().min(1).max(1_000_000).default(500).meta({
    description: "rows inserted per database",
  }),
  opens: z.coerce.number().int().min(1).max(100).default(3).meta({
    description: "database opens timed (fresh cluster vs snapshot)",
  }),
});

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

interface Row {
  what: string;
  ours: string;
  peer: string;
  ours_s: number;
  peer_s: number;
  /** peer time / our time: > 1 means ours is faster. */
  speedup: number;
}
const rows: Row[] = [];
function record(what: string, ours: string, oursS: number, peer: string, peerS: number): void {
  const row = { what, ours, peer, ours_s: oursS, peer_s: peerS, speedup: peerS / oursS };
  rows.push(row);
  console.log(JSON.stringify(row));
}

async function storeRoundTrip(store: ObjectStore, count: number, blob: Uint8Array) {
  const put = await timed(async () => {
    for (let i = 0; i < count; i++) await store.put(`bench/${i}`, blob);
  });
  const get = await timed(async () => {
    for (let i = 0; i < count; i++) await store.get(`bench/${i}`);
  });
  return { put, get };
}

type Flags = z.infer<typeof flagsSchema>;

async function bench(flags: Flags): Promise<number | void> {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-bench-storage-" });
  const blob = crypto.getRandomValues(new Uint8Array(Math.min(flags.size, 65536)));
  const data = new Uint8Array(flags.size);
  for (let off = 0; off < data.length; off += blob.length) {
    data.set(blob.subarray(0, Math.min(blob.length, data.length - off)), off);
  }
  const s3 = await startS3Server();
  try {
    // 1. FS store vs raw file writes.
    const fs = new FsObjectStore(join(dir, "store"));
    const ours = await storeRoundTrip(fs, flags.count, data);
    const rawDir = join(dir, "raw");
    await Deno.mkdir(rawDir);
    const rawPut = await timed(async () => {
      for (let i = 0; i < flags.count; i++) await Deno.writeFile(join(rawDir, String(i)), data);
    });
    const rawGet = await timed(async () => {
      for (let i = 0; i < flags.count; i++) await Deno.readFile(join(rawDir, String(i)));
    });
    record(
      `put ${flags.count}×${flags.size}B`,
      "FsObjectStore",
      ours.put,
      "Deno.writeFile",
      rawPut,
    );
    record(`get ${flags.count}×${flags.size}B`, "FsObjectStore", ours.get, "Deno.readFile", rawGet);

    // 2. S3 store (s3rver over HTTP) vs FS store.
    const s3store = new S3ObjectStore({ ...s3, bucket: "bench", prefix: "p" });
    const remote = await storeRoundTrip(s3store, flags.count, data);
    record(
      `put ${flags.count}×${flags.size}B`,
      "S3ObjectStore(s3rver)",
      remote.put,
      "FsObjectStore",
      ours.put,
    );
    record(
      `get ${flags.count}×${flags.size}B`,
      "S3ObjectStore(s3rver)",
      remote.get,
      "FsObjectStore",
      ours.get,
    );

    // 3. PGlite: fresh + migrate vs snapshot restore.
    const tpl = await openPglite("memory://");
    await migrate(tpl);
    const snap = await tpl.snapshot();
    await tpl.close();
    const fresh = await timed(async () => {
      for (let i = 0; i < flags.opens; i++) {
        const db = await openPglite("memory://");
        await migrate(db);
        await db.close();
      }
    });
    const restored = await timed(async () => {
      for (let i = 0; i < flags.opens; i++) {
        const db = await openPglite("memory://", { fromSnapshot: snap });
        await db.query("SELECT count(*) FROM schema_migrations");
        await db.close();
      }
    });
    record(
      `open migrated db ×${flags.opens}`,
      "PGlite snapshot restore",
      restored,
      "PGlite initdb+migrate",
      fresh,
    );

    // 4. Parameterized inserts: PGlite vs Postgres (when DATABASE_URL is set).
    const inserts = async (db: Db) => {
      await db.exec("CREATE TEMP TABLE bench_rows (id int8, doc jsonb, at timestamptz)");
      return await timed(async () => {
        for (let i = 0; i < flags.rows; i++) {
          await db.query("INSERT INTO bench_rows VALUES ($1, $2, $3)", [i, { i }, new Date()]);
        }
      });
    };
    const pgl = await openPglite("memory://", { fromSnapshot: snap });
    const pgliteS = await inserts(pgl);
    await pgl.close();
    const url = loadSettings().databaseUrl;
    if (url) {
      const pg = openPostgres(url, { max: 1 });
      try {
        record(
          `${flags.rows} inserts`,
          "PGlite (in-process)",
          pgliteS,
          "Postgres (DATABASE_URL)",
          await inserts(pg),
        );
      } finally {
        await pg.close();
      }
    } else {
      console.log(
        JSON.stringify({
          what: `${flags.rows} inserts`,
          ours: "PGlite",
          ours_s: pgliteS,
          peer: "Postgres: skipped (set DATABASE_URL)",
        }),
      );
    }
  } finally {
    await s3.close();
    await Deno.remove(dir, { recursive: true });
  }
  console.log("\nwhat | ours | peer | ours s | peer s | peer/ours");
  for (const r of rows) {
    console.log(
      `${r.what} | ${r.ours} | ${r.peer} | ${r.ours_s.toFixed(3)} | ${r.peer_s.toFixed(3)} | ${
        r.speedup.toFixed(2)
      }×`,
    );
  }
}

export const command = defineCommand({
  name: "bench:storage",
  summary: "Object store and metadata DB: local FS / PGlite vs plain FS / Postgres peers.",
  schema: flagsSchema,
  run: ({ flags }) => bench(flags),
});

/** Run the benchmark; returns the exit code. */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
