/** Test helpers for the storage stage: an in-process S3 server (s3rver) on a free port. */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import S3rver from "s3rver";

/** A running throwaway S3 server. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Stop the server and remove its data directory. */
  close(): Promise<void>;
}

/** The parts of s3rver's (untyped) object model and filesystem store this module touches. */
interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}
interface S3rverInstance {
  store: S3rverStore;
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

/**
 * Make s3rver's PutObject behave like real S3 / MinIO, where a PUT replaces the object
 * atomically: s3rver 3.7.1 truncates and rewrites the object file in place (and reports success
 * before the write is flushed), so concurrent PUTs of one key interleave. Here each PUT is
 * buffered, written to a temp file, renamed over the object, and its metadata written, one PUT
 * per key at a time.
 */
function makePutsAtomic(store: S3rverStore, tmpDir: string): void {
  const tails = new Map<string, Promise<unknown>>();
  store.putObject = (object) => {
    const path = store.getResourcePath(object.bucket, object.key, "object");
    const run = async () => {
      const content = Buffer.isBuffer(object.content)
        ? object.content
        : Buffer.concat(await Array.fromAsync(object.content as AsyncIterable<Buffer>));
      const md5 = createHash("md5").update(content).digest("hex");
      await Deno.mkdir(join(path, ".."), { recursive: true });
      const tmp = join(tmpDir, crypto.randomUUID());
      await Deno.writeFile(tmp, content);
      await Deno.rename(tmp, path);
      await store.putMetadata(object.bucket, object.key, object.metadata, md5);
      return { size: content.length, md5 };
    };
    const result = (tails.get(path) ?? Promise.resolve()).then(run, run);
    const tail = result.catch(() => {});
    tails.set(path, tail);
    tail.then(() => {
      if (tails.get(path) === tail) tails.delete(path);
    });
    return result;
  };
}

/**
 * Start an in-process s3rver on 127.0.0.1 with a random free port and a temp data directory.
 * s3rver accepts any credentials; `S3RVER`/`S3RVER` are the ones it documents.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const root = await Deno.makeTempDir({ prefix: "fmnist-s3rver-" });
  const directory = join(root, "data");
  const tmpDir = join(root, "tmp");
  await Deno.mkdir(directory);
  await Deno.mkdir(tmpDir);
  const server = new (S3rver as unknown as S3rverCtor)({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
  });
  makePutsAtomic(server.store, tmpDir);
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (err) {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw err;
  }
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}
