/**
 * A shift generator for evaluating the detectors: ten kinds of dataset shift, each at three
 * severities (1 subtle, 2 moderate, 3 obvious), applied to 28×28 grayscale image sets with a
 * seeded random source. `prior` (class-prior shift) changes which images are drawn, not the
 * images: see {@link priorShiftIndices}.
 */
import type { ImageSet } from "../data/mod.ts";

/** Shift kinds. */
export const SHIFT_KINDS = [
  "brightness",
  "contrast",
  "noise",
  "blur",
  "rotation",
  "translation",
  "occlusion",
  "inversion",
  "jpeg",
  "prior",
] as const;
/** One shift kind. */
export type ShiftKind = typeof SHIFT_KINDS[number];
/** Severity 1 (subtle) … 3 (obvious). */
export type Severity = 1 | 2 | 3;
/** The severities. */
export const SEVERITIES: readonly Severity[] = [1, 2, 3];

/** What each kind does at severities 1/2/3 (documentation and report headers). */
export const SHIFT_LEVELS: Record<ShiftKind, { what: string; levels: [number, number, number] }> = {
  brightness: { what: "add to every pixel (×255)", levels: [0.05, 0.15, 0.35] },
  contrast: { what: "multiply every pixel by", levels: [0.85, 0.6, 0.35] },
  noise: { what: "Gaussian noise σ (×255)", levels: [0.03, 0.08, 0.2] },
  blur: { what: "Gaussian blur σ (pixels)", levels: [0.6, 1.0, 1.8] },
  rotation: { what: "rotate ± degrees", levels: [8, 20, 45] },
  translation: { what: "shift by pixels (random direction)", levels: [1, 3, 6] },
  occlusion: { what: "black square cut-out side (pixels)", levels: [6, 10, 16] },
  inversion: { what: "share of images inverted", levels: [0.05, 0.2, 1] },
  jpeg: { what: "JPEG quality", levels: [40, 15, 3] },
  prior: { what: "share of the batch drawn from classes 0 and 1", levels: [0.35, 0.6, 1] },
};

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Bilinear sample of image `src` (rows×cols bytes) at (y, x); 0 outside. */
function bilinear(src: Uint8Array, off: number, rows: number, cols: number, y: number, x: number) {
  const y0 = Math.floor(y), x0 = Math.floor(x);
  const fy = y - y0, fx = x - x0;
  const at = (r: number, c: number) =>
    r < 0 || r >= rows || c < 0 || c >= cols ? 0 : src[off + r * cols + c];
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
    fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

function blurImage(img: Float64Array, rows: number, cols: number, sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const k = Array.from(
    { length: 2 * r + 1 },
    (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)),
  );
  const s = k.reduce((a, b) => a + b, 0);
  const kn = k.map((v) => v / s);
  const tmp = new Float64Array(rows * cols), out = new Float64Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let v = 0;
      for (let t = -r; t <= r; t++) {
        const xx = x + t;
        if (xx >= 0 && xx < cols) v += kn[t + r] * img[y * cols + xx];
      }
      tmp[y * cols + x] = v;
    }
  }
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let v = 0;
      for (let t = -r; t <= r; t++) {
        const yy = y + t;
        if (yy >= 0 && yy < rows) v += kn[t + r] * tmp[yy * cols + x];
      }
      out[y * cols + x] = v;
    }
  }
  return out;
}

/** The JPEG standard's luminance quantisation table (ITU T.81, Annex K). */
const JPEG_LUMA = [
  16,
  11,
  10,
  16,
  24,
  40,
  51,
  61,
  12,
  12,
  14,
  19,
  26,
  58,
  60,
  55,
  14,
  13,
  16,
  24,
  40,
  57,
  69,
  56,
  14,
  17,
  22,
  29,
  51,
  87,
  80,
  62,
  18,
  22,
  37,
  56,
  68,
  109,
  103,
  77,
  24,
  35,
  55,
  64,
  81,
  104,
  113,
  92,
  49,
  64,
  78,
  87,
  103,
  121,
  120,
  101,
  72,
  92,
  95,
  98,
  112,
  100,
  103,
  99,
];
const DCT = Array.from(
  { length: 8 },
  (_, u) =>
    Array.from(
      { length: 8 },
      (_, x) => (u === 0 ? Math.SQRT1_2 : 1) / 2 * Math.cos((2 * x + 1) * u * Math.PI / 16),
    ),
);

/**
 * JPEG artefacts without a codec round trip (jpeg-js takes ~10 ms per tiny image): the lossy
 * step of baseline JPEG — 8×8 block DCT, quantisation with the standard luminance table scaled
 * for `quality` (libjpeg's rule), inverse DCT. Blocks past the edge repeat the edge pixel.
 */
function jpegArtefacts(px: Uint8Array, rows: number, cols: number, quality: number): Uint8Array {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  const q = JPEG_LUMA.map((v) => Math.max(1, Math.min(255, Math.floor((v * scale + 50) / 100))));
  const out = new Uint8Array(rows * cols);
  const block = new Float64Array(64), coef = new Float64Array(64), tmp = new Float64Array(64);
  for (let by = 0; by < rows; by += 8) {
    for (let bx = 0; bx < cols; bx += 8) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const r = Math.min(rows - 1, by + y), c = Math.min(cols - 1, bx + x);
          block[y * 8 + x] = px[r * cols + c] - 128;
        }
      }
      // Forward 2-D DCT (separable), quantise, inverse.
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let y = 0; y < 8; y++) s += DCT[u][y] * block[y * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += DCT[v][x] * tmp[u * 8 + x];
          coef[u * 8 + v] = Math.round(s / q[u * 8 + v]) * q[u * 8 + v];
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += DCT[u][y] * coef[u * 8 + v];
          tmp[y * 8 + v] = s;
        }
      }
      for (let y = 0; y < 8 && by + y < rows; y++) {
        for (let x = 0; x < 8 && bx + x < cols; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += DCT[v][x] * tmp[y * 8 + v];
          out[(by + y) * cols + bx + x] = clamp(s + 128);
        }
      }
    }
  }
  return out;
}

/**
 * Apply an image shift of `kind` at `severity` to every image of `set` (a new set; labels kept).
 * `prior` returns the images unchanged (it acts on sampling).
 */
export function applyShift(
  set: ImageSet,
  kind: ShiftKind,
  severity: Severity,
  rand: () => number,
): ImageSet {
  const level = SHIFT_LEVELS[kind].levels[severity - 1];
  const { rows, cols, count } = set;
  const size = rows * cols;
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) {
    const off = i * size;
    const src = set.images.subarray(off, off + size);
    const dst = out.subarray(off, off + size);
    switch (kind) {
      case "brightness":
        for (let j = 0; j < size; j++) dst[j] = clamp(src[j] + level * 255);
        break;
      case "contrast":
        for (let j = 0; j < size; j++) dst[j] = clamp(src[j] * level);
        break;
      case "noise":
        for (let j = 0; j < size; j++) dst[j] = clamp(src[j] + gaussian(rand) * level * 255);
        break;
      case "blur": {
        const b = blurImage(Float64Array.from(src), rows, cols, level);
        for (let j = 0; j < size; j++) dst[j] = clamp(b[j]);
        break;
      }
      case "rotation": {
        const a = (rand() < 0.5 ? -1 : 1) * level * (0.5 + 0.5 * rand()) * Math.PI / 180;
        const cy = (rows - 1) / 2, cx = (cols - 1) / 2;
        const cos = Math.cos(a), sin = Math.sin(a);
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < cols; x++) {
            const sy = cos * (y - cy) - sin * (x - cx) + cy;
            const sx = sin * (y - cy) + cos * (x - cx) + cx;
            dst[y * cols + x] = clamp(bilinear(set.images, off, rows, cols, sy, sx));
          }
        }
        break;
      }
      case "translation": {
        const t = rand() * 2 * Math.PI;
        const dy = Math.round(level * Math.sin(t)), dx = Math.round(level * Math.cos(t));
        for (let y = 0; y < rows; y++) {
          for (let x = 0; x < cols; x++) {
            const sy = y - dy, sx = x - dx;
            dst[y * cols + x] = sy < 0 || sy >= rows || sx < 0 || sx >= cols
              ? 0
              : src[sy * cols + sx];
          }
        }
        break;
      }
      case "occlusion": {
        dst.set(src);
        const y0 = Math.floor(rand() * (rows - level + 1));
        const x0 = Math.floor(rand() * (cols - level + 1));
        for (let y = y0; y < y0 + level; y++) dst.fill(0, y * cols + x0, y * cols + x0 + level);
        break;
      }
      case "inversion":
        if (rand() < level) { for (let j = 0; j < size; j++) dst[j] = 255 - src[j]; }
        else dst.set(src);
        break;
      case "jpeg":
        dst.set(jpegArtefacts(src, rows, cols, level));
        break;
      case "prior":
        dst.set(src);
        break;
    }
  }
  return { count, rows, cols, images: out, labels: set.labels.slice(0, count) };
}

/**
 * Indices of a batch of `n` images from a pool with labels `labels` under a class-prior shift at
 * `severity`: that share of the batch is drawn from classes 0 and 1 (T-shirt/top, Trouser), the
 * rest uniformly from the whole pool. With replacement across the two parts is avoided.
 */
export function priorShiftIndices(
  labels: Uint8Array,
  n: number,
  severity: Severity,
  rand: () => number,
): Int32Array {
  const share = SHIFT_LEVELS.prior.levels[severity - 1];
  const favoured: number[] = [], all: number[] = [];
  labels.forEach((l, i) => {
    all.push(i);
    if (l === 0 || l === 1) favoured.push(i);
  });
  const k = Math.round(n * share);
  const pick = (from: number[], m: number, taken: Set<number>): number[] => {
    const out: number[] = [];
    let guard = 0;
    while (out.length < m && guard++ < m * 100) {
      const v = from[Math.floor(rand() * from.length)];
      if (!taken.has(v)) {
        taken.add(v);
        out.push(v);
      }
    }
    return out;
  };
  const taken = new Set<number>();
  return Int32Array.from([...pick(favoured, k, taken), ...pick(all, n - k, taken)]);
}
