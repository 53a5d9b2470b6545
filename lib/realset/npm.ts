/**
 * Files out of npm package tarballs: the version's metadata from the registry (`NPM_CONFIG_REGISTRY`
 * or the public registry), the tarball checked against the registry's `dist.integrity` (SHA-512)
 * and cached under the state directory by that digest, then one file read from it (`nanotar`).
 */
import { join } from "node:path";
import { parseTarGzip } from "nanotar";
import { z } from "zod";

/** Raised when a package, version or file cannot be had or fails its integrity check. */
export class NpmFetchError extends Error {
  override name = "NpmFetchError";
}

/** The default registry when `NPM_CONFIG_REGISTRY` is unset. */
export const DEFAULT_REGISTRY = "https://registry.npmjs.org";

const versionMetaSchema = z.object({
  name: z.string(),
  version: z.string(),
  license: z.string().optional(),
  dist: z.object({ tarball: z.url(), integrity: z.string().startsWith("sha512-") }),
});

/** What the registry says about one version of a package. */
export type PackageVersionMeta = z.infer<typeof versionMetaSchema>;

/** Options of {@link NpmFiles}. */
export interface NpmFilesOptions {
  /** Registry base URL (default `NPM_CONFIG_REGISTRY` or the public registry). */
  registry?: string;
  /** Tarball cache folder (files named by their SHA-512 digest). */
  cacheDir: string;
  /** `fetch` to use (tests pass a fake registry). */
  fetch?: typeof fetch;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

async function integrityOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return "sha512-" + toBase64(new Uint8Array(await crypto.subtle.digest("SHA-512", bytes)));
}

/** Reads files out of npm packages, with a tarball cache; one instance per assembly. */
export class NpmFiles {
  readonly registry: string;
  #fetch: typeof fetch;
  #cacheDir: string;
  #tarballs = new Map<string, Promise<Map<string, Uint8Array>>>();

  constructor(opts: NpmFilesOptions) {
    this.registry = (opts.registry ?? Deno.env.get("NPM_CONFIG_REGISTRY") ?? DEFAULT_REGISTRY)
      .replace(/\/+$/, "");
    this.#fetch = opts.fetch ?? fetch;
    this.#cacheDir = opts.cacheDir;
  }

  /** The registry's metadata of `name@version` (an exact version). */
  async meta(name: string, version: string): Promise<PackageVersionMeta> {
    const url = `${this.registry}/${name.replace("/", "%2f")}/${encodeURIComponent(version)}`;
    const res = await this.#fetch(url, { headers: { accept: "application/json" } }).catch(
      (err) => {
        throw new NpmFetchError(`cannot reach the npm registry for ${name}@${version}: ${err}`);
      },
    );
    if (!res.ok) {
      await res.body?.cancel();
      throw new NpmFetchError(`the registry answered ${res.status} for ${name}@${version}`);
    }
    const parsed = versionMetaSchema.safeParse(await res.json());
    if (!parsed.success) {
      throw new NpmFetchError(`unexpected registry metadata for ${name}@${version}`);
    }
    return parsed.data;
  }

  async #tarball(meta: PackageVersionMeta): Promise<Uint8Array> {
    const digest = meta.dist.integrity.slice("sha512-".length).replace(
      /[/+=]/g,
      (c) => c === "/" ? "_" : c === "+" ? "-" : "",
    );
    const path = join(this.#cacheDir, `${digest}.tgz`);
    const cached = await Deno.readFile(path).catch(() => null);
    if (cached && await integrityOf(cached) === meta.dist.integrity) return cached;
    const res = await this.#fetch(meta.dist.tarball);
    if (!res.ok) {
      await res.body?.cancel();
      throw new NpmFetchError(`the registry answered ${res.status} for ${meta.dist.tarball}`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const got = await integrityOf(bytes);
    if (got !== meta.dist.integrity) {
      throw new NpmFetchError(
        `${meta.name}@${meta.version}: tarball integrity ${got} differs from the registry's ` +
          meta.dist.integrity,
      );
    }
    await Deno.mkdir(this.#cacheDir, { recursive: true });
    await Deno.writeFile(`${path}.tmp`, bytes);
    await Deno.rename(`${path}.tmp`, path);
    return bytes;
  }

  /** The bytes of `file` (a path inside the package, e.g. `icons.json`) of `name@version`. */
  async file(name: string, version: string, file: string): Promise<Uint8Array> {
    const key = `${name}@${version}`;
    let files = this.#tarballs.get(key);
    if (!files) {
      files = (async () => {
        const tgz = await this.#tarball(await this.meta(name, version));
        const entries = await parseTarGzip(tgz);
        return new Map(
          entries.filter((e) => e.data).map((e) => [e.name.replace(/^[^/]+\//, ""), e.data!]),
        );
      })();
      this.#tarballs.set(key, files);
      files.catch(() => this.#tarballs.delete(key));
    }
    const data = (await files).get(file);
    if (!data) throw new NpmFetchError(`${key} has no file ${file}`);
    return data;
  }
}
