/** Per-kernel time profile of a piece of tfjs work (where does a training step spend time?). */
import * as tf from "@tensorflow/tfjs";

/** Time spent in one kernel, summed over its calls. */
export interface KernelTime {
  name: string;
  calls: number;
  ms: number;
  /** Fraction of the profiled kernel time, 0..1. */
  share: number;
}

/**
 * Run `work` under `tf.profile` and return kernel times, largest first. Kernels our engine
 * composes from stock kernels count as one kernel (their inner calls bypass the tfjs engine).
 */
export async function kernelProfile(work: () => Promise<unknown> | unknown): Promise<KernelTime[]> {
  const info = await tf.profile(async () => {
    await work();
    return [];
  });
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    if (k.name.endsWith("__op")) continue; // op wrappers, their kernel is listed too
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += ms;
    byName.set(k.name, e);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0) || 1;
  return [...byName.entries()]
    .map(([name, e]) => ({ name, calls: e.calls, ms: e.ms, share: e.ms / total }))
    .sort((p, q) => q.ms - p.ms);
}
