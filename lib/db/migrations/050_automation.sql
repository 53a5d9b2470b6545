-- Automation (lib/automation): DAG runs and their steps as run by the embedded runner or the job
-- engine's workers, the closed loop's trigger decisions (one row per drift event it saw, with the
-- guard rail that stopped it, if any), and small cursors (the last drift event read).
CREATE TABLE IF NOT EXISTS dag_runs (
  id text PRIMARY KEY,
  dag text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  -- What started it: schedule, drift, manual, backfill, retry.
  trigger text NOT NULL,
  triggered_by text NOT NULL,
  engine text NOT NULL CHECK (engine IN ('embedded', 'bullmq')),
  params jsonb NOT NULL,
  -- The logical date of a scheduled or backfilled run.
  logical_date date,
  -- What the run decided (e.g. the gate's decision with its evidence), set when it completes.
  outcome jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS dag_runs_dag_idx ON dag_runs (dag, created_at DESC);
CREATE INDEX IF NOT EXISTS dag_runs_status_idx ON dag_runs (status);

CREATE TABLE IF NOT EXISTS dag_step_runs (
  run_id text NOT NULL REFERENCES dag_runs (id) ON DELETE CASCADE,
  step text NOT NULL,
  position integer NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Worker (host:pid) of the latest attempt.
  worker text,
  -- True when the step's cached result was reused (its inputs were unchanged).
  cached boolean,
  result jsonb,
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms double precision,
  PRIMARY KEY (run_id, step)
);

CREATE TABLE IF NOT EXISTS automation_triggers (
  id bigserial PRIMARY KEY,
  drift_event_id bigint UNIQUE,
  model text NOT NULL,
  -- started, or the guard rail that held it back: kill_switch, cooldown, max_concurrent.
  decision text NOT NULL CHECK (decision IN ('started', 'kill_switch', 'cooldown', 'max_concurrent')),
  run_id text REFERENCES dag_runs (id) ON DELETE SET NULL,
  detail jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS automation_triggers_model_idx ON automation_triggers (model, at DESC);

CREATE TABLE IF NOT EXISTS automation_cursors (
  name text PRIMARY KEY,
  value bigint NOT NULL
);
