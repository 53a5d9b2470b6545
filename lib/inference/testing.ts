/**
 * Test helpers: register a small, untrained (seeded) CNN as a model version, so inference tests
 * that do not need accuracy run without ingesting data or training.
 */
import { buildModel } from "../models/mod.ts";
import { defaultSignature, saveModelArtifact } from "../models/artifact.ts";
import { registerModelVersion, setAlias } from "../registry/mod.ts";
import type { TrackingContext } from "../tracking/mod.ts";

/**
 * Build an `m1` CNN with seed `seed`, save it and register it as a version of `name`; point
 * `alias` at it when given; `temperature` goes into its signature. Returns the version number.
 */
export async function registerSeededModel(
  ctx: TrackingContext,
  name: string,
  seed: number,
  alias?: string,
  temperature?: number,
): Promise<number> {
  const model = buildModel({ arch: "m1", seed, dense: 32, filters: [8, 16] });
  const signature = { ...defaultSignature([28, 28, 1], "cnn"), temperature };
  try {
    const ref = await saveModelArtifact(ctx.store, model, {
      signature,
      metrics: { seed },
      config: { arch: "m1", seed },
    });
    const { version } = await registerModelVersion(ctx, {
      name,
      artifact: { key: ref.key, sha256: ref.sha256, size: ref.size },
      signature,
      metrics: { seed },
    });
    if (alias) await setAlias(ctx, { name, alias, version: version.version, reason: "test" });
    return version.version;
  } finally {
    model.dispose();
  }
}
