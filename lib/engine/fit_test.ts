/** Model-level tests (fit, memory, whole-model gradients, determinism) of the `wasm` path. */
import { fitTests } from "./fit_testing.ts";

fitTests("wasm");
