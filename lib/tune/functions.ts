/**
 * Standard optimisation test functions (all minimised), with their domains and known minima.
 * Shared by the built-in objectives, the tests and `bench/tune.ts` (whose Optuna peer implements
 * the same formulas).
 */
import type { SearchSpaceInput } from "./space.ts";

/** A test function over named float parameters. */
export interface TestFunction {
  name: string;
  /** Box domain per parameter. */
  space: SearchSpaceInput;
  /** Known global minimum. */
  minimum: number;
  /** Evaluate at the parameters (named x0, x1, …). */
  fn(x: Record<string, number>): number;
}

function box(dim: number, low: number, high: number): SearchSpaceInput {
  const out: SearchSpaceInput = {};
  for (let i = 0; i < dim; i++) out[`x${i}`] = { type: "float", low, high };
  return out;
}

function vec(x: Record<string, number>, dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => x[`x${i}`]);
}

/** Branin (2-D), x0 ∈ [−5, 10], x1 ∈ [0, 15]; minimum 0.397887. */
export function branin(x0: number, x1: number): number {
  const b = 5.1 / (4 * Math.PI * Math.PI);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x1 - b * x0 * x0 + c * x0 - 6) ** 2 + 10 * (1 - t) * Math.cos(x0) + 10;
}

const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];
const H_ALPHA = [1, 1.2, 3, 3.2];

/** Hartmann-6, x ∈ [0, 1]^6; minimum −3.32237. */
export function hartmann6(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2;
    s += H_ALPHA[i] * Math.exp(-inner);
  }
  return -s;
}

/** Rosenbrock in any dimension; minimum 0 at (1, …, 1). */
function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

/** Styblinski–Tang in any dimension; minimum −39.16617·d at x_i = −2.903534. */
function styblinskiTang(x: readonly number[]): number {
  let s = 0;
  for (const v of x) s += v ** 4 - 16 * v * v + 5 * v;
  return s / 2;
}

/** The benchmark functions, by name. */
export const TEST_FUNCTIONS: Record<string, TestFunction> = {
  branin: {
    name: "branin",
    space: { x0: { type: "float", low: -5, high: 10 }, x1: { type: "float", low: 0, high: 15 } },
    minimum: 0.397887,
    fn: (x) => branin(x.x0, x.x1),
  },
  hartmann6: {
    name: "hartmann6",
    space: box(6, 0, 1),
    minimum: -3.32237,
    fn: (x) => hartmann6(vec(x, 6)),
  },
  rosenbrock4: {
    name: "rosenbrock4",
    space: box(4, -5, 10),
    minimum: 0,
    fn: (x) => rosenbrock(vec(x, 4)),
  },
  "styblinski-tang4": {
    name: "styblinski-tang4",
    space: box(4, -5, 5),
    minimum: -39.16617 * 4,
    fn: (x) => styblinskiTang(vec(x, 4)),
  },
  quadratic: {
    name: "quadratic",
    space: box(2, -10, 10),
    minimum: 0,
    fn: (x) => (x.x0 - 1) ** 2 + (x.x1 + 2) ** 2,
  },
};
