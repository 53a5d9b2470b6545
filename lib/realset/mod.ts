/**
 * Public face of the realset stage: a real-world image set of garments, footwear and bags built
 * from artwork in npm packages (manifest, assembly, SVG rasterisation), and the validation of a
 * registered model on any folder of real images (`validate:real`).
 *
 * ```ts
 * const manifest = parseRealManifest(await Deno.readTextFile(REAL_MANIFEST_PATH));
 * const set = await assembleRealSet(manifest, { outDir, cacheDir });
 * ```
 */
export {
  ManifestError,
  parseRealManifest,
  REAL_MANIFEST_PATH,
  realManifestSchema,
} from "./manifest.ts";
export type { RealItem, RealManifest, RealRaster } from "./manifest.ts";
export { DEFAULT_REGISTRY, NpmFetchError, NpmFiles } from "./npm.ts";
export type { NpmFilesOptions, PackageVersionMeta } from "./npm.ts";
export {
  ICON_INK,
  IconSetError,
  iconSvg,
  parseIconSet,
  RASTER_MARGIN,
  rasterise,
  withMargin,
} from "./svg.ts";
export type { IconSet, Raster } from "./svg.ts";
export {
  assembleRealSet,
  rasterFileName,
  selectItems,
  SourceMismatchError,
  svgSha256,
} from "./assemble.ts";
export type { AssembleOptions, AssembleResult } from "./assemble.ts";
export { labelFromFileName, parseLabel, readLabelledImages, RealInputError } from "./images.ts";
export type { LabelledImages } from "./images.ts";
export { REAL_SPLIT_SEED, splitDrawings } from "./split.ts";
export type { RealSplit } from "./split.ts";
export {
  clusterAccuracy,
  realReportHtml,
  realReportSections,
  shiftImages,
  softmaxRows,
  ttaShifts,
  validateReal,
} from "./validate.ts";
export type {
  FailureEntry,
  RealValidationReport,
  TtaOptions,
  ValidateRealOptions,
  ValidateRealResult,
} from "./validate.ts";
