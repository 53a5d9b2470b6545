-- Validation runs (lib/validate/step.ts): one row per suite run over a dataset version. The full
-- machine-readable result and the HTML report live in the object store under result_key/report_key.
CREATE TABLE IF NOT EXISTS validation_runs (
  id TEXT PRIMARY KEY,
  dataset_version TEXT NOT NULL,
  suite TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  success BOOLEAN NOT NULL,
  evaluated INTEGER NOT NULL,
  passed INTEGER NOT NULL,
  critical_failed INTEGER NOT NULL,
  warning_failed INTEGER NOT NULL,
  critical_failures JSONB NOT NULL DEFAULT '[]'::jsonb,
  warnings JSONB NOT NULL DEFAULT '[]'::jsonb,
  result_key TEXT NOT NULL,
  report_key TEXT NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS validation_runs_version_idx
  ON validation_runs (dataset_version, created_at DESC);
