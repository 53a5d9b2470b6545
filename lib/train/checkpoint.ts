/**
 * Training checkpoints in the object store: model weights, optimizer state and loop state after
 * an epoch, so an interrupted run resumes where it stopped. The weights go to content-addressed
 * blobs; `checkpoints/<id>/latest.json` points at the newest one and is replaced atomically.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { assertKey, getContent, type ObjectStore, putContent } from "../storage/mod.ts";

const tensorsSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  shapes: z.array(z.array(z.number().int().min(0))),
});

/** Loop state stored with a checkpoint. */
const checkpointStateSchema = z.object({
  /** Last completed epoch (0-based). */
  epoch: z.number().int().min(0),
  /** Optimisation steps done. */
  step: z.number().int().min(0),
  /** Best monitored value so far and its epoch. */
  best: z.object({ value: z.number(), epoch: z.number().int() }).nullable(),
  /** Epochs without improvement (early stopping). */
  wait: z.number().int().min(0),
  /** Metrics of every completed epoch. */
  history: z.array(z.record(z.string(), z.number())),
});
/** Loop state stored with a checkpoint. */
export type CheckpointState = z.infer<typeof checkpointStateSchema>;

const pointerSchema = z.object({
  format: z.literal("fmnist-checkpoint/v1"),
  state: checkpointStateSchema,
  weights: tensorsSchema,
  optimizer: tensorsSchema,
  bestWeights: tensorsSchema.nullable(),
});

async function putTensors(store: ObjectStore, tensors: tf.Tensor[]) {
  const arrays = tensors.map((t) => t.dataSync() as Float32Array);
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const a of arrays) {
    flat.set(a, off);
    off += a.length;
  }
  const ref = await putContent(store, new Uint8Array(flat.buffer));
  return { sha256: ref.sha256, shapes: tensors.map((t) => t.shape) };
}

async function getTensors(
  store: ObjectStore,
  ref: z.infer<typeof tensorsSchema>,
): Promise<tf.Tensor[]> {
  const bytes = await getContent(store, ref.sha256);
  const flat = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  const out: tf.Tensor[] = [];
  let off = 0;
  for (const shape of ref.shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (off + n > flat.length) {
      throw new Error(`checkpoint blob ${ref.sha256} is shorter than its shapes`);
    }
    out.push(tf.tensor(flat.subarray(off, off + n), shape));
    off += n;
  }
  return out;
}

function pointerKey(id: string): string {
  return assertKey(`checkpoints/${id}/latest.json`);
}

/** What a checkpoint restores. */
export interface LoadedCheckpoint {
  state: CheckpointState;
  weights: tf.Tensor[];
  optimizer: tf.Tensor[];
  bestWeights: tf.Tensor[] | null;
}

/** Save a checkpoint for run `id` (weights, optimizer state, best weights, loop state). */
export async function saveCheckpoint(
  store: ObjectStore,
  id: string,
  data: {
    state: CheckpointState;
    weights: tf.Tensor[];
    optimizer: tf.Tensor[];
    bestWeights: tf.Tensor[] | null;
  },
): Promise<void> {
  const pointer = {
    format: "fmnist-checkpoint/v1" as const,
    state: data.state,
    weights: await putTensors(store, data.weights),
    optimizer: await putTensors(store, data.optimizer),
    bestWeights: data.bestWeights ? await putTensors(store, data.bestWeights) : null,
  };
  await store.put(pointerKey(id), new TextEncoder().encode(JSON.stringify(pointer)));
}

/** Load the latest checkpoint of run `id`, or null when there is none. */
export async function loadCheckpoint(
  store: ObjectStore,
  id: string,
): Promise<LoadedCheckpoint | null> {
  const key = pointerKey(id);
  if (!(await store.stat(key))) return null;
  const parsed = pointerSchema.safeParse(
    JSON.parse(new TextDecoder().decode(await store.get(key))),
  );
  if (!parsed.success) {
    throw new Error(
      `checkpoint ${key} is invalid (${
        parsed.error.issues[0]?.message
      }); delete it to restart the run`,
    );
  }
  const p = parsed.data;
  return {
    state: p.state,
    weights: await getTensors(store, p.weights),
    optimizer: await getTensors(store, p.optimizer),
    bestWeights: p.bestWeights ? await getTensors(store, p.bestWeights) : null,
  };
}

/** Remove run `id`'s checkpoint pointer (blobs stay content-addressed). */
export async function clearCheckpoint(store: ObjectStore, id: string): Promise<void> {
  await store.delete(pointerKey(id));
}
