/**
 * Messages between the training loop (replica 0) and its replica workers, as zod schemas:
 * both sides validate what they receive, so a protocol mismatch fails with a clear error
 * instead of corrupting weights.
 */
import { z } from "zod";
import { levelSchema } from "../log/mod.ts";

const f32 = z.custom<Float32Array>((v) => v instanceof Float32Array, "expected a Float32Array");
const i32 = z.custom<Int32Array>((v) => v instanceof Int32Array, "expected an Int32Array");
const u8 = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected a Uint8Array");
const shapes = z.array(z.array(z.number().int().min(0)));

/** Loss settings every replica must share. */
const lossSpecSchema = z.object({
  classes: z.number().int().min(2),
  labelSmoothing: z.number().min(0).max(0.5),
});

/** Main → worker. */
export const toReplicaSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("init"),
    /** Backend request for the worker's engine (`wasm`, `cpu`, …). */
    backend: z.string(),
    /** The training loop's log level: the worker's lines (e.g. "engine ready") obey it too. */
    logLevel: levelSchema,
    modelTopology: z.record(z.string(), z.unknown()),
    weightSpecs: z.array(z.object({ name: z.string(), shape: z.array(z.number()) }).passthrough()),
    weights: u8,
    /** Adam state as `getWeights` lists it (iterations first), flattened. */
    optimizer: z.object({ shapes, flat: f32 }),
    learningRate: z.number().positive(),
    loss: lossSpecSchema,
    classWeights: f32.nullable(),
  }),
  z.object({
    type: z.literal("grad"),
    id: z.number().int(),
    x: f32,
    inputShape: z.array(z.number().int().positive()),
    y: i32,
    divisor: z.number().int().positive(),
    /** Optimisation step: seeds this step's dropout masks (resume draws the same masks). */
    step: z.number().int().min(0),
  }),
  z.object({ type: z.literal("apply"), grads: f32, learningRate: z.number().positive() }),
  z.object({ type: z.literal("weights"), id: z.number().int() }),
]);
/** A message to a replica worker. */
export type ToReplica = z.infer<typeof toReplicaSchema>;

/** Worker → main. */
export const fromReplicaSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), trainableShapes: shapes }),
  z.object({
    type: z.literal("grad"),
    id: z.number().int(),
    grads: f32,
    loss: z.number(),
    hits: z.number(),
  }),
  z.object({ type: z.literal("weights"), id: z.number().int(), trainable: f32, all: f32 }),
  z.object({ type: z.literal("error"), message: z.string() }),
]);
/** A message from a replica worker. */
export type FromReplica = z.infer<typeof fromReplicaSchema>;
