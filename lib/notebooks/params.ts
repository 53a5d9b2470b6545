/**
 * Notebook parameters read from the environment, so the same notebook runs at full size
 * interactively and with small settings in CI (`FMNIST_NB_SMALL=1`).
 */
import { z } from "zod";
import { ConfigError } from "../config/mod.ts";

const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

/** Schema of the environment variables notebooks read. */
export const notebookEnvSchema = z.object({
  /** Small settings for CI (`1`/`true`): fewer images, epochs and trials. */
  FMNIST_NB_SMALL: flag.default(false),
  /** Most images per split for heavy statistics (default: 2000 when small, else all). */
  FMNIST_NB_LIMIT: z.coerce.number().int().min(1).optional(),
});

/** Parameters every notebook gets. */
export interface NotebookParams {
  /** Small settings for CI: fewer images, fewer epochs, fewer trials. */
  small: boolean;
  /**
   * Most images per split a notebook should process for heavy statistics
   * (`FMNIST_NB_LIMIT`, else 2000 when small, else unlimited).
   */
  limit: number;
}

/** Images per split processed with small settings unless `FMNIST_NB_LIMIT` says otherwise. */
export const SMALL_LIMIT = 2000;

/**
 * Notebook parameters from `env` (default: the process environment).
 * @throws ConfigError naming the invalid variable.
 */
export function notebookParams(env?: Record<string, string | undefined>): NotebookParams {
  const source = env ?? Deno.env.toObject();
  const raw: Record<string, string> = {};
  for (const key of Object.keys(notebookEnvSchema.shape)) {
    const v = source[key];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  const parsed = notebookEnvSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      return `  ${name}=${JSON.stringify(raw[name] ?? "")}: ${i.message}`;
    });
    throw new ConfigError(`invalid notebook parameters:\n${lines.join("\n")}`);
  }
  const { FMNIST_NB_SMALL: small, FMNIST_NB_LIMIT: limit } = parsed.data;
  return { small, limit: limit ?? (small ? SMALL_LIMIT : Number.POSITIVE_INFINITY) };
}
