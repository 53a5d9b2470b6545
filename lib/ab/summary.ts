/**
 * A/B analysis: per arm, the predictions logged and — among those with feedback — how many were
 * right; each arm's accuracy is compared with the first (control) arm by a two-proportion z-test.
 */
import type { Queryable } from "../db/mod.ts";
import { type TwoProportionResult, twoProportionTest } from "../evaluate/mod.ts";

/** One arm's figures. */
export interface ArmSummary {
  arm: string;
  /** Versions that served the arm (an alias arm may span several). */
  versions: number[];
  predictions: number;
  /** Predictions with feedback. */
  feedback: number;
  /** Feedback agreeing with the prediction. */
  correct: number;
  /** `correct / feedback`, null without feedback. */
  accuracy: number | null;
}

/** Summary of a model's A/B experiment. */
export interface AbSummary {
  model: string;
  arms: ArmSummary[];
  /** Arm compared against (the first arm with feedback, by name order unless `control`). */
  control: string | null;
  /** Each other arm vs the control (null where either lacks feedback). */
  tests: { arm: string; vs: string; test: TwoProportionResult | null }[];
}

/**
 * Per-arm counts and accuracy from the logs and feedback of `model`; `control` names the arm the
 * others are tested against (default: the first configured arm, else the first arm by name).
 */
export async function abSummary(
  db: Queryable,
  model: string,
  opts: { control?: string; armOrder?: readonly string[]; since?: string } = {},
): Promise<AbSummary> {
  const params: unknown[] = [model];
  let since = "";
  if (opts.since) {
    params.push(opts.since);
    since = ` AND l.at >= $2`;
  }
  const rows = await db.query<{
    arm: string;
    versions: number[] | string;
    predictions: number;
    feedback: number;
    correct: number;
  }>(
    `SELECT l.arm,
            array_agg(DISTINCT l.version ORDER BY l.version) AS versions,
            count(*)::int AS predictions,
            count(f.request_id)::int AS feedback,
            count(*) FILTER (WHERE f.true_class_id = l.class_id OR f.true_label = l.label)::int
              AS correct
       FROM prediction_logs l
       LEFT JOIN prediction_feedback f ON f.request_id = l.request_id AND f.idx = l.idx
      WHERE l.model = $1 AND l.arm IS NOT NULL${since}
      GROUP BY l.arm`,
    params,
  );
  const order = opts.armOrder ?? [];
  const rank = (a: string) => {
    const i = order.indexOf(a);
    return i < 0 ? order.length : i;
  };
  const arms: ArmSummary[] = rows.map((r) => ({
    arm: r.arm,
    versions: (Array.isArray(r.versions) ? r.versions : parsePgArray(r.versions)).map(Number),
    predictions: Number(r.predictions),
    feedback: Number(r.feedback),
    correct: Number(r.correct),
    accuracy: Number(r.feedback) > 0 ? Number(r.correct) / Number(r.feedback) : null,
  })).sort((a, b) => rank(a.arm) - rank(b.arm) || a.arm.localeCompare(b.arm));
  const control = opts.control ?? order.find((a) => arms.some((x) => x.arm === a)) ??
    arms[0]?.arm ?? null;
  const base = arms.find((a) => a.arm === control);
  const tests = arms.filter((a) => a.arm !== control && control !== null).map((a) => ({
    arm: a.arm,
    vs: control!,
    test: base && base.feedback > 0 && a.feedback > 0
      ? twoProportionTest(a.correct, a.feedback, base.correct, base.feedback)
      : null,
  }));
  return { model, arms, control, tests };
}

/** `{1,2}` → `["1", "2"]` (Postgres array text, when a driver returns it unparsed). */
function parsePgArray(s: string): string[] {
  const inner = s.replace(/^\{|\}$/g, "");
  return inner === "" ? [] : inner.split(",");
}
