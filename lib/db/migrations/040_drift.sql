-- Drift detection (lib/drift): the reference profile of each model version (stored
-- content-addressed in the object store, linked here from the registry version), and drift events
-- (one row per evaluation that found drift, from the live service or a batch run; the automation
-- issue reads them to trigger retraining).
CREATE TABLE IF NOT EXISTS drift_profiles (
  model text NOT NULL,
  version integer NOT NULL,
  profile_sha256 text NOT NULL,
  source text NOT NULL,
  reference_count integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version),
  FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
);

CREATE TABLE IF NOT EXISTS drift_events (
  id bigserial PRIMARY KEY,
  model text NOT NULL,
  version integer NOT NULL,
  origin text NOT NULL CHECK (origin IN ('live', 'batch')),
  window_size integer NOT NULL CHECK (window_size > 0),
  -- Detectors that fired, e.g. {features,mmd}.
  detectors text[] NOT NULL,
  report jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
);
CREATE INDEX IF NOT EXISTS drift_events_model_idx ON drift_events (model, version, id);
