/**
 * A labelled folder of real images for validation: the PNG/JPEG files of a folder, labels from a
 * CSV (`file,label[,group,package,…]`; a label is a class id 0..9 or a class name) or, without
 * one, from the file name (`3_…`, `dress-…`, `ankle-boot_…`), each image preprocessed exactly as
 * the service preprocesses an uploaded image (`preprocessImage`, default options unless given).
 */
import { join } from "node:path";
import pl from "nodejs-polars";
import { LABEL_NAMES } from "../data/mod.ts";
import {
  ImageInputError,
  preprocessImage,
  type PreprocessInfo,
  type PreprocessOptions,
} from "../inference/mod.ts";

/** Raised for a folder or label file that cannot be used (exit 2 in the CLI). */
export class RealInputError extends Error {
  override name = "RealInputError";
}

/** Labelled, preprocessed images. */
export interface LabelledImages {
  /** File names (relative to the folder), in order. */
  files: string[];
  /** Class id per file. */
  labels: Int32Array;
  /** Cluster per file (one drawing at several sizes); the file itself when unknown. */
  groups: string[];
  /** Source package per file (`""` when unknown). */
  sources: string[];
  /** `files.length × 784` inputs in 0..1: what the model sees. */
  pixels: Float32Array;
  /** What preprocessing did per file. */
  info: PreprocessInfo[];
  /** Files left out, with why. */
  skipped: { file: string; reason: string }[];
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
/** Class slugs, longest first so `t-shirt-top` wins over `shirt` and `ankle-boot` over `boot`. */
const SLUGS = LABEL_NAMES.map((n, i) => [slug(n), i] as const)
  .concat([["t-shirt", 0], ["tshirt", 0], ["top", 0], ["trousers", 1], ["boot", 9]])
  .sort((a, b) => b[0].length - a[0].length);

/** Class id of a CSV label: `0`..`9` or a class name (case and punctuation ignored), or null. */
export function parseLabel(value: string): number | null {
  const v = value.trim();
  if (/^[0-9]$/.test(v)) return Number(v);
  const s = slug(v);
  const i = LABEL_NAMES.findIndex((n) => slug(n) === s);
  if (i >= 0) return i;
  return SLUGS.find(([k]) => k === s)?.[1] ?? null;
}

/** Class id from a file name (`3_x.png`, `dress-01.jpg`, `ankle-boot_2.png`), or null. */
export function labelFromFileName(file: string): number | null {
  const base = file.replace(/^.*\//, "");
  const digit = /^([0-9])[_-]/.exec(base);
  if (digit) return Number(digit[1]);
  const s = slug(base.replace(IMAGE_FILE, ""));
  return SLUGS.find(([k]) => s === k || s.startsWith(`${k}-`))?.[1] ?? null;
}

interface LabelRow {
  label: number;
  group?: string;
  source: string;
}

async function readLabelCsv(path: string): Promise<Map<string, LabelRow>> {
  const text = await Deno.readTextFile(path).catch((err) => {
    throw new RealInputError(`cannot read --labels ${path}: ${(err as Error).message}`);
  });
  let df: pl.DataFrame;
  try {
    df = pl.readCSV(text, { inferSchemaLength: 0, hasHeader: true });
  } catch (err) {
    throw new RealInputError(`${path} is not a CSV file: ${(err as Error).message}`);
  }
  const cols = df.columns;
  if (!cols.includes("file") || !cols.includes("label")) {
    throw new RealInputError(`${path} needs a header with the columns file and label`);
  }
  const out = new Map<string, LabelRow>();
  const rows = df.toRecords() as Record<string, string | null>[];
  rows.forEach((r, i) => {
    const file = (r.file ?? "").trim();
    const label = parseLabel(r.label ?? "");
    if (!file || label === null) {
      throw new RealInputError(
        `${path} line ${i + 2}: need a file and a label (0..9 or one of ${
          LABEL_NAMES.join(", ")
        }), got ${JSON.stringify(r.file)} / ${JSON.stringify(r.label)}`,
      );
    }
    const pkg = r.package?.trim() ?? "";
    const src = r.source?.trim() ?? "";
    out.set(file, {
      label,
      group: r.group?.trim() || (src ? `${pkg}#${src}` : undefined),
      source: pkg,
    });
  });
  return out;
}

/**
 * Read and preprocess the images of `dir` with labels from `labelsCsv` (or from file names).
 * Files that do not decode, or have no label, are skipped with the reason.
 * @throws RealInputError when the folder or the label file cannot be used, or no image is left.
 */
export async function readLabelledImages(
  dir: string,
  labelsCsv?: string,
  preprocess: PreprocessOptions = {},
): Promise<LabelledImages> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && IMAGE_FILE.test(e.name)) names.push(e.name);
    }
  } catch (err) {
    throw new RealInputError(`cannot read --images ${dir}: ${(err as Error).message}`);
  }
  names.sort();
  const table = labelsCsv ? await readLabelCsv(labelsCsv) : null;
  if (table) {
    const missing = [...table.keys()].filter((f) => !names.includes(f));
    if (missing.length) {
      throw new RealInputError(
        `${missing.length} file(s) of ${labelsCsv} are not in ${dir}: ${
          missing.slice(0, 5).join(", ")
        }${missing.length > 5 ? ", …" : ""}`,
      );
    }
  }
  const files: string[] = [], labels: number[] = [], groups: string[] = [];
  const sources: string[] = [], info: PreprocessInfo[] = [], px: Float32Array[] = [];
  const skipped: LabelledImages["skipped"] = [];
  for (const name of names) {
    const row = table ? table.get(name) : undefined;
    const label = table ? row?.label ?? null : labelFromFileName(name);
    if (label === null) {
      skipped.push({
        file: name,
        reason: table ? `not in ${labelsCsv}` : "no class in the file name",
      });
      continue;
    }
    try {
      const p = preprocessImage(await Deno.readFile(join(dir, name)), preprocess);
      px.push(p.pixels);
      info.push(p.info);
    } catch (err) {
      if (!(err instanceof ImageInputError)) throw err;
      skipped.push({ file: name, reason: err.message });
      continue;
    }
    files.push(name);
    labels.push(label);
    groups.push(row?.group ?? name);
    sources.push(row?.source ?? "");
  }
  if (files.length === 0) {
    throw new RealInputError(
      `no usable labelled image in ${dir}` +
        (skipped.length
          ? ` (${skipped.length} skipped, e.g. ${skipped[0].file}: ${skipped[0].reason})`
          : ""),
    );
  }
  const pixels = new Float32Array(files.length * 784);
  px.forEach((p, i) => pixels.set(p, i * 784));
  return { files, labels: Int32Array.from(labels), groups, sources, pixels, info, skipped };
}
