/**
 * The current batch of `deno task drift --input …`: an IDX directory (`*-images-idx3-ubyte[.gz]`,
 * labels optional), a folder of PNG/JPEG images (preprocessed like the service's image input), or
 * a dataset split (`test`, `train`, `VERSION:test`).
 */
import { join } from "node:path";
import { type ImageSet, loadDataset, readIdx, readIdxGz } from "../data/mod.ts";
import { ImageInputError, preprocessImage } from "../inference/mod.ts";
import type { Ctx } from "../workspace/mod.ts";

/** Raised for an input that cannot be read (exit 2 in the CLI). */
export class DriftSourceError extends Error {
  override name = "DriftSourceError";
}

/** A batch read from an input, with a description. */
export interface CurrentBatch {
  images: ImageSet;
  source: string;
  /** Files that could not be used (image folders). */
  skipped: string[];
}

async function isDir(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isDirectory, () => false);
}

async function readIdxFile(path: string) {
  const f = await Deno.open(path);
  if (path.endsWith(".gz")) return await readIdxGz(f.readable, path);
  try {
    return readIdx(await Deno.readFile(path), path);
  } finally {
    f.close();
  }
}

/** Read `input` (see the module doc); `limit` keeps the first N images. */
export async function readCurrentBatch(
  ctx: Pick<Ctx, "db" | "store" | "manifestDir">,
  input: string,
  limit?: number,
): Promise<CurrentBatch> {
  if (await isDir(input)) {
    const names: string[] = [];
    for await (const e of Deno.readDir(input)) if (e.isFile) names.push(e.name);
    names.sort();
    const idxImages = names.find((n) => /-images-idx3-ubyte(\.gz)?$/.test(n));
    if (idxImages) {
      const img = await readIdxFile(join(input, idxImages));
      if (img.kind !== "images" || img.dims.length !== 3) {
        throw new DriftSourceError(`${idxImages} is not an IDX image file`);
      }
      const labelName = names.find((n) =>
        n === idxImages.replace("-images-idx3-ubyte", "-labels-idx1-ubyte")
      );
      const [count, rows, cols] = img.dims;
      const n = Math.min(count, limit ?? count);
      const labels = labelName
        ? (await readIdxFile(join(input, labelName))).data.slice(0, n)
        : new Uint8Array(n);
      return {
        images: { count: n, rows, cols, images: img.data.slice(0, n * rows * cols), labels },
        source: `IDX ${join(input, idxImages)}${labelName ? " (+ labels)" : ""}`,
        skipped: [],
      };
    }
    const files = names.filter((n) => /\.(png|jpe?g)$/i.test(n)).slice(0, limit);
    if (files.length === 0) {
      throw new DriftSourceError(
        `${input} holds neither *-images-idx3-ubyte[.gz] nor .png/.jpg/.jpeg files`,
      );
    }
    const pixels: Uint8Array[] = [];
    const skipped: string[] = [];
    for (const name of files) {
      try {
        const p = preprocessImage(await Deno.readFile(join(input, name))).pixels;
        pixels.push(Uint8Array.from(p, (v) => Math.round(v * 255)));
      } catch (err) {
        if (!(err instanceof ImageInputError)) throw err;
        skipped.push(`${name}: ${err.message}`);
      }
    }
    const images = new Uint8Array(pixels.length * 784);
    pixels.forEach((p, i) => images.set(p, i * 784));
    return {
      images: {
        count: pixels.length,
        rows: 28,
        cols: 28,
        images,
        labels: new Uint8Array(pixels.length),
      },
      source: `image folder ${input} (${pixels.length} images)`,
      skipped,
    };
  }
  const m = /^(?:(.+):)?(test|train)$/.exec(input);
  if (!m) {
    throw new DriftSourceError(
      `--input ${JSON.stringify(input)} is neither a directory nor a dataset split ` +
        `(test, train, VERSION:test)`,
    );
  }
  const ds = m[1] ? await loadDataset(ctx, m[1]) : await loadDataset(ctx);
  const set = ds[m[2] as "test" | "train"];
  const n = Math.min(set.count, limit ?? set.count);
  return {
    images: {
      count: n,
      rows: set.rows,
      cols: set.cols,
      images: set.images.subarray(0, n * set.rows * set.cols),
      labels: set.labels.subarray(0, n),
    },
    source: `dataset ${ds.version.slice(0, 12)} ${m[2]} split (${n} images)`,
    skipped: [],
  };
}
