-- A/B analysis (lib/ab): the assignment unit of each logged prediction (a hash of the experiment
-- salt and the client key; null without a key, when each request is its own unit) so the
-- sample-ratio check counts units rather than requests; failed predictions of A/B requests for
-- the error-rate guardrail; and per experiment its design (alpha, mixing τ, guardrail limits …)
-- and the time its current arms started (results count from then on).
ALTER TABLE prediction_logs ADD COLUMN IF NOT EXISTS unit text;

CREATE TABLE IF NOT EXISTS prediction_errors (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  model text NOT NULL,
  version integer,
  arm text,
  unit text,
  error text NOT NULL,
  latency_ms double precision NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS prediction_errors_model_arm_idx ON prediction_errors (model, arm, at);

ALTER TABLE ab_experiments ADD COLUMN IF NOT EXISTS design jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE ab_experiments ADD COLUMN IF NOT EXISTS started_at timestamptz NOT NULL DEFAULT now();
