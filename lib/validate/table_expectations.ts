/** Expectations over derived tables (polars DataFrames), e.g. the per-image feature table. */
import pl from "nodejs-polars";
import type { Expectation, JsonValue, Severity, Suite } from "./types.ts";

/** A derived table to validate, with a name used as the result subject. */
export interface NamedTable {
  /** What the table is, e.g. `features/<dataset version>`. */
  version: string;
  frame: pl.DataFrame;
}

function isFloat(dtype: pl.DataType): boolean {
  return dtype.equals(pl.Float32) || dtype.equals(pl.Float64);
}

/** No null in any column and no NaN/±Infinity in any float column. */
export function expectNoMissingValues(
  maxExamples = 10,
  severity: Severity = "critical",
): Expectation<NamedTable> {
  return {
    id: "no_missing_values",
    description: "no column holds null, and no float column holds NaN or ±Infinity",
    severity,
    check({ frame }) {
      const perColumn: Record<string, JsonValue> = {};
      const bad: string[] = [];
      for (const name of frame.columns) {
        const col = frame.getColumn(name);
        const nulls = col.nullCount();
        let nonFinite = 0;
        const examples: number[] = [];
        if (isFloat(col.dtype)) {
          // Count in polars; only walk the values when there is something to point at.
          const e = pl.col(name);
          nonFinite = Number(
            frame.select(e.isNan().or(e.isInfinite()).cast(pl.UInt32).sum().alias("n"))
              .getColumn("n").get(0) ?? 0,
          );
          if (nonFinite > 0) {
            const values = col.toArray() as (number | null)[];
            for (let i = 0; i < values.length && examples.length < maxExamples; i++) {
              const v = values[i];
              if (v !== null && !Number.isFinite(v)) examples.push(i);
            }
          }
        }
        if (nulls > 0 || nonFinite > 0) {
          bad.push(name);
          perColumn[name] = { nulls, nonFinite, exampleRows: examples };
        }
      }
      return {
        success: bad.length === 0,
        observed: { rows: frame.height, columns: frame.width, badColumns: bad },
        details: perColumn,
      };
    },
  };
}

/** The table has exactly `rows` rows and contains every column of `columns`. */
export function expectTableShape(
  rows: number,
  columns: readonly string[],
  severity: Severity = "critical",
): Expectation<NamedTable> {
  return {
    id: "table_shape",
    description: `the table has ${rows} rows and columns ${columns.join(", ")}`,
    severity,
    check({ frame }) {
      const missing = columns.filter((c) => !frame.columns.includes(c));
      return {
        success: frame.height === rows && missing.length === 0,
        observed: { rows: frame.height, columns: frame.columns },
        details: { expectedRows: rows, missingColumns: missing },
      };
    },
  };
}

/** Suite for a derived table: shape plus no missing values. */
export function tableSuite(
  name: string,
  rows: number,
  columns: readonly string[],
): Suite<NamedTable> {
  return {
    name,
    expectations: [expectTableShape(rows, columns), expectNoMissingValues()],
  };
}
