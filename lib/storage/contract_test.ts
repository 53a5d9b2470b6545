/** Runs the object-store contract against the filesystem store and an S3 store on s3rver. */
import { after, before } from "node:test";
import { defineStoreContract } from "./contract_test_suite.ts";
import { FsObjectStore } from "./fs.ts";
import { S3ObjectStore } from "./s3.ts";
import { type S3TestServer, startS3Server } from "./testing.ts";

defineStoreContract("fs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-fs-store-" });
  return {
    store: new FsObjectStore(dir),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
});

let s3: S3TestServer | undefined;
before(async () => {
  s3 = await startS3Server();
});
after(async () => {
  await s3?.close();
});

let n = 0;
defineStoreContract("s3", () => {
  if (!s3) throw new Error("s3rver did not start");
  // A fresh bucket per test, with a key prefix, so tests cannot see each other's objects.
  const store = new S3ObjectStore({
    endpoint: s3.endpoint,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    bucket: `contract-${Date.now().toString(36)}-${n++}`,
    prefix: "ws/one",
  });
  return Promise.resolve({ store, cleanup: () => Promise.resolve() });
});
