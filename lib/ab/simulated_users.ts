/**
 * Simulated users of a running service, for end-to-end A/B experiments: each step a user drawn
 * from a seeded generator sends one image (from a labelled set, e.g. the Fashion-MNIST test
 * split) to `POST /v1/models/{model}/predict` with its own `x-client-key` (so the sticky split
 * keeps it on one arm), then reports the true label to `POST /v1/feedback`. Every `checkEvery`
 * feedbacks it reads `GET /v1/experiments/ab/{model}` and stops when the decision is final (the
 * sequential test stopped, or the horizon was reached) or blocked. Calls are made one at a time in
 * the seeded order, so a run is reproducible from its seed (same users, images and feedback
 * order; hence the same looks of the sequential test).
 */
import { z } from "zod";
import type { ImageSet } from "../data/mod.ts";
import { createRng } from "../tune/mod.ts";

/** Options of {@link runSimulatedUsers}. */
const simulatedUsersOptionsSchema = z.strictObject({
  /** Base URL of the service (e.g. `http://127.0.0.1:8000`). */
  baseUrl: z.string().url(),
  model: z.string().min(1).max(128),
  seed: z.number().int().default(1),
  /** Distinct users (client keys). */
  users: z.number().int().min(1).max(1_000_000).default(100),
  /** Most predict requests to send. */
  maxRequests: z.number().int().min(1).max(10_000_000).default(2000),
  /** Share of predictions users report the true label for. */
  feedbackRate: z.number().min(0).max(1).default(1),
  /** Feedbacks between reads of the analysis. */
  checkEvery: z.number().int().min(1).default(25),
  /** Extra headers sent with every call (e.g. a feedback credential). */
  headers: z.record(z.string(), z.string()).default({}),
});
/** Options as callers write them. */
export type SimulatedUsersOptions = z.input<typeof simulatedUsersOptionsSchema>;

/** What a run did and saw. */
export interface SimulatedUsersResult {
  requests: number;
  feedback: number;
  /** Per arm (`x-ab-arm`; `-` without one): requests and how many predictions were right. */
  arms: Record<string, { requests: number; correct: number; versions: number[] }>;
  /** Stopped because the analysis said final (or blocked) before `maxRequests`. */
  stoppedEarly: boolean;
  /** The decision read last (null when never read). */
  decision: { action: string; final: boolean; winner: string | null; reason: string } | null;
  /** The last analysis body read. */
  analysis: unknown;
  /** Reads of the analysis. */
  checks: number;
  durationMs: number;
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) {
    throw new Error(`${what} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  }
  return res;
}

/**
 * Run the users against the service; see the module doc.
 * @throws ZodError for invalid options; Error when a call fails.
 */
export async function runSimulatedUsers(
  input: SimulatedUsersOptions,
  images: ImageSet,
  fetchFn: typeof fetch = fetch,
): Promise<SimulatedUsersResult> {
  const o = simulatedUsersOptionsSchema.parse(input);
  if (images.count < 1) throw new RangeError("the image set is empty");
  const started = performance.now();
  const rng = createRng(o.seed, "ab-simulated-users");
  const px = images.rows * images.cols;
  const base = o.baseUrl.replace(/\/$/, "");
  const model = encodeURIComponent(o.model);
  const arms: SimulatedUsersResult["arms"] = {};
  let requests = 0, feedback = 0, checks = 0;
  let decision: SimulatedUsersResult["decision"] = null;
  let analysis: unknown = null;
  let stoppedEarly = false;
  const json = { "content-type": "application/json", ...o.headers };
  while (requests < o.maxRequests) {
    const user = rng.int(o.users);
    const idx = rng.int(images.count);
    const report = rng.next() < o.feedbackRate;
    const instance = Array.from(images.images.subarray(idx * px, (idx + 1) * px), (v) => v / 255);
    const res = await ok(
      await fetchFn(`${base}/v1/models/${model}/predict`, {
        method: "POST",
        headers: { ...json, "x-client-key": `user-${o.seed}-${user}` },
        body: JSON.stringify({ instances: [instance] }),
      }),
      "predict",
    );
    const body = await res.json() as {
      model: { version: number };
      predictions: { class_id: number }[];
    };
    requests++;
    const arm = res.headers.get("x-ab-arm") ?? "-";
    const label = images.labels[idx];
    const a = arms[arm] ??= { requests: 0, correct: 0, versions: [] };
    a.requests++;
    if (body.predictions[0].class_id === label) a.correct++;
    if (!a.versions.includes(body.model.version)) a.versions.push(body.model.version);
    if (!report) continue;
    const requestId = res.headers.get("x-request-id");
    if (!requestId) throw new Error("predict answered without an x-request-id header");
    const fb = await ok(
      await fetchFn(`${base}/v1/feedback`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ request_id: requestId, label }),
      }),
      "feedback",
    );
    await fb.body?.cancel();
    feedback++;
    if (feedback % o.checkEvery === 0) {
      const r = await ok(
        await fetchFn(`${base}/v1/experiments/ab/${model}`, { headers: o.headers }),
        "analysis",
      );
      analysis = await r.json();
      checks++;
      decision = (analysis as { decision: SimulatedUsersResult["decision"] }).decision;
      if (decision && (decision.final || decision.action === "blocked")) {
        stoppedEarly = requests < o.maxRequests;
        break;
      }
    }
  }
  return {
    requests,
    feedback,
    arms,
    stoppedEarly,
    decision,
    analysis,
    checks,
    durationMs: performance.now() - started,
  };
}
