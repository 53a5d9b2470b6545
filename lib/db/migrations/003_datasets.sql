-- Dataset versions (lib/data/versions.ts): one row per content-addressed manifest. `id` is the
-- SHA-256 of the manifest's canonical content part; `manifest` is the whole manifest document.
CREATE TABLE IF NOT EXISTS dataset_versions (
  id TEXT PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  name TEXT NOT NULL,
  manifest JSONB NOT NULL,
  total_bytes BIGINT NOT NULL,
  source TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS dataset_versions_name_idx ON dataset_versions (name, created_at DESC);
