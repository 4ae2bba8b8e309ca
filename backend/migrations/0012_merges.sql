-- Duplicates and merge (issue 18).
--   merges: one row per merge of an investor (merged_id) into another (survivor_id): the choices
--     the person made and a record of exactly what moved or changed, so unmerge can put it back.
--     Undone merges keep their row (undone_at / undone_by).
--   duplicate_dismissals: a pair of investors someone said are not the same (a < b); kept for
--     good. Undismissing archives the dismissal.
--   investors.merged_into: an investor archived by a merge points at its survivor.
--   The interaction log stays append-only except for one thing: a merge (and its unmerge) moves a
--   touch to the other investor. The trigger refuses every other UPDATE (any column but
--   investor_id differing), and every DELETE as before.

CREATE TABLE merges (
    id          TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL REFERENCES investors(id),
    merged_id   TEXT NOT NULL REFERENCES investors(id),
    at          TEXT NOT NULL,
    by          TEXT,                                 -- display name of who merged
    by_id       TEXT,
    choices     TEXT NOT NULL DEFAULT '{}',           -- JSON: {column id: "a" | "b" | "both"}
    record      TEXT NOT NULL,                        -- JSON: what moved and what changed
    undone_at   TEXT,
    undone_by   TEXT
);
CREATE INDEX merges_merged ON merges(merged_id, at);
CREATE INDEX merges_survivor ON merges(survivor_id, at);

CREATE TABLE duplicate_dismissals (
    id          TEXT PRIMARY KEY,
    a           TEXT NOT NULL REFERENCES investors(id),
    b           TEXT NOT NULL REFERENCES investors(id),
    at          TEXT NOT NULL,
    by          TEXT,
    by_id       TEXT,
    archived_at TEXT,
    archived_by TEXT,
    CHECK (a < b)
);
CREATE UNIQUE INDEX duplicate_dismissals_live ON duplicate_dismissals(a, b) WHERE archived_at IS NULL;

ALTER TABLE investors ADD COLUMN merged_into TEXT;

DROP TRIGGER interactions_no_update;
CREATE TRIGGER interactions_no_update BEFORE UPDATE ON interactions
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.occurred_at IS NOT OLD.occurred_at
  OR NEW.kind IS NOT OLD.kind OR NEW.source IS NOT OLD.source OR NEW.actor_type IS NOT OLD.actor_type
  OR NEW.actor_id IS NOT OLD.actor_id OR NEW.actor_name IS NOT OLD.actor_name OR NEW.summary IS NOT OLD.summary
  OR NEW.body IS NOT OLD.body OR NEW.ref IS NOT OLD.ref
BEGIN SELECT RAISE(ABORT, 'interactions are append-only (a merge may move one to another investor, nothing else)'); END;
