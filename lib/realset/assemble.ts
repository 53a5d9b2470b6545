/**
 * Assemble the real-image set from its manifest: for every item, the icon set is read out of the
 * npm package tarball (integrity-checked, cached), the icon's SVG is rebuilt and checked against
 * the manifest's SHA-256, then rasterised at each of the manifest's sizes and backgrounds into
 * `<out>/images/`, with `<out>/labels.csv` (`file,label,label_name,package,version,source`).
 */
import { join } from "node:path";
import { LABEL_NAMES } from "../data/mod.ts";
import { sha256Hex } from "../storage/mod.ts";
import type { RealItem, RealManifest, RealRaster } from "./manifest.ts";
import { NpmFiles } from "./npm.ts";
import { type IconSet, iconSvg, parseIconSet, rasterise } from "./svg.ts";

/** Raised when a source no longer matches the manifest (SHA-256 of its SVG differs). */
export class SourceMismatchError extends Error {
  override name = "SourceMismatchError";
}

/** Options of {@link assembleRealSet}. */
export interface AssembleOptions {
  /** Output folder (images/ and labels.csv go in it). */
  outDir: string;
  /** Tarball cache folder. */
  cacheDir: string;
  /** Keep at most this many items per class (a quick subset; default all). */
  perClass?: number;
  /** Registry base URL (default `NPM_CONFIG_REGISTRY` or the public registry). */
  registry?: string;
  /** `fetch` to use (tests). */
  fetch?: typeof fetch;
  /** Called after each item. */
  onItem?: (done: number, total: number) => void;
}

/** What {@link assembleRealSet} wrote. */
export interface AssembleResult {
  outDir: string;
  imagesDir: string;
  labelsCsv: string;
  items: number;
  images: number;
  /** Images per class name. */
  perClass: Record<string, number>;
  /** Items per source package. */
  perSource: Record<string, number>;
}

/** SHA-256 (hex) of an SVG document, as the manifest records it. */
export function svgSha256(svg: string): string {
  return sha256Hex(svg);
}

/** File name of item `it` drawn as `r`. */
export function rasterFileName(it: RealItem, r: RealRaster): string {
  const bg = r.background === "none" ? "clear" : r.background.slice(1);
  return `${it.id}--${r.size}-${bg}.${r.format === "jpeg" ? "jpg" : "png"}`;
}

/** Items kept when at most `perClass` per class are wanted (manifest order). */
export function selectItems(manifest: RealManifest, perClass?: number): RealItem[] {
  if (perClass === undefined) return manifest.items;
  const seen = new Array<number>(LABEL_NAMES.length).fill(0);
  return manifest.items.filter((it) => seen[it.label]++ < perClass);
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Assemble the set; see the module doc. */
export async function assembleRealSet(
  manifest: RealManifest,
  opts: AssembleOptions,
): Promise<AssembleResult> {
  const files = new NpmFiles({
    cacheDir: opts.cacheDir,
    registry: opts.registry,
    fetch: opts.fetch,
  });
  const items = selectItems(manifest, opts.perClass);
  const imagesDir = join(opts.outDir, "images");
  await Deno.mkdir(imagesDir, { recursive: true });
  const sets = new Map<string, Promise<IconSet>>();
  const rows = ["file,label,label_name,package,version,source"];
  const perClass: Record<string, number> = {};
  const perSource: Record<string, number> = {};
  let done = 0;
  for (const it of items) {
    const [file, icon] = it.file.split("#");
    const key = `${it.package}@${it.version}/${file}`;
    let set = sets.get(key);
    if (!set) {
      set = files.file(it.package, it.version, file).then(parseIconSet);
      sets.set(key, set);
    }
    const svg = iconSvg(await set, icon);
    const sha = svgSha256(svg);
    if (sha !== it.sha256) {
      throw new SourceMismatchError(
        `${it.id}: the SVG of ${it.package}@${it.version} ${it.file} has SHA-256 ${sha}, the ` +
          `manifest says ${it.sha256}`,
      );
    }
    for (const r of manifest.rasters) {
      const name = rasterFileName(it, r);
      await Deno.writeFile(join(imagesDir, name), rasterise(svg, r));
      rows.push(
        [name, it.label, it.labelName, it.package, it.version, it.file].map(csvField).join(","),
      );
      perClass[it.labelName] = (perClass[it.labelName] ?? 0) + 1;
    }
    perSource[it.package] = (perSource[it.package] ?? 0) + 1;
    opts.onItem?.(++done, items.length);
  }
  const labelsCsv = join(opts.outDir, "labels.csv");
  await Deno.writeTextFile(labelsCsv, rows.join("\n") + "\n");
  return {
    outDir: opts.outDir,
    imagesDir,
    labelsCsv,
    items: items.length,
    images: rows.length - 1,
    perClass,
    perSource,
  };
}
