/** Pieces every route area's schemas and route definitions are built from. */
import { z } from "@hono/zod-openapi";

/**
 * A string checked by a library schema (e.g. `ModelNameSchema`), reporting that schema's first
 * message: the library's rule, documented as a plain string in the OpenAPI document.
 */
export function checkedBy(schema: z.ZodType<string>): z.ZodString {
  return z.string().superRefine((v, ctx) => {
    const r = schema.safeParse(v);
    if (!r.success) {
      ctx.addIssue({ code: "custom", message: r.error.issues[0]?.message ?? "invalid value" });
    }
  });
}

/**
 * `schema` or null, documented as such: `.nullable()` of a named (registered) schema loses the
 * null in the generated document (a bare `$ref`), a union keeps it (`anyOf: [$ref, null]`).
 */
export function orNull<T extends z.ZodType>(schema: T): z.ZodUnion<[T, z.ZodNull]> {
  return z.union([schema, z.null()]);
}

/** An OpenAPI response (or request body) described by `description` with a JSON `schema`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A required JSON request body of `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}
