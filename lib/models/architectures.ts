/**
 * CNN architectures for Fashion-MNIST, built from a zod-validated config and compiled with
 * Adam and a (sparse) categorical cross-entropy loss.
 *
 * - `m1`: conv32(3×3, relu) → maxpool2 → conv64(3×3, relu) → maxpool2 → flatten →
 *   dense128(relu) → dropout → dense10(softmax).
 * - `bn_cnn`: conv32(3×3 same, relu) → BatchNorm → maxpool2 → conv64(3×3 same, relu) →
 *   BatchNorm → maxpool2 → flatten → dense128(relu) → dropout → dense10(softmax).
 */
import { zodErrorText } from "../config/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { seededDropout } from "./seeded_dropout.ts";

const common = {
  /** Filters of the two conv blocks. */
  filters: z.tuple([z.number().int().min(1).max(512), z.number().int().min(1).max(512)])
    .default([32, 64]),
  /** Units of the hidden dense layer. */
  dense: z.number().int().min(1).max(4096).default(128),
  /** Dropout rate before the classifier (0 disables it). */
  dropout: z.number().min(0).max(0.95).default(0.5),
  /** Adam learning rate. */
  learningRate: z.number().positive().max(1).default(1e-3),
  /** `sparse`: integer labels; `categorical`: one-hot labels. */
  labels: z.enum(["sparse", "categorical"]).default("sparse"),
  /** Seed of the weight initialisers (same seed → same initial weights). */
  seed: z.number().int().min(0).optional(),
};

/** Validated model config. */
export const modelConfigSchema = z.discriminatedUnion("arch", [
  z.object({ arch: z.literal("m1"), ...common }).strict(),
  z.object({ arch: z.literal("bn_cnn"), ...common }).strict(),
  /** Multinomial logistic regression on the 784 pixels (the scikit-learn baseline role). */
  z.object({
    arch: z.literal("logreg"),
    learningRate: common.learningRate,
    labels: common.labels,
    seed: common.seed,
  }).strict(),
  /** Fully connected network on the 784 pixels. */
  z.object({
    arch: z.literal("mlp"),
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(4).default([256, 128]),
    dropout: z.number().min(0).max(0.95).default(0.2),
    learningRate: common.learningRate,
    labels: common.labels,
    seed: common.seed,
  }).strict(),
  /** Small residual network: stem, one stage per width (stride 2 after the first), GAP. */
  z.object({
    arch: z.literal("resnet"),
    widths: z.array(z.number().int().min(1).max(512)).min(1).max(4).default([32, 64, 128]),
    blocksPerStage: z.number().int().min(1).max(4).default(1),
    dropout: z.number().min(0).max(0.95).default(0.2),
    learningRate: common.learningRate,
    labels: common.labels,
    seed: common.seed,
  }).strict(),
]);
/** A model config as written by callers (defaults filled by {@link parseModelConfig}). */
export type ModelConfigInput = z.input<typeof modelConfigSchema>;
/** A model config with every default filled. */
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** Architecture names. */
export const ARCHITECTURES = ["m1", "bn_cnn", "logreg", "mlp", "resnet"] as const;

/** Input image shape (height, width, channels) of every architecture. */
export const INPUT_SHAPE = [28, 28, 1] as const;
/** Number of classes. */
export const NUM_CLASSES = 10;

/**
 * Validate a config, filling defaults.
 * @throws Error naming each invalid field.
 */
export function parseModelConfig(config: unknown): ModelConfig {
  const r = modelConfigSchema.safeParse(config);
  if (!r.success) {
    const lines = zodErrorText(r.error);
    throw new Error(
      `invalid model config ${JSON.stringify(config)}:\n${lines}\n` +
        `Expected {arch: ${ARCHITECTURES.map((a) => `"${a}"`).join(" | ")}, …}.`,
    );
  }
  return r.data;
}

/** `seed + offset`, or undefined when unseeded. */
function seedPlus(seed: number | undefined, offset: number): number | undefined {
  return seed === undefined ? undefined : seed + offset;
}

/**
 * Seeds the weight initialisers. Dropout uses {@link seededDropout} (a new mask every step,
 * reproducible from the seed): tfjs's own seeded dropout repeats one mask at every step.
 */
function seeded(seed: number | undefined, offset: number) {
  return seed === undefined ? {} : {
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + offset }),
  };
}

/** Build and compile the model a config describes (on the current tfjs backend). */
export function buildModel(config: ModelConfigInput): tf.LayersModel {
  const c = parseModelConfig(config);
  const m = c.arch === "logreg"
    ? buildLogReg(c.seed)
    : c.arch === "mlp"
    ? buildMlp(c.hidden, c.dropout, c.seed)
    : c.arch === "resnet"
    ? buildResnet(c.widths, c.blocksPerStage, c.dropout, c.seed)
    : buildConvNet(c);
  m.compile({
    optimizer: tf.train.adam(c.learningRate),
    loss: c.labels === "sparse" ? "sparseCategoricalCrossentropy" : "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  return m;
}

function buildConvNet(c: Extract<ModelConfig, { arch: "m1" | "bn_cnn" }>): tf.LayersModel {
  const bn = c.arch === "bn_cnn";
  const padding = bn ? "same" : "valid";
  const m = tf.sequential({ name: c.arch });
  for (const [i, filters] of c.filters.entries()) {
    m.add(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [...INPUT_SHAPE] } : {}),
      filters,
      kernelSize: 3,
      padding,
      activation: "relu",
      name: `conv${i + 1}`,
      ...seeded(c.seed, i),
    }));
    if (bn) m.add(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i + 1}` }));
  }
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(
    tf.layers.dense({ units: c.dense, activation: "relu", name: "fc1", ...seeded(c.seed, 10) }),
  );
  if (c.dropout > 0) m.add(seededDropout({ rate: c.dropout, name: "dropout", seed: c.seed }));
  m.add(tf.layers.dense({
    units: NUM_CLASSES,
    activation: "softmax",
    name: "logits",
    ...seeded(c.seed, 11),
  }));
  return m;
}

function buildLogReg(seed: number | undefined): tf.LayersModel {
  const m = tf.sequential({ name: "logreg" });
  m.add(tf.layers.flatten({ inputShape: [...INPUT_SHAPE], name: "flatten" }));
  m.add(
    tf.layers.dense({
      units: NUM_CLASSES,
      activation: "softmax",
      name: "logits",
      ...seeded(seed, 0),
    }),
  );
  return m;
}

function buildMlp(hidden: number[], dropout: number, seed: number | undefined): tf.LayersModel {
  const m = tf.sequential({ name: "mlp" });
  m.add(tf.layers.flatten({ inputShape: [...INPUT_SHAPE], name: "flatten" }));
  hidden.forEach((units, i) => {
    m.add(tf.layers.dense({ units, activation: "relu", name: `fc${i + 1}`, ...seeded(seed, i) }));
    if (dropout > 0) {
      m.add(seededDropout({ rate: dropout, name: `dropout${i + 1}`, seed: seedPlus(seed, i) }));
    }
  });
  m.add(
    tf.layers.dense({
      units: NUM_CLASSES,
      activation: "softmax",
      name: "logits",
      ...seeded(seed, 10),
    }),
  );
  return m;
}

function buildResnet(
  widths: number[],
  blocksPerStage: number,
  dropout: number,
  seed: number | undefined,
): tf.LayersModel {
  let k = 0;
  const conv = (filters: number, size: number, strides: number, name: string) =>
    tf.layers.conv2d({
      filters,
      kernelSize: size,
      strides,
      padding: "same",
      useBias: false,
      name,
      ...seeded(seed, k++),
    });
  const input = tf.input({ shape: [...INPUT_SHAPE], name: "image" });
  let x = conv(widths[0], 3, 1, "stem_conv").apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "stem_bn" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: "stem_relu" }).apply(x) as tf.SymbolicTensor;
  let channels = widths[0];
  widths.forEach((width, s) => {
    for (let b = 0; b < blocksPerStage; b++) {
      const strides = s > 0 && b === 0 ? 2 : 1;
      const p = `s${s + 1}b${b + 1}`;
      let y = conv(width, 3, strides, `${p}_conv1`).apply(x) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ name: `${p}_bn1` }).apply(y) as tf.SymbolicTensor;
      y = tf.layers.reLU({ name: `${p}_relu1` }).apply(y) as tf.SymbolicTensor;
      y = conv(width, 3, 1, `${p}_conv2`).apply(y) as tf.SymbolicTensor;
      y = tf.layers.batchNormalization({ name: `${p}_bn2` }).apply(y) as tf.SymbolicTensor;
      let shortcut = x;
      if (strides !== 1 || channels !== width) {
        shortcut = conv(width, 1, strides, `${p}_proj`).apply(x) as tf.SymbolicTensor;
        shortcut = tf.layers.batchNormalization({ name: `${p}_proj_bn` }).apply(
          shortcut,
        ) as tf.SymbolicTensor;
      }
      x = tf.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${p}_relu2` }).apply(x) as tf.SymbolicTensor;
      channels = width;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(x) as tf.SymbolicTensor;
  if (dropout > 0) {
    x = seededDropout({ rate: dropout, name: "dropout", seed }).apply(x) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({
    units: NUM_CLASSES,
    activation: "softmax",
    name: "logits",
    ...seeded(seed, 99),
  })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "resnet" });
}
