/**
 * Fuzz test, on the production defaults (inference workers `auto`, the image decode pool, the
 * default body limit) with a dataset (ingested, validated, featurized) and finished runs present,
 * so that a 4xx is never guaranteed by emptiness:
 *
 * - ≥ 1,000 seeded malformed requests (wrong shapes, NaN/Infinity/strings, huge bodies,
 *   non-images, truncated PNG/JPEG, bad multipart, wrong content types, bad ids/aliases, path
 *   traversal, bad query strings) to the POST, PUT, DELETE and GET routes. Each must answer 4xx —
 *   never 5xx, never hang (30 s limit per request). Image bodies whose fate depends on the bytes
 *   (a mislabelled or garbled image) get their exact expected status from decoding them here.
 * - every route of the OpenAPI document, with valid and invalid input, each answering exactly
 *   the status the table states.
 *
 * The generator is seeded (`FMNIST_FUZZ_SEED`, default 20240611); a failure prints the seed and
 * the case to replay it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ingest, loadDataset } from "../lib/data/mod.ts";
import { featuresStep } from "../lib/features/mod.ts";
import { ImageBudgetError, ImageInputError, preprocessImages } from "../lib/inference/mod.ts";
import { garmentCutoutPng, garmentPhotoJpeg } from "../lib/inference/photos_testing.ts";
import { startRun } from "../lib/tracking/mod.ts";
import { validateStep } from "../lib/validate/mod.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./middleware/body_limit.ts";
import { pixels, type Serving, startServing } from "./serving_testing.ts";

const KEY = "fuzz-admin-key-0123456789";
const FEEDBACK_KEY = "fuzz-feedback-key-0123456789";
const SEED = Number(Deno.env.get("FMNIST_FUZZ_SEED") ?? 20240611);
const CASES = 1200;
const MAX_BODY = DEFAULT_MAX_BODY_BYTES;
let s: Serving;
/** What the workspace holds: a dataset version, two finished runs, a logged prediction. */
const present = { version: "", runs: [] as string[], requestId: "" };

before(async () => {
  s = await startServing({ production: true, adminKey: KEY, feedbackKey: FEEDBACK_KEY });
  assert.ok(s.inf.workers, "inference runs in worker threads, as in production");
  const ing = await ingest(s.ctx);
  const data = await loadDataset(s.ctx, ing.version);
  await validateStep(s.ctx, data);
  await featuresStep(s.ctx, data);
  present.version = ing.version;
  for (const acc of [0.8, 0.9]) {
    const run = await startRun(s.ctx, { experiment: "fuzz", heartbeatMs: 0 });
    await run.logMetric("test_accuracy", acc, 1);
    await run.logArtifact("notes.txt", new TextEncoder().encode(`accuracy ${acc}`), "text/plain");
    await run.finish();
    present.runs.push(run.id);
  }
  const res = await fetch(`${s.url}/v1/models/fmnist/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: [pixels(1), pixels(2)] }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  present.requestId = res.headers.get("x-request-id")!;
});
after(async () => {
  await s?.close();
});

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  what: string;
  /** The exact status expected, when the case states it (else: any 4xx). */
  expect?: number;
  /** An image body whose exact status comes from decoding it here ({@link imageOracle}). */
  image?: Uint8Array;
}

/** The status an image body must get: 200 if it decodes, 400 if unusable, 413 over budget. */
async function imageOracle(bytes: Uint8Array): Promise<number> {
  try {
    await preprocessImages([bytes]);
    return 200;
  } catch (err) {
    if (err instanceof ImageInputError) return 400;
    if (err instanceof ImageBudgetError) return 413;
    throw err;
  }
}

const garment = new Uint8Array(784).map((_, i) => ((i % 28) > 6 && (i % 28) < 22 ? 200 : 0));
const PNG = garmentCutoutPng(garment, { width: 60, height: 80 });
const JPEG = garmentPhotoJpeg(garment, { width: 64, height: 48 });

function generator(seed: number) {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const junkValues: unknown[] = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "abc",
    "",
    null,
    true,
    {},
    [],
    [[]],
    -1,
    1.5,
    2,
    1e308,
    "0.5",
    [1, 2],
    { a: 1 },
  ];
  const badNames = [
    "..",
    "../../etc/passwd",
    "%2e%2e%2fetc%2fpasswd",
    "a b",
    "UPPER",
    "x".repeat(300),
    "%00",
    "-dash",
    "名前",
    "fmnist%2F..%2F..",
    "%",
    "fmnist;drop table",
    "nope",
  ];
  const badAliases = ["Champion", "..", "9lives", "x".repeat(80), "%2e%2e", "a/b", "nope"];
  const badVersions = ["0", "-1", "1.5", "abc", "99999999999", "NaN", "1e3", "%20", "999"];
  const pixelsWith = (v: unknown) => {
    const p: unknown[] = pixels(int(1000));
    p[int(784)] = v;
    return p;
  };
  const instanceBodies = (): string => {
    switch (int(14)) {
      case 0:
        return JSON.stringify({ instances: [pixels(1).slice(0, int(783))] });
      case 1:
        return JSON.stringify({ instances: [[...pixels(1), 0.5]] });
      case 2:
        return JSON.stringify({ instances: [pixelsWith(pick(junkValues))] });
      case 3:
        return `{"instances": [[${pixels(2).slice(0, 783).join(",")}, NaN]]}`;
      case 4:
        return `{"instances": [[${pixels(2).slice(0, 783).join(",")}, Infinity]]}`;
      case 5:
        return JSON.stringify({ instances: pick(junkValues) });
      case 6:
        return JSON.stringify({ instance: [pixels(3)] });
      case 7:
        return JSON.stringify({ instances: [] });
      case 8:
        return JSON.stringify(
          { instances: [Array.from({ length: 28 }, () => Array(int(2) ? 27 : 29).fill(0.1))] },
        );
      case 9:
        return JSON.stringify({ instances: [pixels(4)], extra: pick(junkValues) });
      case 10:
        return JSON.stringify(pick(junkValues));
      case 11:
        return `{"instances": [[${pixels(5).join(",")}]`; // truncated JSON
      case 12:
        return JSON.stringify({ instances: [pixels(6).map((v) => v * 300)] }); // out of range
      default:
        return JSON.stringify({ instances: Array(300).fill(pixels(7)) }); // too many / too big
    }
  };
  const imageBodies = (): { type: string; body: Uint8Array<ArrayBuffer>; expect?: number } => {
    switch (int(9)) {
      case 0:
        return { type: "image/png", body: PNG.slice(0, 8 + int(PNG.length - 9)) };
      case 1:
        return { type: "image/jpeg", body: JPEG.slice(0, 2 + int(JPEG.length - 3)) };
      case 2:
        return { type: "image/png", body: JPEG.slice() }; // mislabelled: sniffed, so 200
      case 3:
        return { type: "image/png", body: crypto.getRandomValues(new Uint8Array(1 + int(4000))) };
      case 4:
        return { type: "image/jpeg", body: new Uint8Array(0), expect: 400 };
      case 5: // over the body limit
        return { type: "image/png", body: new Uint8Array(MAX_BODY + 1 + int(10_000)), expect: 413 };
      case 6: {
        const b = PNG.slice();
        for (let i = 0; i < 20; i++) b[8 + int(b.length - 8)] ^= 0xff; // corrupt chunks
        return { type: "image/png", body: b };
      }
      case 7:
        return { type: "image/jpeg", body: new TextEncoder().encode("<svg></svg>"), expect: 400 };
      default: {
        const b = JPEG.slice();
        for (let i = 0; i < 30; i++) b[20 + int(b.length - 20)] = int(256);
        return { type: "image/jpeg", body: b }; // JPEG tolerates some garbling: decoded here
      }
    }
  };
  const multipartBodies = (): { headers: Record<string, string>; body: BodyInit } => {
    switch (int(6)) {
      case 0: {
        const f = new FormData();
        f.append("wrong", new Blob([PNG], { type: "image/png" }), "a.png");
        return { headers: {}, body: f };
      }
      case 1: {
        const f = new FormData();
        f.append("file", "not a file");
        return { headers: {}, body: f };
      }
      case 2: {
        const f = new FormData();
        f.append(
          "file",
          new Blob([new TextEncoder().encode("hello")], { type: "text/plain" }),
          "a.txt",
        );
        return { headers: {}, body: f };
      }
      case 3:
        return {
          headers: { "content-type": "multipart/form-data; boundary=XYZ" },
          body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n' +
            "\x89PNG trunc",
        };
      case 4:
        return { headers: { "content-type": "multipart/form-data" }, body: "no boundary" };
      default: {
        const f = new FormData();
        for (let i = 0; i < 300; i++) f.append("file", new Blob([new Uint8Array(4)]), `${i}.png`);
        return { headers: {}, body: f };
      }
    }
  };
  const predictPaths = () => {
    switch (int(6)) {
      case 0:
        return `/v1/models/${pick(badNames)}/predict`;
      case 1:
        return `/v1/models/fmnist/versions/${pick(badVersions)}/predict`;
      case 2:
        return `/v1/models/fmnist/aliases/${pick(badAliases)}/predict`;
      default:
        return pick([
          "/v1/models/fmnist/predict",
          "/v1/models/fmnist/versions/1/predict",
          "/v1/models/fmnist/aliases/champion/predict",
        ]);
    }
  };
  const admin = { "x-admin-key": KEY };
  return (): Case => {
    const kind = int(16);
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        const path = predictPaths();
        // A valid body on a bad path, or a bad body on a good path (never both valid).
        const good = !path.startsWith("/v1/models/fmnist/") ||
          /\/(99999999999|999|nope|0|-1)/.test(path);
        return {
          method: "POST",
          path,
          headers: {
            "content-type": pick(["application/json", "application/json; charset=utf-8"]),
          },
          body: good && int(2) ? JSON.stringify({ instances: [pixels(1)] }) : instanceBodies(),
          what: "json instances",
        };
      }
      case 3:
      case 4: {
        const { type, body, expect } = imageBodies();
        return {
          method: "POST",
          path: "/v1/models/fmnist/predict",
          headers: { "content-type": type },
          body,
          what: "raw image",
          ...(expect === undefined ? { image: body } : { expect }),
        };
      }
      case 5: {
        const { headers, body } = multipartBodies();
        return {
          method: "POST",
          path: "/v1/models/fmnist/predict",
          headers,
          body,
          what: "multipart",
        };
      }
      case 6:
        return {
          method: "POST",
          path: "/v1/models/fmnist/predict",
          headers: {
            "content-type": pick([
              "text/plain",
              "application/xml",
              "image/gif",
              "application/x-www-form-urlencoded",
              "",
            ]),
          },
          body: pick(["instances=1", "<x/>", "GIF89a", JSON.stringify({ instances: [pixels(1)] })]),
          what: "wrong content type",
        };
      case 7: {
        // [body, status with a key and JSON]: the key is checked first, then the content type,
        // then the body, then whether the prediction was logged.
        const bodies: [unknown, number][] = [
          [{ request_id: "", label: 1 }, 400],
          [{ request_id: "nope-" + int(1e6), label: 1 }, 404],
          [{ request_id: present.requestId, index: 2 + int(5), label: 1 }, 404],
          [{ request_id: "x", label: -1 }, 400],
          [{ request_id: "x", label: 1.5 }, 400],
          [{ request_id: "x", index: -1, label: 1 }, 400],
          [{ request_id: "x", label: 1, extra: true }, 400],
          [{ label: 1 }, 400],
          [{ request_id: 5, label: 1 }, 400],
          [{ request_id: "x", label: null }, 400],
          [{ request_id: "x".repeat(500), label: 1 }, 400],
          [{ request_id: present.requestId, label: 1, replace: "yes" }, 400],
        ];
        const keyed = int(3) > 0;
        const json = int(4) > 0;
        const [body, status] = int(5) ? pick(bodies) : ["{not json", 400];
        return {
          method: "POST",
          path: "/v1/feedback",
          headers: {
            "content-type": json ? "application/json" : "text/plain",
            ...(keyed ? { "x-feedback-key": FEEDBACK_KEY } : {}),
          },
          body: typeof body === "string" ? body : JSON.stringify(body),
          what: "feedback",
          expect: !keyed ? 401 : !json ? 415 : status,
        };
      }
      case 8: {
        const bodies = [
          { arms: [] },
          { arms: [{ name: "a", version: 1, weight: 1 }] },
          { arms: [{ name: "a", version: 1, weight: -1 }, { name: "b", version: 2, weight: 1 }] },
          { arms: [{ name: "a", version: 1, weight: 1 }, { name: "a", version: 2, weight: 1 }] },
          { arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 77, weight: 1 }] },
          { arms: [{ name: "a", alias: "nope", weight: 1 }, { name: "b", version: 1, weight: 1 }] },
          { arms: [{ name: "../x", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }] },
          { arms: "x" },
          {
            arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", version: 2, weight: 1 }],
            bad: 1,
          },
        ];
        if (int(4) === 0) {
          return {
            method: "DELETE",
            path: `/v1/admin/ab/${pick(badNames)}`,
            headers: int(2) ? admin : {},
            what: "admin ab delete",
          };
        }
        return {
          method: "PUT",
          path: `/v1/admin/ab/${int(3) ? "fmnist" : pick(badNames)}`,
          headers: { "content-type": "application/json", ...(int(4) ? admin : {}) },
          body: JSON.stringify(pick(bodies)),
          what: "admin ab put",
        };
      }
      case 9: {
        const bodies = [
          { version: 0, reason: "x" },
          { version: 99, reason: "x" },
          { version: 1 },
          { version: 1, reason: "" },
          { version: 1, reason: "x", alias: "Bad Alias" },
          { version: "1", reason: "x" },
          { version: 1, reason: "x", junk: 1 },
          { version: 2, alias: "champion", reason: "x", expected_version: 9 },
        ];
        const path = int(2)
          ? `/v1/admin/models/${int(3) ? "fmnist" : pick(badNames)}/promote`
          : "/v1/admin/reload";
        return {
          method: "POST",
          path,
          headers: {
            "content-type": pick(["application/json", "text/plain"]),
            ...(int(5) ? admin : { "x-admin-key": "wrong-key-0123456789" }),
          },
          body: path.endsWith("reload")
            ? JSON.stringify(pick([{ model: "nope" }, { model: "../x" }, { x: 1 }, [], "x"]))
            : JSON.stringify(pick(bodies)),
          what: "admin post",
        };
      }
      default: {
        const gets = [
          () => `/v1/models/${pick(badNames)}`,
          () => `/v1/experiments/ab/${pick(badNames)}`,
          () => `/v1/admin/ab/${pick(badNames)}`,
          () => `/v1/runs/${pick(badNames)}`,
          () =>
            `/v1/runs/${pick([...badNames, present.runs[0]])}/metrics/${
              pick(["nope", "%00", "a\\b", "x".repeat(300), "..%2f.."])
            }`,
          () =>
            `/v1/datasets/${pick(badNames)}/${pick(["validation", "validation.html", "stats"])}`,
          () =>
            `/v1/datasets/${present.version}/samples?${
              pick(["split=val", "label=10", "limit=0", "offset=-1", "pixels=maybe"])
            }`,
          () =>
            `/v1/datasets/${present.version}/images/${pick(["val", "train"])}/${
              pick(["-1.png", "60000.png", "1e3.png", "01.png"])
            }`,
          () => `/v1/runs?limit=${pick(["-1", "abc", "1e9", "NaN"])}`,
          () => `/v1/runs/compare?ids=${pick(["", ",,,", "x".repeat(400)])}`,
          () => `/v1/experiments/${pick(badNames)}/best?mode=${pick(["sideways", ""])}`,
          () => `/v1/registry/models/${pick(badNames)}/events?limit=${pick(["-5", "x"])}`,
          () => `/v1/datasets/${pick(badNames)}`,
          () =>
            `/v1/datasets/${pick(badNames)}/images/${pick(["train", "../..", "x"])}/${
              pick(["-1.png", "..%2f..%2fetc%2fpasswd", "a.png", "99999999.png"])
            }`,
          () => `/v1/datasets/${pick(badNames)}/samples?n=${pick(["-1", "x", "1e9"])}`,
          () => `/demo/assets/${pick(["..%2f..%2fdeno.json", "../app.ts", "nope.js", "%00"])}`,
          () => `/docs/assets/${pick(["..%2fpackage.json", "x.css"])}`,
          () =>
            `/${
              pick(["v1/models/fmnist/versions/1", "v1/nothing", "..%2f..%2fetc%2fpasswd", "v2"])
            }`,
        ];
        return {
          method: "GET",
          path: pick(gets)(),
          headers: int(3) ? admin : {},
          what: "get",
        };
      }
    }
  };
}

test(`fuzz: ${CASES} malformed requests answer 4xx, exact where stated (seed ${SEED})`, async () => {
  const next = generator(SEED);
  const failures: string[] = [];
  const counts: Record<number, number> = {};
  let i = 0;
  let strict = 0;
  const worker = async () => {
    while (i < CASES) {
      const n = i++;
      const c = next();
      const expected = c.expect ?? (c.image ? await imageOracle(c.image) : undefined);
      let status: number | string;
      try {
        const res = await fetch(s.url + c.path, {
          method: c.method,
          headers: c.headers,
          body: c.body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.body?.cancel();
        status = res.status;
      } catch (err) {
        status = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (typeof status === "number") counts[status] = (counts[status] ?? 0) + 1;
      if (expected === undefined || expected >= 400) strict++;
      const bad = typeof status !== "number" || status >= 500 ||
        (expected === undefined ? status < 400 : status !== expected);
      if (bad) {
        failures.push(
          `#${n} ${c.what}: ${c.method} ${c.path} ${JSON.stringify(c.headers)} → ${status}` +
            (expected === undefined ? " (expected 4xx)" : ` (expected ${expected})`),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  console.log(JSON.stringify({ seed: SEED, cases: CASES, strict, statuses: counts }));
  assert.ok(strict >= 1000, `only ${strict} strictly malformed cases`);
  assert.deepEqual(
    failures.slice(0, 25),
    [],
    `seed ${SEED}: ${failures.length} request(s) did not answer 4xx`,
  );
  // The service is still healthy afterwards.
  const ok = await fetch(`${s.url}/v1/models/fmnist/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances: [pixels(1)] }),
  });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

/** One request of the route table and the exact status it must get. */
interface RouteCase {
  method: string;
  path: string;
  /** The OpenAPI path template it exercises (`{param}` style). */
  route: string;
  expect: number;
  body?: unknown;
  headers?: Record<string, string>;
}

test("every route of the OpenAPI document answers exactly as stated, valid and invalid", async () => {
  const v = present.version, [r1, r2] = present.runs, rid = present.requestId;
  const admin = { "x-admin-key": KEY };
  const fb = { "x-feedback-key": FEEDBACK_KEY };
  const one = { instances: [pixels(3)] };
  const arms = {
    arms: [{ name: "a", version: 1, weight: 1 }, { name: "b", alias: "challenger", weight: 1 }],
    reason: "fuzz",
  };
  const C = (
    method: string,
    route: string,
    path: string,
    expect: number,
    extra: Partial<RouteCase> = {},
  ): RouteCase => ({ method, route, path, expect, ...extra });
  const cases: RouteCase[] = [
    C("GET", "/healthz", "/healthz", 200),
    C("GET", "/readyz", "/readyz", 200),
    C("GET", "/metrics", "/metrics", 200),
    C("GET", "/v1/models", "/v1/models", 200),
    C("GET", "/v1/models/{name}", "/v1/models/fmnist", 200),
    C("GET", "/v1/models/{name}", "/v1/models/nope", 404),
    C("GET", "/v1/models/{name}", "/v1/models/a%20b", 400),
    C("POST", "/v1/models/{name}/predict", "/v1/models/fmnist/predict", 200, { body: one }),
    C("POST", "/v1/models/{name}/predict", "/v1/models/nope/predict", 404, { body: one }),
    C("POST", "/v1/models/{name}/predict", "/v1/models/fmnist/predict", 400, {
      body: { instances: [[1, 2]] },
    }),
    C(
      "POST",
      "/v1/models/{name}/versions/{version}/predict",
      "/v1/models/fmnist/versions/2/predict",
      200,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/versions/{version}/predict",
      "/v1/models/fmnist/versions/9/predict",
      404,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/versions/{version}/predict",
      "/v1/models/fmnist/versions/0/predict",
      400,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/aliases/{alias}/predict",
      "/v1/models/fmnist/aliases/challenger/predict",
      200,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/aliases/{alias}/predict",
      "/v1/models/fmnist/aliases/nope/predict",
      404,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/aliases/{alias}/predict",
      "/v1/models/fmnist/aliases/Bad/predict",
      400,
      { body: one },
    ),
    C("POST", "/v1/feedback", "/v1/feedback", 401, { body: { request_id: rid, label: 1 } }),
    C("POST", "/v1/feedback", "/v1/feedback", 201, {
      body: { request_id: rid, label: 1 },
      headers: fb,
    }),
    C("POST", "/v1/feedback", "/v1/feedback", 200, {
      body: { request_id: rid, label: 1 },
      headers: fb,
    }),
    C("POST", "/v1/feedback", "/v1/feedback", 409, {
      body: { request_id: rid, label: 2 },
      headers: fb,
    }),
    C("POST", "/v1/feedback", "/v1/feedback", 200, {
      body: { request_id: rid, label: 2, replace: true },
      headers: admin,
    }),
    C("POST", "/v1/feedback", "/v1/feedback", 404, {
      body: { request_id: rid, index: 2, label: 1 },
      headers: fb,
    }),
    C("GET", "/v1/experiments/ab/{name}", "/v1/experiments/ab/fmnist", 200),
    C("GET", "/v1/experiments/ab/{name}", "/v1/experiments/ab/nope", 404),
    C("GET", "/v1/experiments/ab/{name}/report", "/v1/experiments/ab/fmnist/report", 200),
    C("GET", "/v1/experiments/ab/{name}/report", "/v1/experiments/ab/nope/report", 404),
    C("POST", "/v1/experiments/ab/{name}/decide", "/v1/experiments/ab/fmnist/decide", 401, {
      body: {},
    }),
    C("POST", "/v1/experiments/ab/{name}/decide", "/v1/experiments/ab/fmnist/decide", 404, {
      body: {},
      headers: admin,
    }),
    C("POST", "/v1/experiments/ab/{name}/decide", "/v1/experiments/ab/nope/decide", 404, {
      body: {},
      headers: admin,
    }),
    C("GET", "/v1/models/{name}/drift", "/v1/models/fmnist/drift", 200),
    C("GET", "/v1/models/{name}/drift", "/v1/models/nope/drift", 404),
    C(
      "GET",
      "/v1/models/{name}/versions/{version}/model.onnx",
      "/v1/models/fmnist/versions/99/model.onnx",
      404,
    ),
    C(
      "GET",
      "/v1/models/{name}/versions/{version}/model.onnx",
      "/v1/models/a%20b/versions/1/model.onnx",
      400,
    ),
    C(
      "GET",
      "/v1/models/{name}/versions/{version}/evaluation",
      "/v1/models/fmnist/versions/99/evaluation",
      404,
    ),
    C(
      "GET",
      "/v1/models/{name}/versions/{version}/evaluation.html",
      "/v1/models/nope/versions/1/evaluation.html",
      404,
    ),
    C("POST", "/v1/models/{name}/explain", "/v1/models/fmnist/explain?method=saliency", 200, {
      body: one,
    }),
    C("POST", "/v1/models/{name}/explain", "/v1/models/fmnist/explain?method=bogus", 400, {
      body: one,
    }),
    C("POST", "/v1/models/{name}/explain", "/v1/models/nope/explain?method=saliency", 404, {
      body: one,
    }),
    C(
      "POST",
      "/v1/models/{name}/versions/{version}/explain",
      "/v1/models/fmnist/versions/99/explain?method=saliency",
      404,
      { body: one },
    ),
    C(
      "POST",
      "/v1/models/{name}/aliases/{alias}/explain",
      "/v1/models/fmnist/aliases/champion/explain?method=occlusion",
      200,
      { body: one },
    ),
    C("GET", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 401),
    C("GET", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 404, { headers: admin }),
    C("PUT", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 401, { body: arms }),
    C("PUT", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 200, { body: arms, headers: admin }),
    C("GET", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 200, { headers: admin }),
    C("DELETE", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 401),
    C("DELETE", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 204, { headers: admin }),
    C("DELETE", "/v1/admin/ab/{name}", "/v1/admin/ab/fmnist", 404, { headers: admin }),
    C("DELETE", "/v1/admin/ab/{name}", "/v1/admin/ab/nope", 404, { headers: admin }),
    C("POST", "/v1/admin/models/{name}/promote", "/v1/admin/models/fmnist/promote", 401, {
      body: { version: 2, alias: "staging", reason: "fuzz" },
    }),
    C("POST", "/v1/admin/models/{name}/promote", "/v1/admin/models/fmnist/promote", 200, {
      body: { version: 2, alias: "staging", reason: "fuzz" },
      headers: admin,
    }),
    C("POST", "/v1/admin/models/{name}/promote", "/v1/admin/models/fmnist/promote", 404, {
      body: { version: 99, alias: "staging", reason: "fuzz" },
      headers: admin,
    }),
    C("POST", "/v1/admin/reload", "/v1/admin/reload", 200, { body: {}, headers: admin }),
    C("POST", "/v1/admin/reload", "/v1/admin/reload", 401, { body: {} }),
    C("GET", "/v1/runs", "/v1/runs?experiment=fuzz", 200),
    C("GET", "/v1/runs", "/v1/runs?limit=0", 400),
    C("GET", "/v1/dag/runs", "/v1/dag/runs?dag=retrain&limit=5", 200),
    C("GET", "/v1/dag/runs", "/v1/dag/runs?limit=0", 400),
    C("GET", "/v1/dag/runs", "/v1/dag/runs?dag=nope", 400),
    C("GET", "/v1/dag/runs/{id}", `/v1/dag/runs/${crypto.randomUUID()}`, 404),
    C("GET", "/v1/dag/runs/{id}", "/v1/dag/runs/not-a-uuid", 400),
    C("GET", "/v1/runs/compare", `/v1/runs/compare?ids=${r1},${r2}`, 200),
    C("GET", "/v1/runs/compare", `/v1/runs/compare?ids=${r1}`, 400),
    C("GET", "/v1/runs/{id}", `/v1/runs/${r1}`, 200),
    C("GET", "/v1/runs/{id}", "/v1/runs/ffffffff-ffff-4fff-bfff-ffffffffffff", 404),
    C("GET", "/v1/runs/{id}", "/v1/runs/zz", 400),
    C("GET", "/v1/runs/{id}/metrics/{key}", `/v1/runs/${r1}/metrics/test_accuracy`, 200),
    C("GET", "/v1/runs/{id}/metrics/{key}", `/v1/runs/${r1}/metrics/nope`, 404),
    C("GET", "/v1/runs", `/v1/runs?parent=${r1}&tag=tune.role%3Dtrial`, 200),
    C("GET", "/v1/runs", "/v1/runs?parent=zz", 400),
    C("GET", "/v1/runs", "/v1/runs?tag=%3Dx", 400),
    C("GET", "/v1/runs/{id}/artifacts/{name}", `/v1/runs/${r1}/artifacts/notes.txt`, 200),
    C("GET", "/v1/runs/{id}/artifacts/{name}", `/v1/runs/${r1}/artifacts/nope.txt`, 404),
    C("GET", "/v1/runs/{id}/artifacts/{name}", "/v1/runs/zz/artifacts/notes.txt", 400),
    C("GET", "/v1/models/{name}/versions/{version}/card", "/v1/models/fmnist/versions/1/card", 200),
    C("GET", "/v1/models/{name}/versions/{version}/card", "/v1/models/fmnist/versions/9/card", 404),
    C("GET", "/v1/models/{name}/versions/{version}/card", "/v1/models/fmnist/versions/0/card", 400),
    C("GET", "/v1/experiments/{name}/best", "/v1/experiments/fuzz/best?metric=test_accuracy", 200),
    C("GET", "/v1/experiments/{name}/best", "/v1/experiments/nope/best?metric=test_accuracy", 404),
    C("GET", "/v1/experiments/{name}/best", "/v1/experiments/fuzz/best?metric=x&mode=up", 400),
    C("GET", "/v1/registry/models/{name}/events", "/v1/registry/models/fmnist/events", 200),
    C(
      "GET",
      "/v1/registry/models/{name}/events",
      "/v1/registry/models/fmnist/events?limit=-1",
      400,
    ),
    C("GET", "/v1/datasets", "/v1/datasets", 200),
    C("GET", "/v1/datasets/{version}", "/v1/datasets/latest", 200),
    C("GET", "/v1/datasets/{version}", `/v1/datasets/${v}`, 200),
    C("GET", "/v1/datasets/{version}", "/v1/datasets/nope", 404),
    C("GET", "/v1/datasets/{version}", "/v1/datasets/a..b", 400),
    C("GET", "/v1/datasets/{version}/validation", `/v1/datasets/${v}/validation`, 200),
    C("GET", "/v1/datasets/{version}/validation", "/v1/datasets/nope/validation", 404),
    C("GET", "/v1/datasets/{version}/validation.html", `/v1/datasets/${v}/validation.html`, 200),
    C("GET", "/v1/datasets/{version}/samples", `/v1/datasets/${v}/samples?limit=3&label=2`, 200),
    C("GET", "/v1/datasets/{version}/samples", `/v1/datasets/${v}/samples?limit=501`, 400),
    C(
      "GET",
      "/v1/datasets/{version}/images/{split}/{file}",
      `/v1/datasets/${v}/images/test/9999.png`,
      200,
    ),
    C(
      "GET",
      "/v1/datasets/{version}/images/{split}/{file}",
      `/v1/datasets/${v}/images/test/10000.png`,
      404,
    ),
    C(
      "GET",
      "/v1/datasets/{version}/images/{split}/{file}",
      `/v1/datasets/${v}/images/val/0.png`,
      400,
    ),
    C("GET", "/v1/datasets/{version}/stats", `/v1/datasets/${v}/stats`, 200),
    C("GET", "/v1/datasets/{version}/stats", "/v1/datasets/nope/stats", 404),
  ];
  // Every operation of the OpenAPI document is in the table.
  const doc = await (await fetch(`${s.url}/openapi.json`)).json();
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const covered = new Set(cases.map((c) => `${c.method} ${c.route}`));
  assert.deepEqual(documented.filter((op) => !covered.has(op)), [], "routes without a case");
  const wrong: string[] = [];
  for (const c of cases) {
    const res = await fetch(s.url + c.path, {
      method: c.method,
      headers: {
        ...(c.body === undefined ? {} : { "content-type": "application/json" }),
        ...c.headers,
      },
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== c.expect) {
      wrong.push(
        `${c.method} ${c.path} → ${res.status}, expected ${c.expect}: ${text.slice(0, 200)}`,
      );
    }
  }
  assert.deepEqual(wrong, []);
});
