/**
 * `deno task runs ls|show <id>|compare <id> <id>…|reap`: list, inspect and compare tracked runs.
 * Runs whose process died are marked failed first (the reaper), so none show as running forever.
 */
import { z } from "zod";
import {
  type CommandGroup,
  commandMain,
  defineCommand,
  nonEmpty,
  stateDirFlag,
} from "../lib/cli/mod.ts";
import type { Ctx } from "../lib/workspace/mod.ts";
import {
  compareRuns,
  getRun,
  listRuns,
  reapStaleRuns,
  type Run,
  type RunComparison,
  type RunDetail,
  RunStatusSchema,
} from "../lib/tracking/mod.ts";

const common = {
  "stale-after": z.coerce.number().positive("must be a positive number of seconds").optional()
    .meta({
      description: "heartbeat age in seconds after which a run is dead (default 120)",
      arg: "S",
    }),
  ...stateDirFlag,
};

/** Mark runs whose process died as failed (done before every command); returns what it did. */
async function reap(ctx: Ctx, flags: { "stale-after"?: number }) {
  const after = flags["stale-after"];
  return await reapStaleRuns(ctx, { staleAfterMs: after === undefined ? undefined : after * 1000 });
}

/** Render rows as an aligned text table. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  return typeof v === "string" ? v : JSON.stringify(v);
}

function duration(run: Run): string {
  const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
  const s = Math.max(0, (end - Date.parse(run.startedAt)) / 1000);
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
}

const ls = defineCommand({
  summary: "list runs, newest first",
  schema: z.object({
    experiment: nonEmpty().optional().meta({
      description: "only runs of this experiment",
      arg: "NAME",
    }),
    status: RunStatusSchema.optional().meta({ description: "only runs with this status" }),
    limit: z.coerce.number().int("must be an integer").min(1).max(1000).default(50).meta({
      description: "at most N runs",
    }),
    ...common,
  }),
  json: true,
  run: async ({ flags, open, out }) => {
    const ctx = await open();
    await reap(ctx, flags);
    const { experiment, status, limit } = flags;
    const runs = await listRuns(ctx, { experiment, status, limit });
    out.result(
      runs,
      () =>
        runs.length === 0 ? "no runs (start one with startRun/withRun from lib/tracking)" : table(
          ["ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", "DURATION", "PARENT"],
          runs.map((r) => [
            r.id.slice(0, 8),
            r.experiment,
            r.name,
            r.status,
            r.startedAt.slice(0, 19).replace("T", " "),
            duration(r),
            r.parentId?.slice(0, 8) ?? "",
          ]),
        ),
    );
  },
});

function section(title: string, header: string[], rows: string[][]): string[] {
  return ["", `${title}:`, rows.length ? table(header, rows) : "  none"];
}

function showLines(d: RunDetail): string[] {
  const l = d.lineage;
  const engine = l.engine
    ? `${l.engine.name}/${l.engine.backend ?? "?"} ${JSON.stringify(l.engine.versions ?? {})}`
    : "-";
  return [
    `run        ${d.id}`,
    `name       ${d.name}`,
    `experiment ${d.experiment}`,
    `status     ${d.status}${d.error ? ` (${d.error})` : ""}`,
    `started    ${d.startedAt}   ended ${d.endedAt ?? "-"}   (${duration(d)})`,
    `parent     ${d.parentId ?? "-"}`,
    `process    pid ${d.pid ?? "?"} on ${d.host ?? "?"}, last heartbeat ${d.heartbeatAt}`,
    `dataset    ${l.datasetVersion ?? "-"}`,
    `git        ${l.gitCommit ?? "-"}${l.gitDirty ? " (dirty)" : ""}`,
    `seed       ${l.seed ?? "-"}`,
    `engine     ${engine}`,
    ...section(
      "params",
      ["KEY", "VALUE"],
      Object.entries(d.params).map(([k, v]) => [k, fmtValue(v)]),
    ),
    ...section(
      "metrics",
      ["KEY", "LAST", "STEP", "MIN", "MAX", "POINTS"],
      Object.entries(d.metrics).map(([k, m]) => [
        k,
        fmtValue(m.last),
        String(m.lastStep),
        fmtValue(m.min),
        fmtValue(m.max),
        String(m.count),
      ]),
    ),
    ...section("tags", ["KEY", "VALUE"], Object.entries(d.tags)),
    ...section(
      "artifacts",
      ["NAME", "SIZE", "SHA256", "TYPE"],
      d.artifacts.map((a) => [a.name, String(a.size), a.sha256.slice(0, 16), a.contentType]),
    ),
  ];
}

const show = defineCommand({
  summary: "params, metrics (last/min/max), tags, artifacts and lineage of a run",
  schema: z.object(common),
  args: { usage: "<id>", min: 1, max: 1 },
  json: true,
  run: async ({ flags, positionals, open, out }) => {
    const ctx = await open();
    await reap(ctx, flags);
    const d = await getRun(ctx, positionals[0]);
    out.result(d, showLines);
  },
});

function compareLines(cmp: RunComparison, all: boolean): string[] {
  const lines = [table(
    ["", "ID", "EXPERIMENT", "NAME", "STATUS"],
    cmp.runs.map((r, i) => [`#${i + 1}`, r.id.slice(0, 8), r.experiment, r.name, r.status]),
  )];
  const sections = [["params", cmp.params], ["metrics", cmp.metrics], ["tags", cmp.tags]] as const;
  for (const [title, rows] of sections) {
    const shown = all ? rows : rows.filter((r) => r.differs);
    lines.push("");
    if (shown.length === 0) {
      lines.push(`${title}: ${rows.length ? "all equal (--all to show)" : "none"}`);
      continue;
    }
    lines.push(`${title}:`);
    lines.push(table(
      ["", "KEY", ...cmp.runs.map((_, i) => `#${i + 1}`)],
      shown.map((r) => [r.differs ? "*" : "", r.key, ...r.values.map(fmtValue)]),
    ));
  }
  return lines;
}

const compare = defineCommand({
  summary: "side-by-side params, last metric values and tags; * marks differing keys",
  schema: z.object({
    all: z.boolean().optional().meta({ description: "show equal rows too" }),
    ...common,
  }),
  args: { usage: "<id> <id>...", min: 2 },
  json: true,
  run: async ({ flags, positionals, open, out }) => {
    const ctx = await open();
    await reap(ctx, flags);
    const cmp = await compareRuns(ctx, positionals);
    out.result(cmp, (c) => compareLines(c, flags.all ?? false));
  },
});

const reapCommand = defineCommand({
  summary: "mark runs whose process died as failed (also done before every command)",
  schema: z.object(common),
  json: true,
  run: async ({ flags, open, out }) => {
    const r = await reap(await open(), flags);
    out.result(r, () => [
      `${r.reaped.length} dead run(s) marked failed`,
      ...r.reaped.map((x) => `  ${x.id}  ${x.reason}`),
    ]);
  },
});

export const command: CommandGroup = {
  name: "runs",
  summary: "List, inspect and compare tracked runs (ids may be given as unique prefixes of " +
    ">= 4 chars). Runs whose process died are marked failed first.",
  commands: { ls, show, compare, reap: reapCommand },
};

/** Run the CLI; returns the exit code (2 for usage/config errors, 1 for failures). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
