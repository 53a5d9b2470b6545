import assert from "node:assert/strict";
import { test } from "node:test";
import { openPostgres } from "./postgres.ts";

test("a write to a socket the server closed, thrown from a timer, does not kill the process", async () => {
  // Connections are lazy: nothing connects to this address.
  const db = openPostgres("postgres://postgres@127.0.0.1:9/never");
  let survived = false;
  await new Promise<void>((resolve) => {
    setTimeout(() => {
      setTimeout(() => {
        survived = true;
        resolve();
      }, 20);
      // What postgres.js's nextWrite hits under Deno when Postgres goes away mid-write.
      throw new Error("This socket has been ended by the other party");
    }, 0);
  });
  assert.ok(survived);
  await db.close();
});
