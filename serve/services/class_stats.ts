/** JSON presentation of a per-class statistics table (one row per split × label). */
import { LABEL_NAMES } from "../../lib/data/mod.ts";

/** Anything that yields its rows as records (a polars `DataFrame`). */
export interface RecordTable {
  toRecords(): Record<string, unknown>[];
}

/** One row of the per-class statistics: `split`, `label`, `label_name`, then the measures. */
export type ClassStatRow = {
  split: string;
  label: number;
  label_name: string;
  [measure: string]: string | number | null;
};

function jsonNumber(v: unknown): number | null {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  return null;
}

/**
 * Rows of `table` as JSON-safe objects: numbers stay numbers (bigints are converted, NaN and
 * infinities become null), strings stay strings, and each row gains the class name `label_name`.
 * @throws TypeError when a row lacks a string `split` or a numeric `label`.
 */
export function classStatRows(table: RecordTable): ClassStatRow[] {
  return table.toRecords().map((rec, i) => {
    const label = jsonNumber(rec.label);
    if (typeof rec.split !== "string" || label === null) {
      throw new TypeError(`class statistics row ${i} has no split/label: ${JSON.stringify(rec)}`);
    }
    const row: ClassStatRow = {
      split: rec.split,
      label,
      label_name: LABEL_NAMES[label] ?? `class ${label}`,
    };
    for (const [k, v] of Object.entries(rec)) {
      if (k === "split" || k === "label") continue;
      row[k] = typeof v === "string" ? v : jsonNumber(v);
    }
    return row;
  });
}
