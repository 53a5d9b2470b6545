/**
 * A data-parallel training replica, run as a Deno module Worker by {@link ReplicaPool}: holds
 * its own engine (wasm backend), a copy of the model and of the Adam optimizer; computes the
 * gradients of the shards it is sent and applies the averaged gradients it receives, so its
 * trainable weights stay bit-identical to replica 0's.
 */
import * as tf from "@tensorflow/tfjs";
import { FusedAdam, initEngine } from "../engine/mod.ts";
import { createLogger } from "../log/mod.ts";
import { deserializeModel, setDropoutStep } from "../models/mod.ts";
import { backendRequestSchema } from "../engine/mod.ts";
import type { FromReplica, ToReplica } from "./replica_protocol.ts";
import { toReplicaSchema } from "./replica_protocol.ts";
import { type LossSpec, shardGradients, unflattenTensors } from "./step.ts";
import { flattenTensors } from "./step.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(msg: FromReplica, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

interface Replica {
  model: tf.LayersModel;
  vars: tf.Variable[];
  optimizer: tf.AdamOptimizer & { learningRate: number };
  loss: LossSpec;
  weights: tf.Tensor1D | null;
}
let replica: Replica | null = null;
let failed = false;

function need(): Replica {
  if (!replica) throw new Error("replica worker: received work before init");
  return replica;
}

async function handle(msg: ToReplica): Promise<void> {
  switch (msg.type) {
    case "init": {
      const backend = backendRequestSchema.safeParse(msg.backend);
      if (!backend.success) {
        throw new Error(
          `unknown backend "${msg.backend}" (expected one of ${
            backendRequestSchema.options.join(", ")
          })`,
        );
      }
      await initEngine(
        { backend: backend.data },
        createLogger({ worker: "replica" }, { level: msg.logLevel }),
      );
      const model = await deserializeModel(
        msg.modelTopology,
        msg.weightSpecs as unknown as tf.io.WeightsManifestEntry[],
        msg.weights,
      );
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const optimizer = new FusedAdam(msg.learningRate) as Replica["optimizer"];
      const state = unflattenTensors(msg.optimizer.flat, msg.optimizer.shapes);
      if (state.length) {
        await optimizer.setWeights(state.map((tensor, i) => ({ name: `restored_${i}`, tensor })));
      }
      state.forEach((t) => t.dispose());
      replica = {
        model,
        vars,
        optimizer,
        loss: msg.loss,
        weights: msg.classWeights ? tf.tensor1d(msg.classWeights) : null,
      };
      scope.postMessage({ type: "ready", trainableShapes: vars.map((v) => v.shape) });
      return;
    }
    case "grad": {
      const r = need();
      const n = msg.y.length;
      const x = tf.tensor(msg.x, [n, ...msg.inputShape]);
      const y = tf.tensor1d(msg.y, "int32");
      setDropoutStep(r.model, msg.step);
      const out = shardGradients(r.model, r.vars, x, y, r.loss, r.weights, msg.divisor);
      x.dispose();
      y.dispose();
      const grads = flattenTensors(out.grads);
      out.grads.forEach((g) => g.dispose());
      scope.postMessage(
        { type: "grad", id: msg.id, grads, loss: out.loss, hits: out.hits },
        [grads.buffer as ArrayBuffer],
      );
      return;
    }
    case "apply": {
      const r = need();
      r.optimizer.learningRate = msg.learningRate;
      const grads = unflattenTensors(msg.grads, r.vars.map((v) => v.shape));
      r.optimizer.applyGradients(r.vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      grads.forEach((g) => g.dispose());
      return;
    }
    case "weights": {
      const r = need();
      const trainable = flattenTensors(r.vars);
      const all = flattenTensors(r.model.getWeights());
      scope.postMessage({ type: "weights", id: msg.id, trainable, all }, [
        trainable.buffer as ArrayBuffer,
        all.buffer as ArrayBuffer,
      ]);
      return;
    }
  }
}

// Messages are handled strictly in order (an `apply` must land before the next `grad`).
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent) => {
  queue = queue.then(async () => {
    if (failed) return;
    try {
      const parsed = toReplicaSchema.safeParse(e.data);
      if (!parsed.success) {
        throw new Error(`malformed message: ${parsed.error.issues[0]?.message}`);
      }
      await handle(parsed.data);
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      scope.postMessage({ type: "error", message });
    }
  });
};
