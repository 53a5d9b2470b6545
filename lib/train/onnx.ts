/**
 * The ONNX export of a registered model version: exported from its stored tfjs artifact, checked
 * against it on the whole test split of its dataset (max |Δp| ≤ 1e-5, identical arg-max), stored
 * content-addressed and attached to the version. An export that fails the check is not attached.
 *
 * The artifact is saved after evaluation has fitted its temperature `T` (it is in the artifact's
 * signature, so in its sha256), and the export is made from the artifact: the graph computes
 * `softmax(logits / T)` for that very `T`, and the check compares it with tfjs's probabilities
 * scaled by the same `T` — the probabilities the service serves.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { loadDataset } from "../data/mod.ts";
import {
  type ArtifactManifest,
  checkOnnxEquivalence,
  exportOnnx,
  loadModelArtifact,
  ONNX_OPSET,
  type OnnxEquivalence,
  OnnxEquivalenceError,
  onnxGraphBytes,
  type OnnxMetadata,
} from "../models/mod.ts";
import type { Ctx } from "../workspace/mod.ts";
import { attachOnnx, getModelVersion, getOnnxFile, type OnnxFile } from "../registry/mod.ts";
import { putContent } from "../storage/mod.ts";
import { gitState } from "../tracking/mod.ts";

/** An export of a tfjs artifact that passed its equivalence check. */
export interface CheckedOnnx {
  bytes: Uint8Array;
  equivalence: OnnxEquivalence;
}

/** Metadata of an artifact's export (`modelVersion` set once it is registered). */
export async function onnxMetadataFor(
  name: string,
  manifest: ArtifactManifest,
  extra: { sha256: string; datasetVersion?: string | null; modelVersion?: number },
): Promise<OnnxMetadata> {
  const git = await gitState().catch(() => null);
  const arch = manifest.config.arch;
  return {
    modelName: name,
    ...(extra.modelVersion === undefined ? {} : { modelVersion: extra.modelVersion }),
    ...(extra.datasetVersion ? { datasetVersion: extra.datasetVersion } : {}),
    ...(git?.commit ? { codeCommit: git.commit } : {}),
    labels: manifest.signature.labels,
    normalization: manifest.signature.normalization,
    sourceArtifact: extra.sha256,
    ...(typeof arch === "string" ? { arch } : {}),
    ...(manifest.signature.temperature === undefined
      ? {}
      : { temperature: manifest.signature.temperature }),
  };
}

/**
 * Export `model` with `meta` and check it on every image of `test`.
 * @throws OnnxEquivalenceError when the export differs from the model.
 */
export async function exportChecked(
  model: tf.LayersModel,
  manifest: ArtifactManifest,
  meta: OnnxMetadata,
  test: ImageSet,
): Promise<CheckedOnnx> {
  // The graph and the check use the signature's temperature, whatever `meta` says.
  const bytes = exportOnnx(model, { ...meta, temperature: manifest.signature.temperature });
  const equivalence = await checkOnnxEquivalence(model, bytes, test, {
    normalization: manifest.signature.normalization,
    temperature: manifest.signature.temperature,
  });
  if (!equivalence.ok) {
    throw new OnnxEquivalenceError(
      equivalence,
      `${meta.modelName}${meta.modelVersion ? ` v${meta.modelVersion}` : ""}`,
    );
  }
  return { bytes, equivalence };
}

/**
 * Export version `version` of `name` with its version metadata and attach it. `checked` is an
 * export of the same artifact already checked (before registration): the new bytes must hold the
 * same graph, so its check carries over; without it the check runs here on the test split.
 * Returns the attached file (the existing one when the version already has one).
 */
export async function attachVersionOnnx(
  ctx: Ctx,
  opts: { name: string; version: number; checked?: CheckedOnnx; datasetVersion?: string },
): Promise<OnnxFile> {
  const mv = await getModelVersion(ctx, opts.name, opts.version);
  if (mv.onnxSha256) {
    const have = await getOnnxFile(ctx, opts.name, opts.version);
    if (have) return have;
  }
  const { model, manifest } = await loadModelArtifact(ctx.store, mv.sha256);
  try {
    const datasetVersion = opts.datasetVersion ?? mv.datasetVersion ?? undefined;
    const meta = await onnxMetadataFor(opts.name, manifest, {
      sha256: mv.sha256,
      datasetVersion,
      modelVersion: mv.version,
    });
    let result: CheckedOnnx;
    if (opts.checked) {
      const bytes = exportOnnx(model, meta);
      const same = onnxGraphBytes(bytes);
      const before = onnxGraphBytes(opts.checked.bytes);
      if (same.length !== before.length || same.some((b, i) => b !== before[i])) {
        throw new Error(`the ONNX graph of ${opts.name} v${mv.version} changed after its check`);
      }
      result = { bytes, equivalence: opts.checked.equivalence };
    } else {
      if (!datasetVersion) {
        throw new Error(
          `${opts.name} v${mv.version} names no dataset version; pass one to check the export`,
        );
      }
      const ds = await loadDataset(ctx, datasetVersion);
      result = await exportChecked(model, manifest, meta, ds.test);
    }
    const ref = await putContent(ctx.store, result.bytes);
    const { onnx } = await attachOnnx(ctx, {
      name: opts.name,
      version: mv.version,
      file: ref,
      opset: ONNX_OPSET,
      equivalence: result.equivalence,
    });
    return onnx;
  } finally {
    model.dispose();
  }
}
