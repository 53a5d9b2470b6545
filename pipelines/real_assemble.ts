/**
 * `deno task real:assemble`: download the artwork named by `data/real/manifest.json` from the npm
 * registry (integrity-checked, cached) and assemble the real-image set (PNG/JPEG images and
 * `labels.csv`) under `<state>/real/` (see lib/realset).
 */
import { join } from "node:path";
import { z } from "zod";
import { statePaths } from "../lib/config/mod.ts";
import { runCommand } from "../lib/pipeline/mod.ts";
import {
  assembleRealSet,
  ManifestError,
  NpmFetchError,
  parseRealManifest,
  REAL_MANIFEST_PATH,
  SourceMismatchError,
} from "../lib/realset/mod.ts";

const USAGE = `usage: deno task real:assemble [--manifest FILE] [--out DIR] [--per-class N]
                              [--registry URL] [--json] [--state-dir DIR]

Download the icon and emoji sets named by the manifest from the npm registry, check each
tarball's integrity and each icon's SHA-256, and rasterise every item at the manifest's sizes
and backgrounds into DIR/images/, with DIR/labels.csv for validate:real.

  --manifest FILE   the manifest (default ${REAL_MANIFEST_PATH})
  --out DIR         output folder (default <state>/real)
  --per-class N     at most N items per class (a quick subset)
  --registry URL    npm registry (default NPM_CONFIG_REGISTRY or the public registry)
  --json            print the summary as JSON (machines)
  --state-dir DIR   state directory (default FMNIST_STATE_DIR or .fmnist)
  -h, --help        show this help`;

const flagsSchema = z.object({
  manifest: z.string().min(1).prefault(REAL_MANIFEST_PATH),
  out: z.string().min(1).optional(),
  "per-class": z.string().regex(/^[1-9][0-9]{0,5}$/, "--per-class must be a positive integer")
    .transform(Number).optional(),
  registry: z.url("--registry must be a URL").optional(),
  json: z.boolean().optional(),
  "state-dir": z.string().min(1).optional(),
  help: z.boolean().optional(),
});

/** Run the CLI; returns the exit code (2 usage/input errors, 1 failures). */
export function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  return runCommand(
    {
      name: "real:assemble",
      usage: USAGE,
      flags: {
        manifest: { type: "string" },
        out: { type: "string" },
        "per-class": { type: "string" },
        registry: { type: "string" },
        json: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      schema: flagsSchema,
      envFromFlags: (f) => ({ FMNIST_STATE_DIR: f["state-dir"] }),
      run: async (ctx, f) => {
        const root = statePaths(ctx.settings.stateDir).root;
        try {
          const text = await Deno.readTextFile(f.manifest).catch((err) => {
            throw new ManifestError(`cannot read ${f.manifest}: ${(err as Error).message}`);
          });
          const r = await assembleRealSet(parseRealManifest(text), {
            outDir: f.out ?? join(root, "real"),
            cacheDir: join(root, "cache", "npm"),
            perClass: f["per-class"],
            registry: f.registry,
          });
          if (f.json) {
            console.log(JSON.stringify(r));
            return 0;
          }
          console.log(`assembled ${r.images} images of ${r.items} items into ${r.imagesDir}`);
          for (const [name, n] of Object.entries(r.perClass)) {
            console.log(`  ${name.padEnd(12)} ${String(n).padStart(4)}`);
          }
          console.log(`sources   ${Object.keys(r.perSource).length} packages`);
          console.log(`labels    ${r.labelsCsv}`);
          return 0;
        } catch (err) {
          if (
            err instanceof ManifestError || err instanceof NpmFetchError ||
            err instanceof SourceMismatchError
          ) {
            console.error(`real:assemble: ${err.message}`);
            return err instanceof ManifestError ? 2 : 1;
          }
          throw err;
        }
      },
    },
    argv,
    env,
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));
