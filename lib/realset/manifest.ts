/**
 * The real-image set's manifest (`data/real/manifest.json`, committed): where every image comes
 * from (npm package, exact version, file inside it, icon), its Fashion-MNIST label, the SHA-256 of
 * the source SVG, the rasterisations each source is drawn at, and the items left out with why.
 */
import { z } from "zod";
import { LABEL_NAMES } from "../data/mod.ts";

/** Raised for a manifest that does not parse or contradicts itself. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

const rasterSchema = z.object({
  size: z.number().int().min(8).max(2048),
  background: z.string().regex(/^(none|#[0-9a-f]{6})$/, "background: none or #rrggbb"),
  format: z.enum(["png", "jpeg"]),
});

const sourceSchema = z.object({
  package: z.string().regex(/^@?[a-z0-9][\w.-]*(\/[\w.-]+)?$/),
  version: z.string().regex(/^\d+\.\d+\.\d+([-+][\w.-]+)?$/, "an exact version"),
  license: z.string(),
  /** What kind of artwork the set is (flat icon, line icon, colour emoji, silhouette). */
  style: z.string(),
});

const itemSchema = z.object({
  /** File name stem of the assembled images (unique). */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  package: z.string(),
  version: z.string(),
  /** File inside the package and the icon in it: `icons.json#t-shirt`. */
  file: z.string().regex(/^[\w./-]+#[\w-]+$/),
  label: z.number().int().min(0).max(9),
  labelName: z.enum(LABEL_NAMES),
  /** SHA-256 (hex) of the standalone SVG built from the icon. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const excludedSchema = z.object({
  package: z.string(),
  file: z.string(),
  reason: z.string().min(3),
});

/** Schema of `data/real/manifest.json`. */
export const realManifestSchema = z.object({
  format: z.literal(1),
  description: z.string(),
  rasters: z.array(rasterSchema).min(1),
  sources: z.array(sourceSchema).min(1),
  items: z.array(itemSchema).min(1),
  excluded: z.array(excludedSchema),
}).superRefine((m, ctx) => {
  const ids = new Set<string>();
  const sources = new Map(m.sources.map((s) => [s.package, s.version]));
  for (const it of m.items) {
    if (ids.has(it.id)) ctx.addIssue({ code: "custom", message: `duplicate item id ${it.id}` });
    ids.add(it.id);
    if (sources.get(it.package) !== it.version) {
      ctx.addIssue({
        code: "custom",
        message: `item ${it.id}: ${it.package}@${it.version} is not among the sources`,
      });
    }
    if (LABEL_NAMES[it.label] !== it.labelName) {
      ctx.addIssue({
        code: "custom",
        message: `item ${it.id}: label ${it.label} ≠ ${it.labelName}`,
      });
    }
  }
});

/** A parsed manifest. */
export type RealManifest = z.infer<typeof realManifestSchema>;
/** One image source of the manifest. */
export type RealItem = RealManifest["items"][number];
/** One rasterisation every item is drawn at. */
export type RealRaster = RealManifest["rasters"][number];

/** Parse manifest JSON text. */
export function parseRealManifest(text: string): RealManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`the manifest is not JSON: ${(err as Error).message}`);
  }
  const parsed = realManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ManifestError(`invalid manifest: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Path of the committed manifest, relative to the repository root. */
export const REAL_MANIFEST_PATH = "data/real/manifest.json";
