/**
 * Public face of the data stage: IDX reading, sources, dataset versions (manifests) and the
 * ingest step. Other stages call {@link loadDataset} to get a verified {@link Dataset}.
 */
export type { Dataset, ImageSet, SplitName } from "./types.ts";
export { LABEL_NAMES } from "./types.ts";
export {
  gunzip,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IdxFormatError,
  readIdx,
  readIdxGz,
  writeIdx,
} from "./idx.ts";
export type { IdxExpect, IdxFile, IdxKind } from "./idx.ts";
export { ChecksumMismatchError, OFFICIAL_FILES } from "./checksums.ts";
export type { OfficialFile } from "./checksums.ts";
export {
  DEBIAN_DIR,
  describeSource,
  fetchFile,
  OFFICIAL_URLS,
  resolveSource,
  SourceError,
  verifyFile,
} from "./sources.ts";
export type { FetchOptions, FileSpec, ResolveOptions, Source, SourceOrigin } from "./sources.ts";
export {
  buildManifest,
  formatManifest,
  MANIFEST_FORMAT,
  MANIFEST_SUFFIX,
  ManifestError,
  manifestPath,
  manifestSchema,
  parseManifest,
  readManifestDir,
  readManifestFile,
  versionOf,
  writeManifestFile,
} from "./manifest.ts";
export type { Manifest, ManifestContent, ManifestFile, ManifestSource } from "./manifest.ts";
export {
  clearDatasetCache,
  DatasetUnavailableError,
  DEFAULT_DATASET,
  describeContent,
  getVersion,
  listVersions,
  loadDataset,
  registerVersion,
  saveDatasetVersion,
  VersionNotFoundError,
} from "./versions.ts";
export type { DataCtx, LoadOptions, SaveOptions, VersionInfo } from "./versions.ts";
export { ingest } from "./ingest.ts";
export type { IngestOptions, IngestResult } from "./ingest.ts";
export { syncObjects, syncStatus } from "./sync.ts";
export type { SyncReport, SyncStatus } from "./sync.ts";
