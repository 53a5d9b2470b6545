/** In-memory shapes of Fashion-MNIST data shared by every stage. */

/** Split names of the dataset. */
export type SplitName = "train" | "test";

/** Class names of Fashion-MNIST, indexed by label id. */
export const LABEL_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/** A set of grayscale images with labels, stored row-major as raw bytes (0 = background). */
export interface ImageSet {
  /** Number of images. */
  count: number;
  /** Image height in pixels (28). */
  rows: number;
  /** Image width in pixels (28). */
  cols: number;
  /** `count * rows * cols` pixel bytes, image after image. */
  images: Uint8Array;
  /** `count` label bytes in 0..9. */
  labels: Uint8Array;
}

/** Both splits of one dataset version. */
export interface Dataset {
  /** Content-derived version id of the dataset. */
  version: string;
  train: ImageSet;
  test: ImageSet;
}
