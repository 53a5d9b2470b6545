/** Side-by-side comparison of runs: align params, metrics and tags and flag keys that differ. */
import type { ComparedValue, RunComparison, RunDetail } from "./schemas.ts";

/** Deterministic JSON (object keys sorted) so equal values compare equal. */
export function stableJson(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  const rec = v as Record<string, unknown>;
  return `{${
    Object.keys(rec).sort().map((k) => `${JSON.stringify(k)}:${stableJson(rec[k])}`).join(",")
  }}`;
}

function align(records: Record<string, unknown>[]): ComparedValue[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return [...keys].sort().map((key) => {
    const raw = records.map((r) => (Object.hasOwn(r, key) ? r[key] : undefined));
    const first = stableJson(raw[0]);
    const differs = raw.some((v) => v === undefined || stableJson(v) !== first);
    return { key, values: raw.map((v) => (v === undefined ? null : v)), differs };
  });
}

/**
 * Compare already-loaded runs (pure). Params and tags are compared by value, metrics by the
 * value at each run's last step. Rows are sorted by key; `differs` flags keys whose values are not
 * all equal or that some run lacks.
 */
export function diffRuns(runs: RunDetail[]): RunComparison {
  return {
    runs: runs.map((r) => ({ id: r.id, experiment: r.experiment, name: r.name, status: r.status })),
    params: align(runs.map((r) => r.params)),
    metrics: align(
      runs.map((r) => Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.last]))),
    ),
    tags: align(runs.map((r) => r.tags)),
  };
}
