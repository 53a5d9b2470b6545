/**
 * The request bodies of the predict and explain routes: JSON instances, `multipart/form-data`
 * image files (`file`), or one raw `image/png` / `image/jpeg`, read into packed pixels. Image
 * errors are the typed errors of `lib/inference` (400 / 413 through the error middleware).
 */
import type { Context } from "hono";
import {
  type ImageBudgetInput,
  imageBudgetSchema,
  type ImageDecoder,
  packInstances,
  type PixelBatch,
  preprocessImages,
  type PreprocessImagesOptions,
  type PreprocessOptions,
} from "../lib/inference/mod.ts";
import type { AppEnv } from "./env.ts";
import { badRequest, HttpError } from "./errors.ts";

/** Options of the routes that read image bodies (`modelRoutes`, `explainRoutes`). */
export interface ModelRoutesOptions {
  /** Largest number of instances (JSON) or files (multipart) per request (default 256). */
  maxInstances?: number;
  /** Image preprocessing options (fit box, centring). */
  image?: PreprocessOptions;
  /**
   * Where images are decoded: the decode worker pool in production (`deno task serve`), so no
   * image is decoded on the HTTP thread; inline when absent.
   */
  decoder?: ImageDecoder;
  /** Per-request pixel and decoded-bytes budget of image bodies (over it → 413). */
  budget?: ImageBudgetInput;
}

/**
 * How the image bodies of a request are decoded under `opts`: where (the decode pool or inline),
 * within which budget, and with which preprocessing — shared by every route that reads images.
 */
export function imageOptions(opts: ModelRoutesOptions = {}): PreprocessImagesOptions {
  return {
    decoder: opts.decoder,
    budget: imageBudgetSchema.parse(opts.budget ?? {}),
    image: opts.image,
  };
}

/** Read the request body into packed pixels according to its content type (predict, explain). */
export async function readBatch(
  c: Context<AppEnv>,
  maxInstances: number,
  images: PreprocessImagesOptions,
): Promise<PixelBatch> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    const body = (c.req as unknown as { valid(t: "json"): { instances: unknown[] } }).valid("json");
    return packInstances(body.instances);
  }
  let files: Uint8Array[];
  if (type === "multipart/form-data") {
    const form = (c.req as unknown as { valid(t: "form"): { file: File | File[] } }).valid("form");
    const list = Array.isArray(form.file) ? form.file : [form.file];
    if (list.length > maxInstances) {
      throw badRequest(`send at most ${maxInstances} files per request, got ${list.length}`);
    }
    files = await Promise.all(list.map(async (f) => new Uint8Array(await f.arrayBuffer())));
  } else if (type === "image/png" || type === "image/jpeg") {
    files = [new Uint8Array(await c.req.arrayBuffer())];
  } else {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `unsupported content type ${JSON.stringify(type || "(none)")}; send application/json ` +
        "instances, multipart/form-data with a file field, image/png or image/jpeg",
    );
  }
  return await preprocessImages(files, images);
}
