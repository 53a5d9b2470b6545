import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/mod.ts";
import { engineInfo, initEngine, loadOrt } from "../engine/mod.ts";
import {
  onnxRuntimeInfo,
  resolveRuntime,
  RuntimeUnavailableError,
  tfjsRuntimeInfo,
} from "./runtime.ts";
import { inferRuntimeFromEnv } from "./setup.ts";

const failing = () => Promise.reject(new Error("libonnxruntime.so.1: cannot open shared object"));

test("auto takes ONNX Runtime when it loads and reports its version", async () => {
  const rt = await resolveRuntime("auto", { tfjsVersion: "4.22.0" });
  assert.equal(rt.kind, "onnx");
  assert.equal(rt.name, "onnxruntime-node");
  assert.match(rt.version, /^1\.30\./);
  assert.equal((await loadOrt()).env.versions.node, rt.version);
});

test("auto falls back to tfjs with a logged reason; onnx refuses; tfjs is taken as asked", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: "warn", sink: (l) => lines.push(JSON.parse(l)) });
  const rt = await resolveRuntime("auto", { tfjsVersion: "4.22.0", load: failing, log });
  assert.equal(rt.kind, "tfjs");
  assert.match(rt.reason ?? "", /cannot load \(libonnxruntime\.so\.1: cannot open/);
  assert.equal(lines.length, 1);
  assert.match(String(lines[0].reason), /using tfjs/);
  await assert.rejects(
    resolveRuntime("onnx", { tfjsVersion: "4.22.0", load: failing }),
    (e: unknown) =>
      e instanceof RuntimeUnavailableError && /FMNIST_INFER_RUNTIME=onnx/.test(e.message),
  );
  const t = await resolveRuntime("tfjs", { tfjsVersion: "4.22.0" });
  assert.equal(t.kind, "tfjs");
  assert.equal(t.version, "4.22.0");
});

test("FMNIST_INFER_RUNTIME is validated", async () => {
  await assert.rejects(
    inferRuntimeFromEnv({ FMNIST_INFER_RUNTIME: "torch" }),
    /FMNIST_INFER_RUNTIME="torch": must be one of auto, onnx, tfjs/,
  );
  assert.equal((await inferRuntimeFromEnv({ FMNIST_INFER_RUNTIME: "tfjs" })).kind, "tfjs");
  assert.equal((await inferRuntimeFromEnv({})).kind, "onnx");
});

test("engineInfo reports ONNX Runtime once loaded; per-model info gives threads and workers", async () => {
  await initEngine({ backend: "wasm" });
  const rt = await resolveRuntime("onnx");
  const ort = engineInfo().onnxRuntime;
  assert.equal(ort?.name, "onnxruntime-node");
  assert.equal(ort?.version, rt.version);
  assert.equal(ort?.executionProvider, "cpu");
  assert.equal(ort?.defaultThreads, navigator.hardwareConcurrency);
  // ORT's default intra-op threads (0) are reported as what they resolve to: one per core.
  assert.deepEqual(
    [onnxRuntimeInfo(rt.version, 0).threads, onnxRuntimeInfo(rt.version, 0).workers],
    [navigator.hardwareConcurrency, 0],
  );
  const two = onnxRuntimeInfo(rt.version, 3, 2);
  assert.deepEqual([two.kind, two.version, two.threads, two.workers], ["onnx", rt.version, 3, 2]);
  const tfjs = tfjsRuntimeInfo(1);
  assert.deepEqual([tfjs.backend, tfjs.threads, tfjs.workers], ["wasm", engineInfo().threads, 1]);
});
