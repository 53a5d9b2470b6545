/**
 * The JSON request body of a prediction, `{"instances": [...]}`: each instance is either 784
 * numbers in 0..1 (a flattened 28×28 image, row-major, 0 = background) or 28 rows of 28 such
 * numbers. Validated strictly (zod): wrong shapes, non-numbers and values outside 0..1 are
 * rejected with a message naming the offending instance and position.
 */
import { zodErrorText } from "../config/mod.ts";
import { z } from "zod";

/** Image side in pixels. */
export const IMAGE_SIDE = 28;
/** Pixels per image. */
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
/** Default largest number of instances in one request. */
export const DEFAULT_MAX_INSTANCES = 256;

/** Check one instance, reporting the first problem to `ctx`; returns whether it is valid. */
function checkInstance(v: unknown, ctx: z.RefinementCtx, path: (string | number)[]): boolean {
  const fail = (message: string, at: (string | number)[] = []) => {
    ctx.addIssue({ code: "custom", message, path: [...path, ...at] });
    return false;
  };
  if (!Array.isArray(v)) return fail(`expected an array, got ${typeName(v)}`);
  if (v.length === IMAGE_PIXELS) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number" || !(x >= 0 && x <= 1)) return fail(badValue(x), [i]);
    }
    return true;
  }
  if (v.length === IMAGE_SIDE && Array.isArray(v[0])) {
    for (let r = 0; r < IMAGE_SIDE; r++) {
      const row = v[r];
      if (!Array.isArray(row) || row.length !== IMAGE_SIDE) {
        return fail(
          `expected a row of ${IMAGE_SIDE} numbers, got ${
            Array.isArray(row) ? `${row.length} values` : typeName(row)
          }`,
          [r],
        );
      }
      for (let c = 0; c < IMAGE_SIDE; c++) {
        const x = row[c];
        if (typeof x !== "number" || !(x >= 0 && x <= 1)) return fail(badValue(x), [r, c]);
      }
    }
    return true;
  }
  return fail(
    `expected ${IMAGE_PIXELS} numbers or ${IMAGE_SIDE} rows of ${IMAGE_SIDE} numbers in 0..1, ` +
      `got an array of ${v.length}`,
  );
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

function badValue(x: unknown): string {
  return typeof x === "number"
    ? `pixel value ${x} is outside 0..1 (scale bytes by 1/255)`
    : `pixel values must be numbers in 0..1, got ${typeName(x)}`;
}

/** Schema of one instance (documented as either shape; validated by a fast custom check). */
export const InstanceSchema = z
  .array(z.unknown())
  .superRefine((v, ctx) => void checkInstance(v, ctx, []))
  .meta({
    description: `${IMAGE_PIXELS} pixel values in 0..1 (row-major 28×28, 0 = background), or ` +
      `${IMAGE_SIDE} rows of ${IMAGE_SIDE} values`,
    example: Array.from({ length: IMAGE_PIXELS }, () => 0),
  });

/** Schema of the JSON prediction body, with a per-request instance limit. */
export function instancesBodySchema(maxInstances: number = DEFAULT_MAX_INSTANCES) {
  return z
    .object({
      instances: z
        .array(z.unknown())
        .min(1, "send at least one instance")
        .max(maxInstances, `send at most ${maxInstances} instances per request`)
        .superRefine((list, ctx) => {
          for (let i = 0; i < list.length; i++) {
            if (!checkInstance(list[i], ctx, [i])) return;
          }
        })
        .meta({
          description: `1–${maxInstances} images; each ${IMAGE_PIXELS} values in 0..1 or ` +
            `${IMAGE_SIDE}×${IMAGE_SIDE} nested arrays`,
        }),
    })
    .strict();
}

/** A validated JSON body. */
export type InstancesBody = { instances: unknown[] };

/** Images as one packed buffer: `count × 784` values in 0..1, image after image. */
export interface PixelBatch {
  count: number;
  pixels: Float32Array;
}

/**
 * Pack validated instances (flat or nested) into a {@link PixelBatch}. Call on the output of
 * {@link instancesBodySchema}; throws a RangeError on anything it did not validate.
 */
export function packInstances(instances: readonly unknown[]): PixelBatch {
  const pixels = new Float32Array(instances.length * IMAGE_PIXELS);
  instances.forEach((inst, i) => {
    if (!Array.isArray(inst)) throw new RangeError(`instance ${i} is not an array`);
    const off = i * IMAGE_PIXELS;
    if (inst.length === IMAGE_PIXELS) {
      for (let j = 0; j < IMAGE_PIXELS; j++) pixels[off + j] = inst[j] as number;
    } else if (inst.length === IMAGE_SIDE) {
      for (let r = 0; r < IMAGE_SIDE; r++) {
        const row = inst[r] as number[];
        for (let c = 0; c < IMAGE_SIDE; c++) pixels[off + r * IMAGE_SIDE + c] = row[c];
      }
    } else throw new RangeError(`instance ${i} has ${inst.length} values`);
  });
  return { count: instances.length, pixels };
}

/** Body schemas by instance limit, built once (zod schemas are costly to build). */
const bodySchemas = new Map<number, ReturnType<typeof instancesBodySchema>>();

/**
 * Validate and pack an arbitrary parsed JSON value (for callers outside HTTP).
 * @throws Error listing the first problems.
 */
export function parseInstances(
  body: unknown,
  maxInstances: number = DEFAULT_MAX_INSTANCES,
): PixelBatch {
  let schema = bodySchemas.get(maxInstances);
  if (!schema) {
    schema = instancesBodySchema(maxInstances);
    if (bodySchemas.size < 16) bodySchemas.set(maxInstances, schema);
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    throw new Error(
      `invalid instances: ${zodErrorText(r.error, { oneLine: true, max: 3 })}`,
    );
  }
  return packInstances(r.data.instances);
}
