/**
 * `deno task data:status|push|pull`: compare the local object store with a remote one for the
 * objects referenced by the manifests in `data/`, and upload or download what is missing
 * (hash-verified). Needs no database, so it runs beside a pipeline holding PGlite.
 */
import { z } from "zod";
import type { Settings } from "../lib/config/mod.ts";
import {
  CommandError,
  type CommandGroup,
  commandMain,
  dataDirFlag,
  defineCommand,
  nonEmpty,
  type Output,
  stateDirFlag,
} from "../lib/cli/mod.ts";
import { readManifestDir, syncObjects, syncStatus } from "../lib/data/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { createProgress } from "../lib/progress/mod.ts";
import { REPO_MANIFEST_DIR } from "../lib/workspace/mod.ts";
import { openStore, openStoreAt } from "../lib/storage/mod.ts";

const flagsSchema = z.object({
  remote: nonEmpty().optional().meta({
    description: "s3://bucket/prefix (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY) or a directory " +
      "(default: FMNIST_REMOTE)",
    arg: "LOCATION",
  }),
  ...stateDirFlag,
  ...dataDirFlag,
});
type Flags = z.infer<typeof flagsSchema>;
type Kind = "status" | "push" | "pull";

/** status/push/pull of `kind`; returns the exit code (1 when something could not be done). */
async function sync(kind: Kind, flags: Flags, settings: Settings, out: Output): Promise<number> {
  const name = `data:${kind}`;
  if (!settings.remote) {
    throw new CommandError(
      "no remote: pass --remote s3://bucket/prefix|DIR or set FMNIST_REMOTE",
      2,
    );
  }
  const log = createLogger({ command: name }, { level: settings.logLevel });
  const manifestDir = flags["data-dir"] ?? REPO_MANIFEST_DIR;
  let bad = 0;
  const manifests = await readManifestDir(manifestDir, (path, err) => {
    bad++;
    out.warn(`${name}: skipping ${path}: ${err instanceof Error ? err.message : err}`);
  });
  if (manifests.length === 0) {
    throw new CommandError(
      `no manifests (*.dvc.json) in ${manifestDir}; run \`deno task pipeline:data\` first`,
    );
  }
  let remote;
  try {
    remote = openStoreAt(settings.remote, settings);
  } catch (err) {
    throw new CommandError(err instanceof Error ? err.message : String(err), 2);
  }
  const local = openStore(settings);
  try {
    if (kind === "status") {
      const st = await syncStatus(local, remote, manifests);
      const mark = (b: boolean) => (b ? "present" : "MISSING");
      out.result(st, () => [
        `local  ${st.local}\nremote ${st.remote}`,
        ...st.entries.map((e) =>
          `  local ${mark(e.local)}  remote ${mark(e.remote)}  ${e.key}  ${e.refs.join(", ")}`
        ),
        `${st.entries.length} object(s): ${st.missingLocal.length} missing locally ` +
        `(pull), ${st.missingRemote.length} missing remotely (push)`,
      ]);
      return bad > 0 ? 1 : 0;
    }
    const progress = createProgress(log, { label: name, unit: "objects" });
    const report = await syncObjects(kind, local, remote, manifests, {
      log,
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.set(done);
      },
    });
    progress.done();
    out.result(report, () => [
      `${kind}: ${report.copied.length} object(s) copied (${report.bytes} bytes), ` +
      `${report.present.length} already present, ${report.unavailable.length} unavailable`,
      ...report.unavailable.map((k) =>
        `  unavailable on both sides: ${k} (re-run \`deno task pipeline:data\`)`
      ),
    ]);
    return report.unavailable.length > 0 || bad > 0 ? 1 : 0;
  } finally {
    await Promise.all([local.close(), remote.close()]);
  }
}

const syncCommand = (kind: Kind, summary: string) =>
  defineCommand({
    name: `data:${kind}`,
    summary,
    schema: flagsSchema,
    json: true,
    env: (f) => ({ FMNIST_REMOTE: f.remote }),
    run: ({ flags, settings, out }) => sync(kind, flags, settings(), out),
  });

export const command: CommandGroup = {
  name: "data",
  usage: "data:status|data:push|data:pull [flags]",
  summary: "Compare the local object store with a remote store for the objects that the " +
    "committed manifests in data/ reference; push uploads what the remote lacks, pull downloads " +
    "what the local store lacks (every object is checked against its SHA-256 before it is " +
    "written).",
  commands: {
    status: syncCommand("status", "compare the local and the remote store"),
    push: syncCommand("push", "upload what the remote lacks"),
    pull: syncCommand("pull", "download what the local store lacks"),
  },
};

/** Run the CLI; returns the exit code (2 for usage errors, 1 when something could not be done). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
