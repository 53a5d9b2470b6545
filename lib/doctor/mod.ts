/** Environment diagnostics (`deno task doctor`): checks with plain-language results and fixes. */
export {
  checkBackend,
  checkChampions,
  checkDataset,
  checkDeno,
  checkMigrations,
  checkObjectStore,
  checkPrometheus,
  checkRedis,
  checkStateDir,
} from "./checks.ts";
export type { Check } from "./checks.ts";
export { requireBinary } from "./binaries.ts";
export { doctorExitCode, formatDoctor, PINNED_DENO, runDoctor } from "./report.ts";
export type { DoctorOptions } from "./report.ts";
