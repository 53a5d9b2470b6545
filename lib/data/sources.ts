/**
 * Where the raw Fashion-MNIST files come from, and fetching them with verification.
 *
 * Resolution order: an explicit source (`FMNIST_SOURCE` / `--source`: a directory or an http(s)
 * base URL) → the Debian package directory → the official URLs (with a mirror), fetched with
 * retries, exponential backoff and per-attempt timeouts. Every file is decompressed and its
 * SHA-256 checked against the pinned digest before anyone may use it.
 */
import { sha256Hex } from "../storage/mod.ts";
import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "../log/mod.ts";
import { ChecksumMismatchError } from "./checksums.ts";
import { type IdxFile, IdxFormatError, type IdxKind, readIdx, readIdxGz } from "./idx.ts";

/** Directory of the Debian `dataset-fashion-mnist` package. */
export const DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

/** Official download locations, tried in order. */
export const OFFICIAL_URLS: readonly string[] = Object.freeze([
  "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]);

/** A resolved place to read the four IDX files from. */
export type Source =
  | { kind: "dir"; path: string; origin: SourceOrigin }
  | { kind: "url"; baseUrls: readonly string[]; origin: SourceOrigin };

/** Why a source was chosen. */
export type SourceOrigin = "explicit" | "debian" | "official";

/** What a file must be: the name to fetch and the checks its decompressed bytes must pass. */
export interface FileSpec {
  /** Base name without `.gz`. */
  name: string;
  kind: IdxKind;
  dims: number[];
  /** Pinned SHA-256 of the decompressed bytes. */
  sha256: string;
}

/** Raised when no source could be resolved or a file could not be fetched from any mirror. */
export class SourceError extends Error {
  override name = "SourceError";
}

const httpUrl = z.url({ protocol: /^https?$/ });
const explicitSchema = z.string().trim().min(1, "FMNIST_SOURCE must not be empty");

/** Human-readable location of a source. */
export function describeSource(s: Source): string {
  return s.kind === "dir" ? s.path : s.baseUrls.join(" | ");
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function hasFiles(dir: string, names: readonly string[]): Promise<boolean> {
  for (const n of names) {
    const ok = await Deno.stat(join(dir, `${n}.gz`)).then((s) => s.isFile, () => false) ||
      await Deno.stat(join(dir, n)).then((s) => s.isFile, () => false);
    if (!ok) return false;
  }
  return true;
}

/** Options of {@link resolveSource}. */
export interface ResolveOptions {
  /** Explicit source (directory or http(s) base URL), e.g. from `FMNIST_SOURCE` or `--source`. */
  explicit?: string;
  /** Files that must be present for a directory fallback to be used. */
  names: readonly string[];
  /** Debian directory to try second (tests override it). */
  debianDir?: string;
  /** Official base URLs to try last. */
  officialUrls?: readonly string[];
}

/**
 * Pick the source: explicit → Debian directory (when it holds every file) → official URLs.
 * @throws SourceError when the explicit source is neither an existing directory nor an http(s) URL.
 */
export async function resolveSource(opts: ResolveOptions): Promise<Source> {
  if (opts.explicit !== undefined) {
    const raw = explicitSchema.parse(opts.explicit);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      const url = httpUrl.safeParse(raw);
      if (!url.success) {
        throw new SourceError(
          `source ${JSON.stringify(raw)} is not a valid http(s) URL; ` +
            `set FMNIST_SOURCE / --source to a directory or an http(s) base URL`,
        );
      }
      return { kind: "url", baseUrls: [withSlash(raw)], origin: "explicit" };
    }
    if (!(await isDir(raw))) {
      throw new SourceError(
        `source directory ${JSON.stringify(raw)} does not exist; ` +
          `set FMNIST_SOURCE / --source to a directory holding the IDX .gz files or an http(s) base URL`,
      );
    }
    return { kind: "dir", path: raw, origin: "explicit" };
  }
  const debian = opts.debianDir ?? DEBIAN_DIR;
  if (await isDir(debian) && await hasFiles(debian, opts.names)) {
    return { kind: "dir", path: debian, origin: "debian" };
  }
  return {
    kind: "url",
    baseUrls: [...(opts.officialUrls ?? OFFICIAL_URLS)].map(withSlash),
    origin: "official",
  };
}

function withSlash(u: string): string {
  return u.endsWith("/") ? u : `${u}/`;
}

/** Retry and timeout policy for URL sources. */
export interface FetchOptions {
  /** Attempts per mirror (default 4). */
  attempts?: number;
  /** Timeout of one attempt, headers and body together, in ms (default 120000). */
  timeoutMs?: number;
  /** First backoff delay in ms; doubles each retry, with ±25% jitter (default 500). */
  backoffMs?: number;
  log?: Logger;
  /** Called with compressed bytes received so far for the current file. */
  onProgress?: (received: number, total: number | undefined) => void;
}

class HttpStatusError extends Error {
  constructor(readonly status: number, url: string) {
    super(`HTTP ${status} from ${url}`);
  }
}

function retryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) {
    return err.status >= 500 || err.status === 408 || err.status === 429;
  }
  return true; // network errors, resets, timeouts
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function download(url: string, opts: FetchOptions): Promise<Uint8Array> {
  const attempts = opts.attempts ?? 4;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const backoffMs = opts.backoffMs ?? 500;
  let lastErr: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(url, { signal });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        throw new HttpStatusError(res.status, url);
      }
      const lenHeader = Number(res.headers.get("content-length"));
      const total = Number.isFinite(lenHeader) && lenHeader > 0 ? lenHeader : undefined;
      const chunks: Uint8Array[] = [];
      let received = 0;
      if (res.body) {
        for await (const chunk of res.body) {
          chunks.push(chunk);
          received += chunk.length;
          opts.onProgress?.(received, total);
        }
      }
      if (total !== undefined && received !== total) {
        throw new Error(`body ended after ${received} of ${total} bytes`);
      }
      const out = new Uint8Array(received);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.length;
      }
      return out;
    } catch (err) {
      lastErr = signal.aborted ? new Error(`timed out after ${timeoutMs} ms`) : err;
      if (!retryable(lastErr) || attempt === attempts) break;
      const delay = backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      opts.log?.warn("download failed, retrying", {
        url,
        attempt,
        attempts,
        delayMs: Math.round(delay),
        error: lastErr,
      });
      await sleep(delay);
    }
  }
  const msg = lastErr instanceof Error ? lastErr.message : String(lastErr);
  throw new SourceError(`could not download ${url}: ${msg}`);
}

/** Parse and verify decompressed-or-gzip bytes against `spec`. */
async function decodeVerified(
  bytes: Uint8Array,
  gz: boolean,
  label: string,
  spec: FileSpec,
): Promise<IdxFile> {
  const expect = { kind: spec.kind, dims: spec.dims };
  const idx = gz
    ? await readIdxGz(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), label, expect)
    : readIdx(bytes, label, expect);
  verifyFile(idx, label, spec.sha256);
  return idx;
}

/**
 * Check decompressed IDX bytes against a pinned digest.
 * @throws ChecksumMismatchError naming the file, the expected and the actual hash.
 */
export function verifyFile(idx: IdxFile, label: string, sha256: string): void {
  const actual = sha256Hex(idx.bytes);
  if (actual !== sha256) throw new ChecksumMismatchError(label, sha256, actual);
}

/**
 * Read one file from `source`, decompress it, validate the IDX header and verify its SHA-256.
 * Directory sources may hold `<name>.gz` or an uncompressed `<name>`. URL sources try each base
 * URL in order (retrying transient failures on each) and move on when one serves bad data.
 * @throws IdxFormatError / ChecksumMismatchError / SourceError, each naming the file.
 */
export async function fetchFile(
  source: Source,
  spec: FileSpec,
  opts: FetchOptions = {},
): Promise<IdxFile> {
  if (source.kind === "dir") {
    const gzPath = join(source.path, `${spec.name}.gz`);
    const plainPath = join(source.path, spec.name);
    const gzExists = await Deno.stat(gzPath).then((s) => s.isFile, () => false);
    const path = gzExists ? gzPath : plainPath;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new SourceError(
        `cannot read ${spec.name} from ${source.path} (${msg}); ` +
          `the directory must hold ${spec.name}.gz or ${spec.name}`,
      );
    }
    let idx: IdxFile;
    if (gzExists) {
      idx = await readIdxGz(
        file.readable,
        path,
        { kind: spec.kind, dims: spec.dims },
        opts.onProgress ? (n) => opts.onProgress?.(n, undefined) : undefined,
      );
    } else {
      const size = (await file.stat()).size;
      const bytes = new Uint8Array(size);
      let off = 0;
      try {
        while (off < size) {
          const n = await file.read(bytes.subarray(off));
          if (n === null) break;
          off += n;
        }
      } finally {
        file.close();
      }
      idx = readIdx(bytes.subarray(0, off), path, { kind: spec.kind, dims: spec.dims });
    }
    verifyFile(idx, path, spec.sha256);
    return idx;
  }
  const failures: string[] = [];
  let only: unknown;
  for (const base of source.baseUrls) {
    const url = `${base}${spec.name}.gz`;
    try {
      const gz = await download(url, opts);
      return await decodeVerified(gz, true, url, spec);
    } catch (err) {
      only = err;
      failures.push(err instanceof Error ? err.message : String(err));
      if (source.baseUrls.length > 1) {
        opts.log?.warn("mirror failed, trying the next one", { url, error: err });
      }
    }
  }
  if (source.baseUrls.length === 1 && only instanceof Error) {
    if (
      only instanceof ChecksumMismatchError || only instanceof IdxFormatError ||
      only instanceof SourceError
    ) throw only;
  }
  throw new SourceError(
    `could not fetch ${spec.name} from any source:\n  ${failures.join("\n  ")}\n` +
      `To get the data: install Debian's package (\`apt-get install dataset-fashion-mnist\`, ` +
      `which puts the files in ${DEBIAN_DIR}), or point FMNIST_SOURCE at a directory or base ` +
      `URL holding the four official .gz files (e.g. FMNIST_SOURCE=/data/fashion-mnist or ` +
      `FMNIST_SOURCE=https://mirror.example/fashion-mnist/).`,
  );
}
