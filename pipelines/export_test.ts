/**
 * `deno task export` end to end: a version registered without an export (with its dataset
 * version) is exported, checked on the full test split, attached and written; a second run
 * writes the attached file; unknown models and bad flags exit 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseSettings } from "../lib/config/mod.ts";
import { ingest } from "../lib/data/mod.ts";
import { initEngine } from "../lib/engine/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import {
  buildModel,
  defaultSignature,
  onnxMetadata,
  saveModelArtifact,
} from "../lib/models/mod.ts";
import { OnnxSession } from "../lib/models/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { getModelVersion, registerModelVersion, setAlias } from "../lib/registry/mod.ts";
import { main } from "./export.ts";

const SOURCE = "/usr/share/datasets/fashion-mnist";

test("export: writes a version's checked ONNX file; unknown models and bad flags exit 2", async () => {
  await initEngine({ backend: "wasm" });
  const state = await Deno.makeTempDir({ prefix: "fmnist-export-" });
  const env = { FMNIST_STATE_DIR: state, FMNIST_SOURCE: SOURCE, LOG_LEVEL: "error" };
  try {
    const ctx = await openContext(parseSettings(env), {
      manifestDir: join(state, "manifests"),
      log: createLogger({}, { level: "error", sink: () => {} }),
    });
    try {
      const ing = await ingest(ctx);
      const model = buildModel({ arch: "bn_cnn", filters: [4, 8], dense: 16, seed: 4 });
      const sig = defaultSignature([28, 28, 1], "cnn");
      const ref = await saveModelArtifact(ctx.store, model, {
        signature: sig,
        config: { arch: "bn_cnn" },
      });
      model.dispose();
      const { version } = await registerModelVersion(ctx, {
        name: "fmnist",
        artifact: { key: ref.key, sha256: ref.sha256, size: ref.size },
        signature: sig,
        datasetVersion: ing.version,
      });
      await setAlias(ctx, { name: "fmnist", alias: "champion", version: version.version });
    } finally {
      await ctx.close();
    }
    const out = join(state, "model.onnx");
    const logs: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(" "));
    let code: number;
    try {
      // As `deno task export -- --model …` passes it.
      code = await main(["--", "--model", "fmnist@champion", "--out", out, "--json"], env);
    } finally {
      console.log = orig;
    }
    assert.equal(code, 0);
    const summary = JSON.parse(logs.at(-1)!);
    assert.equal(summary.exportedNow, true);
    assert.equal(summary.equivalence.images, 10_000);
    assert.ok(summary.equivalence.maxAbsDiff <= 1e-5);
    assert.equal(summary.equivalence.argmaxMismatches, 0);
    const bytes = await Deno.readFile(out);
    assert.equal(bytes.length, summary.size);
    const md = onnxMetadata(bytes);
    assert.equal(md.model_name, "fmnist");
    assert.equal(md.model_version, "1");
    assert.equal(md.arch, "bn_cnn");
    assert.ok(md.dataset_version);
    const s = await OnnxSession.create(bytes, { threads: 1 });
    assert.equal((await s.run(new Float32Array(784 * 2), 2)).length, 20);
    await s.release();

    // Attached now: a second export writes the same bytes without re-exporting.
    const out2 = join(state, "again.onnx");
    logs.length = 0;
    console.log = (...a: unknown[]) => logs.push(a.join(" "));
    try {
      code = await main(["--model", "fmnist@1", "--out", out2, "--json"], env);
    } finally {
      console.log = orig;
    }
    assert.equal(code, 0);
    assert.equal(JSON.parse(logs.at(-1)!).exportedNow, false);
    assert.deepEqual(await Deno.readFile(out2), bytes);
    const ctx2 = await openContext(parseSettings(env), { manifestDir: join(state, "manifests") });
    try {
      assert.equal((await getModelVersion(ctx2, "fmnist", 1)).onnxSha256, summary.sha256);
    } finally {
      await ctx2.close();
    }

    const errs: string[] = [];
    const origErr = console.error;
    console.error = (...a: unknown[]) => errs.push(a.join(" "));
    try {
      assert.equal(await main(["--model", "nope@champion", "--out", out2], env), 2);
      assert.equal(await main(["--model", "fmnist@7", "--out", out2], env), 2);
      assert.equal(await main(["--model", "fmnist@@x", "--out", out2], env), 2);
      assert.equal(await main(["--out", out2], env), 2);
    } finally {
      console.error = origErr;
    }
    assert.ok(errs.some((e) => /use NAME or NAME@REF/.test(e)));
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
