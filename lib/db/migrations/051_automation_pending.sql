-- A drift event is claimed as `pending` while its guard rails are checked and its retrain run is
-- submitted; the claim then becomes the decision. (It used to be claimed as `kill_switch`, which a
-- reader saw while a run was being submitted, and which stayed if the scheduler died meanwhile.)
ALTER TABLE automation_triggers DROP CONSTRAINT IF EXISTS automation_triggers_decision_check;
ALTER TABLE automation_triggers ADD CONSTRAINT automation_triggers_decision_check
  CHECK (decision IN ('pending', 'started', 'kill_switch', 'cooldown', 'max_concurrent'));
