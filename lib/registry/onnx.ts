/** The ONNX export attached to a registered model version (one per version, immutable). */
import { z } from "zod";
import { type ContentRef, getContent } from "../storage/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";
import { RegistryInputError, RegistryNotFoundError } from "./errors.ts";
import { checkModelName } from "./versions.ts";

/** How an export compared with its tfjs model when it was attached. */
export const OnnxEquivalenceSchema = z.object({
  images: z.number().int().min(1),
  maxAbsDiff: z.number().min(0),
  argmaxMismatches: z.number().int().min(0),
  tolerance: z.number().positive(),
});

/** The ONNX file of a version. */
export const OnnxFileSchema = z.object({
  /** Object-store key (content-addressed). */
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().positive(),
  opset: z.number().int().min(1),
  equivalence: OnnxEquivalenceSchema,
  createdAt: z.string(),
});
/** The ONNX file of a version. */
export type OnnxFile = z.infer<typeof OnnxFileSchema>;

interface OnnxRow {
  onnx_key: string;
  sha256: string;
  size: number | string;
  opset: number;
  equivalence: unknown;
  created_at: Date | string;
}

function toOnnxFile(r: OnnxRow): OnnxFile {
  return OnnxFileSchema.parse({
    key: r.onnx_key,
    sha256: r.sha256,
    size: Number(r.size),
    opset: r.opset,
    equivalence: typeof r.equivalence === "string" ? JSON.parse(r.equivalence) : r.equivalence,
    createdAt: new Date(r.created_at).toISOString(),
  });
}

/**
 * Attach the ONNX export `ref` (already in the store) to version `version` of `name`. A version
 * keeps the first export attached to it: attaching again returns the stored one unchanged.
 * @throws RegistryNotFoundError for an unknown version, RegistryInputError for a bad equivalence
 * record or a file missing from the store.
 */
export async function attachOnnx(
  ctx: TrackingContext,
  opts: {
    name: string;
    version: number;
    file: ContentRef;
    opset: number;
    equivalence: z.input<typeof OnnxEquivalenceSchema>;
  },
): Promise<{ onnx: OnnxFile; created: boolean }> {
  const name = checkModelName(opts.name);
  const eq = OnnxEquivalenceSchema.safeParse(opts.equivalence);
  if (!eq.success) {
    throw new RegistryInputError(`invalid ONNX equivalence record: ${eq.error.issues[0]?.message}`);
  }
  if (eq.data.maxAbsDiff > eq.data.tolerance || eq.data.argmaxMismatches > 0) {
    throw new RegistryInputError(
      `the ONNX export of ${name} v${opts.version} failed its equivalence check; it is not attached`,
    );
  }
  if ((await ctx.store.stat(opts.file.key)) === null) {
    throw new RegistryInputError(`ONNX file ${opts.file.key} is not in the object store`);
  }
  const exists = await ctx.db.query(
    `SELECT 1 FROM registry_versions WHERE model = $1 AND version = $2`,
    [name, opts.version],
  );
  if (exists.length === 0) {
    throw new RegistryNotFoundError(`model ${name} has no version ${opts.version}`);
  }
  const inserted = await ctx.db.query<OnnxRow>(
    `INSERT INTO registry_onnx (model, version, onnx_key, sha256, size, opset, equivalence)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (model, version) DO NOTHING
     RETURNING onnx_key, sha256, size, opset, equivalence, created_at`,
    [
      name,
      opts.version,
      opts.file.key,
      opts.file.sha256,
      opts.file.size,
      opts.opset,
      JSON.stringify(eq.data),
    ],
  );
  if (inserted.length > 0) {
    ctx.log.info("ONNX export attached", {
      model: name,
      version: opts.version,
      sha256: opts.file.sha256,
    });
    return { onnx: toOnnxFile(inserted[0]), created: true };
  }
  const have = await getOnnxFile(ctx, name, opts.version);
  return { onnx: have!, created: false };
}

/** The ONNX file attached to a version, or null when none is. */
export async function getOnnxFile(
  ctx: TrackingContext,
  name: string,
  version: number,
): Promise<OnnxFile | null> {
  checkModelName(name);
  const rows = await ctx.db.query<OnnxRow>(
    `SELECT onnx_key, sha256, size, opset, equivalence, created_at FROM registry_onnx
     WHERE model = $1 AND version = $2`,
    [name, version],
  );
  return rows.length ? toOnnxFile(rows[0]) : null;
}

/**
 * The ONNX bytes of a version (hash-verified).
 * @throws RegistryNotFoundError when the version has no ONNX file.
 */
export async function loadOnnxBytes(
  ctx: TrackingContext,
  name: string,
  version: number,
): Promise<{ onnx: OnnxFile; bytes: Uint8Array }> {
  const onnx = await getOnnxFile(ctx, name, version);
  if (!onnx) {
    throw new RegistryNotFoundError(
      `model ${name} v${version} has no ONNX file; export it with deno task export`,
    );
  }
  return { onnx, bytes: await getContent(ctx.store, onnx.sha256) };
}
