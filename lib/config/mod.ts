/** Public face of the config stage: typed settings and the state-dir layout. */
export { ConfigError, envSchema, loadSettings, parseSettings } from "./settings.ts";
export type { Env, S3Settings, Settings } from "./settings.ts";
export { ensureState, statePaths } from "./state.ts";
export type { StatePaths } from "./state.ts";
export { atomicWriteFile, syncDir } from "./atomic.ts";
export { zodErrorText } from "./zod_errors.ts";
export type { ZodErrorTextOptions } from "./zod_errors.ts";
export { freeLoopbackPort } from "./ports.ts";
