/** Gradient checks of the `wasm` path (the engine's wasm kernels) against `cpu`. */
import { gradTests } from "./grad_testing.ts";

gradTests("wasm");
