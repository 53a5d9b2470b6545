/**
 * A link checker over a built static site: every internal `href`/`src` of every HTML page must
 * name an existing file (and, with a `#fragment`, an element with that id in the target page);
 * resources a page loads (`src`, stylesheets) must not be external.
 */
import { dirname, join, normalize, relative } from "node:path";
import { listFiles } from "./site.ts";

/** Result of {@link checkLinks}. */
export interface LinkReport {
  pages: number;
  links: number;
  /** `page → target (why)` for each internal link that does not resolve. */
  broken: string[];
  /** `page → url` for each external resource a page would load. */
  externalResources: string[];
}

const ATTR = /<(a|link|script|img|iframe|source)\b[^>]*?\s(href|src)\s*=\s*("([^"]*)"|'([^']*)')/gi;
const ID = /\sid\s*=\s*("([^"]*)"|'([^']*)')/gi;

function decode(s: string): string {
  return s.replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

/** Check every HTML page under `root`; see the module doc. */
export async function checkLinks(root: string): Promise<LinkReport> {
  const pages = await listFiles(root, ".html");
  const ids = new Map<string, Set<string>>();
  const idsOf = async (page: string) => {
    let set = ids.get(page);
    if (!set) {
      const html = await Deno.readTextFile(join(root, page));
      set = new Set([...html.matchAll(ID)].map((m) => decode(m[2] ?? m[3] ?? "")));
      ids.set(page, set);
    }
    return set;
  };
  const broken: string[] = [];
  const external: string[] = [];
  let links = 0;
  for (const page of pages) {
    const html = await Deno.readTextFile(join(root, page));
    // Script bodies hold strings that only look like markup (search results templates…).
    const markup = html.replace(
      /<script\b[^>]*>[\s\S]*?<\/script>/gi,
      (m) => m.slice(0, m.indexOf(">") + 1),
    );
    for (const m of markup.matchAll(ATTR)) {
      const tag = m[1].toLowerCase(), attr = m[2].toLowerCase();
      const url = decode(m[4] ?? m[5] ?? "").trim();
      if (
        !url || url.startsWith("data:") || url.startsWith("mailto:") ||
        url.startsWith("javascript:")
      ) {
        continue;
      }
      links++;
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(url)) {
        if (
          attr === "src" || (tag === "link" && !/rel\s*=\s*["']?(canonical|alternate)/i.test(m[0]))
        ) {
          external.push(`${page} → ${url}`);
        }
        continue;
      }
      const [pathPart, fragment] = url.split("#", 2);
      const path = pathPart.split("?")[0];
      let target = path === ""
        ? page
        : normalize(path.startsWith("/") ? path.slice(1) : join(dirname(page), decodeURI(path)));
      if (target.startsWith("..")) {
        broken.push(`${page} → ${url} (outside the site)`);
        continue;
      }
      let stat: Deno.FileInfo;
      try {
        stat = await Deno.stat(join(root, target));
      } catch {
        broken.push(`${page} → ${url} (no such file)`);
        continue;
      }
      if (stat.isDirectory) {
        target = join(target, "index.html");
        try {
          await Deno.stat(join(root, target));
        } catch {
          broken.push(`${page} → ${url} (directory without index.html)`);
          continue;
        }
      }
      if (
        fragment && target.endsWith(".html") && !(await idsOf(relative(".", target))).has(
          decodeURIComponent(fragment),
        )
      ) {
        broken.push(`${page} → ${url} (no element with id "${fragment}")`);
      }
    }
  }
  return { pages: pages.length, links, broken, externalResources: external };
}
