/**
 * `deno task data:status|push|pull`: compare the local object store with a remote one for the
 * objects referenced by the manifests in `data/`, and upload or download what is missing
 * (hash-verified). Needs no database, so it runs beside a pipeline holding PGlite.
 */
import { z } from "zod";
import { ConfigError, parseSettings } from "../lib/config/mod.ts";
import { readManifestDir, syncObjects, syncStatus } from "../lib/data/mod.ts";
import { createLogger } from "../lib/log/mod.ts";
import { createProgress } from "../lib/progress/mod.ts";
import { parseCli, UsageError } from "../lib/pipeline/mod.ts";
import { REPO_MANIFEST_DIR } from "../lib/workspace/mod.ts";
import { openStore, openStoreAt } from "../lib/storage/mod.ts";

const USAGE =
  `usage: deno task data:status|data:push|data:pull [--remote LOCATION] [--state-dir DIR]
                                               [--data-dir DIR] [--json]
  (or: deno run -A pipelines/data_sync.ts status|push|pull [flags])

Compare the local object store with a remote store for the objects that the committed
manifests in data/ reference; push uploads what the remote lacks, pull downloads what the
local store lacks (every object is checked against its SHA-256 before it is written).

  --remote LOCATION  s3://bucket/prefix (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY) or a
                     directory (default: FMNIST_REMOTE)
  --state-dir DIR    state directory (default: FMNIST_STATE_DIR or .fmnist)
  --data-dir DIR     manifest directory (default: the repository's data/)
  --json             print the result as JSON
  -h, --help         show this help`;

const flagsSchema = z.object({
  remote: z.string().trim().min(1, "must not be empty").optional(),
  "state-dir": z.string().trim().min(1, "must not be empty").optional(),
  "data-dir": z.string().trim().min(1, "must not be empty").optional(),
  json: z.boolean().optional(),
  help: z.boolean().optional(),
});
const commandSchema = z.enum(["status", "push", "pull"], {
  error: "the command must be one of status, push, pull",
});

/** Run the CLI; returns the exit code (2 for usage errors, 1 when something could not be done). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  let flags: z.infer<typeof flagsSchema>;
  let command: z.infer<typeof commandSchema>;
  try {
    const parsed = parseCli(
      argv,
      {
        remote: { type: "string" },
        "state-dir": { type: "string" },
        "data-dir": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      flagsSchema,
      { positionals: true },
    );
    flags = parsed.flags;
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) {
      throw new UsageError(
        `expected one command (status, push or pull), got ${parsed.positionals.length}`,
      );
    }
    const cmd = commandSchema.safeParse(parsed.positionals[0]);
    if (!cmd.success) {
      throw new UsageError(
        `unknown command ${JSON.stringify(parsed.positionals[0])}: use status, push or pull`,
      );
    }
    command = cmd.data;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`data sync: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  let settings;
  try {
    settings = parseSettings({
      ...env,
      FMNIST_STATE_DIR: flags["state-dir"] ?? env.FMNIST_STATE_DIR,
      FMNIST_REMOTE: flags.remote ?? env.FMNIST_REMOTE,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`data:${command}: ${err.message}`);
    return 2;
  }
  if (!settings.remote) {
    console.error(
      `data:${command}: no remote: pass --remote s3://bucket/prefix|DIR or set FMNIST_REMOTE`,
    );
    return 2;
  }
  const log = createLogger({ command: `data:${command}` }, { level: settings.logLevel });
  const manifestDir = flags["data-dir"] ?? REPO_MANIFEST_DIR;
  let bad = 0;
  const manifests = await readManifestDir(manifestDir, (path, err) => {
    bad++;
    console.error(`data:${command}: skipping ${path}: ${err instanceof Error ? err.message : err}`);
  });
  if (manifests.length === 0) {
    console.error(
      `data:${command}: no manifests (*.dvc.json) in ${manifestDir}; run \`deno task pipeline:data\` first`,
    );
    return 1;
  }
  let remote;
  try {
    remote = openStoreAt(settings.remote, settings);
  } catch (err) {
    console.error(`data:${command}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const local = openStore(settings);
  try {
    if (command === "status") {
      const st = await syncStatus(local, remote, manifests);
      if (flags.json) console.log(JSON.stringify(st, null, 2));
      else {
        console.log(`local  ${st.local}\nremote ${st.remote}`);
        for (const e of st.entries) {
          const mark = (b: boolean) => (b ? "present" : "MISSING");
          console.log(
            `  local ${mark(e.local)}  remote ${mark(e.remote)}  ${e.key}  ${e.refs.join(", ")}`,
          );
        }
        console.log(
          `${st.entries.length} object(s): ${st.missingLocal.length} missing locally ` +
            `(pull), ${st.missingRemote.length} missing remotely (push)`,
        );
      }
      return bad > 0 ? 1 : 0;
    }
    const progress = createProgress(log, { label: `data:${command}`, unit: "objects" });
    const report = await syncObjects(command, local, remote, manifests, {
      log,
      onProgress: (done, total) => {
        progress.setTotal(total);
        progress.set(done);
      },
    });
    progress.done();
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(
        `${command}: ${report.copied.length} object(s) copied (${report.bytes} bytes), ` +
          `${report.present.length} already present, ${report.unavailable.length} unavailable`,
      );
      for (const k of report.unavailable) {
        console.log(`  unavailable on both sides: ${k} (re-run \`deno task pipeline:data\`)`);
      }
    }
    return report.unavailable.length > 0 || bad > 0 ? 1 : 0;
  } catch (err) {
    log.error(`data:${command} failed`, { error: err });
    console.error(`data:${command}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await Promise.all([local.close(), remote.close()]);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
