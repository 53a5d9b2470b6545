/**
 * Public face of the docs stage: the generated pages of the documentation site (configuration
 * and CLI references, model cards, runbook index), diagrams rendered from their sources, the
 * book of executed notebooks, and the site build (MkDocs Material + the book, offline).
 */
export { configEntries, configReferenceMarkdown, settingsDocComments } from "./config_reference.ts";
export type { ConfigEntry } from "./config_reference.ts";
export { cardEvaluationSchema, collectModelCard, modelCardMarkdown } from "./model_card.ts";
export type { CardEvaluation, ModelCardData } from "./model_card.ts";
export {
  BOOK_PHASES,
  BookError,
  buildBook,
  headerMarkdown,
  notebookIndexSchema,
  phaseOf,
  readNotebookIndex,
  sphinxConf,
} from "./book.ts";
export type { BookOptions, BookProvenance, BookResult, NotebookIndex } from "./book.ts";
export { cliReferenceMarkdown, collectTaskHelp, pipelineTasks } from "./cli_reference.ts";
export type { TaskHelp } from "./cli_reference.ts";
export {
  alertRules,
  apiMarkdown,
  buildSite,
  listFiles,
  runbooksMarkdown,
  SiteError,
} from "./site.ts";
export type { PublishedCard, SiteInputs, SiteResult } from "./site.ts";
export { SWAGGER_ASSETS, swaggerPage } from "./swagger.ts";
export type { SwaggerPageOptions } from "./swagger.ts";
export { bookPaths, bookProvenance, collectCards, publishBook } from "./publish.ts";
export type { PublishBookOptions, PublishedBook } from "./publish.ts";
export { serveSite } from "./static_server.ts";
export type { StaticServer } from "./static_server.ts";
export { checkLinks } from "./links.ts";
export type { LinkReport } from "./links.ts";
