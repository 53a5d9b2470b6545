/**
 * Public face of the explain stage: attribution methods over our tfjs image classifiers
 * (saliency, integrated gradients, SmoothGrad, occlusion, Grad-CAM, GradientSHAP), their sanity
 * checks (cascading randomisation, IG completeness, deletion/insertion faithfulness) and their
 * pictures (PNG overlays, plotly heatmaps).
 *
 * ```ts
 * const scorer = new Scorer(model, signature);
 * const a = explain(scorer, "integrated_gradients", pixels, count, { steps: 32 });
 * const png = overlayPng(pixels.subarray(0, 784), a.maps.subarray(0, 784));
 * ```
 */
export { ExplainInputError, PIXELS, Scorer } from "./scorer.ts";
export {
  explain,
  EXPLAIN_METHODS,
  explainOptionsSchema,
  logitsOf,
  passesPerImage,
  targetScores,
} from "./methods.ts";
export type { Attribution, ExplainMethod, ExplainOptions, ExplainTargets } from "./methods.ts";
export {
  cascadingRandomisation,
  deletionInsertion,
  meanRankCorrelation,
  spearman,
} from "./sanity.ts";
export type { Faithfulness, RandomisationStep } from "./sanity.ts";
export {
  attributionHeatmaps,
  classMeanMaps,
  overlayPng,
  randomisationChart,
  toGrid,
} from "./render.ts";
export { EXPLAIN_LIMITS_DEFAULT, ExplainService } from "./service.ts";
export type { ExplainedInstance, ExplainLimits, ExplainResult } from "./service.ts";
