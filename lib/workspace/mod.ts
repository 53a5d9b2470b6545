/**
 * Public face of the workspace: the one open context (settings, object store, metadata database,
 * logger, manifest directory) that entry points, notebooks and serve routes open and close.
 */
export { openContext, REPO_MANIFEST_DIR } from "./context.ts";
export type { ContextOptions, Ctx } from "./context.ts";
