/**
 * Bounded work per request, over real HTTP on the production defaults (inference workers
 * `auto`, the image decode pool, the default body limit): a decompression-bomb PNG and a
 * multipart of many large images are refused with 413 from their headers, before any decoding,
 * as fast as a small request is answered; a large legitimate image is decoded off the HTTP
 * thread, so small requests keep being answered meanwhile; a chunked upload (no
 * `content-length`) over the body limit is cut off with 413.
 *
 * Times are compared with generous bounds against a baseline measured in the same run (never
 * absolute), because the test machine may be loaded.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { largeGrayPng } from "../../lib/inference/photos_testing.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../middleware/body_limit.ts";
import { pixels, type Serving, startServing } from "../serving_testing.ts";

let s: Serving;
let baselineMs = 0;

before(async () => {
  s = await startServing({ production: true });
  // Warm up (workers start, models load), then time a few small requests.
  await smallPredict();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await smallPredict()).ms);
  times.sort((a, b) => a - b);
  baselineMs = times[2];
});
after(async () => {
  await s?.close();
});

async function timed(init: RequestInit & { path?: string }): Promise<
  { status: number; body: Record<string, unknown>; ms: number }
> {
  const t = performance.now();
  const res = await fetch(`${s.url}${init.path ?? "/v1/models/fmnist/versions/1/predict"}`, {
    method: "POST",
    signal: AbortSignal.timeout(120_000),
    ...init,
  });
  const body = await res.json();
  return { status: res.status, body, ms: performance.now() - t };
}

function smallPredict() {
  return timed({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: [pixels(7)] }),
  });
}

/** Generous: an order of magnitude over the baseline, plus two seconds of slack. */
const fast = () => 10 * baselineMs + 2000;

test("a decompression-bomb PNG (35 KB, 6000×6000) gets 413 from its header, fast", async () => {
  const bomb = largeGrayPng(6000, 6000);
  assert.ok(bomb.length < 64 * 1024, `${bomb.length} bytes`);
  const r = await timed({ headers: { "content-type": "image/png" }, body: bomb });
  assert.equal(r.status, 413, JSON.stringify(r.body));
  const error = r.body.error as { code: string; message: string };
  assert.equal(error.code, "payload_too_large");
  assert.match(error.message, /6000×6000 = 36\.0 MP, over the per-request budget/);
  assert.ok(r.ms < fast(), `bomb answered in ${r.ms.toFixed(0)} ms (baseline ${baselineMs} ms)`);
});

test("a multipart of 100 large images gets 413 before any is decoded, fast", async () => {
  const big = largeGrayPng(2000, 2000, [500, 500, 1500, 1500]);
  const form = new FormData();
  for (let i = 0; i < 100; i++) {
    form.append("file", new Blob([big], { type: "image/png" }), `${i}.png`);
  }
  const r = await timed({ body: form });
  assert.equal(r.status, 413, JSON.stringify(r.body));
  assert.match(
    (r.body.error as { message: string }).message,
    /the 100 images total = 400\.0 MP, over the per-request budget/,
  );
  assert.ok(r.ms < fast(), `answered in ${r.ms.toFixed(0)} ms (baseline ${baselineMs} ms)`);
});

test("small requests keep being answered while a large image is decoded", async () => {
  // Two 3 MP images (inside the budget): seconds of decoding on a loaded machine.
  const form = new FormData();
  for (let i = 0; i < 2; i++) {
    form.append(
      "file",
      new Blob([largeGrayPng(2000, 1500, [600, 300, 1400, 1200])], { type: "image/png" }),
      `${i}.png`,
    );
  }
  // The server runs in this process: a decode on its HTTP thread would stall this event loop.
  let last = performance.now(), maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  let done = false;
  const bigReq = timed({ body: form }).finally(() => (done = true));
  const small: number[] = [];
  while (!done) {
    const r = await smallPredict();
    assert.equal(r.status, 200);
    if (!done) small.push(r.ms);
  }
  const big = await bigReq;
  clearInterval(probe);
  assert.equal(big.status, 200, JSON.stringify(big.body));
  assert.ok(
    maxGap < big.ms / 2,
    `the event loop stalled for ${maxGap.toFixed(0)} ms of a ${big.ms.toFixed(0)} ms image request`,
  );
  assert.equal((big.body.predictions as unknown[]).length, 2);
  // Small requests were answered all along, each faster than the image request.
  assert.ok(
    small.length >= 3,
    `${small.length} small requests answered during a ${big.ms.toFixed(0)} ms image request`,
  );
  const worst = Math.max(...small);
  assert.ok(worst < big.ms, `a small request took ${worst.toFixed(0)} ms of ${big.ms} ms`);
});

test("a chunked upload (no content-length) over the body limit is cut off with 413", async () => {
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  const limit = DEFAULT_MAX_BODY_BYTES;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent > 2 * limit) return c.close();
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
  let status: number | string;
  let text = "";
  try {
    const res = await fetch(`${s.url}/v1/models/fmnist/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    status = String(err);
  }
  assert.equal(status, 413, text);
  assert.match(text, new RegExp(`exceeds ${limit} bytes`));
  assert.ok(sent <= 2 * limit + chunk.length);
  // The service is fine afterwards.
  assert.equal((await smallPredict()).status, 200);
});
