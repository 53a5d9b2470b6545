/**
 * `deno task ops:generate`: write the generated ops files from their sources in code —
 * `ops/nginx/nginx.conf` (from `ops/nginx/conf.ts`) and the Grafana dashboards
 * (`ops/grafana/dashboards/*.json`, from `ops/grafana/dashboards.ts`). `--check` writes nothing
 * and exits 1 listing the stale files (the staleness test runs it).
 */
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

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const stale = staleFiles();
    for (const s of stale) console.error(`stale: ops/${s} (run deno task ops:generate)`);
    Deno.exit(stale.length ? 1 : 0);
  }
  for (const [rel, text] of Object.entries(generatedFiles())) {
    Deno.writeTextFileSync(opsPath(rel), text);
    console.log(`wrote ops/${rel}`);
  }
}
