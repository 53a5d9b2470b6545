/**
 * Admin routes under `/v1/admin` ({@link ADMIN_BASE}), guarded by the API key
 * (`FMNIST_ADMIN_KEY`; see `middleware/admin_key.ts`):
 *
 * - `POST /v1/admin/models/{name}/promote` `{version, alias?, reason, actor?, expected_version?}`
 *   — point an alias (default `champion`) at a version; recorded in the registry audit log
 * - `POST /v1/admin/reload` `{model?}` — unload loaded versions and forget cached aliases, then
 *   load the champions again
 * - `GET|PUT|DELETE /v1/admin/ab/{name}` — the model's A/B experiment (stored in the database)
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  type AbResolver,
  checkArms,
  deleteAbExperiment,
  getAbExperiment,
  putAbExperiment,
} from "../../lib/ab/mod.ts";
import type { Inference } from "../../lib/inference/mod.ts";
import { getModel, listModels, resolveActor, setAlias } from "../../lib/registry/mod.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBodySchema, notFound } from "../errors.ts";
import { adminAuth } from "../middleware/admin_key.ts";
import { requireJson } from "../middleware/require_json.ts";
import { createRouter } from "../router.ts";
import { json, jsonBody as body } from "../schemas/common.ts";
import {
  AbConfigBodySchema,
  abConfigInput,
  AbExperimentSchema,
  experimentJson,
  ModelParamSchema,
  PromoteBodySchema,
  PromoteResponseSchema,
  ReloadBodySchema,
  ReloadResponseSchema,
} from "../schemas/admin.ts";

/** Where the admin router is mounted. */
export const ADMIN_BASE = "/v1/admin";

/** What the admin routes act on. */
export interface AdminDeps {
  inference: Inference;
  /** The API key; undefined → every admin route answers 503. */
  adminKey?: string;
  /** The A/B resolver whose cache a config change invalidates. */
  ab?: AbResolver;
}

const TAGS = ["admin"];
const errors = {
  400: json(ErrorBodySchema, "Invalid body or parameters"),
  401: json(ErrorBodySchema, "Missing or wrong admin key"),
  404: json(ErrorBodySchema, "Unknown model, version or experiment"),
  415: json(ErrorBodySchema, "Body is not JSON"),
  503: json(ErrorBodySchema, "Admin disabled (FMNIST_ADMIN_KEY unset)"),
};
const security = [{ AdminKey: [] }];

const promoteRoute = createRoute({
  method: "post",
  path: "/models/{name}/promote",
  tags: TAGS,
  security,
  summary: "Point an alias (default champion) at a version; audited",
  request: { params: ModelParamSchema, body: body(PromoteBodySchema) },
  responses: {
    200: json(PromoteResponseSchema, "The alias moved (or already pointed there)"),
    409: json(ErrorBodySchema, "expected_version did not match"),
    ...errors,
  },
});

const reloadRoute = createRoute({
  method: "post",
  path: "/reload",
  tags: TAGS,
  security,
  summary: "Unload models and cached aliases, then load the champions again",
  request: { body: body(ReloadBodySchema) },
  responses: { 200: json(ReloadResponseSchema, "What was unloaded and loaded"), ...errors },
});

const abGetRoute = createRoute({
  method: "get",
  path: "/ab/{name}",
  tags: TAGS,
  security,
  summary: "The model's A/B experiment",
  request: { params: ModelParamSchema },
  responses: { 200: json(AbExperimentSchema, "The experiment"), ...errors },
});

const abPutRoute = createRoute({
  method: "put",
  path: "/ab/{name}",
  tags: TAGS,
  security,
  summary: "Create or replace the model's A/B experiment (arms: version or alias, weight)",
  request: { params: ModelParamSchema, body: body(AbConfigBodySchema) },
  responses: { 200: json(AbExperimentSchema, "The stored experiment"), ...errors },
});

const abDeleteRoute = createRoute({
  method: "delete",
  path: "/ab/{name}",
  tags: TAGS,
  security,
  summary: "Stop the model's A/B experiment (requests go to the champion)",
  request: { params: ModelParamSchema },
  responses: { 204: { description: "Deleted" }, ...errors },
});

/** Router serving `/v1/admin/*`. */
export function adminRoutes(deps: AdminDeps): OpenAPIHono<AppEnv> {
  const inf = deps.inference;
  const db = inf.ctx.db;
  const app = createRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", "AdminKey", {
    type: "apiKey",
    in: "header",
    name: "x-admin-key",
  });
  app.use("*", adminAuth(deps.adminKey), requireJson());

  app.openapi(promoteRoute, async (c) => {
    const { name } = c.req.valid("param");
    const b = c.req.valid("json");
    const change = await setAlias(inf.ctx, {
      name,
      alias: b.alias,
      version: b.version,
      reason: b.reason,
      actor: resolveActor(b.actor ?? "admin-api"),
      ...(b.expected_version === undefined ? {} : { expectedVersion: b.expected_version }),
    });
    c.get("log").info("alias set by admin", { model: name, alias: b.alias, to: b.version });
    return c.json({
      model: name,
      alias: b.alias,
      from: change.from,
      to: change.to,
      changed: change.event !== null,
      event_id: change.event ? Number(change.event.id) : null,
    }, 200);
  });

  app.openapi(reloadRoute, async (c) => {
    const { model } = c.req.valid("json");
    if (model !== undefined) await getModel(inf.ctx, model);
    const unloaded = inf.pool.reload(model);
    const names = (await listModels(inf.ctx))
      .filter((m) => m.aliases.champion !== undefined && (model === undefined || m.name === model))
      .map((m) => m.name);
    await inf.pool.warm(names);
    c.get("log").info("models reloaded by admin", {
      model: model ?? "*",
      unloaded: unloaded.length,
    });
    return c.json({
      unloaded: unloaded.map((l) => ({ name: l.name, version: l.version })),
      loaded: inf.pool.loaded().map((l) => ({ name: l.name, version: l.version })),
    }, 200);
  });

  app.openapi(abGetRoute, async (c) => {
    const { name } = c.req.valid("param");
    const e = await getAbExperiment(db, name);
    if (!e) {
      throw notFound(`model ${JSON.stringify(name)} has no A/B experiment; PUT one to start it`);
    }
    return c.json(experimentJson(e), 200);
  });

  app.openapi(abPutRoute, async (c) => {
    const { name } = c.req.valid("param");
    const input = abConfigInput(c.req.valid("json"));
    await checkArms(inf.ctx, name, input);
    const e = await putAbExperiment(db, name, input, resolveActor("admin-api"));
    deps.ab?.invalidate(name);
    c.get("log").info("A/B experiment set by admin", { model: name, arms: e.arms.length });
    return c.json(experimentJson(e), 200);
  });

  app.openapi(abDeleteRoute, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await deleteAbExperiment(db, name))) {
      throw notFound(`model ${JSON.stringify(name)} has no A/B experiment`);
    }
    deps.ab?.invalidate(name);
    return c.body(null, 204);
  });
  return app;
}
