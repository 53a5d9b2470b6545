/**
 * {@link DatasetApi} on `lib/`: versions and manifests from `lib/data`, validation results and
 * reports from `lib/validate`, per-class statistics from `lib/features`. Manifests are cached per
 * concrete version id in the process and loaded datasets by `loadDataset`'s own cache (so an
 * image request by id costs no database query); `latest` is re-resolved after a short TTL.
 * Data-layer errors propagate as they are; the error middleware answers them (unknown version
 * or missing features → 404, objects missing from the store → 503).
 */
import {
  type Dataset,
  DEFAULT_DATASET,
  getVersion,
  listVersions,
  loadDataset,
  type Manifest,
} from "../../lib/data/mod.ts";
import type { Ctx } from "../../lib/workspace/mod.ts";
import { ObjectNotFoundError } from "../../lib/storage/mod.ts";
import { getFeatureSet, loadClassStats } from "../../lib/features/mod.ts";
import {
  listValidationRuns,
  type ValidationResult,
  validationResultSchema,
} from "../../lib/validate/mod.ts";
import { HttpError, notFound } from "../errors.ts";
import { LATEST } from "../schemas/datasets.ts";
import type { ClassStats, DatasetApi, VersionList } from "./datasets.ts";
import { classStatRows } from "./class_stats.ts";

/** Options of {@link createDatasetApi}. */
export interface DatasetApiOptions {
  /**
   * How long a resolution of `latest` is reused, in ms (default 1000): a new ingest shows up
   * within this delay, and `latest` requests do not each query the database.
   */
  latestTtlMs?: number;
}

/** The {@link DatasetApi} of the service, backed by the context's store and database. */
export function createDatasetApi(ctx: Ctx, opts: DatasetApiOptions = {}): DatasetApi {
  /** Manifests by version id: content-addressed, so an id's manifest never changes. */
  const manifests = new Map<string, Manifest>();

  async function manifestOf(ref: string): Promise<Manifest> {
    const known = manifests.get(ref);
    if (known) return known;
    const m = await getVersion(ctx, ref);
    manifests.set(m.version, m);
    return m;
  }

  const latestTtlMs = opts.latestTtlMs ?? 1000;
  let latestMemo: { at: number; id: Promise<string | null> } | null = null;

  /** Newest version of the default dataset, else the newest of any; null when none. */
  async function queryLatest(): Promise<string | null> {
    const own = await listVersions(ctx, DEFAULT_DATASET);
    if (own[0]) return own[0].id;
    const any = await listVersions(ctx);
    return any[0]?.id ?? null;
  }

  function latestId(): Promise<string | null> {
    const now = performance.now();
    if (latestMemo === null || now - latestMemo.at > latestTtlMs) {
      const memo = { at: now, id: queryLatest() };
      memo.id.catch(() => {
        if (latestMemo === memo) latestMemo = null;
      });
      latestMemo = memo;
    }
    return latestMemo.id;
  }

  async function latestRun(id: string) {
    const runs = await listValidationRuns(ctx.db, id);
    return runs[0] ?? null;
  }

  async function readObject(key: string, what: string): Promise<Uint8Array> {
    try {
      return await ctx.store.get(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) {
        throw new HttpError(
          503,
          "unavailable",
          `${what} (${key}) is missing from the object store; re-run the data pipeline ` +
            `(deno task pipeline:data) or pull the objects (deno task data:pull)`,
        );
      }
      throw err;
    }
  }

  return {
    async listVersions(): Promise<VersionList> {
      const versions = await listVersions(ctx);
      latestMemo = null; // a listing is explicit: answer with the current state
      return {
        latest: await latestId(),
        versions: versions.map((v) => ({
          version: v.id,
          name: v.name,
          created_at: v.createdAt.toISOString(),
          total_bytes: v.totalBytes,
          source: v.source,
          counts: v.counts,
        })),
      };
    },

    async resolve(version: string): Promise<string> {
      if (version === LATEST) {
        const id = await latestId();
        if (id === null) {
          throw notFound(
            "no dataset version is registered yet; run `deno task pipeline:data` to ingest " +
              "Fashion-MNIST",
          );
        }
        return id;
      }
      return (await manifestOf(version)).version;
    },

    manifest(version: string): Promise<Manifest> {
      return manifestOf(version);
    },

    async validation(version: string): Promise<ValidationResult | null> {
      const run = await latestRun(version);
      if (run === null) return null;
      const bytes = await readObject(run.resultKey, `validation result of ${version}`);
      return validationResultSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
    },

    async validationHtml(version: string): Promise<string | null> {
      const run = await latestRun(version);
      if (run === null) return null;
      return new TextDecoder().decode(
        await readObject(run.reportKey, `validation report of ${version}`),
      );
    },

    async dataset(version: string): Promise<Dataset> {
      return await loadDataset(ctx, await manifestOf(version));
    },

    async classStats(version: string): Promise<ClassStats> {
      const set = await getFeatureSet(ctx, version);
      const table = await loadClassStats(ctx, version, { id: set.id });
      return { version, feature_set: set.id, classes: classStatRows(table) };
    },
  };
}
