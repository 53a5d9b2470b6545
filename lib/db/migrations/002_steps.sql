-- Pipeline step runs (lib/pipeline/steps.ts). A row is written only after a step's outputs are
-- durably in place, so a 'completed' row whose outputs still exist means the step can be skipped.
CREATE TABLE IF NOT EXISTS step_runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  inputs JSONB NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
  result JSONB,
  objects JSONB NOT NULL DEFAULT '[]'::jsonb,
  files JSONB NOT NULL DEFAULT '[]'::jsonb,
  error TEXT,
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS step_runs_name_input_idx ON step_runs (name, input_hash, finished_at DESC);
