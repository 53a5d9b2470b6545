/**
 * The local spool: when the database is unavailable, prediction records are appended to files
 * under `<state>/spool/` (one JSON record a line, fsync'd after every append) and replayed into
 * the database later. Each writer appends to its own file `predlog-<time>-<random>.jsonl` and
 * holds an exclusive lock on it, so a replayer (in this or another process sharing the state
 * dir) only takes files nobody is writing. A file is deleted only after every record in it has
 * been written to the database.
 */
import { join } from "node:path";
import type { Logger } from "../log/mod.ts";
import type { PredictionRecord } from "../inference/mod.ts";
import { parseRecordLine } from "./record.ts";

/** File-name pattern of spool files. */
export const SPOOL_FILE_RE = /^predlog-[0-9TZ-]+-[0-9a-f]{8}\.jsonl$/;

interface OpenFile {
  path: string;
  file: Deno.FsFile;
  bytes: number;
}

/** What replaying one file did. */
export interface ReplayFileResult {
  path: string;
  records: number;
  /** Lines that were not valid records (torn writes), skipped. */
  invalid: number;
}

const encoder = new TextEncoder();

/** Append-only spool files in one directory; see the module doc. */
export class Spool {
  readonly dir: string;
  readonly #log: Logger;
  #current: OpenFile | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.#log = log;
  }

  /** Serialise file operations of this spool (appends, rotation, replay). */
  #serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(f, f);
    this.#chain = p.catch(() => {});
    return p;
  }

  /**
   * Append `records` to this spool's current file and fsync it; resolves once they are durable.
   * @throws when the disk write fails (the caller keeps the records).
   */
  append(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#serial(async () => {
      const f = this.#current ?? (this.#current = await this.#openNew());
      const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
      const bytes = encoder.encode(text);
      let off = 0;
      while (off < bytes.length) off += await f.file.write(bytes.subarray(off));
      await f.file.syncData();
      f.bytes += bytes.length;
    });
  }

  async #openNew(): Promise<OpenFile> {
    await Deno.mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const rand = crypto.getRandomValues(new Uint8Array(4));
    const name = `predlog-${stamp}-${
      Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("")
    }.jsonl`;
    const path = join(this.dir, name);
    const file = await Deno.open(path, { write: true, append: true, createNew: true });
    await file.lock(true);
    this.#log.warn("prediction logs spooling to disk", { path });
    return { path, file, bytes: 0 };
  }

  /** Close the current file (later appends start a new one), releasing its lock. */
  rotate(): Promise<void> {
    return this.#serial(() => {
      this.#closeCurrent();
      return Promise.resolve();
    });
  }

  #closeCurrent(): void {
    const f = this.#current;
    this.#current = null;
    if (f) {
      try {
        f.file.close();
      } catch { /* already closed */ }
    }
  }

  /** Paths of the spool files present (any writer's), oldest first. */
  async files(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(this.dir)) {
        if (e.isFile && SPOOL_FILE_RE.test(e.name)) names.push(e.name);
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    return names.sort().map((n) => join(this.dir, n));
  }

  /** Total bytes of the spool files present. */
  async sizeBytes(): Promise<number> {
    let total = 0;
    for (const p of await this.files()) {
      try {
        total += (await Deno.stat(p)).size;
      } catch { /* removed meanwhile */ }
    }
    return total;
  }

  /**
   * Replay every spool file nobody is writing: rotate our own file, then for each file take its
   * lock, parse its records and hand them to `write` in chunks of `chunk`; delete it once all
   * were written. Stops at the first `write` failure (the file stays for the next attempt) and
   * rethrows it. Returns what was replayed.
   */
  async replay(
    write: (records: PredictionRecord[]) => Promise<void>,
    chunk = 500,
  ): Promise<ReplayFileResult[]> {
    // Rotate under the append chain, then replay outside it so appends never wait on the DB.
    const paths = await this.#serial(async () => {
      this.#closeCurrent();
      return await this.files();
    });
    const done: ReplayFileResult[] = [];
    for (const path of paths) {
      const r = await this.#replayFile(path, write, chunk);
      if (r) done.push(r);
    }
    return done;
  }

  async #replayFile(
    path: string,
    write: (records: PredictionRecord[]) => Promise<void>,
    chunk: number,
  ): Promise<ReplayFileResult | null> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    try {
      if (!(await file.tryLock(true))) return null; // a live writer's file
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null; // replayed meanwhile
        throw err;
      }
      const records: PredictionRecord[] = [];
      let invalid = 0;
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const r = parseRecordLine(line);
        if (r) records.push(r);
        else invalid++;
      }
      for (let i = 0; i < records.length; i += chunk) {
        await write(records.slice(i, i + chunk));
      }
      if (invalid > 0) {
        this.#log.warn("spool file had unreadable lines (torn writes); skipped them", {
          path,
          invalid,
        });
      }
      await Deno.remove(path).catch((err) => {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      });
      return { path, records: records.length, invalid };
    } finally {
      file.close();
    }
  }

  /** Close the current file. */
  close(): Promise<void> {
    return this.rotate();
  }
}
