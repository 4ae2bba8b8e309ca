-- Automation runs a person can preview and undo. A run (one pass of the rules that a person
-- started or the scheduler made) groups the changes it made, so the pass can be put back as one
-- step. And the two rules every grid was seeded with get narrower where they are still exactly as
-- seeded: on first use they moved committed LPs and never-contacted investors to Follow-up, and
-- re-moved Passed investors to the Graveyard on every scheduled pass.

CREATE TABLE automation_batches (
    id             TEXT PRIMARY KEY,
    trigger        TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    rule_id        TEXT REFERENCES automation_rules(id),  -- a run of one rule; NULL: every scheduled rule
    actor_type     TEXT NOT NULL,                         -- who started it (the scheduler is 'system')
    actor_id       TEXT,
    actor_name     TEXT,
    started_at     TEXT NOT NULL,
    planned        INTEGER NOT NULL,                      -- changes its plan (the preview) listed
    undone_at      TEXT,
    undone_by_type TEXT,
    undone_by_id   TEXT,
    undone_by_name TEXT,
    undo           TEXT                                   -- JSON: what the undo put back and what it left
);
CREATE INDEX automation_batches_started ON automation_batches(started_at);

ALTER TABLE automation_runs ADD COLUMN batch_id TEXT REFERENCES automation_batches(id);
ALTER TABLE automation_runs ADD COLUMN cells TEXT;        -- JSON {column_id: {"old", "new"}}: what undo puts back
ALTER TABLE automation_runs ADD COLUMN undone_at TEXT;    -- set when an undo put this change back
CREATE INDEX automation_runs_batch ON automation_runs(batch_id) WHERE batch_id IS NOT NULL;

-- The seeded rules, narrowed only where they still read exactly as seeded (a team's own wording
-- is theirs). Narrowing is safe: each rule then moves a subset of what it moved before, and its
-- on/off switch stays where the team left it.
--   * "No contact for 30 days" also needs a Last Contact at all, and leaves Committed, Soft
--     Circle and Passed investors where they are (needs the Status column with those choices).
--   * "Passed investors move to the graveyard" reacts when someone sets Passed (trigger edit),
--     no longer on every scheduled pass (which undid people moving a Passed investor back).
CREATE TEMP TABLE seeded_rule_fix AS
SELECT r.id, r.condition AS old_condition, r.trigger AS old_trigger,
       json_object('op', 'and', 'conditions', json_array(
           json_object('column_id', json_extract(r.condition, '$.conditions[0].column_id'),
                       'operator', 'is_not_empty', 'value', json('null')),
           json(json_extract(r.condition, '$.conditions[0]')),
           json(json_extract(r.condition, '$.conditions[1]')),
           json_object('column_id', s.id, 'operator', 'is_none_of',
                       'value', json_array('Committed', 'Soft Circle', 'Passed')))) AS new_condition,
       r.trigger AS new_trigger
FROM automation_rules r
JOIN grid_columns s ON s.name = 'Status' AND s.type = 'single_select' AND s.archived_at IS NULL
WHERE r.archived_at IS NULL
  AND json_extract(r.action, '$.type') = 'move_to_list' AND json_extract(r.action, '$.list') = 'follow_up'
  AND json_extract(r.condition, '$.op') = 'and' AND json_array_length(r.condition, '$.conditions') = 2
  AND json_extract(r.condition, '$.conditions[0].operator') = 'is_before'
  AND json_extract(r.condition, '$.conditions[0].value.days_ago') = 30
  AND EXISTS (SELECT 1 FROM grid_columns c WHERE c.id = json_extract(r.condition, '$.conditions[0].column_id')
              AND c.type = 'date' AND c.archived_at IS NULL)
  AND json_extract(r.condition, '$.conditions[1].column_id') = (SELECT id FROM grid_columns WHERE field = 'list')
  AND json_extract(r.condition, '$.conditions[1].operator') = 'is'
  AND json_extract(r.condition, '$.conditions[1].value') = 'main'
  AND (SELECT count(DISTINCT json_extract(choice.value, '$.name')) FROM json_each(s.options, '$.choices') choice
       WHERE json_extract(choice.value, '$.name') IN ('Committed', 'Soft Circle', 'Passed')) = 3
UNION ALL
SELECT r.id, r.condition, r.trigger, r.condition, 'edit'
FROM automation_rules r
JOIN grid_columns s ON s.id = json_extract(r.condition, '$.conditions[0].column_id')
     AND s.name = 'Status' AND s.archived_at IS NULL
WHERE r.archived_at IS NULL AND r.trigger = 'both'
  AND json_extract(r.action, '$.type') = 'move_to_list' AND json_extract(r.action, '$.list') = 'graveyard'
  AND json_extract(r.condition, '$.op') = 'and' AND json_array_length(r.condition, '$.conditions') = 1
  AND json_extract(r.condition, '$.conditions[0].operator') = 'is'
  AND json_extract(r.condition, '$.conditions[0].value') = 'Passed';

INSERT INTO audit_log (at, actor_type, actor_id, actor_name, action, entity_type, entity_id, details)
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'system', NULL, 'migration 0004_automation_undo',
       'automation.updated', 'automation_rule', id,
       CASE WHEN old_trigger != new_trigger
            THEN json_object('trigger', json_object('old', old_trigger, 'new', new_trigger),
                             'reason', 'seeded rule: react when someone sets Passed, not on every scheduled run')
            ELSE json_object('condition', json_object('old', json(old_condition), 'new', json(new_condition)),
                             'reason', 'seeded rule: never move investors with no Last Contact, or Committed, Soft Circle or Passed ones')
       END
FROM seeded_rule_fix;

UPDATE automation_rules
SET condition = (SELECT new_condition FROM seeded_rule_fix f WHERE f.id = automation_rules.id),
    trigger = (SELECT new_trigger FROM seeded_rule_fix f WHERE f.id = automation_rules.id),
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE id IN (SELECT id FROM seeded_rule_fix);

DROP TABLE seeded_rule_fix;
