/**
 * Flags shared by many entry points, written once. Spread them into a command's schema
 * (`z.object({ ...stateDirFlag, … })`); `runCommand` applies `--state-dir` to `FMNIST_STATE_DIR`
 * and `--source` to `FMNIST_SOURCE` by itself.
 */
import { z } from "zod";

/** A non-empty string flag (trimmed). */
export const nonEmpty = (): z.ZodString => z.string().trim().min(1, "must not be empty");

/** `--state-dir DIR` (→ `FMNIST_STATE_DIR`). */
export const stateDirFlag = {
  "state-dir": nonEmpty().optional().meta({
    description: "state directory (default: FMNIST_STATE_DIR or .fmnist)",
    arg: "DIR",
  }),
};

/** `--source DIR|URL` (→ `FMNIST_SOURCE`). */
export const sourceFlag = {
  source: nonEmpty().optional().meta({
    description: "where the four IDX .gz files are (default: FMNIST_SOURCE, then " +
      "/usr/share/datasets/fashion-mnist, then the official URLs)",
    arg: "DIR|URL",
  }),
};

/** `--data-dir DIR`: the manifest directory (pass it to `open({ manifestDir })`). */
export const dataDirFlag = {
  "data-dir": nonEmpty().optional().meta({
    description: "manifest directory (default: the repository's data/)",
    arg: "DIR",
  }),
};

/** Environment overrides of the shared flags present in `flags`. */
export function sharedFlagEnv(flags: Record<string, unknown>): Record<string, string | undefined> {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return { FMNIST_STATE_DIR: str(flags["state-dir"]), FMNIST_SOURCE: str(flags.source) };
}
