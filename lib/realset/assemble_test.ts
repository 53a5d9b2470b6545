/**
 * Real-set assembly from a fake npm registry (no network): the tarball's integrity is checked,
 * each icon's SVG is checked against the manifest's SHA-256, every item is drawn at every raster
 * (PNG with alpha, JPEG on a background) and labels.csv lists them; `--per-class` subsets.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createTarGzip } from "nanotar";
import { preprocessImage } from "../inference/mod.ts";
import {
  assembleRealSet,
  iconSvg,
  NpmFetchError,
  parseIconSet,
  parseRealManifest,
  type RealManifest,
  selectItems,
  SourceMismatchError,
  svgSha256,
} from "./mod.ts";

const ICONS = {
  prefix: "fake",
  width: 24,
  height: 24,
  icons: {
    // A T-shirt-like filled shape and a boot outline painted with currentColor.
    tee: { body: '<path fill="currentColor" d="M4 4h16l3 5-4 2v11H5V11L1 9z"/>' },
    boot: {
      body: '<path fill="none" stroke="currentColor" stroke-width="2" d="M6 2h7v12l8 4v4H6z"/>',
    },
  },
};

async function fakeRegistry(pkgJson = ICONS, corrupt = false) {
  const tgz = new Uint8Array(
    await createTarGzip([
      { name: "package/package.json", data: JSON.stringify({ name: "@iconify-json/fake" }) },
      { name: "package/icons.json", data: JSON.stringify(pkgJson) },
    ]),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", tgz));
  const integrity = "sha512-" + btoa(String.fromCharCode(...digest));
  let tarballs = 0;
  const fetchFake = ((input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url === "https://reg.test/@iconify-json%2ffake/1.0.0") {
      return Promise.resolve(Response.json({
        name: "@iconify-json/fake",
        version: "1.0.0",
        dist: { tarball: "https://reg.test/fake-1.0.0.tgz", integrity },
      }));
    }
    if (url === "https://reg.test/fake-1.0.0.tgz") {
      tarballs++;
      const body = corrupt ? tgz.slice(0, -1) : tgz;
      return Promise.resolve(new Response(body));
    }
    return Promise.resolve(new Response("not found", { status: 404 }));
  }) as typeof fetch;
  return { fetchFake, tarballs: () => tarballs };
}

function manifestFor(set = ICONS): RealManifest {
  const parsed = parseIconSet(new TextEncoder().encode(JSON.stringify(set)));
  const item = (icon: string, label: number, labelName: string) => ({
    id: `fake--${icon}`,
    package: "@iconify-json/fake",
    version: "1.0.0",
    file: `icons.json#${icon}`,
    label,
    labelName,
    sha256: svgSha256(iconSvg(parsed, icon)),
  });
  return parseRealManifest(JSON.stringify({
    format: 1,
    description: "test",
    rasters: [
      { size: 32, background: "none", format: "png" },
      { size: 96, background: "#ffffff", format: "jpeg" },
    ],
    sources: [{ package: "@iconify-json/fake", version: "1.0.0", license: "MIT", style: "test" }],
    items: [item("tee", 0, "T-shirt/top"), item("boot", 9, "Ankle boot")],
    excluded: [],
  }));
}

test("assembleRealSet: fake registry → checked, rasterised, labelled images", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-realset-" });
  try {
    const reg = await fakeRegistry();
    const opts = {
      outDir: join(dir, "out"),
      cacheDir: join(dir, "cache"),
      registry: "https://reg.test",
      fetch: reg.fetchFake,
    };
    const r = await assembleRealSet(manifestFor(), opts);
    assert.equal(r.items, 2);
    assert.equal(r.images, 4);
    assert.deepEqual(r.perClass, { "T-shirt/top": 2, "Ankle boot": 2 });
    const csv = (await Deno.readTextFile(r.labelsCsv)).trim().split("\n");
    assert.equal(csv[0], "file,label,label_name,package,version,source");
    assert.equal(csv.length, 5);
    for (const line of csv.slice(1)) {
      const [file, label] = line.split(",");
      const bytes = await Deno.readFile(join(r.imagesDir, file));
      const pre = preprocessImage(bytes);
      assert.equal(pre.info.format, file.endsWith(".jpg") ? "jpeg" : "png");
      assert.equal(pre.info.width, file.includes("--32-") ? 32 : 96);
      assert.ok(pre.pixels.some((v) => v > 0.5), `${file}: the drawing survives preprocessing`);
      assert.ok(label === "0" || label === "9");
    }
    // The tarball is cached: a second run does not download it again.
    await assembleRealSet(manifestFor(), opts);
    assert.equal(reg.tarballs(), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("assembleRealSet: a changed icon or a corrupt tarball is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-realset-" });
  try {
    const changed = structuredClone(ICONS);
    changed.icons.tee.body = '<path fill="currentColor" d="M4 4h16v16H4z"/>';
    const reg = await fakeRegistry(changed);
    await assert.rejects(
      assembleRealSet(manifestFor(), {
        outDir: join(dir, "a"),
        cacheDir: join(dir, "c1"),
        registry: "https://reg.test",
        fetch: reg.fetchFake,
      }),
      (e) => e instanceof SourceMismatchError && /fake--tee/.test(e.message),
    );
    const bad = await fakeRegistry(ICONS, true);
    await assert.rejects(
      assembleRealSet(manifestFor(), {
        outDir: join(dir, "b"),
        cacheDir: join(dir, "c2"),
        registry: "https://reg.test",
        fetch: bad.fetchFake,
      }),
      (e) => e instanceof NpmFetchError && /integrity/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("the committed manifest parses, has every class and no reserved artwork", async () => {
  const m = parseRealManifest(
    await Deno.readTextFile(new URL("../../data/real/manifest.json", import.meta.url)),
  );
  assert.deepEqual(new Set(m.items.map((i) => i.label)).size, 10);
  const reserved = /noto|twemoji|fluent|emoji-datasource|apple|facebook/i;
  for (const s of m.sources) assert.doesNotMatch(s.package, reserved);
  assert.equal(selectItems(m, 2).length, 20);
  assert.throws(
    () => parseRealManifest(JSON.stringify({ ...m, items: [m.items[0], m.items[0]] })),
    /duplicate item id/,
  );
});
