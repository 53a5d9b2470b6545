/**
 * Atomic, durable file writes: write a sibling temp file, fsync it, rename it over the target,
 * then fsync the directory so that the rename itself survives a crash or power loss.
 */
import { dirname, join } from "node:path";

/**
 * Flush a directory's entries (created, renamed or removed files) to disk. Without it a rename
 * that returned can still be lost by a power cut: the file's bytes are durable, its name is not.
 */
export async function syncDir(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}

/**
 * Write `data` to `path` atomically and durably: readers see either the old file or the whole
 * new one, never a partial write, and once the promise resolves the new file survives a crash
 * (its bytes and the directory entry are fsynced). Parent directories are created. On failure
 * the temp file is removed and the old file, if any, is left as it was.
 */
export async function atomicWriteFile(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}
