/**
 * `deno task real:assemble`: download the artwork named by `data/real/manifest.json` from the npm
 * registry (integrity-checked, cached) and assemble the real-image set (PNG/JPEG images and
 * `labels.csv`) under `<state>/real/` (see lib/realset).
 */
import { join } from "node:path";
import { z } from "zod";
import { commandMain, defineCommand, nonEmpty, stateDirFlag } from "../lib/cli/mod.ts";
import { statePaths } from "../lib/config/mod.ts";
import {
  assembleRealSet,
  ManifestError,
  parseRealManifest,
  REAL_MANIFEST_PATH,
} from "../lib/realset/mod.ts";

/** The real:assemble command. */
export const command = defineCommand({
  name: "real:assemble",
  summary: "Download the icon and emoji sets named by the manifest from the npm registry and " +
    "assemble the real-image set.",
  description: "Checks each tarball's integrity and each icon's SHA-256, and rasterises every " +
    "item at the manifest's sizes and backgrounds into DIR/images/, with DIR/labels.csv for " +
    "validate:real.",
  schema: z.object({
    manifest: nonEmpty().default(REAL_MANIFEST_PATH).meta({
      description: "the manifest",
      arg: "FILE",
    }),
    out: nonEmpty().optional().meta({
      description: "output folder (default <state>/real)",
      arg: "DIR",
    }),
    "per-class": z.string().regex(/^[1-9][0-9]{0,5}$/, "must be a positive integer")
      .transform(Number).optional().meta({
        description: "at most N items per class (a quick subset)",
        arg: "N",
      }),
    registry: z.url("must be a URL").optional().meta({
      description: "npm registry (default NPM_CONFIG_REGISTRY or the public registry)",
      arg: "URL",
    }),
    ...stateDirFlag,
  }),
  json: true,
  exitCodes: [[ManifestError, 2]],
  run: async ({ flags: f, settings, out }) => {
    const root = statePaths(settings().stateDir).root;
    const text = await Deno.readTextFile(f.manifest).catch((err) => {
      throw new ManifestError(`cannot read ${f.manifest}: ${(err as Error).message}`);
    });
    const r = await assembleRealSet(parseRealManifest(text), {
      outDir: f.out ?? join(root, "real"),
      cacheDir: join(root, "cache", "npm"),
      perClass: f["per-class"],
      registry: f.registry,
    });
    out.result(r, () => [
      `assembled ${r.images} images of ${r.items} items into ${r.imagesDir}`,
      ...Object.entries(r.perClass).map(([name, n]) =>
        `  ${name.padEnd(12)} ${String(n).padStart(4)}`
      ),
      `sources   ${Object.keys(r.perSource).length} packages`,
      `labels    ${r.labelsCsv}`,
    ]);
  },
});

/** Run the CLI; returns the exit code (2 usage/input errors, 1 failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
