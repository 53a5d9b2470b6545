/** Who performs a registry change: explicit, else `FMNIST_ACTOR`, else `USER`, else `unknown`. */

function env(name: string): string | undefined {
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
