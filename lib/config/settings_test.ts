import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadSettings, parseSettings } from "./mod.ts";

test("defaults need no service", () => {
  const s = parseSettings({});
  assert.equal(s.stateDir, ".fmnist");
  assert.equal(s.databaseUrl, undefined);
  assert.equal(s.s3, undefined);
  assert.equal(s.port, 8000);
  assert.equal(s.backend, "auto");
});

test("wrong values fail naming the variable", () => {
  assert.throws(() => parseSettings({ PORT: "eighty" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /PORT="eighty"/);
    return true;
  });
  assert.throws(() => parseSettings({ DATABASE_URL: "mysql://x" }), /DATABASE_URL/);
  assert.throws(() => parseSettings({ FMNIST_BACKEND: "cuda" }), /FMNIST_BACKEND/);
  assert.throws(() => parseSettings({ FMNIST_LOG_FORMAT: "yaml" }), /FMNIST_LOG_FORMAT/);
});

test("S3 endpoint requires credentials", () => {
  assert.throws(() => parseSettings({ S3_ENDPOINT: "http://127.0.0.1:9000" }), /S3_ACCESS_KEY/);
  const s = parseSettings({
    S3_ENDPOINT: "http://127.0.0.1:9000",
    S3_ACCESS_KEY: "a",
    S3_SECRET_KEY: "b",
  });
  assert.equal(s.s3?.bucket, "fmnist");
});

test("loadSettings ignores undefined overrides and applies defined ones", () => {
  Deno.env.set("FMNIST_STATE_DIR", "/tmp/from-env");
  try {
    assert.equal(loadSettings({ FMNIST_STATE_DIR: undefined }).stateDir, "/tmp/from-env");
    assert.equal(loadSettings({ FMNIST_STATE_DIR: "/tmp/flag" }).stateDir, "/tmp/flag");
  } finally {
    Deno.env.delete("FMNIST_STATE_DIR");
  }
});

test("secret values are not echoed in configuration errors", () => {
  assert.throws(() => parseSettings({ FMNIST_ADMIN_KEY: "short" }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /FMNIST_ADMIN_KEY=<redacted>/);
    assert.doesNotMatch(e.message, /short/);
    return true;
  });
  assert.throws(
    () => parseSettings({ DATABASE_URL: "mysql://u:hunter2@h/db" }),
    (e: unknown) => e instanceof ConfigError && !e.message.includes("hunter2"),
  );
});
