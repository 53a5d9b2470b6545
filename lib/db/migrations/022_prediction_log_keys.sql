-- Prediction logs are keyed by a server-generated request id (unique per request); the client's
-- own x-request-id, which clients may reuse, is kept as a searchable correlation column. Rows
-- written before this migration keep their request_id (then the client's id) and have no
-- client_request_id.
ALTER TABLE prediction_logs ADD COLUMN IF NOT EXISTS client_request_id text;
CREATE INDEX IF NOT EXISTS prediction_logs_client_request_id_idx ON prediction_logs
  (client_request_id) WHERE client_request_id IS NOT NULL;

-- Feedback needs authority and leaves an audit trail: the first label stays in the row
-- (first_*), the current label may be changed only explicitly, and every accepted submission
-- (first label and each change) is an event with who and when.
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS first_class_id integer;
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS first_label text;
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS first_by text;
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS first_at timestamptz;
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS updated_by text;
ALTER TABLE prediction_feedback ADD COLUMN IF NOT EXISTS revisions integer NOT NULL DEFAULT 0;
UPDATE prediction_feedback
   SET first_class_id = true_class_id, first_label = true_label,
       first_by = coalesce(first_by, 'unknown'), first_at = coalesce(first_at, received_at),
       updated_by = coalesce(updated_by, 'unknown')
 WHERE first_at IS NULL;

CREATE TABLE IF NOT EXISTS prediction_feedback_events (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  idx integer NOT NULL CHECK (idx >= 0),
  true_class_id integer,
  true_label text,
  previous_class_id integer,
  previous_label text,
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS prediction_feedback_events_key_idx ON prediction_feedback_events
  (request_id, idx, id);
