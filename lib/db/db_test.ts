/** Engine behaviour shared by PGlite and Postgres: types, transactions, parameters. */
import assert from "node:assert/strict";
import { forEachDb } from "./testing.ts";

forEachDb("int8, count(*), bigserial come back as number", async (db) => {
  await db.exec("CREATE TABLE t_num (id bigserial PRIMARY KEY, big int8, small int4)");
  const ins = await db.query<{ id: unknown }>(
    "INSERT INTO t_num (big, small) VALUES ($1, $2), ($3, $4) RETURNING id",
    [9_007_199_254_740_991, 7, 3_000_000_000, -1],
  );
  assert.deepEqual(ins, [{ id: 1 }, { id: 2 }]);
  const rows = await db.query(
    "SELECT big, small, (SELECT count(*) FROM t_num) AS n, sum(small) OVER () AS s " +
      "FROM t_num ORDER BY id",
  );
  assert.deepEqual(rows, [
    { big: 9_007_199_254_740_991, small: 7, n: 2, s: 6 },
    { big: 3_000_000_000, small: -1, n: 2, s: 6 },
  ]);
  const [{ arr }] = await db.query<{ arr: unknown }>("SELECT ARRAY[1, 2]::int8[] AS arr");
  assert.deepEqual(arr, [1, 2]);
});

forEachDb("timestamptz is a Date, jsonb parsed, bytea a Uint8Array", async (db) => {
  await db.exec("CREATE TABLE t_val (at timestamptz, doc jsonb, raw bytea, note text)");
  const at = new Date("2024-05-06T07:08:09.123Z");
  const doc = { a: 1, b: [true, null, "x"], c: { d: 1.5 } };
  await db.query("INSERT INTO t_val VALUES ($1, $2, $3, $4)", [
    at,
    JSON.stringify(doc),
    new Uint8Array([0, 1, 254, 255]),
    'it\'s "quoted"',
  ]);
  // Objects are accepted for json/jsonb parameters too, and a JSON string stays JSON text.
  await db.query("INSERT INTO t_val (doc, note) VALUES ($1, 'object'), ($2, 'string')", [
    doc,
    JSON.stringify("just a string"),
  ]);
  const docs = await db.query(
    "SELECT doc FROM t_val WHERE note IN ('object', 'string') ORDER BY note",
  );
  assert.deepEqual(docs, [{ doc }, { doc: "just a string" }]);
  const [row] = await db.query<Record<string, unknown>>(
    "SELECT * FROM t_val WHERE raw IS NOT NULL",
  );
  assert.ok(row.at instanceof Date);
  assert.equal((row.at as Date).toISOString(), at.toISOString());
  assert.deepEqual(row.doc, doc);
  assert.equal(Object.getPrototypeOf(row.raw), Uint8Array.prototype);
  assert.deepEqual(row.raw, new Uint8Array([0, 1, 254, 255]));
  assert.equal(row.note, 'it\'s "quoted"');
  const [{ nul }] = await db.query<{ nul: unknown }>("SELECT NULL::int8 AS nul");
  assert.equal(nul, null);
});

forEachDb("parameters are bound, never spliced into SQL", async (db) => {
  await db.exec("CREATE TABLE t_par (name text)");
  const evil = "x'); DROP TABLE t_par; --";
  await db.query("INSERT INTO t_par VALUES ($1)", [evil]);
  const rows = await db.query("SELECT name FROM t_par WHERE name = $1", [evil]);
  assert.deepEqual(rows, [{ name: evil }]);
});

forEachDb("transaction commits on success and rolls back on throw", async (db) => {
  await db.exec("CREATE TABLE t_tx (v int)");
  const out = await db.transaction(async (tx) => {
    await tx.query("INSERT INTO t_tx VALUES ($1)", [1]);
    return (await tx.query<{ n: number }>("SELECT count(*) AS n FROM t_tx"))[0].n;
  });
  assert.equal(out, 1);
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO t_tx VALUES ($1)", [2]);
      await tx.exec("INSERT INTO t_tx VALUES (3); INSERT INTO t_tx VALUES (4)");
      throw new Error("boom");
    }),
    /boom/,
  );
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO t_tx VALUES ($1)", [5]);
      await tx.query("SELECT no_such_column FROM t_tx");
    }),
    /no_such_column/,
  );
  assert.deepEqual(await db.query("SELECT v FROM t_tx ORDER BY v"), [{ v: 1 }]);
});

forEachDb("exec runs multi-statement scripts", async (db) => {
  await db.exec(`
    CREATE TABLE t_multi (v int);
    INSERT INTO t_multi VALUES (1), (2);
    INSERT INTO t_multi SELECT v + 10 FROM t_multi;
  `);
  assert.deepEqual(await db.query("SELECT v FROM t_multi ORDER BY v"), [
    { v: 1 },
    { v: 2 },
    { v: 11 },
    { v: 12 },
  ]);
});
