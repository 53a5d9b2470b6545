import { sha256Hex } from "../storage/mod.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { gzipSync as zgzip } from "node:zlib";
import { ChecksumMismatchError, OFFICIAL_FILES } from "./checksums.ts";
import { writeIdx } from "./idx.ts";
import { DEBIAN_DIR, fetchFile, type FileSpec, resolveSource, SourceError } from "./sources.ts";

const gzipSync = (b: Uint8Array) => new Uint8Array(zgzip(b));
const names = ["small-images", "small-labels"];
const imgIdx = writeIdx([2, 3, 3], Uint8Array.from({ length: 18 }, (_, i) => i * 7));
const labIdx = writeIdx([2], Uint8Array.of(4, 1));
const imgSpec: FileSpec = {
  name: "small-images",
  kind: "images",
  dims: [2, 3, 3],
  sha256: sha256Hex(imgIdx),
};
const labSpec: FileSpec = { name: "small-labels", kind: "labels", dims: [2], sha256: "" };
labSpec.sha256 = sha256Hex(labIdx);

const quiet = { backoffMs: 5, timeoutMs: 2000 };

/** Serve `handler` on 127.0.0.1 for the duration of `fn`. */
async function withServer(
  handler: (req: Request, hits: number) => Response | Promise<Response>,
  fn: (base: string, hits: () => number) => Promise<void>,
): Promise<void> {
  let hits = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => handler(req, ++hits),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/data`, () => hits);
  } finally {
    await server.shutdown();
  }
}

test("resolveSource: explicit dir, explicit URL, Debian dir, then official URLs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await resolveSource({ explicit: dir, names }), {
      kind: "dir",
      path: dir,
      origin: "explicit",
    });
    assert.deepEqual(await resolveSource({ explicit: "http://127.0.0.1:1/x", names }), {
      kind: "url",
      baseUrls: ["http://127.0.0.1:1/x/"],
      origin: "explicit",
    });
    await assert.rejects(
      resolveSource({ explicit: join(dir, "nope"), names }),
      (e: unknown) => e instanceof SourceError && /does not exist/.test(e.message),
    );
    await assert.rejects(resolveSource({ explicit: "ftp://host/x", names }), /not a valid http/);
    // Debian dir without the files is skipped; with them it is used.
    const official = await resolveSource({ debianDir: dir, names, officialUrls: ["http://m/a"] });
    assert.deepEqual(official, { kind: "url", baseUrls: ["http://m/a/"], origin: "official" });
    await Deno.writeFile(join(dir, "small-images.gz"), gzipSync(imgIdx));
    await Deno.writeFile(join(dir, "small-labels"), labIdx);
    assert.equal((await resolveSource({ debianDir: dir, names })).origin, "debian");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("the real Debian directory resolves when present", async () => {
  const s = await resolveSource({ names: OFFICIAL_FILES.map((f) => f.name) });
  const present = await Deno.stat(DEBIAN_DIR).then(() => true, () => false);
  assert.equal(s.origin, present ? "debian" : "official");
});

test("fetchFile reads .gz and plain files from a directory and verifies them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(dir, "small-images.gz"), gzipSync(imgIdx));
    await Deno.writeFile(join(dir, "small-labels"), labIdx);
    const src = { kind: "dir", path: dir, origin: "explicit" } as const;
    assert.deepEqual((await fetchFile(src, imgSpec)).bytes, imgIdx);
    assert.deepEqual((await fetchFile(src, labSpec)).data, Uint8Array.of(4, 1));
    const wrongPin = { ...labSpec, sha256: "0".repeat(64) };
    await assert.rejects(fetchFile(src, wrongPin), (e: unknown) => {
      assert.ok(e instanceof ChecksumMismatchError);
      assert.match(e.message, /small-labels/);
      assert.match(e.message, new RegExp(`expected sha256 0{64}, got ${labSpec.sha256}`));
      return true;
    });
    await assert.rejects(fetchFile(src, { ...imgSpec, name: "missing" }), /cannot read missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("fetchFile over HTTP retries a server that fails the first attempts", async () => {
  const gz = gzipSync(imgIdx);
  await withServer((req, hits) => {
    assert.equal(new URL(req.url).pathname, "/data/small-images.gz");
    return hits <= 2 ? new Response("busy", { status: 503 }) : new Response(gz);
  }, async (base, hits) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    const f = await fetchFile(src, imgSpec, quiet);
    assert.deepEqual(f.bytes, imgIdx);
    assert.equal(hits(), 3);
  });
});

test("fetchFile gives up after the retry budget and does not retry a 404", async () => {
  await withServer(() => new Response("down", { status: 500 }), async (base, hits) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    await assert.rejects(
      fetchFile(src, imgSpec, { ...quiet, attempts: 3 }),
      /could not download .*small-images\.gz: HTTP 500/,
    );
    assert.equal(hits(), 3);
  });
  await withServer(() => new Response("no", { status: 404 }), async (base, hits) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    await assert.rejects(fetchFile(src, imgSpec, quiet), /HTTP 404/);
    assert.equal(hits(), 1);
  });
});

test("fetchFile times out a stalled server and retries", async () => {
  const gz = gzipSync(imgIdx);
  await withServer(async (_req, hits) => {
    if (hits === 1) await new Promise((r) => setTimeout(r, 400));
    return new Response(gz);
  }, async (base, hits) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    const f = await fetchFile(src, imgSpec, { backoffMs: 5, timeoutMs: 150 });
    assert.deepEqual(f.bytes, imgIdx);
    assert.equal(hits(), 2);
  });
});

test("corrupt data from a server is an error naming the file and both hashes", async () => {
  const other = writeIdx([2, 3, 3], new Uint8Array(18).fill(1));
  await withServer(() => new Response(gzipSync(other)), async (base) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    await assert.rejects(fetchFile(src, imgSpec, quiet), (e: unknown) => {
      assert.ok(e instanceof ChecksumMismatchError);
      assert.match(e.message, /small-images\.gz/);
      assert.ok(e.message.includes(imgSpec.sha256));
      assert.ok(e.message.includes(sha256Hex(other)));
      return true;
    });
  });
  await withServer(() => new Response(gzipSync(imgIdx).subarray(0, 20)), async (base) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    await assert.rejects(fetchFile(src, imgSpec, quiet), /small-images\.gz: corrupt or truncated/);
  });
});

test("a corrupt mirror falls through to the next one", async () => {
  const bad = new Response(gzipSync(writeIdx([2], Uint8Array.of(0, 0))));
  await withServer((req) => {
    return req.url.includes("/data/a/") ? bad.clone() : new Response(gzipSync(labIdx));
  }, async (base) => {
    const src = {
      kind: "url",
      baseUrls: [`${base}/a/`, `${base}/b/`],
      origin: "official",
    } as const;
    assert.deepEqual((await fetchFile(src, labSpec, quiet)).data, Uint8Array.of(4, 1));
  });
  await withServer(() => new Response("x", { status: 404 }), async (base) => {
    const src = {
      kind: "url",
      baseUrls: [`${base}/a/`, `${base}/b/`],
      origin: "official",
    } as const;
    await assert.rejects(fetchFile(src, labSpec, quiet), (e: unknown) => {
      assert.ok(e instanceof SourceError);
      assert.match(e.message, /could not fetch small-labels from any source/);
      assert.match(e.message, /\/a\/small-labels\.gz: HTTP 404[\s\S]*\/b\/small-labels\.gz/);
      // It says how to get the data, not only that the download failed.
      assert.match(e.message, /apt-get install dataset-fashion-mnist/);
      assert.match(e.message, /FMNIST_SOURCE=/);
      return true;
    });
  });
});

test("the real official labels file served over HTTP verifies against the pin", async () => {
  const spec = OFFICIAL_FILES.find((f) => f.name === "t10k-labels-idx1-ubyte");
  assert.ok(spec);
  const path = join(DEBIAN_DIR, `${spec.name}.gz`);
  const gz = await Deno.readFile(path); // CI installs the Debian dataset-fashion-mnist package
  await withServer(() => new Response(gz), async (base) => {
    const src = { kind: "url", baseUrls: [`${base}/`], origin: "explicit" } as const;
    const f = await fetchFile(src, spec, quiet);
    assert.equal(f.bytes.length, spec.size);
    assert.equal(sha256Hex(f.bytes), spec.sha256);
    assert.deepEqual(f.dims, [10000]);
  });
});
