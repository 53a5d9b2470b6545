-- Hyperparameter tuning: studies and their trials. Workers (processes on one or many machines)
-- claim queued trials with SELECT ... FOR UPDATE SKIP LOCKED and allocate new trial numbers under
-- a lock on the study row; (study_id, number) and (study_id, grid_index) are unique, so no trial
-- number or grid point is ever handed out twice. heartbeat_at lets a live worker prove it still
-- runs a trial; a stale running trial is requeued.
CREATE TABLE IF NOT EXISTS tune_studies (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  direction text NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  objective text,
  sampler jsonb NOT NULL,
  pruner jsonb NOT NULL,
  space jsonb,
  seed bigint NOT NULL,
  run_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tune_trials (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  study_id integer NOT NULL REFERENCES tune_studies (id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number >= 0),
  state text NOT NULL CHECK (state IN ('queued', 'running', 'complete', 'pruned', 'failed')),
  fixed_params jsonb NOT NULL DEFAULT '{}',
  params jsonb NOT NULL DEFAULT '{}',
  distributions jsonb NOT NULL DEFAULT '{}',
  value double precision,
  intermediate jsonb NOT NULL DEFAULT '[]',
  grid_index integer,
  worker_id text,
  heartbeat_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  error text,
  run_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  UNIQUE (study_id, number)
);
CREATE UNIQUE INDEX IF NOT EXISTS tune_trials_grid_idx ON tune_trials (study_id, grid_index)
  WHERE grid_index IS NOT NULL;
CREATE INDEX IF NOT EXISTS tune_trials_state_idx ON tune_trials (study_id, state, number);
