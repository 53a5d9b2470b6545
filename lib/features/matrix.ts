/** Dense typed-array views of a feature table, for models that want a numeric matrix. */
import pl from "nodejs-polars";
import type { SplitName } from "../data/mod.ts";
import { FEATURE_COLUMNS } from "./image_features.ts";
import type { Subset } from "./table.ts";

/** A row-major feature matrix with the identity of each row. */
export interface FeatureMatrix {
  /** Feature column names, in matrix column order. */
  columns: string[];
  rows: number;
  /** `rows × columns.length` values, row-major. */
  data: Float64Array;
  labels: Uint8Array;
  /** Index of each row's image within its split. */
  imageIndex: Int32Array;
}

/** Raised when a requested column is not in the table. */
export class FeatureColumnError extends Error {
  override name = "FeatureColumnError";
}

/**
 * The rows of `frame` in `split` (and, when given, in `subsets`), as a dense matrix of
 * `columns` (default: every feature column), in table order.
 */
export function toFeatureMatrix(
  frame: pl.DataFrame,
  opts: { split: SplitName; subsets?: Subset[]; columns?: readonly string[] },
): FeatureMatrix {
  const columns = [...(opts.columns ?? FEATURE_COLUMNS)];
  const missing = columns.filter((c) => !frame.columns.includes(c));
  if (missing.length) {
    throw new FeatureColumnError(
      `feature table has no column(s) ${missing.join(", ")}; available: ${
        frame.columns.join(", ")
      }`,
    );
  }
  let pred = pl.col("split").eq(pl.lit(opts.split));
  if (opts.subsets) pred = pred.and(pl.col("subset").isIn(opts.subsets));
  const sel = frame.filter(pred);
  const rows = sel.height;
  const data = new Float64Array(rows * columns.length);
  columns.forEach((c, k) => {
    const values = sel.getColumn(c).cast(pl.Float64).toTypedArray() as Float64Array;
    for (let r = 0; r < rows; r++) data[r * columns.length + k] = values[r];
  });
  return {
    columns,
    rows,
    data,
    labels: Uint8Array.from(sel.getColumn("label").toArray() as number[]),
    imageIndex: Int32Array.from(sel.getColumn("image_index").toArray() as number[]),
  };
}
