/**
 * Model-level tests (fit, memory, whole-model gradients, determinism) of the `native` path;
 * skipped, saying what to install, when oneDNN is absent.
 */
import { fitTests } from "./fit_testing.ts";

fitTests("native");
