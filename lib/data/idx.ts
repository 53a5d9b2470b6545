/**
 * IDX file format (as used by MNIST / Fashion-MNIST): read, stream-decompress and write.
 *
 * Layout: a 4-byte big-endian magic `0x0000 TT NN` (TT = element type, 0x08 = unsigned byte;
 * NN = number of dimensions), then NN big-endian uint32 dimension sizes, then the body.
 * Only unsigned-byte files with 1 dimension (labels, magic 0x00000801) or 3 dimensions
 * (images, magic 0x00000803) are accepted — that is all Fashion-MNIST uses.
 */

/** Magic number of an IDX file of unsigned-byte images (`count × rows × cols`). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned-byte labels (`count`). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** Kind of IDX file, derived from its magic. */
export type IdxKind = "images" | "labels";

/** A parsed IDX file. */
export interface IdxFile {
  /** `images` (3 dims) or `labels` (1 dim). */
  kind: IdxKind;
  /** Dimension sizes: `[count]` for labels, `[count, rows, cols]` for images. */
  dims: number[];
  /** The body (element bytes), a view into {@link IdxFile.bytes}. */
  data: Uint8Array;
  /** The whole file (header + body), exactly as stored. */
  bytes: Uint8Array;
}

/** Raised for IDX input that is truncated, corrupt, of the wrong type or the wrong size. */
export class IdxFormatError extends Error {
  override name = "IdxFormatError";
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
  }
}

/** Expected shape checks applied while reading. */
export interface IdxExpect {
  /** Required kind; a file of the other kind is an error. */
  kind?: IdxKind;
  /** Required dimension sizes (use `undefined` entries for "any"). */
  dims?: (number | undefined)[];
}

const MAX_DIM = 1 << 28;

interface Header {
  kind: IdxKind;
  dims: number[];
  headerSize: number;
  bodySize: number;
}

function kindOf(file: string, bytes: Uint8Array, expect: IdxExpect): IdxKind {
  if (bytes.length < 4) {
    throw new IdxFormatError(file, `truncated: ${bytes.length} bytes, too short for an IDX magic`);
  }
  const magic = readMagic(bytes);
  let kind: IdxKind;
  if (magic === IDX_IMAGES_MAGIC) kind = "images";
  else if (magic === IDX_LABELS_MAGIC) kind = "labels";
  else {
    const hex = `0x${magic.toString(16).padStart(8, "0")}`;
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? " (this looks gzip-compressed)" : "";
    throw new IdxFormatError(
      file,
      `wrong magic ${hex}${gz}: expected 0x00000803 (ubyte images) or 0x00000801 (ubyte labels)`,
    );
  }
  if (expect.kind !== undefined && expect.kind !== kind) {
    throw new IdxFormatError(file, `expected an IDX ${expect.kind} file but found ${kind}`);
  }
  return kind;
}

function headerSizeOf(kind: IdxKind): number {
  return kind === "images" ? 16 : 8;
}

function parseHeader(file: string, bytes: Uint8Array, expect: IdxExpect): Header {
  const kind = kindOf(file, bytes, expect);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = headerSizeOf(kind);
  const ndims = (headerSize - 4) / 4;
  if (bytes.length < headerSize) {
    throw new IdxFormatError(
      file,
      `truncated header: ${bytes.length} bytes, need ${headerSize} for ${ndims} dimension(s)`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    if (d === 0 || d > MAX_DIM) {
      throw new IdxFormatError(file, `implausible dimension ${i}: ${d}`);
    }
    dims.push(d);
  }
  if (expect.dims) {
    expect.dims.forEach((want, i) => {
      if (want !== undefined && dims[i] !== want) {
        throw new IdxFormatError(
          file,
          `dimension ${i} is ${dims[i]} but ${want} was expected (dims ${dims.join("×")})`,
        );
      }
    });
  }
  const bodySize = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(bodySize) || bodySize > 2 ** 31) {
    throw new IdxFormatError(file, `implausible size ${dims.join("×")}`);
  }
  return { kind, dims, headerSize, bodySize };
}

function sizeError(file: string, h: Header, actual: number): IdxFormatError {
  const want = h.headerSize + h.bodySize;
  const what = actual < want ? `short body (truncated)` : `${actual - want} extra trailing bytes`;
  return new IdxFormatError(
    file,
    `${what}: dims ${h.dims.join("×")} need ${want} bytes but the file has ${actual}`,
  );
}

/**
 * Parse an uncompressed IDX file. The returned `data` is a view into `bytes` (no copy).
 * @param file name used in error messages.
 * @throws IdxFormatError for wrong magic, bad dims, truncated or over-long input.
 */
export function readIdx(bytes: Uint8Array, file = "<idx>", expect: IdxExpect = {}): IdxFile {
  const h = parseHeader(file, bytes, expect);
  if (bytes.length !== h.headerSize + h.bodySize) throw sizeError(file, h, bytes.length);
  return {
    kind: h.kind,
    dims: h.dims,
    data: bytes.subarray(h.headerSize),
    bytes,
  };
}

/**
 * Read a gzip-compressed IDX file from a byte stream, decompressing with `DecompressionStream`
 * straight into one buffer sized from the header (no growing copies).
 * @param file name used in error messages.
 * @param onBytes called with the number of decompressed bytes so far (progress).
 * @throws IdxFormatError for corrupt/truncated gzip or any {@link readIdx} error.
 */
export async function readIdxGz(
  stream: ReadableStream<Uint8Array>,
  file = "<idx.gz>",
  expect: IdxExpect = {},
  onBytes?: (decompressed: number) => void,
): Promise<IdxFile> {
  const reader = stream
    .pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    )
    .getReader();
  let head = new Uint8Array(0);
  let header: Header | undefined;
  let out: Uint8Array | undefined;
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (!out) {
        const merged = new Uint8Array(head.length + value.length);
        merged.set(head);
        merged.set(value, head.length);
        head = merged;
        if (head.length < 4 || head.length < headerSizeOf(kindOf(file, head, expect))) continue;
        header = parseHeader(file, head, expect);
        out = new Uint8Array(header.headerSize + header.bodySize);
        const n = Math.min(head.length, out.length);
        out.set(head.subarray(0, n));
        filled = n;
      } else {
        const n = Math.min(value.length, out.length - filled);
        out.set(value.subarray(0, n), filled);
        filled += n;
      }
      onBytes?.(total);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof IdxFormatError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new IdxFormatError(file, `corrupt or truncated gzip data (${msg})`);
  }
  if (!out || !header) {
    if (head.length > 0) parseHeader(file, head, expect);
    throw new IdxFormatError(file, `truncated: only ${total} decompressed bytes`);
  }
  if (total !== out.length) throw sizeError(file, header, total);
  return {
    kind: header.kind,
    dims: header.dims,
    data: out.subarray(header.headerSize),
    bytes: out,
  };
}

function readMagic(b: Uint8Array): number {
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/**
 * Decompress gzip bytes fully (helper for sources that deliver whole files).
 * @throws IdxFormatError naming `file` when the gzip data is corrupt or truncated.
 */
export async function gunzip(bytes: Uint8Array, file = "<gzip>"): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new IdxFormatError(file, `corrupt or truncated gzip data (${msg})`);
  }
}

/**
 * Serialize an unsigned-byte IDX file (for tests and exports).
 * @param dims `[count]` (labels) or `[count, rows, cols]` (images).
 * @throws RangeError when `data.length` does not match the dims or the rank is not 1 or 3.
 */
export function writeIdx(dims: number[], data: Uint8Array): Uint8Array {
  if (dims.length !== 1 && dims.length !== 3) {
    throw new RangeError(`writeIdx: only 1 (labels) or 3 (images) dimensions, got ${dims.length}`);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(`writeIdx: dims ${dims.join("×")} need ${size} bytes, got ${data.length}`);
  }
  const headerSize = 4 + 4 * dims.length;
  const out = new Uint8Array(headerSize + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, dims.length === 3 ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, headerSize);
  return out;
}
