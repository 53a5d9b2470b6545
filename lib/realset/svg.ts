/**
 * Icons out of Iconify JSON icon sets (`@iconify-json/*`) as standalone SVG documents, and SVGs
 * rasterised with resvg (`@resvg/resvg-js`) at a given size onto a given background, as PNG or
 * JPEG bytes.
 */
import { Resvg } from "@resvg/resvg-js";
// @ts-types="@types/pngjs"
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { Buffer } from "node:buffer";
import { z } from "zod";

/** Raised for an icon that a set does not hold, or a set that is not Iconify JSON. */
export class IconSetError extends Error {
  override name = "IconSetError";
}

const dims = {
  width: z.number().positive().optional(),
  height: z.number().positive().optional(),
  left: z.number().optional(),
  top: z.number().optional(),
};

const iconSchema = z.object({
  body: z.string(),
  ...dims,
  hFlip: z.boolean().optional(),
  vFlip: z.boolean().optional(),
  rotate: z.number().optional(),
});

const iconSetSchema = z.object({
  prefix: z.string(),
  icons: z.record(z.string(), iconSchema),
  aliases: z.record(z.string(), z.object({ parent: z.string() }).loose()).optional(),
  ...dims,
});

/** A parsed Iconify JSON icon set. */
export type IconSet = z.infer<typeof iconSetSchema>;

/** Parse the bytes of an `icons.json`. */
export function parseIconSet(bytes: Uint8Array): IconSet {
  const parsed = iconSetSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new IconSetError("not an Iconify JSON icon set");
  return parsed.data;
}

/** Colour given to `currentColor` (line and glyph icons). */
export const ICON_INK = "#1d2433";

/**
 * The standalone SVG of icon `name` (aliases without transformations resolve to their parent):
 * its view box, `currentColor` painted in {@link ICON_INK}, flips and rotation applied.
 */
export function iconSvg(set: IconSet, name: string): string {
  let icon = set.icons[name];
  const alias = set.aliases?.[name];
  if (!icon && alias && Object.keys(alias).length === 1) icon = set.icons[alias.parent];
  if (!icon) throw new IconSetError(`icon set ${set.prefix} has no icon ${name}`);
  const w = icon.width ?? set.width ?? 16, h = icon.height ?? set.height ?? 16;
  const left = icon.left ?? set.left ?? 0, top = icon.top ?? set.top ?? 0;
  const t: string[] = [];
  if (icon.hFlip) t.push(`translate(${2 * left + w} 0) scale(-1 1)`);
  if (icon.vFlip) t.push(`translate(0 ${2 * top + h}) scale(1 -1)`);
  if (icon.rotate) t.push(`rotate(${90 * icon.rotate} ${left + w / 2} ${top + h / 2})`);
  const body = icon.body.replaceAll("currentColor", ICON_INK);
  const inner = t.length ? `<g transform="${t.join(" ")}">${body}</g>` : body;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `viewBox="${left} ${top} ${w} ${h}" width="${w}" height="${h}">${inner}</svg>`;
}

/** One rasterisation of an SVG. */
export interface Raster {
  /** Longer side in pixels. */
  size: number;
  /** CSS colour of the background, or `none` (transparent; PNG only). */
  background: string;
  format: "png" | "jpeg";
}

/** Margin around the drawing, as a share of its longer side, on every side of the raster. */
export const RASTER_MARGIN = 0.12;

/**
 * `svg` (a document with `width` and `height`, as {@link iconSvg} writes) placed on a canvas
 * with a margin of `margin` × its longer side on every side, like an object photographed with
 * some background around it.
 */
export function withMargin(svg: string, margin = RASTER_MARGIN): string {
  const m = /^<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new IconSetError("the SVG has no width and height");
  const w = Number(m[1]), h = Number(m[2]), pad = margin * Math.max(w, h);
  const inner = svg.replace(/^<svg /, `<svg x="${pad}" y="${pad}" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w + 2 * pad} ${h + 2 * pad}" ` +
    `width="${w + 2 * pad}" height="${h + 2 * pad}">${inner}</svg>`;
}

/**
 * Rasterise `svg` as {@link Raster} says, with a {@link RASTER_MARGIN} margin (the longer side of
 * the whole image is `r.size`); returns the encoded image.
 */
export function rasterise(svg: string, r: Raster): Uint8Array {
  svg = withMargin(svg);
  if (r.format === "jpeg" && r.background === "none") {
    throw new RangeError("a JPEG needs an opaque background");
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: "width", value: r.size },
    background: r.background === "none" ? undefined : r.background,
    font: { loadSystemFonts: false },
  });
  let img = resvg.render();
  if (img.height > img.width) {
    img = new Resvg(svg, {
      fitTo: { mode: "height", value: r.size },
      background: r.background === "none" ? undefined : r.background,
      font: { loadSystemFonts: false },
    }).render();
  }
  const png = new Uint8Array(img.asPng());
  if (r.format === "png") return png;
  const decoded = PNG.sync.read(Buffer.from(png));
  const out = jpeg.encode(
    { width: decoded.width, height: decoded.height, data: decoded.data },
    90,
  );
  return new Uint8Array(out.data);
}
