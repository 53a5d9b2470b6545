/**
 * The four official Fashion-MNIST files and the pinned SHA-256 of their DECOMPRESSED bytes.
 *
 * Pinned from the Debian `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist/`),
 * which ships the official files. Hashing the decompressed bytes (not the `.gz`) makes the pin
 * independent of how a mirror re-compressed them; these digests are also the object-store CAS keys.
 */
import type { SplitName } from "./types.ts";
import type { IdxKind } from "./idx.ts";

/** One official IDX file and what it must contain. */
export interface OfficialFile {
  /** Base file name without `.gz`, e.g. `train-images-idx3-ubyte`. */
  name: string;
  split: SplitName;
  kind: IdxKind;
  /** Expected IDX dims: `[count, 28, 28]` or `[count]`. */
  dims: number[];
  /** Decompressed size in bytes (header + body). */
  size: number;
  /** Lower-case hex SHA-256 of the decompressed bytes. */
  sha256: string;
}

/** The pinned official files, train first. */
export const OFFICIAL_FILES: readonly OfficialFile[] = Object.freeze([
  {
    name: "train-images-idx3-ubyte",
    split: "train",
    kind: "images",
    dims: [60000, 28, 28],
    size: 47040016,
    sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  },
  {
    name: "train-labels-idx1-ubyte",
    split: "train",
    kind: "labels",
    dims: [60000],
    size: 60008,
    sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  },
  {
    name: "t10k-images-idx3-ubyte",
    split: "test",
    kind: "images",
    dims: [10000, 28, 28],
    size: 7840016,
    sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  },
  {
    name: "t10k-labels-idx1-ubyte",
    split: "test",
    kind: "labels",
    dims: [10000],
    size: 10008,
    sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
  },
]);

/** Raised when bytes do not hash to the pinned digest; names the file and both hashes. */
export class ChecksumMismatchError extends Error {
  override name = "ChecksumMismatchError";
  constructor(readonly file: string, readonly expected: string, readonly actual: string) {
    super(
      `checksum mismatch for ${file}: expected sha256 ${expected}, got ${actual}; ` +
        `the source is corrupt or not the official Fashion-MNIST — use another source (FMNIST_SOURCE)`,
    );
  }
}
