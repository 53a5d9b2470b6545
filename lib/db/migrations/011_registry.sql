-- Model registry: registered models, immutable versions, aliases (champion, challenger, custom)
-- and an append-only audit log of registrations, alias moves and promotion-gate decisions.
CREATE TABLE IF NOT EXISTS registry_models (
  name text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS registry_versions (
  model text NOT NULL REFERENCES registry_models (name),
  version integer NOT NULL CHECK (version > 0),
  artifact_key text NOT NULL,
  sha256 text NOT NULL,
  size bigint NOT NULL,
  signature jsonb,
  metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
  run_id text REFERENCES tracking_runs (id),
  dataset_version text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version),
  UNIQUE (model, sha256)
);

CREATE TABLE IF NOT EXISTS registry_aliases (
  model text NOT NULL,
  alias text NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES registry_versions (model, version)
);

CREATE TABLE IF NOT EXISTS registry_events (
  id bigserial PRIMARY KEY,
  model text NOT NULL REFERENCES registry_models (name),
  kind text NOT NULL CHECK (kind IN ('register', 'alias_set', 'alias_removed', 'gate')),
  alias text,
  from_version integer,
  to_version integer,
  actor text NOT NULL,
  reason text,
  details jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS registry_events_model_idx ON registry_events (model, id);

-- Versions and the audit log are immutable: any UPDATE or DELETE is refused by the database.
CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable (% refused): register a new version or record a new event',
    TG_TABLE_NAME, TG_OP;
END
$$;
CREATE OR REPLACE TRIGGER registry_versions_immutable BEFORE UPDATE OR DELETE ON registry_versions
  FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE OR REPLACE TRIGGER registry_events_append_only BEFORE UPDATE OR DELETE ON registry_events
  FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
