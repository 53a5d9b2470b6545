-- A/B experiments: at most one per model. `arms` is a JSON array of
-- {name, version | alias, weight}; `salt` is mixed into the client-key hash so a new experiment
-- reshuffles clients while one experiment keeps every client on its arm.
CREATE TABLE IF NOT EXISTS ab_experiments (
  model text PRIMARY KEY,
  arms jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  salt text NOT NULL,
  reason text,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
