/**
 * A Deno FFI binding to the oneDNN 2.x C API (`libdnnl.so.2`, Debian `libdnnl2`): the CPU engine
 * and stream, memory descriptors, and primitives (convolution, matmul, pooling) cached by shape.
 *
 * Tensors are passed by pointer, without copies: each cached primitive owns one `dnnl_memory_t`
 * per execute argument, created without a buffer and pointed at the caller's data with
 * `dnnl_memory_set_data_handle` on every run. oneDNN computes with its own OpenMP threads.
 *
 * Struct sizes and enum values are those of oneDNN 2.6 (`oneapi/dnnl/dnnl_types.h`); the 3.x API
 * (no op descriptors) is not bound.
 */

/** Library names tried, in order (Linux soname, then the macOS and Windows names of 2.x). */
export const ONEDNN_LIBRARY_NAMES = ["libdnnl.so.2", "libdnnl.2.dylib", "dnnl.dll"] as const;

/** How to get oneDNN, for notes and test skips. */
export const ONEDNN_INSTALL_HINT =
  "install oneDNN 2.x: Debian/Ubuntu `apt-get install libdnnl2`; other platforms: the oneDNN " +
  "v2.x release builds (github.com/oneapi-src/oneDNN/releases) or conda-forge `onednn=2`, with " +
  "the library on the loader path (LD_LIBRARY_PATH / DYLD_LIBRARY_PATH / PATH)";

/** oneDNN 2.6 enum values and struct sizes used by the engine. */
export const DNNL = {
  f32: 3,
  tag: { any: 1, a: 2, ab: 3, abc: 4, abcd: 5, nhwc: 20, hwio: 30 },
  prop: {
    forwardTraining: 64,
    forwardInference: 96,
    backward: 128,
    backwardData: 160,
    backwardWeights: 192,
  },
  /** Batch normalisation flags (`dnnl_normalization_flags_t`). */
  bnorm: { useGlobalStats: 0x1, useScale: 0x8, useShift: 0x10 },
  alg: {
    convDirect: 1,
    poolMax: 511,
    poolAvgIncludePad: 767,
    poolAvgExcludePad: 1023,
    relu: 31,
  },
  arg: {
    src: 1,
    dst: 17,
    weights: 33,
    bias: 41,
    diffSrc: 129,
    diffDst: 145,
    diffWeights: 161,
    diffBias: 169,
    workspace: 64,
    mean: 49,
    variance: 50,
    scale: 51,
    shift: 52,
    diffScale: 255,
    diffShift: 256,
    from: 1,
    to: 17,
  },
  query: { implInfoStr: 8, execArgMd: 255 },
  size: {
    memoryDesc: 696,
    convDesc: 5976,
    poolDesc: 3288,
    matmulDesc: 2800,
    /** `dnnl_batch_normalization_desc_t`: 2 enums, 5 memory descriptors, epsilon, flags. */
    bnormDesc: 3496,
    execArg: 16,
  },
} as const;

const STATUS = [
  "success",
  "out_of_memory",
  "invalid_arguments",
  "unimplemented",
  "iterator_ends",
  "runtime_error",
  "not_required",
];

/** FFI type of the C API's by-reference arguments (descriptor structs, out-pointers, dims). */
const B = "buffer";

const symbols = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_init_by_strides: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_equal: { parameters: ["pointer", "buffer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: {
    parameters: ["pointer", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
  dnnl_convolution_forward_desc_init: {
    parameters: [B, "i32", "i32", B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: {
    parameters: [B, "i32", B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: [B, "i32", B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_pooling_v2_forward_desc_init: {
    parameters: [B, "i32", "i32", B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_pooling_v2_backward_desc_init: {
    parameters: [B, "i32", B, B, B, B, B, B, B],
    result: "i32",
  },
  dnnl_matmul_desc_init: {
    parameters: [B, B, B, B, B],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: [B, "i32", B, "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: [B, "i32", B, B, "f32", "u32"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: {
    parameters: ["pointer", "pointer", "i32", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const ompSymbols = {
  omp_get_max_threads: { parameters: [], result: "i32" },
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
type Ptr = Deno.PointerValue;

/** `int64_t[12]` for `dnnl_dims_t` arguments. */
export function dims(values: readonly number[]): BigInt64Array {
  const d = new BigInt64Array(12);
  values.forEach((v, i) => (d[i] = BigInt(v)));
  return d;
}

function readPtr(buf: Uint8Array): Ptr {
  return Deno.UnsafePointer.create(
    new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true),
  );
}

/** What a primitive computes from its cached descriptor: the op descriptor and extras. */
export interface PrimitiveSpec {
  /** The initialised op descriptor (conv/pool/matmul desc bytes). */
  desc: Uint8Array;
  /** Execute-argument ids, in the order `run` receives their data pointers. */
  args: readonly number[];
  /** Fuse a ReLU after the op (a oneDNN eltwise post-op). */
  relu?: boolean;
  /** A forward primitive descriptor hint (backward primitives). */
  hint?: Primitive;
  /**
   * Arguments described to oneDNN with tag `any` (it picks its fastest layout), by argument id:
   * the caller's plain layout. Where oneDNN's choice differs, the primitive reorders the
   * argument from (inputs) or into (outputs) the caller's buffer through a scratch buffer.
   */
  plain?: ReadonlyMap<number, Uint8Array>;
}

/** Argument ids a primitive writes (the others it reads). */
const OUTPUT_ARGS = new Set<number>([
  DNNL.arg.dst,
  DNNL.arg.diffSrc,
  DNNL.arg.diffWeights,
  DNNL.arg.diffScale,
  DNNL.arg.diffShift,
]);

/** A reorder of one argument between the caller's layout and oneDNN's, via a scratch buffer. */
interface Reorder {
  index: number;
  output: boolean;
  prim: Primitive;
  scratch: Uint8Array;
}

/** A created oneDNN primitive with one memory object per execute argument. */
export class Primitive {
  /** oneDNN's implementation name (`brg:avx512_core`, `gemm:jit`, ...). */
  readonly impl: string;
  /** Bytes each argument needs, in `args` order (from oneDNN's memory descriptors). */
  readonly bytes: number[];
  private readonly mems: Ptr[] = [];
  private readonly execArgs: Uint8Array;
  private readonly prim: Ptr;
  private readonly reorders: Reorder[] = [];
  private readonly ptrs: Ptr[];

  constructor(
    private readonly dnn: OneDnn,
    readonly pd: Ptr,
    readonly args: readonly number[],
    plain?: ReadonlyMap<number, Uint8Array>,
  ) {
    const s = dnn.sym;
    const out = new Uint8Array(8);
    dnn.check(s.dnnl_primitive_desc_query(pd, DNNL.query.implInfoStr, 0, out), "query impl");
    const name = readPtr(out);
    this.impl = name ? Deno.UnsafePointerView.getCString(name) : "?";
    this.execArgs = new Uint8Array(DNNL.size.execArg * args.length);
    const view = new DataView(this.execArgs.buffer);
    this.bytes = [];
    args.forEach((arg, i) => {
      const md = s.dnnl_primitive_desc_query_md(pd, DNNL.query.execArgMd, arg);
      if (!md) throw new Error(`oneDNN: primitive ${this.impl} has no argument ${arg}`);
      this.bytes.push(Number(s.dnnl_memory_desc_get_size(md)));
      dnn.check(s.dnnl_memory_create(out, md, dnn.engine, null), "memory_create");
      const mem = readPtr(out);
      this.mems.push(mem);
      view.setInt32(i * 16, arg, true);
      view.setBigUint64(i * 16 + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
    });
    dnn.check(s.dnnl_primitive_create(out, pd), "primitive_create");
    this.prim = readPtr(out);
    this.ptrs = args.map(() => null);
    for (const [arg, userMd] of plain ?? []) {
      const index = args.indexOf(arg);
      if (index < 0 || this.argIs(arg, userMd)) continue;
      const inner = s.dnnl_primitive_desc_query_md(pd, DNNL.query.execArgMd, arg);
      const output = OUTPUT_ARGS.has(arg);
      const user = Deno.UnsafePointer.of(userMd);
      dnn.check(
        s.dnnl_reorder_primitive_desc_create(
          out,
          output ? inner : user,
          dnn.engine,
          output ? user : inner,
          dnn.engine,
          null,
        ),
        "reorder_primitive_desc_create",
      );
      const prim = new Primitive(dnn, readPtr(out), [DNNL.arg.from, DNNL.arg.to]);
      // At least 4 KiB, so the buffer lives off the JS heap and never moves.
      const scratch = new Uint8Array(Math.max(this.bytes[index], 4096));
      this.reorders.push({ index, output, prim, scratch });
    }
  }

  /** oneDNN's implementation names of this primitive and its reorders. */
  get impls(): string {
    return [this.impl, ...this.reorders.map((r) => `reorder ${r.prim.impl}`)].join(", ");
  }

  /** The memory descriptor oneDNN expects for argument `arg` equals `md` (a plain layout). */
  argIs(arg: number, md: Uint8Array): boolean {
    const q = this.dnn.sym.dnnl_primitive_desc_query_md(this.pd, DNNL.query.execArgMd, arg);
    return q !== null && this.dnn.sym.dnnl_memory_desc_equal(q, md) === 1;
  }

  /** Execute on `ptrs` (one data pointer per argument, in `args` order) and wait. */
  run(ptrs: readonly Ptr[]): void {
    const s = this.dnn.sym;
    const own = this.ptrs;
    for (let i = 0; i < ptrs.length; i++) own[i] = ptrs[i];
    for (const r of this.reorders) {
      const inner = Deno.UnsafePointer.of(r.scratch);
      if (!r.output) r.prim.run([ptrs[r.index], inner]);
      own[r.index] = inner;
    }
    for (let i = 0; i < own.length; i++) s.dnnl_memory_set_data_handle(this.mems[i], own[i]);
    this.dnn.check(
      s.dnnl_primitive_execute(this.prim, this.dnn.stream, this.args.length, this.execArgs),
      `execute ${this.impl}`,
    );
    this.dnn.check(s.dnnl_stream_wait(this.dnn.stream), "stream_wait");
    for (const r of this.reorders) if (r.output) r.prim.run([own[r.index], ptrs[r.index]]);
  }
}

/** A loaded oneDNN: engine, stream and a primitive cache keyed by op and shapes. */
export class OneDnn {
  /** e.g. `2.6.3`. */
  readonly version: string;
  /** The library name that loaded. */
  readonly library: string;
  readonly engine: Ptr;
  readonly stream: Ptr;
  private readonly cache = new Map<string, Primitive>();
  private readonly omp: Deno.DynamicLibrary<typeof ompSymbols> | null;

  constructor(readonly sym: Symbols, library: string) {
    this.library = library;
    const v = sym.dnnl_version();
    if (!v) throw new Error("oneDNN: dnnl_version() returned NULL");
    const pv = new Deno.UnsafePointerView(v);
    this.version = `${pv.getInt32(0)}.${pv.getInt32(4)}.${pv.getInt32(8)}`;
    if (pv.getInt32(0) !== 2) {
      throw new Error(`oneDNN ${this.version} found; the engine binds the 2.x C API`);
    }
    const out = new Uint8Array(8);
    this.check(sym.dnnl_engine_create(out, 1, /* cpu */ 0n), "engine_create");
    this.engine = readPtr(out);
    this.check(sym.dnnl_stream_create(out, this.engine, 1 /* default */), "stream_create");
    this.stream = readPtr(out);
    let omp: Deno.DynamicLibrary<typeof ompSymbols> | null = null;
    try {
      omp = Deno.dlopen("libgomp.so.1", ompSymbols);
    } catch { /* not the OpenMP runtime we know: threads reported as unknown */ }
    this.omp = omp;
  }

  /** OpenMP threads oneDNN computes with (0 when unknown). */
  get threads(): number {
    return this.omp ? this.omp.symbols.omp_get_max_threads() : 0;
  }

  /** Set oneDNN's thread count (OpenMP, for the calling thread); ignored when unknown. */
  setThreads(n: number): void {
    if (this.omp && n > 0) this.omp.symbols.omp_set_num_threads(n);
  }

  /** Throw on a non-success status. */
  check(status: number, what: string): void {
    if (status !== 0) throw new Error(`oneDNN ${what}: ${STATUS[status] ?? `status ${status}`}`);
  }

  /** A plain memory descriptor (`tag` from {@link DNNL.tag}). */
  md(shape: readonly number[], tag: number): Uint8Array {
    const md = new Uint8Array(DNNL.size.memoryDesc);
    this.check(
      this.sym.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DNNL.f32, tag),
      `memory_desc_init_by_tag ${shape}`,
    );
    return md;
  }

  /** A memory descriptor with explicit strides (elements). */
  mdStrides(shape: readonly number[], strides: readonly number[]): Uint8Array {
    const md = new Uint8Array(DNNL.size.memoryDesc);
    this.check(
      this.sym.dnnl_memory_desc_init_by_strides(
        md,
        shape.length,
        dims(shape),
        DNNL.f32,
        dims(strides),
      ),
      `memory_desc_init_by_strides ${shape}`,
    );
    return md;
  }

  /** An empty (zero) memory descriptor: "no bias". */
  none(): Uint8Array {
    return new Uint8Array(DNNL.size.memoryDesc);
  }

  /** The cached primitive for `key`, created from `make()` on first use. */
  primitive(key: string, make: () => PrimitiveSpec): Primitive {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const spec = make();
    const s = this.sym;
    const out = new Uint8Array(8);
    let attr: Ptr = null, ops: Ptr = null;
    try {
      if (spec.relu) {
        this.check(s.dnnl_primitive_attr_create(out), "attr_create");
        attr = readPtr(out);
        this.check(s.dnnl_post_ops_create(out), "post_ops_create");
        ops = readPtr(out);
        this.check(s.dnnl_post_ops_append_eltwise(ops, 1, DNNL.alg.relu, 0, 0), "post-op relu");
        this.check(s.dnnl_primitive_attr_set_post_ops(attr, ops), "set_post_ops");
      }
      this.check(
        s.dnnl_primitive_desc_create(out, spec.desc, attr, this.engine, spec.hint?.pd ?? null),
        `primitive_desc_create (${key})`,
      );
    } finally {
      if (ops) s.dnnl_post_ops_destroy(ops);
      if (attr) s.dnnl_primitive_attr_destroy(attr);
    }
    const p = new Primitive(this, readPtr(out), spec.args, spec.plain);
    this.cache.set(key, p);
    return p;
  }

  /** Kinds of the cached primitives (`conv`, `convBwdData`, `mm`, `pool`, ...: key prefixes). */
  cachedKinds(): Set<string> {
    return new Set([...this.cache.keys()].map((k) => k.split("|")[0]));
  }
}

let loaded: OneDnn | null | undefined;
let loadError = "";

/**
 * Load oneDNN once (the first of {@link ONEDNN_LIBRARY_NAMES} that opens and is 2.x).
 * Returns null when it is absent; {@link oneDnnLoadError} says why.
 */
export function loadOneDnn(): OneDnn | null {
  if (loaded !== undefined) return loaded;
  // OpenMP threads that spin between kernels steal the core the JS thread needs between them
  // (measured: 3.1 s vs 0.28 s per M1 step on a loaded 2-core machine). libgomp reads this when
  // it loads, i.e. at the dlopen below; a value set by the user wins.
  if (!Deno.env.get("OMP_WAIT_POLICY")) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  const errors: string[] = [];
  for (const name of ONEDNN_LIBRARY_NAMES) {
    try {
      const lib = Deno.dlopen(name, symbols);
      try {
        loaded = new OneDnn(lib.symbols, name);
        return loaded;
      } catch (err) {
        lib.close();
        errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } catch (err) {
      errors.push(`${name}: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    }
  }
  loadError = errors.join("; ");
  loaded = null;
  return null;
}

/** Why {@link loadOneDnn} returned null ("" when it loaded or was not tried). */
export function oneDnnLoadError(): string {
  return loadError;
}
