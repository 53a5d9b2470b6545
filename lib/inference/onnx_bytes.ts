/**
 * The ONNX bytes a registered version runs on with ONNX Runtime: its attached export, or — for
 * versions registered before exports existed, or whose export predates temperature scaling in the
 * graph — one made now from its tfjs artifact and checked against it on a fixed probe batch
 * before use. Either way the graph computes the served probabilities, `softmax(logits / T)` with
 * the version's temperature: callers apply no temperature of their own.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Logger } from "../log/mod.ts";
import {
  applyTemperature,
  type ArtifactManifest,
  deserializeModel,
  exportOnnx,
  ONNX_MAX_ABS_DIFF,
  OnnxSession,
  onnxTemperature,
} from "../models/mod.ts";
import { getOnnxFile } from "../registry/mod.ts";
import { getContent } from "../storage/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { ModelLoadError } from "./errors.ts";
import { forwardBatch, forwardOnnx } from "./forward.ts";
import { IMAGE_PIXELS } from "./instances.ts";

/** Patterned probe images (0..1): blobs of several sizes, places and brightnesses. */
function probeImages(count: number): Float32Array {
  const x = new Float32Array(count * IMAGE_PIXELS);
  for (let i = 0; i < count; i++) {
    const cx = 7 + (i * 5) % 14, cy = 7 + (i * 3) % 14, r = 3 + (i % 7), b = 0.3 + (i % 5) * 0.17;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const d = ((p % 28 - cx) ** 2 + (Math.floor(p / 28) - cy) ** 2) / (r * r);
      x[i * IMAGE_PIXELS + p] = Math.min(1, b * Math.exp(-d));
    }
  }
  return x;
}

/**
 * Compare an export with its tfjs model on 32 probe images (the graphs alone; tfjs's
 * probabilities scaled by `temperature`, as served).
 * @throws Error when any probability differs by more than 1e-5.
 */
async function probeOnnx(
  model: tf.LayersModel,
  bytes: Uint8Array,
  inputShape: readonly number[],
  temperature: number,
): Promise<number> {
  const n = 32;
  const x = probeImages(n);
  const identity = { scale: 1, shift: 0 };
  const raw = forwardBatch(model, inputShape, identity, x, n);
  const ref = temperature === 1 ? raw : applyTemperature(raw, raw.length / n, temperature);
  const session = await OnnxSession.create(bytes, { threads: 1 });
  try {
    const got = await forwardOnnx(session, identity, x, n);
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i] - got[i]));
    if (!(max <= ONNX_MAX_ABS_DIFF)) {
      throw new Error(`the export differs from tfjs on probe images (max |Δp| ${max})`);
    }
    return max;
  } finally {
    await session.release();
  }
}

/**
 * The ONNX bytes of version `version` of `name` (artifact `sha256`), computing its served
 * probabilities (the signature's temperature in the graph).
 * @throws ModelLoadError
 */
export async function versionOnnxBytes(
  ctx: TrackingContext,
  v: {
    name: string;
    version: number;
    sha256: string;
    manifest: ArtifactManifest;
    weights: Uint8Array;
    log: Logger;
  },
): Promise<Uint8Array> {
  const what = `${v.name} v${v.version} (artifact ${v.sha256})`;
  const msg = (err: unknown) => (err instanceof Error ? err.message : String(err));
  const temperature = v.manifest.signature.temperature ?? 1;
  let stale = false;
  try {
    const file = await getOnnxFile(ctx, v.name, v.version);
    if (file) {
      const bytes = await getContent(ctx.store, file.sha256);
      if (onnxTemperature(bytes) === temperature) return bytes;
      stale = true;
    }
  } catch (err) {
    throw new ModelLoadError(`cannot read the ONNX file of ${what}: ${msg(err)}`);
  }
  let model: tf.LayersModel | undefined;
  try {
    model = await deserializeModel(
      v.manifest.modelTopology,
      v.manifest.weightSpecs as tf.io.WeightsManifestEntry[],
      v.weights,
    );
    const bytes = exportOnnx(model, {
      modelName: v.name,
      modelVersion: v.version,
      labels: v.manifest.signature.labels,
      normalization: v.manifest.signature.normalization,
      sourceArtifact: v.sha256,
      temperature,
    });
    await probeOnnx(model, bytes, v.manifest.signature.inputShape, temperature);
    v.log.info(
      stale
        ? "the registered ONNX file lacks the version's temperature; exported and probed on load"
        : "model has no registered ONNX file; exported and probed on load",
      { model: v.name, version: v.version, temperature },
    );
    return bytes;
  } catch (err) {
    throw new ModelLoadError(`cannot export ${what} to ONNX: ${msg(err)}`);
  } finally {
    model?.dispose();
  }
}
