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

/** `S` in snake_case: `latencyP99SlackMs` → `latency_p99_slack_ms`. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S;
/** `S` in camelCase: `latency_p99_slack_ms` → `latencyP99SlackMs`. */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;
/** `T` with its own keys in snake_case. */
export type SnakeKeys<T> = { [K in keyof T & string as SnakeCase<K>]: T[K] };
/** `T` with its own keys in camelCase. */
export type CamelKeys<T> = { [K in keyof T & string as CamelCase<K>]: T[K] };

const snakeCase = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelCase = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * `value` (a library object, or a zod shape) with its own keys in snake_case, the API's casing;
 * values are kept as they are (nested objects are converted by the caller where they are wire
 * objects, and free-form maps such as params or metrics keep their keys).
 */
export function snakeKeys<T extends object>(value: T): SnakeKeys<T> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), v])) as SnakeKeys<
    T
  >;
}

/** `value` (a request body) with its own keys in camelCase, the library's casing. */
export function camelKeys<T extends object>(value: T): CamelKeys<T> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelCase(k), v])) as CamelKeys<
    T
  >;
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
