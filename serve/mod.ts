/**
 * Public face of the HTTP service: build the app ({@link createApp}), run it
 * ({@link startServer}), and the pieces new route areas are built from (router factory, error
 * type, environment).
 */
export { createApp, DEFAULT_API_INFO } from "./app.ts";
export type { AppDeps } from "./app.ts";
export { startServer } from "./server.ts";
export type { FetchApp, RunningServer, StartOptions } from "./server.ts";
export { createRouter } from "./router.ts";
export type { AppEnv, AppVariables } from "./env.ts";
export {
  badRequest,
  errorBody,
  ErrorBodySchema,
  HttpError,
  notFound,
  validationError,
} from "./errors.ts";
export type { ErrorBody, ErrorCode, ValidationIssue } from "./errors.ts";
export { createDatasetApi } from "./services/lib_datasets.ts";
export { toHttpError } from "./middleware/errors.ts";
export type { DatasetApiOptions } from "./services/lib_datasets.ts";
export type { ClassStats, DatasetApi, VersionList } from "./services/datasets.ts";
export { decodeGrayPng, encodeGrayPng, upscaleNearest } from "./png.ts";
export type { GrayImage } from "./png.ts";
export { openApiDocument } from "./openapi_doc.ts";
