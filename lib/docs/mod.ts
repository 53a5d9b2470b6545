/**
 * Public face of the docs stage: the generated pages of the documentation site (configuration
 * and CLI references, model cards, runbook index), diagrams rendered from their sources, the
 * book of executed notebooks, and the site build (MkDocs Material + the book, offline).
 */
export { configEntries, configReferenceMarkdown, settingsDocComments } from "./config_reference.ts";
export type { ConfigEntry } from "./config_reference.ts";
export { cardEvaluationSchema, collectModelCard, modelCardMarkdown } from "./model_card.ts";
export type { CardEvaluation, ModelCardData } from "./model_card.ts";
