/**
 * Headless Chromium for the tests that check pages the way a reader sees them (the demo, analysis
 * and experiments pages, the documentation site): Debian's `chromium` driven by `playwright-core`,
 * started with the flags this machine needs, plus the screenshot check those tests share.
 */
import { Buffer } from "node:buffer";
import { type Browser, chromium } from "playwright-core";
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";

/** Debian's Chromium (`apt-get install -y chromium`). */
const CHROMIUM = "/usr/bin/chromium";

/**
 * Headless, no sandbox (tests run as root), no GPU, and none of Chromium's own background
 * traffic (component updates, sync, QUIC probes): on a machine without internet those
 * connections are refused many at a time, which is noise at best.
 */
const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Why a browser test cannot run here, or false: names the missing paths (Chromium and `needs`)
 * and the apt packages that provide them (`packages`, default `chromium`).
 */
export function chromiumSkipReason(
  needs: readonly string[] = [],
  packages = "chromium",
): string | false {
  const missing = [CHROMIUM, ...needs].filter((p) => {
    try {
      Deno.statSync(p);
      return false;
    } catch {
      return true;
    }
  });
  return missing.length ? `missing ${missing.join(", ")}: apt-get install -y ${packages}` : false;
}

/** Start headless Chromium with {@link CHROMIUM_ARGS}; close it when done. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true });
}

/** Distinct colours of a PNG screenshot (a blank page has one or two). */
export function distinctColours(
  png: Uint8Array,
): { colours: number; width: number; height: number } {
  const img = PNG.sync.read(Buffer.from(png));
  const set = new Set<number>();
  for (let i = 0; i < img.data.length; i += 4) {
    set.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
  }
  return { colours: set.size, width: img.width, height: img.height };
}
