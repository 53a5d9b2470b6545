/**
 * Gradient checks of the `native` path (oneDNN kernels on the wasm heap) against `cpu`; skipped,
 * saying what to install, when oneDNN is absent.
 */
import { gradTests } from "./grad_testing.ts";

gradTests("native");
