import assert from "node:assert/strict";
import { forEachDb } from "../db/testing.ts";
import { putContent } from "../storage/mod.ts";
import { testTrackingContext } from "../tracking/testing.ts";
import {
  attachOnnx,
  getModelVersion,
  getOnnxFile,
  loadOnnxBytes,
  registerModelVersion,
  RegistryInputError,
  RegistryNotFoundError,
} from "./mod.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const passed = { images: 10_000, maxAbsDiff: 2e-7, argmaxMismatches: 0, tolerance: 1e-5 };

forEachDb(
  "a version's ONNX file is attached once, immutable, and read back verified",
  async (db) => {
    const ctx = await testTrackingContext(db);
    try {
      const { version } = await registerModelVersion(ctx, { name: "m", artifact: bytes("tfjs") });
      assert.equal(version.onnxSha256, null);
      assert.equal(await getOnnxFile(ctx, "m", 1), null);
      await assert.rejects(loadOnnxBytes(ctx, "m", 1), RegistryNotFoundError);

      const ref = await putContent(ctx.store, bytes("onnx-1"));
      const a = await attachOnnx(ctx, {
        name: "m",
        version: 1,
        file: ref,
        opset: 13,
        equivalence: passed,
      });
      assert.equal(a.created, true);
      assert.equal(a.onnx.sha256, ref.sha256);
      assert.deepEqual(a.onnx.equivalence, passed);
      assert.equal((await getModelVersion(ctx, "m", 1)).onnxSha256, ref.sha256);
      const read = await loadOnnxBytes(ctx, "m", 1);
      assert.equal(new TextDecoder().decode(read.bytes), "onnx-1");

      // A second attach keeps the first file.
      const other = await putContent(ctx.store, bytes("onnx-2"));
      const b = await attachOnnx(ctx, {
        name: "m",
        version: 1,
        file: other,
        opset: 13,
        equivalence: passed,
      });
      assert.equal(b.created, false);
      assert.equal(b.onnx.sha256, ref.sha256);
      await assert.rejects(
        db.query(`UPDATE registry_onnx SET opset = 14 WHERE model = 'm'`),
        /immutable/,
      );
    } finally {
      await ctx.close();
    }
  },
);

forEachDb("a failed equivalence, an unknown version or a missing file is refused", async (db) => {
  const ctx = await testTrackingContext(db);
  try {
    await registerModelVersion(ctx, { name: "m", artifact: bytes("tfjs") });
    const ref = await putContent(ctx.store, bytes("onnx"));
    await assert.rejects(
      attachOnnx(ctx, {
        name: "m",
        version: 1,
        file: ref,
        opset: 13,
        equivalence: { ...passed, maxAbsDiff: 3e-4 },
      }),
      (e: unknown) =>
        e instanceof RegistryInputError && /failed its equivalence check/.test(e.message),
    );
    await assert.rejects(
      attachOnnx(ctx, {
        name: "m",
        version: 1,
        file: ref,
        opset: 13,
        equivalence: { ...passed, argmaxMismatches: 1 },
      }),
      RegistryInputError,
    );
    await assert.rejects(
      attachOnnx(ctx, { name: "m", version: 9, file: ref, opset: 13, equivalence: passed }),
      RegistryNotFoundError,
    );
    await assert.rejects(
      attachOnnx(ctx, {
        name: "m",
        version: 1,
        file: { key: "objects/sha256/00/nothing", sha256: "0".repeat(64), size: 1 },
        opset: 13,
        equivalence: passed,
      }),
      RegistryInputError,
    );
    assert.equal(await getOnnxFile(ctx, "m", 1), null);
  } finally {
    await ctx.close();
  }
});
