-- 001_init: workspace identity. One row, created on first migration.
CREATE TABLE IF NOT EXISTS workspace_info (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  workspace_id text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO workspace_info (id) VALUES (true) ON CONFLICT (id) DO NOTHING;
