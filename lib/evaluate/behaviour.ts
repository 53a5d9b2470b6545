/**
 * Behavioural tests of a classifier (the pytest-for-models role, after Made-With-ML's model tests
 * and CheckList, Ribeiro et al. 2020), run against any model through a `predict` function:
 *
 * - **minimum functionality**: per-class accuracy on curated examples (the first `perClass`
 *   test images of each class) is at least `classFloor`;
 * - **invariance**: a 1 px shift (each direction), a ±10% brightness change, and a horizontal
 *   flip of left–right symmetric garments keep the prediction for at least a stated share;
 * - **directional expectation**: blanking the central 10×10 pixels (the garment's middle) lowers
 *   the predicted class's probability for at least a stated share;
 * - **budget**: per-image latency of a batch and the artifact size stay under limits.
 *
 * Each check reports its figure, its threshold and pass/fail; the suite passes when all do.
 */

/** Predicts class probabilities for `count × 784` pixels in 0..1 (`count × classes`). */
export type PredictFn = (
  pixels: Float32Array,
  count: number,
) => Promise<Float32Array> | Float32Array;

/** Thresholds of the suite (defaults in {@link BEHAVIOUR_DEFAULTS}). */
export interface BehaviourOptions {
  perClass: number;
  classFloor: number;
  shiftKeep: number;
  brightnessKeep: number;
  flipKeep: number;
  /** Class ids whose garments are left–right symmetric (flip check). */
  symmetricClasses: number[];
  occlusionLower: number;
  maxMsPerImage: number;
  maxArtifactBytes: number;
}

/** Default thresholds (Fashion-MNIST: T-shirt, trouser, pullover, dress, coat, shirt, bag are symmetric). */
export const BEHAVIOUR_DEFAULTS: BehaviourOptions = {
  perClass: 50,
  classFloor: 0.5,
  shiftKeep: 0.9,
  brightnessKeep: 0.95,
  flipKeep: 0.85,
  symmetricClasses: [0, 1, 2, 3, 4, 6, 8],
  occlusionLower: 0.8,
  maxMsPerImage: 50,
  maxArtifactBytes: 50 * 1024 * 1024,
};

/** One check's outcome. */
export interface BehaviourCheck {
  name: string;
  kind: "minimum_functionality" | "invariance" | "directional" | "budget";
  value: number;
  threshold: number;
  /** `>=` or `<=`: how value must compare to threshold. */
  comparison: ">=" | "<=";
  passed: boolean;
  count: number;
}

/** The suite's outcome. */
export interface BehaviourResult {
  passed: boolean;
  checks: BehaviourCheck[];
}

const SIDE = 28;
const PX = SIDE * SIDE;

function argmax(p: Float32Array, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
  return best;
}

/** Transform every image of a batch. */
function mapImages(x: Float32Array, n: number, f: (src: Float32Array, dst: Float32Array) => void) {
  const out = new Float32Array(n * PX);
  for (let i = 0; i < n; i++) {
    f(x.subarray(i * PX, (i + 1) * PX), out.subarray(i * PX, (i + 1) * PX));
  }
  return out;
}

/** Shift by (dy, dx) pixels, filling with 0. */
export function shiftImage(src: Float32Array, dst: Float32Array, dy: number, dx: number): void {
  dst.fill(0);
  for (let r = 0; r < SIDE; r++) {
    const rs = r - dy;
    if (rs < 0 || rs >= SIDE) continue;
    for (let c = 0; c < SIDE; c++) {
      const cs = c - dx;
      if (cs >= 0 && cs < SIDE) dst[r * SIDE + c] = src[rs * SIDE + cs];
    }
  }
}

/**
 * Run the suite on `pixels` (`count × 784`, 0..1) with `labels` (the curated examples are the
 * first `perClass` images of each class among them).
 */
export async function runBehaviourSuite(
  predict: PredictFn,
  pixels: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  opts: Partial<BehaviourOptions> & { artifactBytes?: number } = {},
): Promise<BehaviourResult> {
  const o = { ...BEHAVIOUR_DEFAULTS, ...opts };
  const picked: number[] = [];
  const seen = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (seen[labels[i]] < o.perClass) {
      seen[labels[i]]++;
      picked.push(i);
    }
  }
  const n = picked.length;
  if (n === 0) throw new RangeError("the behavioural suite needs labelled examples");
  const x = new Float32Array(n * PX);
  picked.forEach((idx, k) => x.set(pixels.subarray(idx * PX, (idx + 1) * PX), k * PX));
  const y = picked.map((i) => labels[i]);
  const checks: BehaviourCheck[] = [];
  const check = (
    name: string,
    kind: BehaviourCheck["kind"],
    value: number,
    threshold: number,
    comparison: ">=" | "<=",
    count: number,
  ) =>
    checks.push({
      name,
      kind,
      value,
      threshold,
      comparison,
      count,
      passed: comparison === ">=" ? value >= threshold : value <= threshold,
    });

  const t0 = performance.now();
  const base = await predict(x, n);
  const msPerImage = (performance.now() - t0) / n;
  const pred = Array.from({ length: n }, (_, i) => argmax(base, i, classes));
  for (let c = 0; c < classes; c++) {
    const idx = y.map((t, i) => [t, i] as const).filter(([t]) => t === c).map(([, i]) => i);
    if (idx.length === 0) continue;
    const acc = idx.filter((i) => pred[i] === c).length / idx.length;
    check(`class ${c} accuracy`, "minimum_functionality", acc, o.classFloor, ">=", idx.length);
  }
  const keep = async (name: string, imgs: Float32Array, subset: number[], threshold: number) => {
    const p = await predict(imgs, n);
    const kept = subset.filter((i) => argmax(p, i, classes) === pred[i]).length;
    check(name, "invariance", kept / subset.length, threshold, ">=", subset.length);
  };
  const all = Array.from({ length: n }, (_, i) => i);
  for (
    const [dy, dx, label] of [[0, 1, "right"], [0, -1, "left"], [1, 0, "down"], [
      -1,
      0,
      "up",
    ]] as const
  ) {
    await keep(
      `1 px shift ${label}`,
      mapImages(x, n, (s, d) => shiftImage(s, d, dy, dx)),
      all,
      o.shiftKeep,
    );
  }
  for (const f of [0.9, 1.1]) {
    const imgs = mapImages(x, n, (s, d) => {
      for (let p = 0; p < PX; p++) d[p] = Math.min(1, s[p] * f);
    });
    await keep(`brightness ×${f}`, imgs, all, o.brightnessKeep);
  }
  const sym = all.filter((i) => o.symmetricClasses.includes(y[i]));
  if (sym.length > 0) {
    const flipped = mapImages(x, n, (s, d) => {
      for (let r = 0; r < SIDE; r++) {
        for (let c = 0; c < SIDE; c++) d[r * SIDE + c] = s[r * SIDE + SIDE - 1 - c];
      }
    });
    await keep("horizontal flip (symmetric classes)", flipped, sym, o.flipKeep);
  }
  const occluded = mapImages(x, n, (s, d) => {
    d.set(s);
    for (let r = 9; r < 19; r++) d.fill(0, r * SIDE + 9, r * SIDE + 19);
  });
  const po = await predict(occluded, n);
  const lower = all.filter((i) => po[i * classes + pred[i]] < base[i * classes + pred[i]]).length;
  check("centre occlusion lowers confidence", "directional", lower / n, o.occlusionLower, ">=", n);
  check("latency per image (ms, one batch)", "budget", msPerImage, o.maxMsPerImage, "<=", n);
  if (opts.artifactBytes !== undefined) {
    check("artifact size (bytes)", "budget", opts.artifactBytes, o.maxArtifactBytes, "<=", 1);
  }
  return { passed: checks.every((c) => c.passed), checks };
}
