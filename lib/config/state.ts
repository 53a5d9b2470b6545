/** Layout of the state directory: everything a run writes lives under it. */
import { join, resolve } from "node:path";

/** Absolute paths of the state directory's parts. */
export interface StatePaths {
  root: string;
  objects: string;
  pglite: string;
  logs: string;
  spool: string;
  tmp: string;
}

/** Resolve the state directory layout (does not create anything). */
export function statePaths(stateDir: string): StatePaths {
  const root = resolve(stateDir);
  return {
    root,
    objects: join(root, "objects"),
    pglite: join(root, "pglite"),
    logs: join(root, "logs"),
    spool: join(root, "spool"),
    tmp: join(root, "tmp"),
  };
}

/** Create the state directory layout if missing and return it. */
export async function ensureState(stateDir: string): Promise<StatePaths> {
  const p = statePaths(stateDir);
  for (const dir of [p.root, p.objects, p.logs, p.spool, p.tmp]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  return p;
}
