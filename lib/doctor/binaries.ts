/** Finding the programs the project drives (nginx, Prometheus, Alertmanager, Locust) on this host. */

/** The Debian package that provides each program. */
const PACKAGES: Record<string, string> = {
  prometheus: "prometheus",
  promtool: "prometheus",
  "prometheus-alertmanager": "prometheus-alertmanager",
  amtool: "prometheus-alertmanager",
  nginx: "nginx",
  locust: "python3-locust",
};

/**
 * Absolute path of the executable `name` on PATH (plus /usr/sbin and /usr/bin, where Debian puts
 * nginx); otherwise an error that names the Debian package to install.
 */
export function requireBinary(name: string): string {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/bin"];
  for (const d of dirs) {
    if (!d) continue;
    try {
      const p = `${d}/${name}`;
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not here */ }
  }
  throw new Error(
    `${name} not found: install it with \`apt-get install -y ${PACKAGES[name] ?? name}\``,
  );
}
