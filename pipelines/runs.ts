/**
 * `deno task runs ls|show <id>|compare <id> <id>…|reap`: list, inspect and compare tracked runs.
 * Runs whose process died are marked failed first (the reaper), so none show as running forever.
 */
import { z } from "zod";
import { ConfigError, parseSettings } from "../lib/config/mod.ts";
import { openContext } from "../lib/workspace/mod.ts";
import { parseCli, UsageError } from "../lib/pipeline/mod.ts";
import {
  compareRuns,
  getRun,
  listRuns,
  reapStaleRuns,
  type Run,
  RunNotFoundError,
  RunStatusSchema,
  TrackingInputError,
} from "../lib/tracking/mod.ts";

const USAGE = `usage: deno task runs ls [--experiment NAME] [--status STATUS] [--limit N] [--json]
       deno task runs show <id> [--json]
       deno task runs compare <id> <id>... [--all] [--json]
       deno task runs reap [--stale-after SECONDS] [--json]

List, inspect and compare tracked runs (ids may be given as unique prefixes of >= 4 chars).

  ls                list runs, newest first
  show <id>         params, metrics (last/min/max), tags, artifacts and lineage of a run
  compare <id>...   side-by-side params, last metric values and tags; * marks differing keys
  reap              mark runs whose process died as failed (also done before every command)

  --experiment NAME only runs of this experiment (ls)
  --status STATUS   running, finished, failed or killed (ls)
  --limit N         at most N runs (ls; default 50, max 1000)
  --all             show equal rows too (compare; default: only differing rows)
  --stale-after S   heartbeat age in seconds after which a run is dead (default 120)
  --state-dir DIR   state directory (default: FMNIST_STATE_DIR or .fmnist)
  --json            print JSON instead of tables
  -h, --help        show this help`;

const flagsSchema = z.object({
  experiment: z.string().trim().min(1, "must not be empty").optional(),
  status: RunStatusSchema.optional(),
  limit: z.coerce.number().int("must be an integer").min(1).max(1000).optional(),
  all: z.boolean().optional(),
  "stale-after": z.coerce.number().positive("must be a positive number of seconds").optional(),
  "state-dir": z.string().trim().min(1, "must not be empty").optional(),
  json: z.boolean().optional(),
  help: z.boolean().optional(),
});
type Flags = z.infer<typeof flagsSchema>;

const commandSchema = z.enum(["ls", "show", "compare", "reap"], {
  error: "the command must be one of ls, show, compare, reap",
});

/** Where the CLI writes (tests capture it). */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Render rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
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

function parse(
  argv: string[],
): { flags: Flags; command?: z.infer<typeof commandSchema>; ids: string[] } {
  const parsed = parseCli(
    argv,
    {
      experiment: { type: "string" },
      status: { type: "string" },
      limit: { type: "string" },
      all: { type: "boolean" },
      "stale-after": { type: "string" },
      "state-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    flagsSchema,
    { positionals: true },
  );
  if (parsed.flags.help) return { flags: parsed.flags, ids: [] };
  const [cmd, ...ids] = parsed.positionals;
  if (cmd === undefined) throw new UsageError("expected a command: ls, show, compare or reap");
  const command = commandSchema.safeParse(cmd);
  if (!command.success) {
    throw new UsageError(
      `unknown command ${JSON.stringify(cmd)}: ${command.error.issues[0].message}`,
    );
  }
  const c = command.data;
  if ((c === "ls" || c === "reap") && ids.length > 0) {
    throw new UsageError(`${c} takes no arguments, got ${ids.join(" ")}`);
  }
  if (c === "show" && ids.length !== 1) {
    throw new UsageError(`show takes one run id, got ${ids.length}`);
  }
  if (c === "compare" && ids.length < 2) {
    throw new UsageError(`compare takes at least two run ids, got ${ids.length}`);
  }
  const lsOnly = ["experiment", "status", "limit"] as const;
  for (const f of lsOnly) {
    if (parsed.flags[f] !== undefined && c !== "ls") {
      throw new UsageError(`--${f} only applies to ls`);
    }
  }
  if (parsed.flags.all && c !== "compare") throw new UsageError("--all only applies to compare");
  return { flags: parsed.flags, command: c, ids };
}

/** Run the CLI; returns the exit code (2 for usage/config errors, 1 for failures). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  io: Io = defaultIo,
): Promise<number> {
  let p: ReturnType<typeof parse>;
  try {
    p = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`runs: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const { flags, command, ids } = p;
  if (flags.help || command === undefined) {
    io.out(USAGE);
    return 0;
  }
  let settings;
  try {
    settings = parseSettings({
      ...env,
      FMNIST_STATE_DIR: flags["state-dir"] ?? env.FMNIST_STATE_DIR,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`runs: ${err.message}`);
    return 2;
  }
  const ctx = await openContext(settings);
  try {
    const reap = await reapStaleRuns(ctx, {
      staleAfterMs: flags["stale-after"] === undefined ? undefined : flags["stale-after"] * 1000,
    });
    const print = (v: unknown) => io.out(JSON.stringify(v, null, 2));
    if (command === "reap") {
      if (flags.json) print(reap);
      else {
        io.out(`${reap.reaped.length} dead run(s) marked failed`);
        for (const r of reap.reaped) io.out(`  ${r.id}  ${r.reason}`);
      }
      return 0;
    }
    if (command === "ls") {
      const runs = await listRuns(ctx, {
        experiment: flags.experiment,
        status: flags.status,
        limit: flags.limit ?? 50,
      });
      if (flags.json) print(runs);
      else if (runs.length === 0) {
        io.out("no runs (start one with startRun/withRun from lib/tracking)");
      } else {
        io.out(table(
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
        ));
      }
      return 0;
    }
    if (command === "show") {
      const d = await getRun(ctx, ids[0]);
      if (flags.json) {
        print(d);
        return 0;
      }
      const l = d.lineage;
      io.out([
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
        `engine     ${
          l.engine
            ? `${l.engine.name}/${l.engine.backend ?? "?"} ${
              JSON.stringify(l.engine.versions ?? {})
            }`
            : "-"
        }`,
      ].join("\n"));
      io.out("\nparams:");
      io.out(
        Object.keys(d.params).length
          ? table(["KEY", "VALUE"], Object.entries(d.params).map(([k, v]) => [k, fmtValue(v)]))
          : "  none",
      );
      io.out("\nmetrics:");
      io.out(
        Object.keys(d.metrics).length
          ? table(
            ["KEY", "LAST", "STEP", "MIN", "MAX", "POINTS"],
            Object.entries(d.metrics).map(([k, m]) => [
              k,
              fmtValue(m.last),
              String(m.lastStep),
              fmtValue(m.min),
              fmtValue(m.max),
              String(m.count),
            ]),
          )
          : "  none",
      );
      io.out("\ntags:");
      io.out(
        Object.keys(d.tags).length ? table(["KEY", "VALUE"], Object.entries(d.tags)) : "  none",
      );
      io.out("\nartifacts:");
      io.out(
        d.artifacts.length
          ? table(
            ["NAME", "SIZE", "SHA256", "TYPE"],
            d.artifacts.map((a) => [a.name, String(a.size), a.sha256.slice(0, 16), a.contentType]),
          )
          : "  none",
      );
      return 0;
    }
    const cmp = await compareRuns(ctx, ids);
    if (flags.json) {
      print(cmp);
      return 0;
    }
    io.out(table(
      ["", "ID", "EXPERIMENT", "NAME", "STATUS"],
      cmp.runs.map((r, i) => [`#${i + 1}`, r.id.slice(0, 8), r.experiment, r.name, r.status]),
    ));
    for (
      const [title, rows] of [["params", cmp.params], ["metrics", cmp.metrics], [
        "tags",
        cmp.tags,
      ]] as const
    ) {
      const shown = flags.all ? rows : rows.filter((r) => r.differs);
      io.out("");
      if (shown.length === 0) {
        io.out(`${title}: ${rows.length ? "all equal (--all to show)" : "none"}`);
        continue;
      }
      io.out(`${title}:`);
      io.out(table(
        ["", "KEY", ...cmp.runs.map((_, i) => `#${i + 1}`)],
        shown.map((r) => [r.differs ? "*" : "", r.key, ...r.values.map(fmtValue)]),
      ));
    }
    return 0;
  } catch (err) {
    if (err instanceof RunNotFoundError || err instanceof TrackingInputError) {
      io.err(`runs: ${err.message}`);
      return 1;
    }
    ctx.log.error(`runs ${command} failed`, { error: err });
    io.err(`runs: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await ctx.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
