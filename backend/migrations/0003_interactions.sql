-- The interaction log: every human or automated touch of an investor (a note, an email, a
-- meeting, an intake message, an automation), with where it came from. Append-only: the
-- database itself refuses edits and deletes.

CREATE TABLE interactions (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    at          TEXT NOT NULL,                   -- when it was recorded
    occurred_at TEXT NOT NULL,                   -- when it happened (a meeting last Tuesday)
    kind        TEXT NOT NULL CHECK (kind IN ('note', 'email', 'meeting', 'call', 'intake', 'automation', 'import')),
    source      TEXT NOT NULL,                   -- ui | matrix_intake | gmail | automation | import | api
    actor_type  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT,
    summary     TEXT NOT NULL,
    body        TEXT,
    ref         TEXT                             -- JSON: ids in the system it came from
);
CREATE INDEX interactions_investor ON interactions(investor_id, occurred_at);
CREATE INDEX interactions_at ON interactions(at);

CREATE TRIGGER interactions_no_update BEFORE UPDATE ON interactions
BEGIN SELECT RAISE(ABORT, 'interactions are append-only'); END;
CREATE TRIGGER interactions_no_delete BEFORE DELETE ON interactions
BEGIN SELECT RAISE(ABORT, 'interactions are append-only'); END;
