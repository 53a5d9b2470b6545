/** Object store on the local filesystem: one file per key under a root directory. */
import { dirname, join, relative, sep } from "node:path";
import { assertKey, type ObjectInfo, ObjectNotFoundError, type ObjectStore } from "./types.ts";

/** Prefix of in-flight temp files: `~` is outside the key alphabet, so no key can collide. */
const TMP_PREFIX = ".~tmp-";

/**
 * An {@link ObjectStore} on a directory. Keys map to files (`a/b/c` → `<root>/a/b/c`); writes go
 * to a temp file in the same directory, are fsynced, then renamed over the target, so readers
 * and concurrent writers of the same key always see one whole object.
 */
export class FsObjectStore implements ObjectStore {
  /** Implementation kind. */
  readonly kind = "fs" as const;
  /** Absolute root directory. */
  readonly location: string;

  /** Open a store rooted at `root` (created lazily on first write). */
  constructor(root: string) {
    this.location = root;
  }

  /** Absolute path of the file holding `key` (validated). */
  pathOf(key: string): string {
    return join(this.location, ...assertKey(key).split("/"));
  }

  /** Store `data` under `key` atomically (temp file + fsync + rename). */
  async put(key: string, data: Uint8Array): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    const tmp = join(dir, `${TMP_PREFIX}${crypto.randomUUID()}`);
    try {
      await Deno.mkdir(dir, { recursive: true });
      const f = await Deno.open(tmp, { write: true, createNew: true });
      try {
        let off = 0;
        while (off < data.length) off += await f.write(data.subarray(off));
        await f.sync();
      } finally {
        f.close();
      }
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      if (
        err instanceof Deno.errors.IsADirectory || err instanceof Deno.errors.NotADirectory ||
        err instanceof Deno.errors.AlreadyExists
      ) {
        throw new Error(
          `cannot store ${key} in ${this.location}: a key cannot be both an object and a prefix of another key`,
          { cause: err },
        );
      }
      throw err;
    }
    return { key, size: data.length };
  }

  /** Read an object. @throws ObjectNotFoundError when absent. */
  async get(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      return await Deno.readFile(path);
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFoundError(key, this.location);
      throw err;
    }
  }

  /** Metadata of an object, or null when absent. */
  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await Deno.stat(this.pathOf(key));
      return st.isFile ? { key, size: st.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /** All objects whose key starts with `prefix`, sorted by key (byte order). */
  async list(prefix = ""): Promise<ObjectInfo[]> {
    // Walk only the deepest directory that every match must live under.
    const cut = prefix.lastIndexOf("/");
    const baseKey = cut >= 0 ? prefix.slice(0, cut) : "";
    if (baseKey !== "") assertKey(baseKey);
    const base = baseKey === "" ? this.location : join(this.location, ...baseKey.split("/"));
    const out: ObjectInfo[] = [];
    await this.#walk(base, prefix, out);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async #walk(dir: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith(TMP_PREFIX)) continue;
      const path = join(dir, e.name);
      const key = relative(this.location, path).split(sep).join("/");
      if (e.isDirectory) {
        // Descend only when the directory can hold keys matching the prefix.
        const asPrefix = key + "/";
        if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) {
          await this.#walk(path, prefix, out);
        }
      } else if (e.isFile && key.startsWith(prefix)) {
        const st = await Deno.stat(path).catch(() => null);
        if (st) out.push({ key, size: st.size });
      }
    }
  }

  /**
   * Delete temp files that crashed writers left behind, when older than `olderThanMs` (younger
   * ones may belong to a write in progress in another process). Returns how many were removed.
   */
  async removeStaleTemps(olderThanMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const sweep = async (dir: string): Promise<void> => {
      let entries: Deno.DirEntry[];
      try {
        entries = await Array.fromAsync(Deno.readDir(dir));
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory) await sweep(path);
        else if (e.isFile && e.name.startsWith(TMP_PREFIX)) {
          const st = await Deno.stat(path).catch(() => null);
          if (st?.mtime && st.mtime.getTime() < cutoff) {
            await Deno.remove(path).catch(() => {});
            removed++;
          }
        }
      }
    };
    await sweep(this.location);
    return removed;
  }

  /** Remove an object (no error when absent). Empty parent directories are left in place. */
  async delete(key: string): Promise<void> {
    try {
      await Deno.remove(this.pathOf(key));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Errors meaning "no object at this key" (a directory there is a prefix, not an object). */
function isMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
    err instanceof Deno.errors.IsADirectory;
}
