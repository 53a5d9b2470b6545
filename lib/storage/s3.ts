/**
 * Object store on S3 / MinIO via `minio` (minio-js).
 *
 * Uploads are always single `PutObject` requests: the bytes are handed to minio-js as a
 * `Buffer`, for which it sends one PUT with `Content-Length` instead of a multipart upload.
 * This keeps puts atomic on every S3 implementation and works on servers without the multipart
 * API (e.g. `s3rver`, used by the tests, lacks ListMultipartUploads). Objects are therefore
 * limited to S3's single-PUT maximum (5 GiB), far above anything this workspace stores.
 */
import { Buffer } from "node:buffer";
import type { Readable } from "node:stream";
import { Client, S3Error } from "minio";
import { assertKey, type ObjectInfo, ObjectNotFoundError, type ObjectStore } from "./types.ts";

/** Connection options of an {@link S3ObjectStore}. */
export interface S3StoreOptions {
  /** Endpoint URL, e.g. `http://127.0.0.1:9000` (scheme selects TLS, port defaults to 80/443). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Bucket; created on first use when missing. */
  bucket: string;
  /** Region (default `us-east-1`). */
  region?: string;
  /** Key prefix inside the bucket (no leading/trailing `/` needed), e.g. `team/fmnist`. */
  prefix?: string;
}

/** Largest object accepted by a single PUT (S3 limit). */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;

/** An {@link ObjectStore} on an S3-compatible bucket, keys optionally under a prefix. */
export class S3ObjectStore implements ObjectStore {
  /** Implementation kind. */
  readonly kind = "s3" as const;
  /** `s3://bucket/prefix` of this store. */
  readonly location: string;
  readonly #client: Client;
  readonly #bucket: string;
  readonly #region: string;
  /** Normalized prefix: empty or ending in `/`. */
  readonly #prefix: string;
  #ready: Promise<void> | null = null;

  /** Create a store; no request is made until the first operation. */
  constructor(opts: S3StoreOptions) {
    let url: URL;
    try {
      url = new URL(opts.endpoint);
    } catch {
      throw new Error(`invalid S3 endpoint ${JSON.stringify(opts.endpoint)}: expected a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`invalid S3 endpoint ${opts.endpoint}: scheme must be http or https`);
    }
    const useSSL = url.protocol === "https:";
    const prefix = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
    if (prefix !== "") assertKey(prefix);
    this.#prefix = prefix === "" ? "" : prefix + "/";
    this.#bucket = opts.bucket;
    this.#region = opts.region ?? "us-east-1";
    this.#client = new Client({
      endPoint: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.#region,
      pathStyle: true,
    });
    this.location = `s3://${opts.bucket}${prefix ? "/" + prefix : ""}`;
  }

  #name(key: string): string {
    return this.#prefix + assertKey(key);
  }

  /** Create the bucket when missing (once per store; tolerant of a concurrent creator). */
  #ensureBucket(): Promise<void> {
    this.#ready ??= (async () => {
      if (await this.#client.bucketExists(this.#bucket)) return;
      try {
        await this.#client.makeBucket(this.#bucket, this.#region);
      } catch (err) {
        const code = err instanceof S3Error ? err.code : undefined;
        if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw err;
      }
    })().catch((err) => {
      this.#ready = null;
      throw new Error(
        `cannot open S3 bucket ${this.#bucket}: ${
          err instanceof Error ? err.message : String(err)
        }; check S3_ENDPOINT and the S3_* credentials`,
        { cause: err },
      );
    });
    return this.#ready;
  }

  /** Store `data` under `key` with one PUT request (atomic on S3). */
  async put(key: string, data: Uint8Array, opts?: { contentType?: string }): Promise<ObjectInfo> {
    const name = this.#name(key);
    if (data.length > MAX_SINGLE_PUT) {
      throw new Error(`object ${key} is ${data.length} bytes; single-PUT limit is 5 GiB`);
    }
    await this.#ensureBucket();
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await this.#client.putObject(this.#bucket, name, buf, data.length, {
      "Content-Type": opts?.contentType ?? "application/octet-stream",
    });
    return { key, size: data.length };
  }

  /** Read an object. @throws ObjectNotFoundError when absent. */
  async get(key: string): Promise<Uint8Array> {
    const name = this.#name(key);
    await this.#ensureBucket();
    let stream: Readable;
    try {
      stream = await this.#client.getObject(this.#bucket, name);
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key, this.location);
      throw err;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of stream) {
      const c = chunk as Uint8Array;
      chunks.push(c);
      total += c.length;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  /** Metadata of an object, or null when absent. */
  async stat(key: string): Promise<ObjectInfo | null> {
    const name = this.#name(key);
    await this.#ensureBucket();
    try {
      const st = await this.#client.statObject(this.#bucket, name);
      return { key, size: st.size };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** All objects whose key starts with `prefix`, sorted by key. */
  async list(prefix = ""): Promise<ObjectInfo[]> {
    await this.#ensureBucket();
    const out: ObjectInfo[] = [];
    const stream = this.#client.listObjectsV2(this.#bucket, this.#prefix + prefix, true);
    for await (const item of stream) {
      const it = item as { name?: string; size?: number };
      if (it.name === undefined) continue; // common prefixes never appear when recursive
      out.push({ key: it.name.slice(this.#prefix.length), size: it.size ?? 0 });
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  /** Remove an object (no error when absent). */
  async delete(key: string): Promise<void> {
    const name = this.#name(key);
    await this.#ensureBucket();
    try {
      await this.#client.removeObject(this.#bucket, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** minio-js holds no long-lived handles of its own; nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return code === "NoSuchKey" || code === "NotFound" || code === "NoSuchObject";
}
