/**
 * The image files of one predict request → packed 28×28 inputs, with bounded work: every
 * header is read and the request's budget checked before anything is decoded
 * ({@link checkImageBudget}), then the images are decoded by an {@link ImageDecoder} (the
 * worker pool in production, so decoding never runs on the HTTP thread; inline otherwise).
 */
import { type ImageDecoder } from "./decode_pool.ts";
import { ImageInputError, preprocessImage, type PreprocessOptions } from "./image.ts";
import {
  checkImageBudget,
  DEFAULT_IMAGE_BUDGET,
  type ImageBudget,
  type ImageHeader,
  readImageHeader,
} from "./image_budget.ts";
import { IMAGE_PIXELS, type PixelBatch } from "./instances.ts";

/** Decodes on the calling thread (tests, notebooks, batch jobs). */
export const inlineDecoder: ImageDecoder = {
  preprocess: (bytes, options) => Promise.resolve(preprocessImage(bytes, options).pixels),
};

/** Options of {@link preprocessImages}. */
export interface PreprocessImagesOptions {
  /** Where decoding runs (default: inline). */
  decoder?: ImageDecoder;
  /** Per-request budget (default {@link DEFAULT_IMAGE_BUDGET}). */
  budget?: ImageBudget;
  /** Preprocessing options (fit box, centring, per-image pixel limit). */
  image?: PreprocessOptions;
}

/**
 * Check and decode the image files of one request.
 * @throws ImageInputError (prefixed `image i:` when there are several) for an empty, unknown,
 * corrupt or unusable image; ImageBudgetError when the request is over its budget.
 */
export async function preprocessImages(
  files: readonly Uint8Array[],
  opts: PreprocessImagesOptions = {},
): Promise<PixelBatch> {
  const label = (i: number, msg: string) => files.length > 1 ? `image ${i}: ${msg}` : msg;
  const headers: ImageHeader[] = files.map((bytes, i) => {
    if (bytes.length === 0) {
      throw new ImageInputError(`image ${i} is empty; send a PNG or JPEG file`);
    }
    try {
      return readImageHeader(bytes);
    } catch (err) {
      if (err instanceof ImageInputError) throw new ImageInputError(label(i, err.message));
      throw err;
    }
  });
  checkImageBudget(headers, opts.budget ?? DEFAULT_IMAGE_BUDGET);
  const decoder = opts.decoder ?? inlineDecoder;
  const settled = await Promise.allSettled(files.map((b) => decoder.preprocess(b, opts.image)));
  const pixels = new Float32Array(files.length * IMAGE_PIXELS);
  settled.forEach((r, i) => {
    if (r.status === "rejected") {
      const err = r.reason;
      if (err instanceof ImageInputError) throw new ImageInputError(label(i, err.message));
      throw err;
    }
    pixels.set(r.value, i * IMAGE_PIXELS);
  });
  return { count: files.length, pixels };
}
