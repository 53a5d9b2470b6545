/**
 * `deno task ops:generate`: write the generated ops files from their sources in code —
 * `ops/nginx/nginx.conf` (from `ops/nginx/conf.ts`) and the Grafana dashboards
 * (`ops/grafana/dashboards/*.json`, from `ops/grafana/dashboards.ts`). `--check` writes nothing
 * and exits 1 listing the stale files (the staleness test runs it).
 */
import { z } from "zod";
import { commandMain, defineCommand } from "../lib/cli/mod.ts";
import { dashboardFiles } from "./grafana/dashboards.ts";
import { composeNginxConf } from "./nginx/conf.ts";
import { opsPath } from "./testing.ts";

/** Every generated file: path under `ops/` → its expected content. */
export function generatedFiles(): Record<string, string> {
  return {
    "nginx/nginx.conf": composeNginxConf(),
    ...Object.fromEntries(
      Object.entries(dashboardFiles()).map(([f, text]) => [`grafana/dashboards/${f}`, text]),
    ),
  };
}

/** Paths (under `ops/`) whose committed content differs from the generated one. */
export function staleFiles(): string[] {
  return Object.entries(generatedFiles()).filter(([rel, text]) => {
    try {
      return Deno.readTextFileSync(opsPath(rel)) !== text;
    } catch {
      return true;
    }
  }).map(([rel]) => rel);
}

export const command = defineCommand({
  name: "ops:generate",
  summary: "Write ops/nginx/nginx.conf and the Grafana dashboards from their sources in code.",
  schema: z.object({
    check: z.boolean().optional().meta({
      description: "write nothing; exit 1 listing the stale files",
    }),
  }),
  run: ({ flags, out }) => {
    if (flags.check) {
      const stale = staleFiles();
      for (const s of stale) out.warn(`stale: ops/${s} (run deno task ops:generate)`);
      return Promise.resolve(stale.length ? 1 : 0);
    }
    for (const [rel, text] of Object.entries(generatedFiles())) {
      Deno.writeTextFileSync(opsPath(rel), text);
      out.line(`wrote ops/${rel}`);
    }
    return Promise.resolve(0);
  },
});

/** Run the generator; returns the exit code (1: `--check` found stale files). */
export const main = commandMain(command);

if (import.meta.main) Deno.exit(await main(Deno.args));
