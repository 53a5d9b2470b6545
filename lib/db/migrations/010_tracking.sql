-- Experiment tracking: experiments, runs (with lineage and a heartbeat for crash detection),
-- params, metrics (step + timestamp), tags and artifacts (bytes in the object store).
CREATE TABLE IF NOT EXISTS tracking_experiments (
  name text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tracking_runs (
  id text PRIMARY KEY,
  experiment text NOT NULL REFERENCES tracking_experiments (name),
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
  parent_id text REFERENCES tracking_runs (id),
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  pid integer,
  host text,
  error text,
  dataset_version text,
  git_commit text,
  git_dirty boolean,
  config jsonb,
  seed bigint,
  engine jsonb
);
CREATE INDEX IF NOT EXISTS tracking_runs_experiment_idx ON tracking_runs (experiment, started_at DESC);
CREATE INDEX IF NOT EXISTS tracking_runs_running_idx ON tracking_runs (heartbeat_at) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS tracking_runs_parent_idx ON tracking_runs (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS tracking_params (
  run_id text NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
  key text NOT NULL,
  value jsonb NOT NULL,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE IF NOT EXISTS tracking_metrics (
  run_id text NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
  key text NOT NULL,
  value double precision NOT NULL,
  step integer NOT NULL,
  ts timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tracking_metrics_run_key_step_idx ON tracking_metrics (run_id, key, step);

CREATE TABLE IF NOT EXISTS tracking_tags (
  run_id text NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE IF NOT EXISTS tracking_artifacts (
  run_id text NOT NULL REFERENCES tracking_runs (id) ON DELETE CASCADE,
  name text NOT NULL,
  key text NOT NULL,
  sha256 text NOT NULL,
  size bigint NOT NULL,
  content_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, name)
);
