/**
 * The Prometheus and Alertmanager configuration checked by the real tools: `promtool check
 * config` (which also checks the rule files), `promtool test rules` (every alert fires when it
 * should and stays silent when it should not), `amtool check-config`; plus the conventions the
 * on-call relies on: each alert has a severity, a summary and a runbook section that exists.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { opsPath, requireBinary, runProgram } from "../testing.ts";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

function alertRules(): Rule[] {
  const f = parse(Deno.readTextFileSync(opsPath("prometheus/rules/alerts.yml"))) as RuleFile;
  return f.groups.flatMap((g) => g.rules).filter((r) => r.alert);
}

test("promtool check config: prometheus.yml and its rule files are valid", async () => {
  const r = await runProgram(requireBinary("promtool"), ["check", "config", "prometheus.yml"], {
    cwd: opsPath("prometheus/"),
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 15 rules found[\s\S]*SUCCESS: \d+ rules found/);
});

test("promtool test rules: every alert's unit tests pass", async () => {
  const r = await runProgram(
    requireBinary("promtool"),
    ["test", "rules", "tests/alerts_test.yml", "tests/alerts_daily_test.yml"],
    { cwd: opsPath("prometheus/") },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test("promtool test rules fails when an expectation is wrong (the tests can fail)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fmnist-promtool-" });
  try {
    const all = Deno.readTextFileSync(opsPath("prometheus/tests/alerts_test.yml"));
    const src = all.slice(0, all.indexOf("  # --- FmnistHigh5xxRatio"));
    // Expect FmnistServiceDown silent at 4m, where it fires.
    const broken = src.replace('severity: critical, job: fmnist, instance: "app1:8000"', "x: y")
      .replaceAll("../rules/", `${opsPath("prometheus/rules/")}`);
    assert.notEqual(broken, src);
    Deno.writeTextFileSync(`${dir}/t.yml`, broken);
    const r = await runProgram(requireBinary("promtool"), ["test", "rules", `${dir}/t.yml`]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /FmnistServiceDown/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("every alert is unit-tested firing and silent", () => {
  const tests = ["alerts_test.yml", "alerts_daily_test.yml"].flatMap((f) =>
    (parse(Deno.readTextFileSync(opsPath(`prometheus/tests/${f}`))) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    }).tests.flatMap((t) => t.alert_rule_test ?? [])
  );
  for (const rule of alertRules()) {
    const cases = tests.filter((t) => t.alertname === rule.alert);
    assert.ok(cases.some((c) => c.exp_alerts.length > 0), `${rule.alert}: no firing case`);
    assert.ok(cases.some((c) => c.exp_alerts.length === 0), `${rule.alert}: no silent case`);
  }
});

test("every alert has a severity, a summary and a runbook section that exists", () => {
  const runbooks = Deno.readTextFileSync(opsPath("runbooks.md"));
  const anchors = new Set(
    [...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim().toLowerCase()),
  );
  const alerts = alertRules();
  assert.ok(alerts.length >= 12, `only ${alerts.length} alerts`);
  for (const a of alerts) {
    assert.match(a.labels?.severity ?? "", /^(critical|warning|info)$/, `${a.alert}: severity`);
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
    const url = a.annotations?.runbook_url ?? "";
    const m = url.match(/^ops\/runbooks\.md#(.+)$/);
    assert.ok(m, `${a.alert}: runbook_url ${url}`);
    assert.ok(anchors.has(m[1]), `${a.alert}: no "## ${a.alert}" section in ops/runbooks.md`);
  }
});

test("amtool check-config: alertmanager.yml is valid", async () => {
  const r = await runProgram(requireBinary("amtool"), [
    "check-config",
    opsPath("alertmanager/alertmanager.yml"),
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
