/**
 * Image input: decode a PNG or JPEG of any size and colour and turn it into a 28×28
 * Fashion-MNIST-style image (light object on a black background, values in 0..1).
 *
 * The steps, in order:
 * 1. **Decode** with `pngjs` / `jpeg-js` (format from the magic bytes, not the content type);
 *    dimensions are checked before decoding so huge images are refused cheaply.
 * 2. **Grayscale**: luminance `0.299 R + 0.587 G + 0.114 B`. Transparent pixels are composited
 *    onto a backdrop that contrasts with the opaque content (white behind dark objects, black
 *    behind light ones), so a cut-out on a transparent background keeps its silhouette.
 * 3. **Invert if the background is light**: the background level is the median of a thin border
 *    ring; above mid-grey the image is inverted so the object is light on dark, as in the dataset.
 * 4. **Remove the background**: subtract the background level. A noise threshold is estimated
 *    from the border (4 × its robust standard deviation).
 * 5. **Crop** to the bounding box of the object: pixels above the noise threshold, located on a
 *    box-blurred copy (so isolated noise pixels are ignored) at 10 % of the blurred maximum.
 * 6. **Fill line drawings** (`fill: "auto"`): when the object is thin ink (under 45 % of its box)
 *    enclosing background that covers at least 15 % of the box — an outline icon — the enclosed
 *    background (not reachable from the box edge) is set to the ink's median level.
 * 7. **Resize** so the longer side is `fit` pixels (default 28, as in Fashion-MNIST), keeping the
 *    aspect ratio, by area
 *    averaging (exact fractional coverage) of the signed background difference — so noise
 *    averages out and faint parts of the garment survive — then clamp negatives to 0 and
 *    stretch contrast so the brightest pixel is 1.
 * 8. **Normalise the contrast of flat drawings** (`contrast: "auto"`): when at least 30 % of the
 *    ink (values > 0.1) is at full brightness (≥ 0.95), scale it so the ink's mean is
 *    {@link FMNIST_INK_MEAN}, the median over the training images (clamped at 1).
 * 9. **Centre** in the 28×28 frame: the bounding box's centre goes to the frame centre (as in
 *    Fashion-MNIST), or the centre of mass with `centre: "mass"` (as in MNIST).
 */
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { Buffer } from "node:buffer";
import { IMAGE_PIXELS, IMAGE_SIDE } from "./instances.ts";

/** Raised for input that is not a decodable, usable image; the message says what to send. */
export class ImageInputError extends Error {
  override name = "ImageInputError";
}

/** Image formats the service decodes. */
export type ImageFormat = "png" | "jpeg";

/** A decoded image as 8-bit RGBA. */
export interface RgbaImage {
  width: number;
  height: number;
  /** `width * height * 4` bytes, row-major RGBA. */
  data: Uint8Array;
}

/** Options of {@link preprocessImage}. */
export interface PreprocessOptions {
  /**
   * Longer side of the object inside the 28×28 frame (1..28). Default 28: Fashion-MNIST's
   * products fill the frame (their longer side is 28 px in every class); MNIST used 20.
   */
  fit?: number;
  /** `box` (default, like Fashion-MNIST: the bounding box is centred) or `mass` (MNIST). */
  centre?: "mass" | "box";
  /**
   * `auto` (default): a line drawing (thin ink enclosing most of its box, e.g. an outline
   * icon) gets its enclosed background filled with its ink level, so it looks like the solid
   * products the model was trained on; `off` leaves it as drawn.
   */
  fill?: "auto" | "off";
  /**
   * `auto` (default): a flat drawing (at least 30 % of its ink at full brightness after the
   * stretch, as icons and flat artwork are; 1.5 % of the training images are) is scaled so its
   * ink's mean level is {@link FMNIST_INK_MEAN}, like the shaded products of the training data;
   * `off` keeps the plain stretch to a brightest pixel of 1.
   */
  contrast?: "auto" | "off";
  /** Largest accepted image in pixels (default 40 million). */
  maxPixels?: number;
}

/** What preprocessing did, for logs and tests. */
export interface PreprocessInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** Whether the image was inverted (light background). */
  inverted: boolean;
  /** Background level (0..255) after inversion, subtracted from every pixel. */
  background: number;
  /** Object bounding box in source pixels, `[x0, y0, x1, y1)`. */
  box: [number, number, number, number];
  /** Share of the bounding box filled as the inside of a line drawing (0 when none). */
  filled: number;
}

/** A preprocessed image: 784 values in 0..1 and what was done. */
export interface PreprocessedImage {
  pixels: Float32Array;
  info: PreprocessInfo;
}

/** Default largest accepted image (pixels). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** The format of `bytes` from its magic number, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (
    bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  return null;
}

/** PNG dimensions from the IHDR chunk (without decoding). */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) throw new ImageInputError("truncated PNG: no IHDR chunk");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/**
 * Decode a PNG or JPEG into RGBA.
 * @throws ImageInputError for unknown formats, corrupt data, empty or oversized images.
 */
export function decodeImage(
  bytes: Uint8Array,
  maxPixels: number = DEFAULT_MAX_PIXELS,
): { format: ImageFormat; image: RgbaImage } {
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new ImageInputError(
      "the body is not a PNG or JPEG image (unrecognised magic bytes); send image/png or " +
        "image/jpeg, or JSON instances",
    );
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let image: RgbaImage;
  try {
    if (format === "png") {
      const { width, height } = pngSize(bytes);
      checkSize(width, height, maxPixels);
      const png = PNG.sync.read(buf);
      image = {
        width: png.width,
        height: png.height,
        data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
      };
    } else {
      const out = jpeg.decode(buf, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 8) / 1e6)),
      });
      image = { width: out.width, height: out.height, data: out.data };
    }
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new ImageInputError(`cannot decode the ${format.toUpperCase()} image: ${why}`);
  }
  checkSize(image.width, image.height, maxPixels);
  if (image.data.length < image.width * image.height * 4) {
    throw new ImageInputError(`the ${format.toUpperCase()} image decoded to too few bytes`);
  }
  return { format, image };
}

function checkSize(width: number, height: number, maxPixels: number): void {
  if (width < 1 || height < 1) throw new ImageInputError(`the image is empty (${width}×${height})`);
  if (width * height > maxPixels) {
    throw new ImageInputError(
      `the image is ${width}×${height} = ${width * height} pixels, over the ${maxPixels} limit; ` +
        "send a smaller image",
    );
  }
}

/** Luminance (0..255) of an RGBA image, transparent parts composited on a contrasting backdrop. */
export function toGray(img: RgbaImage): Float32Array {
  const n = img.width * img.height;
  const d = img.data;
  const gray = new Float32Array(n);
  let opaqueSum = 0;
  let opaqueWeight = 0;
  let transparent = false;
  for (let i = 0; i < n; i++) {
    const y = 0.299 * d[i * 4] + 0.587 * d[i * 4 + 1] + 0.114 * d[i * 4 + 2];
    const a = d[i * 4 + 3] / 255;
    gray[i] = y;
    if (a < 1) transparent = true;
    opaqueSum += y * a;
    opaqueWeight += a;
  }
  if (!transparent) return gray;
  // Dark content goes on white, light content on black, so the silhouette keeps its contrast.
  const backdrop = opaqueWeight > 0 && opaqueSum / opaqueWeight < 128 ? 255 : 0;
  for (let i = 0; i < n; i++) {
    const a = d[i * 4 + 3] / 255;
    gray[i] = gray[i] * a + backdrop * (1 - a);
  }
  return gray;
}

/** Values on a border ring `ring` pixels wide. */
function borderValues(g: Float32Array, w: number, h: number, ring: number): Float32Array {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    const edgeRow = y < ring || y >= h - ring;
    for (let x = 0; x < w; x++) {
      if (edgeRow || x < ring || x >= w - ring) out.push(g[y * w + x]);
    }
  }
  return Float32Array.from(out);
}

function median(v: Float32Array): number {
  if (v.length === 0) return 0;
  const s = Float32Array.from(v).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Robust standard deviation (1.4826 × median absolute deviation). */
function robustStd(v: Float32Array): number {
  const m = median(v);
  return 1.4826 * median(v.map((x) => Math.abs(x - m)));
}

/** Box blur with radius `r` (integral image). */
function boxBlur(g: Float32Array, w: number, h: number, r: number): Float32Array {
  if (r <= 0) return g;
  const ii = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += g[y * w + x];
      ii[(y + 1) * (w + 1) + x + 1] = ii[y * (w + 1) + x + 1] + row;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      const s = ii[y1 * (w + 1) + x1] - ii[y0 * (w + 1) + x1] - ii[y1 * (w + 1) + x0] +
        ii[y0 * (w + 1) + x0];
      out[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/**
 * Resample a `w×h` region to `ow×oh` by area averaging: each output pixel is the mean of the
 * source area it covers, with fractional edge weights (upscaling degrades to nearest sampling).
 */
export function resizeArea(
  src: Float32Array,
  w: number,
  h: number,
  ow: number,
  oh: number,
): Float32Array {
  const out = new Float32Array(ow * oh);
  const sx = w / ow, sy = h / oh;
  for (let oy = 0; oy < oh; oy++) {
    const fy0 = oy * sy, fy1 = fy0 + sy;
    for (let ox = 0; ox < ow; ox++) {
      const fx0 = ox * sx, fx1 = fx0 + sx;
      let sum = 0, area = 0;
      for (let y = Math.floor(fy0); y < Math.min(h, Math.ceil(fy1)); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(fx0); x < Math.min(w, Math.ceil(fx1)); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          if (wx <= 0) continue;
          sum += src[y * w + x] * wx * wy;
          area += wx * wy;
        }
      }
      out[oy * ow + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** Median mean level of the ink (values > 0.1) of the Fashion-MNIST training images. */
export const FMNIST_INK_MEAN = 0.65;
/** Share of the ink at full brightness from which a drawing counts as flat (step 8). */
const FLAT_INK_SHARE = 0.3;

/**
 * Step 8 of the module doc, in place on values in 0..1: returns the factor applied (1 when the
 * image is not flat).
 */
export function normaliseFlatContrast(pixels: Float32Array): number {
  let ink = 0, bright = 0, sum = 0;
  for (const v of pixels) {
    if (v > 0.1) {
      ink++;
      sum += v;
      if (v >= 0.95) bright++;
    }
  }
  if (ink === 0 || bright / ink < FLAT_INK_SHARE) return 1;
  const k = FMNIST_INK_MEAN / (sum / ink);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i] * k);
  return k;
}

/** Ink share under which an object counts as a line drawing (step 6). */
const LINE_INK_MAX = 0.45;
/** Least enclosed share of the box for a line drawing to be filled (step 6). */
const LINE_HOLE_MIN = 0.15;

/**
 * Step 6 of the module doc, in place on a `w×h` crop (`on`: 1 where the ink is): flood the
 * background from the crop's edge (4-connected); what it cannot reach is enclosed. Returns the
 * share of the crop filled (0 when the object is not a line drawing).
 */
export function fillLineDrawing(
  crop: Float32Array,
  on: Uint8Array,
  w: number,
  h: number,
): number {
  const n = w * h;
  let ink = 0;
  for (let i = 0; i < n; i++) ink += on[i];
  if (ink === 0 || ink / n >= LINE_INK_MAX) return 0;
  const outside = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0, tail = 0;
  const push = (i: number) => {
    if (!on[i] && !outside[i]) {
      outside[i] = 1;
      queue[tail++] = i;
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  while (head < tail) {
    const i = queue[head++], x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < n - w) push(i + w);
  }
  const holes = n - ink - tail;
  if (holes / n < LINE_HOLE_MIN) return 0;
  const levels = new Float32Array(ink);
  for (let i = 0, k = 0; i < n; i++) if (on[i]) levels[k++] = crop[i];
  const level = median(levels);
  for (let i = 0; i < n; i++) if (!on[i] && !outside[i]) crop[i] = level;
  return holes / n;
}

/**
 * Turn grayscale pixels (0..255, any size) into a 28×28 image in 0..1 (steps 3–7 of the module
 * doc).
 * @throws ImageInputError when no object stands out from the background.
 */
export function preprocessGray(
  gray: Float32Array,
  width: number,
  height: number,
  opts: PreprocessOptions = {},
): {
  pixels: Float32Array;
  inverted: boolean;
  background: number;
  box: PreprocessInfo["box"];
  filled: number;
} {
  const fit = opts.fit ?? IMAGE_SIDE;
  if (!Number.isInteger(fit) || fit < 1 || fit > IMAGE_SIDE) {
    throw new RangeError(`fit must be an integer in 1..${IMAGE_SIDE}, got ${fit}`);
  }
  const w = width, h = height;
  const ring = Math.max(1, Math.round(Math.min(w, h) * 0.02));
  const inverted = median(borderValues(gray, w, h, ring)) > 127.5;
  const g = inverted ? gray.map((v) => 255 - v) : Float32Array.from(gray);
  const border = borderValues(g, w, h, ring);
  const background = median(border);
  const noise = Math.max(2, 4 * robustStd(border));
  // `g`: signed difference from the background (noise averages out when resizing);
  // `on`: the same with everything under the noise threshold zeroed (to find the object).
  const on = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const v = (g[i] -= background);
    on[i] = v > noise ? v : 0;
  }
  const blurred = boxBlur(on, w, h, Math.max(0, Math.round(Math.min(w, h) / 150)));
  let peak = 0;
  for (const v of blurred) if (v > peak) peak = v;
  if (peak <= 0) {
    throw new ImageInputError(
      "no object found: the image is uniform after background removal; send a photo of one " +
        "garment on a plain background",
    );
  }
  const t = Math.max(0.1 * peak, Math.min(noise, 0.5 * peak));
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (blurred[y * w + x] > t) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  // The blur widens the box by its radius: tighten it to the pixels that are really on.
  let tx0 = x1, ty0 = y1, tx1 = x0, ty1 = y0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (on[y * w + x] > 0) {
        if (x < tx0) tx0 = x;
        if (x > tx1) tx1 = x;
        if (y < ty0) ty0 = y;
        if (y > ty1) ty1 = y;
      }
    }
  }
  if (tx1 >= tx0 && ty1 >= ty0) [x0, y0, x1, y1] = [tx0, ty0, tx1, ty1];
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const crop = new Float32Array(bw * bh);
  const cropOn = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    crop.set(g.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + bw), y * bw);
    for (let x = 0; x < bw; x++) cropOn[y * bw + x] = on[(y0 + y) * w + x0 + x] > 0 ? 1 : 0;
  }
  const filled = opts.fill === "off" ? 0 : fillLineDrawing(crop, cropOn, bw, bh);
  const scale = fit / Math.max(bw, bh);
  const ow = Math.max(1, Math.round(bw * scale)), oh = Math.max(1, Math.round(bh * scale));
  const small = resizeArea(crop, bw, bh, ow, oh);
  let max = 0;
  for (let i = 0; i < small.length; i++) {
    if (small[i] < 0) small[i] = 0;
    else if (small[i] > max) max = small[i];
  }
  if (max <= 0) throw new ImageInputError("no object found after resizing; send a larger object");
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const v = (small[y * ow + x] /= max);
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (opts.contrast !== "off") normaliseFlatContrast(small);
  const [cx, cy] = opts.centre === "mass" ? [mx / mass, my / mass] : [ow / 2, oh / 2];
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const left = clamp(Math.round(IMAGE_SIDE / 2 - cx), IMAGE_SIDE - ow);
  const top = clamp(Math.round(IMAGE_SIDE / 2 - cy), IMAGE_SIDE - oh);
  const pixels = new Float32Array(IMAGE_PIXELS);
  for (let y = 0; y < oh; y++) {
    pixels.set(small.subarray(y * ow, (y + 1) * ow), (top + y) * IMAGE_SIDE + left);
  }
  return { pixels, inverted, background, box: [x0, y0, x1 + 1, y1 + 1], filled };
}

/**
 * Decode and preprocess an image file (PNG or JPEG bytes) into a 28×28 input in 0..1.
 * @throws ImageInputError for undecodable, oversized or blank images.
 */
export function preprocessImage(
  bytes: Uint8Array,
  opts: PreprocessOptions = {},
): PreprocessedImage {
  const { format, image } = decodeImage(bytes, opts.maxPixels);
  const gray = toGray(image);
  const r = preprocessGray(gray, image.width, image.height, opts);
  return {
    pixels: r.pixels,
    info: {
      format,
      width: image.width,
      height: image.height,
      inverted: r.inverted,
      background: r.background,
      box: r.box,
      filled: r.filled,
    },
  };
}
