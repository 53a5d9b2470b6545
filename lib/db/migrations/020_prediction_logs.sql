-- Prediction logs: one row per predicted instance, written in batches by the serving process
-- (lib/predlog). (request_id, idx) is the primary key, so replaying a spooled batch twice adds
-- nothing. Feedback (the true label a client reports later) lives in its own table keyed the same
-- way: it may arrive while its log row still sits in a writer's buffer or spool, and is joined to
-- the logs at analysis time.
CREATE TABLE IF NOT EXISTS prediction_logs (
  request_id text NOT NULL,
  idx integer NOT NULL CHECK (idx >= 0),
  model text NOT NULL,
  version integer NOT NULL,
  input_hash text NOT NULL,
  class_id integer NOT NULL,
  label text NOT NULL,
  confidence double precision NOT NULL,
  latency_ms double precision NOT NULL,
  cached boolean NOT NULL DEFAULT false,
  arm text,
  at timestamptz NOT NULL,
  logged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, idx)
);
CREATE INDEX IF NOT EXISTS prediction_logs_model_at_idx ON prediction_logs (model, at);
CREATE INDEX IF NOT EXISTS prediction_logs_model_arm_idx ON prediction_logs (model, arm)
  WHERE arm IS NOT NULL;

CREATE TABLE IF NOT EXISTS prediction_feedback (
  request_id text NOT NULL,
  idx integer NOT NULL CHECK (idx >= 0),
  true_class_id integer CHECK (true_class_id >= 0),
  true_label text,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, idx),
  CHECK (true_class_id IS NOT NULL OR true_label IS NOT NULL)
);
