import * as tf from "@tensorflow/tfjs";
import { initEngine, kernelProfile, NATIVE_KERNEL_NAMES } from "./lib/engine/mod.ts";
import { buildModel } from "./lib/models/architectures.ts";
const heavy = new Set<string>(NATIVE_KERNEL_NAMES);
for (const arch of ["m1", "bn_cnn"] as const) {
  for (const backend of ["native", "cpu", "native", "cpu", "native", "cpu"] as const) {
    await initEngine({ backend });
    const model = buildModel({ arch, seed: 1 });
    const x = tf.randomUniform([128, 28, 28, 1]); const y = tf.oneHot(tf.randomUniform([128], 0, 10, "int32"), 10);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
    await model.trainOnBatch(x, y);
    const prof = await kernelProfile(() => model.trainOnBatch(x, y));
    const rest = prof.filter((k) => !heavy.has(k.name));
    const ms = rest.reduce((s, k) => s + k.ms, 0);
    console.log(`${arch} ${backend}: non-heavy kernels ${ms.toFixed(1)} ms (${rest.length} kinds); top: ${rest.slice(0, 5).map((k) => `${k.name} ${k.ms.toFixed(1)}`).join(", ")}`);
    model.dispose(); x.dispose(); y.dispose();
  }
}
