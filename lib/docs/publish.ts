/**
 * Putting the pieces together for `deno task book` and `deno task docs`: execute the notebooks,
 * look up the provenance the book states, build the book, and collect the model cards of every
 * registered version.
 */
import { join } from "node:path";
import type { Settings } from "../config/mod.ts";
import { DEFAULT_DATASET, listVersions } from "../data/mod.ts";
import type { Logger } from "../log/mod.ts";
import { REPO_ROOT, runNotebooks } from "../notebooks/mod.ts";
import { openContext } from "../workspace/mod.ts";
import { listModels, listModelVersions } from "../registry/mod.ts";
import { gitState, type TrackingContext } from "../tracking/mod.ts";
import { type BookProvenance, type BookResult, buildBook } from "./book.ts";
import { collectModelCard, modelCardMarkdown } from "./model_card.ts";
import type { PublishedCard } from "./site.ts";

/** Where the book and its scratch files go under the state directory. */
export function bookPaths(stateDir: string): { executed: string; html: string; work: string } {
  return {
    executed: join(stateDir, "notebooks"),
    html: join(stateDir, "book", "html"),
    work: join(stateDir, "book", "src"),
  };
}

/** Options of {@link publishBook}. */
export interface PublishBookOptions {
  /** Small settings (`FMNIST_NB_SMALL=1`). */
  small: boolean;
  /** Execute the notebooks first (default true); false builds from the last executed copies. */
  execute?: boolean;
  /** Only these notebooks (stems or file names). */
  only?: readonly string[];
  /** Output directory of the HTML book (default `<state>/book/html`). */
  outDir?: string;
  cellTimeoutS?: number;
  log: Logger;
}

/** Outcome of {@link publishBook}. */
export interface PublishedBook extends BookResult {
  /** Notebooks that failed to execute (they are left out of the book). */
  failures: { notebook: string; stage: string; message: string }[];
  executeSeconds: number;
  provenance: BookProvenance;
}

/**
 * The dataset version, the champion (else latest) version of the first registered model and the
 * code commit, as the book's headers state them.
 */
export async function bookProvenance(
  ctx: TrackingContext,
  small: boolean,
): Promise<BookProvenance> {
  const datasets = await listVersions(ctx, DEFAULT_DATASET);
  const models = await listModels(ctx);
  const model = models.find((m) => m.name === "fmnist") ?? models[0];
  let modelVersion: string | null = null;
  if (model) {
    const champion = model.aliases.champion;
    modelVersion = champion !== undefined
      ? `${model.name} v${champion} (champion)`
      : model.latestVersion !== null
      ? `${model.name} v${model.latestVersion} (latest)`
      : null;
  }
  const git = await gitState(REPO_ROOT);
  return {
    datasetVersion: datasets[0]?.id ?? null,
    modelVersion,
    commit: git.commit ? `${git.commit.slice(0, 12)}${git.dirty ? "+dirty" : ""}` : null,
    settings: small ? "small" : "full",
  };
}

/**
 * Execute every notebook (in the workspace of `settings`) and build the book. No workspace
 * context may be open in this process while it runs: the notebooks' kernels open the workspace
 * themselves, and embedded PGlite allows one process at a time.
 */
export async function publishBook(
  settings: Settings,
  opts: PublishBookOptions,
): Promise<PublishedBook> {
  const paths = bookPaths(settings.stateDir);
  let failures: PublishedBook["failures"] = [];
  const t0 = performance.now();
  if (opts.execute ?? true) {
    const result = await runNotebooks({
      notebooksDir: join(REPO_ROOT, "notebooks"),
      stateDir: settings.stateDir,
      only: opts.only,
      html: false,
      env: opts.small ? { FMNIST_NB_SMALL: "1" } : {},
      cellTimeoutS: opts.cellTimeoutS,
      log: opts.log,
    });
    failures = result.failures;
  }
  const executeSeconds = (performance.now() - t0) / 1000;
  const ctx = await openContext(settings, { log: opts.log });
  let provenance: BookProvenance;
  try {
    provenance = await bookProvenance(ctx, opts.small);
  } finally {
    await ctx.close();
  }
  const book = await buildBook({
    executedDir: paths.executed,
    outDir: opts.outDir ?? paths.html,
    workDir: paths.work,
    provenance,
  });
  return { ...book, failures, executeSeconds, provenance };
}

/** The model card of every registered version, newest model versions last. */
export async function collectCards(ctx: TrackingContext): Promise<PublishedCard[]> {
  const out: PublishedCard[] = [];
  for (const m of await listModels(ctx)) {
    for (const v of await listModelVersions(ctx, m.name)) {
      const data = await collectModelCard(ctx, m.name, v.version);
      out.push({
        model: m.name,
        version: v.version,
        aliases: v.aliases,
        markdown: modelCardMarkdown(data),
      });
    }
  }
  return out;
}
