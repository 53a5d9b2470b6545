/**
 * Bounded work per request for image input: each image's dimensions are read from its header
 * (PNG `IHDR`, JPEG `SOFn`) without decoding anything, and a request whose images together
 * exceed a pixel budget or a decoded-bytes budget is refused before the first image is decoded.
 * A decompression bomb (a few KB of PNG that inflate to hundreds of MB) therefore costs a few
 * header reads, not seconds of CPU and a burst of memory.
 */
import { z } from "zod";
import { ImageInputError, sniffImageFormat } from "./image.ts";

/** An image's format and dimensions as its header states them. */
export interface ImageHeader {
  format: "png" | "jpeg";
  width: number;
  height: number;
  /**
   * Bytes decoding allocates: the decoder's intermediate buffer (PNG: the inflated scanlines;
   * JPEG: one plane per component) plus the 8-bit RGBA output.
   */
  decodedBytes: number;
}

/** Raised when a request's images exceed its budget (HTTP 413). */
export class ImageBudgetError extends Error {
  override name = "ImageBudgetError";
}

/** Per-request budget of image work. */
export const imageBudgetSchema = z.object({
  /** Most pixels (width × height, summed over the request's images) decoded for one request. */
  maxPixels: z.number().int().min(1).default(24_000_000),
  /** Most bytes decoding may allocate for one request (see {@link ImageHeader.decodedBytes}). */
  maxDecodedBytes: z.number().int().min(1).default(256 * 1024 * 1024),
});
/** A budget as callers write it. */
export type ImageBudgetInput = z.input<typeof imageBudgetSchema>;
/** A budget with defaults filled. */
export type ImageBudget = z.output<typeof imageBudgetSchema>;

/** Default per-request budget: 24 MP (two 12 MP phone photos), 256 MiB decoded. */
export const DEFAULT_IMAGE_BUDGET: ImageBudget = imageBudgetSchema.parse({});

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngHeader(b: Uint8Array, dv: DataView): ImageHeader {
  if (b.length < 33) throw new ImageInputError("truncated PNG: no IHDR chunk");
  const type = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (type !== "IHDR") throw new ImageInputError("corrupt PNG: the first chunk is not IHDR");
  const width = dv.getUint32(16), height = dv.getUint32(20);
  const depth = b[24], channels = PNG_CHANNELS[b[25]];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) {
    throw new ImageInputError(`corrupt PNG: bit depth ${depth} / colour type ${b[25]}`);
  }
  const rowBytes = 1 + Math.ceil((width * channels * depth) / 8);
  return { format: "png", width, height, decodedBytes: height * rowBytes + width * height * 4 };
}

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array, dv: DataView): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new ImageInputError("corrupt JPEG: expected a marker");
    const m = b[i + 1];
    if (m === 0xff) { // fill byte
      i++;
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { // markers without a length
      i += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) break; // end of image / start of scan before any frame
    const len = dv.getUint16(i + 2);
    if (len < 2) throw new ImageInputError("corrupt JPEG: bad segment length");
    if (isSof(m)) {
      if (i + 10 > b.length) break;
      const height = dv.getUint16(i + 5), width = dv.getUint16(i + 7);
      const components = b[i + 9];
      if (components < 1 || components > 4) {
        throw new ImageInputError(`corrupt JPEG: ${components} components`);
      }
      return {
        format: "jpeg",
        width,
        height,
        decodedBytes: width * height * (components + 4),
      };
    }
    i += 2 + len;
  }
  throw new ImageInputError("truncated or corrupt JPEG: no frame header (SOF) before the data");
}

/**
 * Format and dimensions of a PNG or JPEG from its header, without decoding.
 * @throws ImageInputError for other formats, truncated or corrupt headers and empty images.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new ImageInputError(
      "the body is not a PNG or JPEG image (unrecognised magic bytes); send image/png or " +
        "image/jpeg, or JSON instances",
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = format === "png" ? pngHeader(bytes, dv) : jpegHeader(bytes, dv);
  if (h.width < 1 || h.height < 1) {
    throw new ImageInputError(`the image is empty (${h.width}×${h.height})`);
  }
  return h;
}

const mp = (n: number) => `${(n / 1e6).toFixed(1)} MP`;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/**
 * Check the headers of one request's images against `budget`.
 * @throws ImageBudgetError naming the total, the budget and what to send instead.
 */
export function checkImageBudget(headers: readonly ImageHeader[], budget: ImageBudget): void {
  let pixels = 0, bytes = 0;
  for (const h of headers) {
    pixels += h.width * h.height;
    bytes += h.decodedBytes;
  }
  const what = headers.length === 1
    ? `the image is ${headers[0].width}×${headers[0].height}`
    : `the ${headers.length} images total`;
  if (pixels > budget.maxPixels) {
    throw new ImageBudgetError(
      `${what} = ${mp(pixels)}, over the per-request budget of ${mp(budget.maxPixels)}; send ` +
        "smaller images (28×28 is what the model sees) or fewer per request",
    );
  }
  if (bytes > budget.maxDecodedBytes) {
    throw new ImageBudgetError(
      `decoding ${what.replace(/^the image is/, "the image of")} would take ${mib(bytes)}, over ` +
        `the per-request budget of ${mib(budget.maxDecodedBytes)}; send smaller or 8-bit images`,
    );
  }
}
