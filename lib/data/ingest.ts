/**
 * The ingest step: resolve a source → read and verify the four official files → put their
 * decompressed bytes into the object store under CAS keys → write the manifest → register the
 * version. Runs through the step runner, so a second run with the objects and manifest still in
 * place does no work and reports "unchanged inputs".
 *
 * Files whose CAS object is already in the store (e.g. after `data:pull`) are read back and
 * verified from there instead of the source, so no source is needed in that case.
 */
import type { Ctx } from "../workspace/mod.ts";
import { createProgress } from "../progress/mod.ts";
import { runStep } from "../steps/mod.ts";
import { contentKey, ObjectNotFoundError, sha256Hex } from "../storage/mod.ts";
import { OFFICIAL_FILES, type OfficialFile } from "./checksums.ts";
import { ChecksumMismatchError } from "./checksums.ts";
import { readIdx } from "./idx.ts";
import {
  buildManifest,
  type ManifestFile,
  type ManifestSource,
  writeManifestFile,
} from "./manifest.ts";
import {
  describeSource,
  fetchFile,
  type FetchOptions,
  resolveSource,
  type Source,
} from "./sources.ts";
import { DEFAULT_DATASET, describeContent, registerVersion } from "./versions.ts";

/** Bump when the ingest logic changes what it writes (invalidates recorded step runs). */
const INGEST_STEP_VERSION = 1;

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** Explicit source (directory or http(s) base URL); default `ctx.settings.source`. */
  source?: string;
  /** Debian directory override (tests). */
  debianDir?: string;
  /** Official URL override (tests). */
  officialUrls?: readonly string[];
  /** Retry/timeout policy for URL sources. */
  fetch?: Omit<FetchOptions, "log" | "onProgress">;
}

/** Outcome of {@link ingest} (JSON: it is also the recorded step result). */
export interface IngestResult {
  [key: string]: string | number | boolean;
  /** Dataset version id. */
  version: string;
  /** Path of the manifest file. */
  manifestPath: string;
  /** Whether the step was skipped. */
  skipped: boolean;
  /** `unchanged inputs` when skipped. */
  reason: string;
  /** Where the bytes came from (`store` when every object was already present). */
  source: string;
  /** Files fetched from the source in this run (0 when all came from the store). */
  fetched: number;
  /** Decompressed bytes of the version. */
  bytes: number;
  /** Whether the manifest file was (re)written. */
  manifestWritten: boolean;
}

/** Read the object of `f` back from the store and verify it, or null when absent. */
async function fromStore(ctx: Ctx, f: OfficialFile): Promise<Uint8Array | null> {
  const key = contentKey(f.sha256);
  const info = await ctx.store.stat(key);
  if (info === null || info.size !== f.size) return null;
  let bytes: Uint8Array;
  try {
    bytes = await ctx.store.get(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return null;
    throw err;
  }
  const actual = sha256Hex(bytes);
  if (actual !== f.sha256) {
    ctx.log.warn("stored object is corrupt; fetching it again", {
      key,
      error: new ChecksumMismatchError(key, f.sha256, actual),
    });
    return null;
  }
  return bytes;
}

/**
 * Ingest the official Fashion-MNIST files into `ctx.store`, write
 * `<ctx.manifestDir>/fashion-mnist.dvc.json` and register the version.
 * @throws SourceError / IdxFormatError / ChecksumMismatchError naming the failing file.
 */
export async function ingest(ctx: Ctx, opts: IngestOptions = {}): Promise<IngestResult> {
  const manifestFile = `${ctx.manifestDir.replace(/\/+$/, "")}/${DEFAULT_DATASET}.dvc.json`;
  const inputs = {
    version: INGEST_STEP_VERSION,
    dataset: DEFAULT_DATASET,
    files: OFFICIAL_FILES.map((f) => ({ name: f.name, sha256: f.sha256 })),
    manifest: manifestFile,
  };
  const step = await runStep(ctx, {
    name: "data.ingest",
    inputs,
    run: async ({ log }) => {
      let source: Source | undefined;
      const getSource = async () =>
        source ??= await resolveSource({
          explicit: opts.source ?? ctx.settings.source,
          names: OFFICIAL_FILES.map((f) => f.name),
          debianDir: opts.debianDir,
          officialUrls: opts.officialUrls,
        });
      const progress = createProgress(log, {
        label: "ingest fashion-mnist",
        total: OFFICIAL_FILES.reduce((a, f) => a + f.size, 0),
        unit: "bytes",
      });
      const files: ManifestFile[] = [];
      let fetched = 0;
      let doneBytes = 0;
      for (const f of OFFICIAL_FILES) {
        const key = contentKey(f.sha256);
        let bytes = await fromStore(ctx, f);
        if (bytes === null) {
          const src = await getSource();
          log.info("fetching", { file: f.name, source: describeSource(src), origin: src.origin });
          const idx = await fetchFile(src, f, {
            ...opts.fetch,
            log,
            onProgress: src.kind === "dir" ? (n) => progress.set(doneBytes + n) : undefined,
          });
          bytes = idx.bytes;
          await ctx.store.put(key, bytes, { contentType: "application/octet-stream" });
          fetched++;
        } else {
          readIdx(bytes, key, { kind: f.kind, dims: f.dims });
        }
        doneBytes += f.size;
        progress.set(doneBytes);
        files.push({
          name: f.name,
          split: f.split,
          kind: f.kind,
          key,
          size: f.size,
          sha256: f.sha256,
        });
      }
      progress.done();
      const sourceInfo: ManifestSource = source
        ? { kind: source.kind, location: describeSource(source) }
        : { kind: "store", location: ctx.store.location };
      const train = OFFICIAL_FILES.find((f) => f.split === "train" && f.kind === "labels");
      const test = OFFICIAL_FILES.find((f) => f.split === "test" && f.kind === "labels");
      const content = describeContent(
        files,
        { train: train?.dims[0] ?? 0, test: test?.dims[0] ?? 0 },
        28,
        28,
      );
      const manifest = buildManifest(DEFAULT_DATASET, content, sourceInfo);
      const written = await writeManifestFile(ctx.manifestDir, manifest);
      await registerVersion(ctx.db, manifest);
      const result: IngestResult = {
        version: manifest.version,
        manifestPath: written.path,
        skipped: false,
        reason: "",
        source: sourceInfo.kind === "store" ? "store" : `${sourceInfo.kind}:${sourceInfo.location}`,
        fetched,
        bytes: doneBytes,
        manifestWritten: written.written,
      };
      return { result, objects: files.map((f) => f.key), files: [written.path] };
    },
  });
  const result: IngestResult = { ...step.result, skipped: step.skipped, reason: step.reason };
  if (step.skipped) {
    ctx.log.info("dataset unchanged", { version: result.version, reason: step.reason });
  } else {
    ctx.log.info("dataset ingested", {
      version: result.version,
      fetched: result.fetched,
      source: result.source,
    });
  }
  return result;
}
