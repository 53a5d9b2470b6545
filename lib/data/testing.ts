/**
 * Test helpers of the data stage: the real Fashion-MNIST files from the Debian package, read and
 * SHA-256 verified with the data stage's own reader (no second IDX parser in tests).
 */
import { OFFICIAL_FILES } from "./checksums.ts";
import { DEBIAN_DIR, fetchFile, resolveSource } from "./sources.ts";
import type { Dataset, ImageSet, SplitName } from "./types.ts";

/**
 * The real Fashion-MNIST dataset read (and SHA-256 verified) from the Debian package directory
 * with the data stage's reader, or null when that directory is absent. `version` is `debian`.
 */
export async function readDebianDataset(dir: string = DEBIAN_DIR): Promise<Dataset | null> {
  const present = await Deno.stat(dir).then((s) => s.isDirectory, () => false);
  if (!present) return null;
  const source = await resolveSource({ explicit: dir, names: OFFICIAL_FILES.map((f) => f.name) });
  const read = async (split: SplitName): Promise<ImageSet> => {
    const spec = (kind: "images" | "labels") => {
      const f = OFFICIAL_FILES.find((x) => x.split === split && x.kind === kind);
      if (!f) throw new Error(`no official ${split} ${kind} file`);
      return f;
    };
    const [images, labels] = await Promise.all([
      fetchFile(source, spec("images")),
      fetchFile(source, spec("labels")),
    ]);
    const [count, rows, cols] = images.dims;
    return { count, rows, cols, images: images.data, labels: labels.data };
  };
  const [train, test] = await Promise.all([read("train"), read("test")]);
  return { version: "debian", train, test };
}

/**
 * The first `n` images of the real train split (copied, so callers may keep them), for tests that
 * train on a small subset. Throws when the Debian dataset package is not installed.
 */
export async function debianTrainSubset(n: number): Promise<ImageSet> {
  const ds = await readDebianDataset();
  if (!ds) {
    throw new Error(`${DEBIAN_DIR} is missing: install the Debian package dataset-fashion-mnist`);
  }
  const { rows, cols } = ds.train;
  return {
    count: n,
    rows,
    cols,
    images: ds.train.images.slice(0, n * rows * cols),
    labels: ds.train.labels.slice(0, n),
  };
}
