/**
 * The generated dashboards: every SQL panel query runs against the real schema (the workspace's
 * migrations on embedded PGlite, and on the CI's Postgres when `FMNIST_TEST_DATABASE_URL` is set)
 * and returns the rows it should for a logged prediction with feedback; every panel targets a
 * provisioned datasource. (PromQL panels run against a real Prometheus in
 * ops/alerting_e2e_test.ts; LogQL needs Loki, which is not installable here.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { parseSettings } from "../../lib/config/mod.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { openContext } from "../../lib/workspace/mod.ts";
import { opsPath } from "../testing.ts";
import { dashboardFiles, panelQueries } from "./dashboards.ts";

const silent = createLogger({}, { level: "error", sink: () => {} });

async function withDb(
  databaseUrl: string | undefined,
  fn: (q: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<void>,
) {
  const stateDir = await Deno.makeTempDir({ prefix: "fmnist-ops-sql-" });
  const ctx = await openContext(
    parseSettings({ FMNIST_STATE_DIR: stateDir, DATABASE_URL: databaseUrl }),
    { manifestDir: `${stateDir}/manifests`, log: silent },
  );
  const rid = `dash-${crypto.randomUUID()}`;
  try {
    await ctx.db.query(
      `INSERT INTO prediction_logs (request_id, idx, model, version, input_hash, class_id, label,
        confidence, latency_ms, cached, arm, at) VALUES
       ($1, 0, 'fmnist', 1, 'h0', 3, 'Dress', 0.9, 2.5, false, 'control', now()),
       ($1, 1, 'fmnist', 1, 'h1', 5, 'Sandal', 0.7, 2.5, false, 'control', now())`,
      [rid],
    );
    await ctx.db.query(
      `INSERT INTO prediction_feedback (request_id, idx, true_class_id) VALUES ($1, 0, 3), ($1, 1, 4)`,
      [rid],
    );
    await fn((sql) => ctx.db.query(sql));
  } finally {
    await ctx.db.query("DELETE FROM prediction_feedback WHERE request_id = $1", [rid]);
    await ctx.db.query("DELETE FROM prediction_logs WHERE request_id = $1", [rid]);
    await ctx.close();
    await Deno.remove(stateDir, { recursive: true });
  }
}

const sqlQueries = panelQueries(dashboardFiles()).filter((q) => q.kind === "sql");

for (
  const [label, url] of [
    ["embedded PGlite", undefined],
    ["Postgres (FMNIST_TEST_DATABASE_URL)", Deno.env.get("FMNIST_TEST_DATABASE_URL")],
  ] as const
) {
  test(
    `every SQL panel query runs on ${label}`,
    { skip: label.startsWith("Postgres") && !url },
    async () => {
      assert.ok(sqlQueries.length >= 5, `only ${sqlQueries.length} SQL queries`);
      await withDb(url, async (q) => {
        for (const s of sqlQueries) {
          await q(s.query).catch((err) => {
            throw new Error(`${s.dashboard} / ${s.panel}: ${err.message}`);
          });
        }
        // The feedback accuracy the model dashboard shows: 1 of 2 labelled predictions is right.
        const acc = sqlQueries.find((s) => s.panel.startsWith("Feedback accuracy"))!;
        const rows = (await q(acc.query)).filter((r) =>
          r.model === "fmnist" && Number(r.version) === 1
        );
        assert.equal(Number(rows[0].labelled) >= 2, true);
        const arms = await q(sqlQueries.find((s) => s.panel.startsWith("A/B arms"))!.query);
        assert.ok(arms.some((r) => r.arm === "control" && Number(r.predictions) >= 2));
      });
    },
  );
}

test("every panel targets a provisioned datasource uid", () => {
  const prov = parse(
    Deno.readTextFileSync(opsPath("grafana/provisioning/datasources/datasources.yml")),
  ) as { datasources: { uid: string; type: string }[] };
  const uids = new Map(prov.datasources.map((d) => [d.uid, d.type]));
  for (const [file, text] of Object.entries(dashboardFiles())) {
    const d = JSON.parse(text);
    for (const p of d.panels) {
      if (p.type === "row") continue;
      const ds = p.datasource ?? p.targets?.[0]?.datasource;
      assert.ok(ds && uids.get(ds.uid) === ds.type, `${file} / ${p.title}: ${JSON.stringify(ds)}`);
    }
  }
});
