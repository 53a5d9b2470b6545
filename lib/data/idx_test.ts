import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { gunzip, IdxFormatError, readIdx, readIdxGz, writeIdx } from "./idx.ts";

function streamOf(bytes: Uint8Array, chunk = 7): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

const images = new Uint8Array(3 * 4 * 5).map((_, i) => i % 256);
const labels = Uint8Array.of(0, 9, 3);

test("writeIdx → readIdx round-trips images and labels", () => {
  const img = readIdx(writeIdx([3, 4, 5], images), "img");
  assert.equal(img.kind, "images");
  assert.deepEqual(img.dims, [3, 4, 5]);
  assert.deepEqual(img.data, images);
  assert.equal(img.bytes.length, 16 + 60);
  const lab = readIdx(writeIdx([3], labels), "lab", { kind: "labels", dims: [3] });
  assert.equal(lab.kind, "labels");
  assert.deepEqual(lab.data, labels);
});

test("readIdx rejects wrong magic, wrong kind, short body and extra bytes, naming the file", () => {
  const good = writeIdx([3, 4, 5], images);
  const bad = good.slice();
  bad[3] = 0x02;
  assert.throws(() => readIdx(bad, "x.idx"), (e: unknown) => {
    assert.ok(e instanceof IdxFormatError);
    assert.match(e.message, /^x\.idx: wrong magic 0x00000802/);
    return true;
  });
  assert.throws(
    () => readIdx(good, "y.idx", { kind: "labels" }),
    /y\.idx: expected an IDX labels file but found images/,
  );
  assert.throws(() => readIdx(good.subarray(0, good.length - 1), "s.idx"), /s\.idx: short body/);
  const longer = new Uint8Array(good.length + 2);
  longer.set(good);
  assert.throws(() => readIdx(longer, "l.idx"), /l\.idx: 2 extra trailing bytes/);
  assert.throws(() => readIdx(good.subarray(0, 10), "h.idx"), /h\.idx: truncated header/);
  assert.throws(() => readIdx(new Uint8Array(2), "e.idx"), /e\.idx: truncated/);
  assert.throws(() => readIdx(good, "d.idx", { dims: [3, 28] }), /dimension 1 is 4 but 28/);
  assert.throws(() => readIdx(gzipSync(good), "g.idx"), /looks gzip-compressed/);
});

test("readIdxGz streams gzip in small chunks", async () => {
  const gz = gzipSync(writeIdx([3, 4, 5], images));
  const seen: number[] = [];
  const f = await readIdxGz(streamOf(gz, 3), "img.gz", { kind: "images" }, (n) => seen.push(n));
  assert.deepEqual(f.dims, [3, 4, 5]);
  assert.deepEqual(f.data, images);
  assert.equal(seen.at(-1), 76);
  const lab = await readIdxGz(streamOf(gzipSync(writeIdx([3], labels)), 1), "lab.gz");
  assert.deepEqual(lab.data, labels);
});

test("readIdxGz rejects truncated gzip, wrong magic, short body and extra bytes", async () => {
  const idx = writeIdx([3, 4, 5], images);
  const gz = gzipSync(idx);
  await assert.rejects(
    readIdxGz(streamOf(gz.subarray(0, gz.length - 10)), "trunc.gz"),
    (e: unknown) => {
      assert.ok(e instanceof IdxFormatError);
      assert.match(e.message, /^trunc\.gz: corrupt or truncated gzip/);
      return true;
    },
  );
  const garbage = gz.slice();
  garbage.fill(0x55, 12, 30);
  await assert.rejects(readIdxGz(streamOf(garbage), "garbage.gz"), /garbage\.gz: /);
  const wrong = idx.slice();
  wrong[2] = 0x0d;
  await assert.rejects(readIdxGz(streamOf(gzipSync(wrong)), "magic.gz"), /magic\.gz: wrong magic/);
  await assert.rejects(
    readIdxGz(streamOf(gzipSync(idx.subarray(0, idx.length - 5))), "short.gz"),
    /short\.gz: short body.*need 76 bytes but the file has 71/,
  );
  const extra = new Uint8Array(idx.length + 3);
  extra.set(idx);
  await assert.rejects(
    readIdxGz(streamOf(gzipSync(extra)), "extra.gz"),
    /extra\.gz: 3 extra trailing bytes/,
  );
  await assert.rejects(readIdxGz(streamOf(gzipSync(new Uint8Array(0))), "empty.gz"), /truncated/);
  await assert.rejects(readIdxGz(streamOf(idx), "plain.gz"), /plain\.gz: corrupt or truncated/);
});

test("gunzip names the file on corrupt data", async () => {
  const idx = writeIdx([3], labels);
  assert.deepEqual(await gunzip(gzipSync(idx), "ok.gz"), idx);
  await assert.rejects(gunzip(Uint8Array.of(1, 2, 3), "bad.gz"), /bad\.gz: corrupt or truncated/);
});

test("writeIdx rejects mismatched sizes and ranks", () => {
  assert.throws(() => writeIdx([2, 2], new Uint8Array(4)), RangeError);
  assert.throws(() => writeIdx([3], new Uint8Array(4)), /need 3 bytes, got 4/);
});
