/** Who performs a registry change: explicit, else `FMNIST_ACTOR`, else `USER`, else `unknown`. */
import { z } from "zod";

/** The environment variable naming who acts (documented in the configuration reference). */
export const actorEnvSchema = z.object({
  /**
   * Who registry changes (registrations, alias moves, gate decisions) are recorded as in the
   * audit log when the caller names no one; unset: the login name (`USER`), else `unknown`.
   */
  FMNIST_ACTOR: z.string().optional(),
});

function env(name: keyof z.infer<typeof actorEnvSchema> | "USER"): string | undefined {
  try {
    const v = Deno.env.get(name)?.trim();
    return v ? v : undefined;
  } catch {
    return undefined; // no env permission
  }
}

/** The actor recorded in the audit log for a change. */
export function resolveActor(explicit?: string): string {
  const e = explicit?.trim();
  return e || env("FMNIST_ACTOR") || env("USER") || "unknown";
}
