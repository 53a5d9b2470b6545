/**
 * Guardrail metrics per arm, from the prediction logs: request latency (p50, p99 — one latency
 * per request, the slowest of its instances) and the error rate (failed A/B requests in
 * `prediction_errors` over all requests of the arm). A treatment arm breaches a guardrail when
 * its p99 exceeds `ratio × control p99 + slack` or its error rate exceeds the control's by more
 * than the allowed increase.
 */
import type { Queryable } from "../db/mod.ts";
import type { GuardrailLimits } from "./design.ts";

/** Guardrail figures of one arm. */
export interface ArmGuardrails {
  arm: string;
  /** Requests answered (logged). */
  requests: number;
  /** Requests that failed. */
  errors: number;
  /** `errors / (requests + errors)`, null with no traffic. */
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/** One guardrail verdict of a treatment arm against the control. */
export interface GuardrailCheck {
  arm: string;
  metric: "latency_p99" | "error_rate";
  value: number | null;
  control: number | null;
  /** Largest allowed value. */
  limit: number | null;
  /** false when the limit is exceeded; null when there is not enough data to tell. */
  ok: boolean | null;
}

/** Guardrail figures per arm of `model`'s A/B traffic since `since` (ISO-8601). */
export async function armGuardrails(
  db: Queryable,
  model: string,
  since?: string,
): Promise<ArmGuardrails[]> {
  const params: unknown[] = [model];
  let cond = "";
  if (since) {
    params.push(since);
    cond = " AND at >= $2";
  }
  const lat = await db.query<{ arm: string; requests: number; p50: number; p99: number }>(
    `SELECT arm, count(*)::int AS requests,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY latency) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY latency) AS p99
       FROM (SELECT arm, request_id, max(latency_ms) AS latency
               FROM prediction_logs
              WHERE model = $1 AND arm IS NOT NULL${cond}
              GROUP BY arm, request_id) r
      GROUP BY arm`,
    params,
  );
  const err = await db.query<{ arm: string; errors: number }>(
    `SELECT arm, count(*)::int AS errors FROM prediction_errors
      WHERE model = $1 AND arm IS NOT NULL${cond} GROUP BY arm`,
    params,
  );
  const arms = new Set([...lat.map((r) => r.arm), ...err.map((r) => r.arm)]);
  return [...arms].sort().map((arm) => {
    const l = lat.find((r) => r.arm === arm);
    const requests = Number(l?.requests ?? 0);
    const errors = Number(err.find((r) => r.arm === arm)?.errors ?? 0);
    return {
      arm,
      requests,
      errors,
      errorRate: requests + errors > 0 ? errors / (requests + errors) : null,
      latencyP50Ms: l ? Number(l.p50) : null,
      latencyP99Ms: l ? Number(l.p99) : null,
    };
  });
}

/**
 * Check `arm` against `control` under `limits`. A verdict needs `minRequests` requests (answered
 * or failed) in each arm; with fewer it is null (unknown).
 */
export function checkGuardrails(
  arm: ArmGuardrails | undefined,
  control: ArmGuardrails | undefined,
  limits: GuardrailLimits,
  armName: string,
  minRequests = 1,
): GuardrailCheck[] {
  const traffic = (g: ArmGuardrails | undefined) => (g ? g.requests + g.errors : 0);
  const enough = traffic(arm) >= minRequests && traffic(control) >= minRequests;
  const p99 = arm?.latencyP99Ms ?? null, cp99 = control?.latencyP99Ms ?? null;
  const latLimit = cp99 === null ? null : cp99 * limits.latencyP99Ratio + limits.latencyP99SlackMs;
  const er = arm?.errorRate ?? null, cer = control?.errorRate ?? null;
  const errLimit = cer === null ? null : cer + limits.errorRateIncrease;
  return [
    {
      arm: armName,
      metric: "latency_p99",
      value: p99,
      control: cp99,
      limit: latLimit,
      ok: !enough || p99 === null || latLimit === null ? null : p99 <= latLimit,
    },
    {
      arm: armName,
      metric: "error_rate",
      value: er,
      control: cer,
      limit: errLimit,
      ok: !enough || er === null || errLimit === null ? null : er <= errLimit,
    },
  ];
}
