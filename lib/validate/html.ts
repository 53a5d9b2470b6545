/** Render a {@link ValidationResult} as a readable, self-contained HTML page (no external assets). */
import type { ExpectationResult, ValidationResult } from "./types.ts";

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

function badge(r: ExpectationResult): string {
  if (r.success) return `<span class="b pass">passed</span>`;
  return r.severity === "critical"
    ? `<span class="b crit">failed · critical</span>`
    : `<span class="b warn">failed · warning</span>`;
}

function json(v: unknown): string {
  return escapeHtml(JSON.stringify(v, null, 2) ?? "null");
}

/** One-line compact JSON of `v`, cut at `max` characters. */
function compact(v: unknown, max = 240): string {
  const s = JSON.stringify(v) ?? "null";
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function row(r: ExpectationResult): string {
  const cls = r.success ? "ok" : r.severity === "critical" ? "crit" : "warn";
  const err = r.error ? `<p class="err">check error: ${escapeHtml(r.error)}</p>` : "";
  const details = r.details === undefined
    ? ""
    : `<details><summary>details</summary><pre>${json(r.details)}</pre></details>`;
  return `<tr class="${cls}">
<td><code>${escapeHtml(r.id)}</code></td>
<td>${escapeHtml(r.description)}</td>
<td>${escapeHtml(r.severity)}</td>
<td>${badge(r)}</td>
<td class="find">${err}<code class="sum">${escapeHtml(compact(r.observed))}</code>
<details${r.success ? "" : " open"}><summary>observed</summary><pre>${
    json(r.observed)
  }</pre></details>${details}</td>
<td class="num">${r.durationMs.toFixed(1)} ms</td>
</tr>`;
}

/** A complete HTML document summarising `result`: verdict, counts and one row per expectation. */
export function renderValidationHtml(result: ValidationResult): string {
  const s = result.stats;
  const verdict = result.success
    ? (result.warnings.length ? "passed with warnings" : "passed")
    : "FAILED";
  const vcls = result.success ? (result.warnings.length ? "warn" : "ok") : "crit";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Validation ${escapeHtml(result.suite)} · ${escapeHtml(result.subject)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem;margin:0 0 .3rem}
.meta{color:#555;margin-bottom:1rem}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:4px;font-weight:600}
.verdict.ok{background:#d9f2dc}.verdict.warn{background:#fff1c2}.verdict.crit{background:#f8d0d0}
table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{border-bottom:1px solid #ddd;padding:.45rem;text-align:left;vertical-align:top}
tr.crit td:first-child{border-left:4px solid #c62828}
tr.warn td:first-child{border-left:4px solid #e0a100}
tr.ok td:first-child{border-left:4px solid #2e7d32}
.b{padding:.1rem .45rem;border-radius:3px;font-size:.85em;white-space:nowrap}
.b.pass{background:#d9f2dc}.b.crit{background:#f8d0d0}.b.warn{background:#fff1c2}
pre{margin:.3rem 0;max-height:22rem;overflow:auto;background:#f6f6f6;padding:.4rem;font-size:12px}
.num{text-align:right;white-space:nowrap}.err{color:#c62828}
td.find{width:45%}code.sum{display:block;font-size:12px;color:#333;word-break:break-all}
</style></head><body>
<h1>Validation report: ${escapeHtml(result.suite)}</h1>
<div class="meta">subject <code>${escapeHtml(result.subject)}</code> · started ${
    escapeHtml(result.startedAt)
  } · ${result.durationMs.toFixed(0)} ms</div>
<div class="verdict ${vcls}">${verdict}</div>
<p>${s.evaluated} expectations: ${s.passed} passed, ${s.criticalFailed} critical failures, ${s.warningFailed} warnings.${
    result.criticalFailures.length
      ? ` Critical: ${
        result.criticalFailures.map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")
      }.`
      : ""
  }</p>
<table><thead><tr><th>id</th><th>expectation</th><th>severity</th><th>result</th><th>findings</th><th>time</th></tr></thead>
<tbody>
${result.results.map(row).join("\n")}
</tbody></table>
</body></html>
`;
}
