/**
 * Fuzz test: ≥ 1,000 malformed requests (wrong shapes, NaN/Infinity/strings, huge bodies,
 * non-images, truncated PNG/JPEG, bad multipart, wrong content types, bad ids/aliases, path
 * traversal, bad query strings) to every POST and GET route of the service. Each must answer
 * 4xx — never 5xx, never hang (10 s limit per request). The generator is seeded
 * (`FMNIST_FUZZ_SEED`, default 20240611); a failure prints the seed and the case to replay it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { garmentCutoutPng, garmentPhotoJpeg } from "../lib/inference/photos_testing.ts";
import { pixels, type Serving, startServing } from "./serving_testing.ts";

const KEY = "fuzz-admin-key-0123456789";
const SEED = Number(Deno.env.get("FMNIST_FUZZ_SEED") ?? 20240611);
const CASES = 1200;
const MAX_BODY = 256 * 1024;
let s: Serving;

before(async () => {
  s = await startServing({ adminKey: KEY, maxBodyBytes: MAX_BODY });
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
  /** Cases that may legitimately succeed (e.g. a valid JPEG sent as image/png is sniffed). */
  lenient?: boolean;
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
  const imageBodies = (): { type: string; body: BodyInit; lenient?: boolean } => {
    switch (int(9)) {
      case 0:
        return { type: "image/png", body: PNG.slice(0, 8 + int(PNG.length - 9)) };
      case 1:
        return { type: "image/jpeg", body: JPEG.slice(0, 2 + int(JPEG.length - 3)) };
      case 2:
        return { type: "image/png", body: JPEG, lenient: true }; // mislabelled: sniffed
      case 3:
        return { type: "image/png", body: crypto.getRandomValues(new Uint8Array(1 + int(4000))) };
      case 4:
        return { type: "image/jpeg", body: new Uint8Array(0) };
      case 5:
        return { type: "image/png", body: new Uint8Array(MAX_BODY + 1 + int(10_000)) };
      case 6: {
        const b = PNG.slice();
        for (let i = 0; i < 20; i++) b[8 + int(b.length - 8)] ^= 0xff; // corrupt chunks
        return { type: "image/png", body: b, lenient: true };
      }
      case 7:
        return { type: "image/jpeg", body: new TextEncoder().encode("<svg></svg>") };
      default: {
        const b = JPEG.slice();
        for (let i = 0; i < 30; i++) b[20 + int(b.length - 20)] = int(256);
        return { type: "image/jpeg", body: b, lenient: true }; // JPEG tolerates garbled data
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
        const { type, body, lenient } = imageBodies();
        return {
          method: "POST",
          path: "/v1/models/fmnist/predict",
          headers: { "content-type": type },
          body,
          what: "raw image",
          lenient,
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
        const bodies = [
          { request_id: "", label: 1 },
          { request_id: "nope-" + int(1e6), label: 1 },
          { request_id: "x", label: -1 },
          { request_id: "x", label: 1.5 },
          { request_id: "x", index: -1, label: 1 },
          { request_id: "x", label: 1, extra: true },
          { label: 1 },
          { request_id: 5, label: 1 },
          { request_id: "x", label: null },
          { request_id: "x".repeat(500), label: 1 },
        ];
        return {
          method: "POST",
          path: "/v1/feedback",
          headers: { "content-type": pick(["application/json", "text/plain"]) },
          body: int(5) ? JSON.stringify(pick(bodies)) : "{not json",
          what: "feedback",
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

test(`fuzz: ${CASES} malformed requests to every route answer 4xx (seed ${SEED})`, async () => {
  const next = generator(SEED);
  const failures: string[] = [];
  const counts: Record<number, number> = {};
  let i = 0;
  let strict = 0;
  const worker = async () => {
    while (i < CASES) {
      const n = i++;
      const c = next();
      let status: number | string;
      try {
        const res = await fetch(s.url + c.path, {
          method: c.method,
          headers: c.headers,
          body: c.body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        status = res.status;
      } catch (err) {
        status = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (typeof status === "number") counts[status] = (counts[status] ?? 0) + 1;
      if (!c.lenient) strict++;
      const bad = typeof status !== "number" || status >= 500 || (!c.lenient && status < 400);
      if (bad) {
        failures.push(
          `#${n} ${c.what}: ${c.method} ${c.path} ${JSON.stringify(c.headers)} → ${status}`,
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
