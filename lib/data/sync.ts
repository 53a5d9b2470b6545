/**
 * Syncing dataset objects between the local store and a remote store (DVC `status/push/pull`):
 * only the objects referenced by the given manifests are considered. Every transferred object is
 * re-hashed against its manifest digest before it is written, so corrupt bytes never spread.
 */
import { sha256Hex } from "../storage/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ObjectStore } from "../storage/mod.ts";
import { ChecksumMismatchError } from "./checksums.ts";
import type { Manifest } from "./manifest.ts";

/** One referenced object and where it is. */
export interface SyncEntry {
  key: string;
  size: number;
  sha256: string;
  /** `name@version12/file` of every manifest entry referencing it. */
  refs: string[];
  local: boolean;
  remote: boolean;
}

/** Presence of referenced objects on both sides. */
export interface SyncStatus {
  local: string;
  remote: string;
  entries: SyncEntry[];
  /** Keys missing locally (pull would fetch those present remotely). */
  missingLocal: string[];
  /** Keys missing remotely (push would upload those present locally). */
  missingRemote: string[];
}

/** Outcome of {@link syncObjects}. */
export interface SyncReport {
  direction: "push" | "pull";
  /** Keys transferred. */
  copied: string[];
  /** Keys already present on the target. */
  present: string[];
  /** Keys missing on both sides (cannot be transferred). */
  unavailable: string[];
  /** Bytes transferred. */
  bytes: number;
}

function referenced(
  manifests: readonly Manifest[],
): Map<string, Omit<SyncEntry, "local" | "remote">> {
  const out = new Map<string, Omit<SyncEntry, "local" | "remote">>();
  for (const m of manifests) {
    for (const f of m.content.files) {
      const ref = `${m.name}@${m.version.slice(0, 12)}/${f.name}`;
      const e = out.get(f.key);
      if (e) e.refs.push(ref);
      else out.set(f.key, { key: f.key, size: f.size, sha256: f.sha256, refs: [ref] });
    }
  }
  return out;
}

async function present(store: ObjectStore, key: string, size: number): Promise<boolean> {
  const info = await store.stat(key);
  return info !== null && info.size === size;
}

/** Which objects referenced by `manifests` are present locally and remotely (by key + size). */
export async function syncStatus(
  local: ObjectStore,
  remote: ObjectStore,
  manifests: readonly Manifest[],
): Promise<SyncStatus> {
  const entries: SyncEntry[] = [];
  for (const e of [...referenced(manifests).values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const [l, r] = await Promise.all([
      present(local, e.key, e.size),
      present(remote, e.key, e.size),
    ]);
    entries.push({ ...e, local: l, remote: r });
  }
  return {
    local: local.location,
    remote: remote.location,
    entries,
    missingLocal: entries.filter((e) => !e.local).map((e) => e.key),
    missingRemote: entries.filter((e) => !e.remote).map((e) => e.key),
  };
}

/**
 * Push (local → remote) or pull (remote → local) the referenced objects the target lacks.
 * Each object is verified against its SHA-256 before being written to the target.
 * @throws ChecksumMismatchError when a source object is corrupt (nothing is written for it).
 */
export async function syncObjects(
  direction: "push" | "pull",
  local: ObjectStore,
  remote: ObjectStore,
  manifests: readonly Manifest[],
  opts: { log?: Logger; onProgress?: (done: number, total: number, key: string) => void } = {},
): Promise<SyncReport> {
  const [from, to] = direction === "push" ? [local, remote] : [remote, local];
  const status = await syncStatus(local, remote, manifests);
  const report: SyncReport = { direction, copied: [], present: [], unavailable: [], bytes: 0 };
  let done = 0;
  for (const e of status.entries) {
    const onTarget = direction === "push" ? e.remote : e.local;
    const onSource = direction === "push" ? e.local : e.remote;
    if (onTarget) report.present.push(e.key);
    else if (!onSource) report.unavailable.push(e.key);
    else {
      const bytes = await from.get(e.key);
      const actual = sha256Hex(bytes);
      if (actual !== e.sha256) {
        throw new ChecksumMismatchError(`${e.key} in ${from.location}`, e.sha256, actual);
      }
      await to.put(e.key, bytes, { contentType: "application/octet-stream" });
      report.copied.push(e.key);
      report.bytes += bytes.length;
      opts.log?.info(direction === "push" ? "pushed" : "pulled", {
        key: e.key,
        bytes: bytes.length,
      });
    }
    opts.onProgress?.(++done, status.entries.length, e.key);
  }
  return report;
}
