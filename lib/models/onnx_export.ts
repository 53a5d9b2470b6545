/**
 * ONNX export of a tfjs layers model (every architecture of {@link buildModel} and whatever the
 * tuning space builds from them), written with the official ONNX schema through `onnx-proto`
 * (protobufjs). The graph takes the model's own NHWC input (`[batch, 28, 28, 1]`, normalized as
 * its signature says) and returns its softmax probabilities:
 *
 * - NHWC → NCHW once at the first spatial layer (a Reshape when there is one channel), and back
 *   to NHWC before a Flatten, so flattened features keep Keras's order;
 * - a BatchNormalization whose input is a linear conv used by nothing else is folded into that
 *   conv (exact up to float rounding); any other one becomes an ONNX BatchNormalization;
 * - Dropout / SeededDropout are the identity at inference and vanish;
 * - temperature scaling: with a temperature `T` (fitted at evaluation, held in the artifact's
 *   signature) the final softmax takes `logits / T` (a Div node), so the graph returns the
 *   probabilities the service serves for that version; `T` is in the metadata;
 * - opset 13, a dynamic batch dimension (`batch`), and metadata (model, version, dataset version,
 *   code commit, class labels, input normalization, temperature, source artifact).
 */
import type * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The ONNX opset the exporter writes. */
export const ONNX_OPSET = 13;
/** The IR version matching {@link ONNX_OPSET}. */
export const ONNX_IR_VERSION = 7;
/** Name of the graph input (NHWC images, normalized). */
export const ONNX_INPUT = "image";
/** Name of the graph output (class probabilities). */
export const ONNX_OUTPUT = "probabilities";

/** Metadata written into the ONNX model (`metadata_props` and model fields). */
export interface OnnxMetadata {
  /** Registered model name. */
  modelName: string;
  /** Registered version number (absent before registration). */
  modelVersion?: number;
  /** Dataset version the model was trained on. */
  datasetVersion?: string;
  /** Git commit of the code that trained / exported it. */
  codeCommit?: string;
  /** Class label names, indexed by class id. */
  labels: readonly string[];
  /** Input normalization: pixel bytes map to `(byte * scale - mean) / std`. */
  normalization: { scale: number; mean: number; std: number };
  /** sha256 of the tfjs artifact it was exported from. */
  sourceArtifact?: string;
  /** Architecture name (e.g. `m1`). */
  arch?: string;
  /**
   * Temperature of the version's signature: the graph computes `softmax(logits / T)`. Absent
   * or 1: the plain softmax.
   */
  temperature?: number;
}

/** Raised when a model holds a layer or setting the exporter cannot write exactly. */
export class OnnxExportError extends Error {
  override name = "OnnxExportError";
}

type Layout = "nhwc" | "nchw" | "flat";

/** A tensor of the graph being built: its name, layout and per-image shape. */
interface Value {
  name: string;
  layout: Layout;
  /** Per-image shape: `[h, w, c]` for nhwc/nchw, `[features]` for flat. */
  shape: number[];
}

type Attr = onnxProto.onnx.IAttributeProto;

function intsAttr(name: string, ints: number[]): Attr {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}
function intAttr(name: string, i: number): Attr {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
function floatAttr(name: string, f: number): Attr {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f };
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian; typed arrays use the platform order, checked here.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new OnnxExportError("ONNX export needs a little-endian platform");
  }
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** Builds nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly inits: onnxProto.onnx.ITensorProto[] = [];
  #n = 0;

  fresh(base: string): string {
    return `${base}__${this.#n++}`;
  }

  node(op: string, inputs: string[], output: string, attrs: Attr[] = []): string {
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [output],
      name: output,
      attribute: attrs,
    });
    return output;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: bytesOf(data),
    });
    return name;
  }

  int64s(name: string, data: number[]): string {
    this.inits.push({
      name,
      dims: [data.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: bytesOf(BigInt64Array.from(data.map(BigInt))),
    });
    return name;
  }
}

/** Layer class names the exporter writes. */
export const ONNX_LAYERS = [
  "InputLayer",
  "Conv2D",
  "BatchNormalization",
  "MaxPooling2D",
  "AveragePooling2D",
  "GlobalAveragePooling2D",
  "Flatten",
  "Dense",
  "Dropout",
  "SeededDropout",
  "ReLU",
  "Activation",
  "Add",
] as const;

interface LayerInfo {
  layer: tf.layers.Layer;
  cls: string;
  config: Record<string, unknown>;
  inbound: string[];
}

function pair(v: unknown, what: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v];
  if (a.length !== 2 || !a.every((x) => Number.isInteger(x))) {
    throw new OnnxExportError(`${what} must be two integers, got ${JSON.stringify(v)}`);
  }
  return [a[0] as number, a[1] as number];
}

/** TF "same"/"valid" padding → ONNX pads and output size, per spatial dimension. */
function padOf(
  padding: unknown,
  size: number,
  k: number,
  s: number,
  d: number,
  what: string,
): { before: number; after: number; out: number } {
  const keff = (k - 1) * d + 1;
  if (padding === "valid") {
    const out = Math.floor((size - keff) / s) + 1;
    if (out < 1) throw new OnnxExportError(`${what}: input ${size} is smaller than the window`);
    return { before: 0, after: 0, out };
  }
  if (padding === "same") {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + keff - size, 0);
    const before = Math.floor(total / 2);
    return { before, after: total - before, out };
  }
  throw new OnnxExportError(`${what}: padding ${JSON.stringify(padding)} is not supported`);
}

/** Weights of a layer by their short name (`kernel`, `bias`, `gamma`, `moving_mean`…). */
function weightsOf(layer: tf.layers.Layer): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const short = w.originalName.split("/").pop() ?? w.originalName;
    out.set(short, { shape: values[i].shape, data: values[i].dataSync() as Float32Array });
  });
  return out;
}

function activationNode(
  g: GraphBuilder,
  act: unknown,
  v: Value,
  out: string,
  what: string,
): Value {
  const a = act ?? "linear";
  if (a === "linear") return v;
  if (a === "relu") return { ...v, name: g.node("Relu", [v.name], out) };
  if (a === "sigmoid") return { ...v, name: g.node("Sigmoid", [v.name], out) };
  if (a === "tanh") return { ...v, name: g.node("Tanh", [v.name], out) };
  if (a === "softmax") {
    // Keras's softmax runs over the last axis: the features, or the channels (axis 1 in NCHW).
    const axis = v.layout === "nchw" ? 1 : -1;
    return { ...v, name: g.node("Softmax", [v.name], out, [intAttr("axis", axis)]) };
  }
  throw new OnnxExportError(`${what}: activation ${JSON.stringify(a)} is not supported`);
}

/** Convert the model's tfjs layers into ONNX nodes. */
function buildGraph(model: tf.LayersModel): { g: GraphBuilder; input: Value; output: Value } {
  const g = new GraphBuilder();
  const infos: LayerInfo[] = model.layers.map((layer) => {
    if (layer.inboundNodes.length !== 1) {
      throw new OnnxExportError(
        `layer ${layer.name} is used ${layer.inboundNodes.length} times; shared layers are not supported`,
      );
    }
    return {
      layer,
      cls: layer.getClassName(),
      config: layer.getConfig() as Record<string, unknown>,
      inbound: layer.inboundNodes[0].inboundLayers.map((l) => l.name),
    };
  });
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new OnnxExportError("only single-input, single-output models are supported");
  }
  const inShape = model.inputs[0].shape.slice(1);
  if (inShape.some((d) => d === null) || (inShape.length !== 3 && inShape.length !== 1)) {
    throw new OnnxExportError(`unsupported input shape ${JSON.stringify(model.inputs[0].shape)}`);
  }
  const input: Value = {
    name: ONNX_INPUT,
    layout: inShape.length === 3 ? "nhwc" : "flat",
    shape: inShape as number[],
  };
  const inputLayer = model.inputs[0].sourceLayer.name;
  const values = new Map<string, Value>([[inputLayer, input]]);
  const consumers = new Map<string, number>();
  for (const info of infos) {
    for (const n of info.inbound) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  }
  const converted = new Map<string, string>();

  const nchw = (v: Value): Value => {
    if (v.layout === "nchw") return v;
    if (v.layout !== "nhwc") {
      throw new OnnxExportError(`a spatial layer got a flat input (${v.name})`);
    }
    const [h, w, c] = v.shape;
    let name = converted.get(v.name);
    if (!name) {
      const out = g.fresh(`${v.name}_nchw`);
      name = c === 1
        ? g.node("Reshape", [v.name, g.int64s(g.fresh("shape"), [-1, c, h, w])], out)
        : g.node("Transpose", [v.name], out, [intsAttr("perm", [0, 3, 1, 2])]);
      converted.set(v.name, name);
    }
    return { name, layout: "nchw", shape: v.shape };
  };
  const nhwc = (v: Value): Value => {
    if (v.layout !== "nchw") return v;
    const [h, w, c] = v.shape;
    const out = g.fresh(`${v.name}_nhwc`);
    const name = c === 1 || h * w === 1
      ? g.node("Reshape", [v.name, g.int64s(g.fresh("shape"), [-1, h, w, c])], out)
      : g.node("Transpose", [v.name], out, [intsAttr("perm", [0, 2, 3, 1])]);
    return { name, layout: "nhwc", shape: v.shape };
  };

  const folded = new Set<string>();
  for (const info of infos) {
    const { layer, cls, config: cfg } = info;
    const name = layer.name;
    const what = `layer ${name} (${cls})`;
    if (cls === "InputLayer") continue;
    if (folded.has(name)) continue;
    const ins = info.inbound.map((n) => {
      const v = values.get(n);
      if (!v) throw new OnnxExportError(`${what}: input ${n} is not computed before it`);
      return v;
    });
    const x = ins[0];
    let y: Value;
    switch (cls) {
      case "Dropout":
      case "SeededDropout":
        y = x;
        break;
      case "Conv2D": {
        if (cfg.dataFormat !== undefined && cfg.dataFormat !== "channelsLast") {
          throw new OnnxExportError(`${what}: dataFormat ${String(cfg.dataFormat)} unsupported`);
        }
        const v = nchw(x);
        const [h, w, cin] = v.shape;
        const [kh, kw] = pair(cfg.kernelSize, `${what} kernelSize`);
        const [sh, sw] = pair(cfg.strides ?? 1, `${what} strides`);
        const [dh, dw] = pair(cfg.dilationRate ?? 1, `${what} dilationRate`);
        const ph = padOf(cfg.padding, h, kh, sh, dh, what);
        const pw = padOf(cfg.padding, w, kw, sw, dw, what);
        const ws = weightsOf(layer);
        const kernel = ws.get("kernel");
        if (!kernel) throw new OnnxExportError(`${what}: no kernel weights`);
        const cout = kernel.shape[3];
        // Keras kernel [kh, kw, in, out] → ONNX [out, in, kh, kw].
        const W = new Float32Array(cout * cin * kh * kw);
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            for (let ci = 0; ci < cin; ci++) {
              for (let co = 0; co < cout; co++) {
                W[((co * cin + ci) * kh + i) * kw + j] =
                  kernel.data[((i * kw + j) * cin + ci) * cout + co];
              }
            }
          }
        }
        const B = ws.get("bias")?.data.slice() ?? new Float32Array(cout);
        let outName = name;
        // Fold a following BatchNormalization when exact: linear conv, BN its only consumer.
        const next = infos.find((o) => o.inbound.includes(name));
        const act = cfg.activation ?? "linear";
        if (
          act === "linear" && consumers.get(name) === 1 && next?.cls === "BatchNormalization" &&
          next.inbound.length === 1 && bnChannelAxis(next.config) === 3
        ) {
          const bn = bnParams(next.layer, cout);
          for (let co = 0; co < cout; co++) {
            const k = bn.gamma[co] / Math.sqrt(bn.variance[co] + bn.epsilon);
            for (let t = 0; t < cin * kh * kw; t++) W[co * cin * kh * kw + t] *= k;
            B[co] = (B[co] - bn.mean[co]) * k + bn.beta[co];
          }
          folded.add(next.layer.name);
          outName = next.layer.name;
        }
        const conv = g.node(
          "Conv",
          [
            v.name,
            g.floats(`${name}.weight`, [cout, cin, kh, kw], W),
            g.floats(`${name}.bias`, [cout], B),
          ],
          act === "linear" ? outName : g.fresh(`${name}_conv`),
          [
            intsAttr("kernel_shape", [kh, kw]),
            intsAttr("strides", [sh, sw]),
            intsAttr("dilations", [dh, dw]),
            intsAttr("pads", [ph.before, pw.before, ph.after, pw.after]),
          ],
        );
        y = activationNode(
          g,
          act,
          { name: conv, layout: "nchw", shape: [ph.out, pw.out, cout] },
          outName,
          what,
        );
        values.set(outName, y);
        continue;
      }
      case "BatchNormalization": {
        const axis = bnChannelAxis(cfg);
        const v = x.layout === "flat" ? x : nchw(x);
        const channels = v.shape[v.shape.length - 1];
        if ((x.layout === "flat" && axis !== 1) || (x.layout !== "flat" && axis !== 3)) {
          throw new OnnxExportError(`${what}: only channel-axis normalization is supported`);
        }
        const bn = bnParams(layer, channels);
        y = {
          ...v,
          name: g.node(
            "BatchNormalization",
            [
              v.name,
              g.floats(`${name}.scale`, [channels], bn.gamma),
              g.floats(`${name}.bias`, [channels], bn.beta),
              g.floats(`${name}.mean`, [channels], bn.mean),
              g.floats(`${name}.var`, [channels], bn.variance),
            ],
            name,
            [floatAttr("epsilon", bn.epsilon)],
          ),
        };
        break;
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        const v = nchw(x);
        const [h, w, c] = v.shape;
        const [kh, kw] = pair(cfg.poolSize, `${what} poolSize`);
        const [sh, sw] = pair(cfg.strides ?? cfg.poolSize, `${what} strides`);
        const ph = padOf(cfg.padding ?? "valid", h, kh, sh, 1, what);
        const pw = padOf(cfg.padding ?? "valid", w, kw, sw, 1, what);
        const attrs = [
          intsAttr("kernel_shape", [kh, kw]),
          intsAttr("strides", [sh, sw]),
          intsAttr("pads", [ph.before, pw.before, ph.after, pw.after]),
        ];
        // Keras averages over the valid (unpadded) cells only.
        if (cls === "AveragePooling2D") attrs.push(intAttr("count_include_pad", 0));
        y = {
          name: g.node(cls === "MaxPooling2D" ? "MaxPool" : "AveragePool", [v.name], name, attrs),
          layout: "nchw",
          shape: [ph.out, pw.out, c],
        };
        break;
      }
      case "GlobalAveragePooling2D": {
        const v = nchw(x);
        const c = v.shape[2];
        const gap = g.node("GlobalAveragePool", [v.name], g.fresh(`${name}_gap`));
        y = {
          name: g.node("Flatten", [gap], name, [intAttr("axis", 1)]),
          layout: "flat",
          shape: [c],
        };
        break;
      }
      case "Flatten": {
        const v = nhwc(x);
        const size = v.shape.reduce((a, b) => a * b, 1);
        y = {
          name: v.shape.length === 1 ? v.name : g.node("Flatten", [v.name], name, [
            intAttr("axis", 1),
          ]),
          layout: "flat",
          shape: [size],
        };
        break;
      }
      case "Dense": {
        if (x.layout !== "flat") {
          throw new OnnxExportError(`${what}: a Dense layer on a spatial tensor is not supported`);
        }
        const ws = weightsOf(layer);
        const kernel = ws.get("kernel");
        if (!kernel) throw new OnnxExportError(`${what}: no kernel weights`);
        const [fin, fout] = kernel.shape;
        if (fin !== x.shape[0]) {
          throw new OnnxExportError(`${what}: kernel expects ${fin} inputs, got ${x.shape[0]}`);
        }
        const act = cfg.activation ?? "linear";
        const gemm = g.node(
          "Gemm",
          [
            x.name,
            g.floats(`${name}.weight`, [fin, fout], kernel.data),
            g.floats(`${name}.bias`, [fout], ws.get("bias")?.data ?? new Float32Array(fout)),
          ],
          act === "linear" ? name : g.fresh(`${name}_gemm`),
        );
        y = activationNode(g, act, { name: gemm, layout: "flat", shape: [fout] }, name, what);
        break;
      }
      case "ReLU": {
        const max = cfg.maxValue;
        if (max !== null && max !== undefined) {
          const lo = g.floats(g.fresh("zero"), [], new Float32Array([0]));
          const hi = g.floats(g.fresh("max"), [], new Float32Array([Number(max)]));
          y = { ...x, name: g.node("Clip", [x.name, lo, hi], name) };
        } else {
          y = { ...x, name: g.node("Relu", [x.name], name) };
        }
        break;
      }
      case "Activation":
        y = activationNode(g, cfg.activation, x, name, what);
        break;
      case "Add": {
        const spatial = ins.some((v) => v.layout !== "flat");
        const vs = spatial ? ins.map(nchw) : ins;
        let acc = vs[0].name;
        for (let i = 1; i < vs.length; i++) {
          acc = g.node("Add", [acc, vs[i].name], i === vs.length - 1 ? name : g.fresh(name));
        }
        y = { ...vs[0], name: acc };
        break;
      }
      default:
        throw new OnnxExportError(
          `${what} has no ONNX export; supported layers: ${ONNX_LAYERS.join(", ")}`,
        );
    }
    values.set(name, y);
  }
  const outLayer = model.outputs[0].sourceLayer.name;
  let output = values.get(outLayer);
  if (!output) throw new OnnxExportError(`the output layer ${outLayer} was not computed`);
  if (output.layout !== "flat") output = nhwc(output);
  return { g, input, output };
}

function bnChannelAxis(cfg: Record<string, unknown>): number {
  const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
  if (axis.length !== 1) throw new OnnxExportError("BatchNormalization over several axes");
  const a = Number(axis[0]);
  return a === -1 ? 3 : a;
}

function bnParams(layer: tf.layers.Layer, channels: number) {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const ws = weightsOf(layer);
  const get = (k: string, fill: number) => ws.get(k)?.data ?? new Float32Array(channels).fill(fill);
  const eps = Number(cfg.epsilon ?? 1e-3);
  return {
    gamma: get("gamma", 1),
    beta: get("beta", 0),
    mean: get("moving_mean", 0),
    variance: get("moving_variance", 1),
    epsilon: eps,
  };
}

/** The graph's output value renamed to {@link ONNX_OUTPUT}. */
function renameOutput(g: GraphBuilder, from: string): void {
  if (from === ONNX_INPUT) {
    g.node("Identity", [from], ONNX_OUTPUT);
    return;
  }
  for (const n of g.nodes) {
    n.output = n.output!.map((o) => (o === from ? ONNX_OUTPUT : o));
    n.input = n.input!.map((i) => (i === from ? ONNX_OUTPUT : i));
    if (n.name === from) n.name = ONNX_OUTPUT;
  }
}

function metadataProps(meta: OnnxMetadata): onnxProto.onnx.IStringStringEntryProto[] {
  const props: Record<string, string | undefined> = {
    model_name: meta.modelName,
    model_version: meta.modelVersion === undefined ? undefined : String(meta.modelVersion),
    dataset_version: meta.datasetVersion,
    code_commit: meta.codeCommit,
    labels: JSON.stringify(meta.labels),
    normalization: JSON.stringify(meta.normalization),
    input_layout: "NHWC",
    source_artifact: meta.sourceArtifact,
    arch: meta.arch,
    temperature: meta.temperature === undefined ? undefined : String(meta.temperature),
  };
  return Object.entries(props).filter(([, v]) => v !== undefined).map(([key, value]) => ({
    key,
    value,
  }));
}

/** The exported graph (no model-level metadata), for comparing two exports' computation. */
export function onnxGraphBytes(model: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  return onnx.GraphProto.encode(m.graph!).finish();
}

/** The `metadata_props` of an ONNX model as a record. */
export function onnxMetadata(model: Uint8Array): Record<string, string> {
  const m = onnx.ModelProto.decode(model);
  return Object.fromEntries(m.metadataProps.map((p) => [p.key ?? "", p.value ?? ""]));
}

/**
 * The temperature an export's graph divides its logits by (metadata `temperature`; 1 when
 * absent, as in exports written before temperature scaling was part of the graph).
 */
export function onnxTemperature(model: Uint8Array): number {
  const t = onnxMetadata(model).temperature;
  return t === undefined ? 1 : Number(t);
}

/**
 * Make the Softmax that produces `output` take `logits / t`: a Div node inserted before it (nodes
 * stay in topological order).
 * @throws OnnxExportError when `output` is not produced by a Softmax over the classes.
 */
function scaleLogits(g: GraphBuilder, output: string, t: number): void {
  const at = g.nodes.findIndex((n) => n.output?.[0] === output);
  const softmax = g.nodes[at];
  const axis = Number(softmax?.attribute?.find((a) => a.name === "axis")?.i ?? -1);
  if (softmax?.opType !== "Softmax" || axis !== -1) {
    throw new OnnxExportError(
      "temperature scaling needs a model whose last layer is a softmax over the classes",
    );
  }
  const temperature = g.floats("temperature", [], Float32Array.of(t));
  const logits = softmax.input![0];
  const scaled = g.fresh(`${logits}_over_temperature`);
  g.nodes.splice(at, 0, {
    opType: "Div",
    input: [logits, temperature],
    output: [scaled],
    name: scaled,
    attribute: [],
  });
  softmax.input = [scaled];
}

/**
 * Export `model` to ONNX bytes (opset {@link ONNX_OPSET}, dynamic batch, softmax included, with
 * `meta.temperature` applied to the logits when it is not 1).
 * Deterministic: the same weights and metadata give the same bytes.
 * @throws OnnxExportError naming a layer or setting it cannot write.
 */
export function exportOnnx(model: tf.LayersModel, meta: OnnxMetadata): Uint8Array {
  const t = meta.temperature;
  if (t !== undefined && (!(t > 0) || !Number.isFinite(t))) {
    throw new OnnxExportError(`temperature must be a positive finite number, got ${t}`);
  }
  const { g, input, output } = buildGraph(model);
  if (output.shape.length !== 1) {
    throw new OnnxExportError(`the model's output is not a vector: ${JSON.stringify(output)}`);
  }
  if (t !== undefined && t !== 1) scaleLogits(g, output.name, t);
  renameOutput(g, output.name);
  const dim = (d: number | "batch") => d === "batch" ? { dimParam: "batch" } : { dimValue: d };
  const valueInfo = (name: string, shape: (number | "batch")[]) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map(dim) },
      },
    },
  });
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "fmnist-lab",
    producerVersion: meta.codeCommit ?? "unknown",
    modelVersion: meta.modelVersion ?? 0,
    docString: `${meta.modelName}${
      meta.modelVersion === undefined ? "" : ` v${meta.modelVersion}`
    }: Fashion-MNIST classifier; input ${ONNX_INPUT} [batch, ${
      input.shape.join(", ")
    }] (NHWC, normalized), output ${ONNX_OUTPUT} [batch, ${output.shape[0]}] (softmax${
      t !== undefined && t !== 1 ? ` of logits / ${t}` : ""
    })`,
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.inits,
      input: [valueInfo(ONNX_INPUT, ["batch", ...input.shape])],
      output: [valueInfo(ONNX_OUTPUT, ["batch", output.shape[0]])],
    },
    metadataProps: metadataProps(meta),
  });
  const err = onnx.ModelProto.verify(proto);
  if (err) throw new OnnxExportError(`invalid ONNX model: ${err}`);
  return onnx.ModelProto.encode(proto).finish();
}
