-- The forward-looking side of the raise and the team's own work:
--   opportunities: an investor x fund deal in the pipeline. It is the record behind the fund's
--     pipeline column in the grid (a cell of type 'pipeline' shows it) and a card on the board;
--     written only through the grid store, so the board, the grid and the change feed agree.
--   tasks: follow-ups and reminders tied to an investor (and optionally one of its people),
--     owned by a team member, from people, the intake bot or automation rules.
--   feature_requests: what the team asks of the CRM itself; admins set the status.
-- Nothing is deleted: rows are archived (or, for tasks, done) with a timestamp.

CREATE TABLE opportunities (
    id              TEXT PRIMARY KEY,
    investor_id     TEXT NOT NULL REFERENCES investors(id),
    fund_id         TEXT NOT NULL REFERENCES funds(id),
    stage           TEXT NOT NULL CHECK (stage IN ('Intro', 'Pitch', 'Diligence', 'Soft Circle', 'Committed',
                                                   'Closed', 'Passed')),
    expected_amount REAL CHECK (expected_amount IS NULL OR expected_amount >= 0),
    probability     REAL CHECK (probability IS NULL OR (probability >= 0 AND probability <= 1)),  -- NULL: the stage's default
    owner_id        TEXT REFERENCES users(id),
    close_date      TEXT,                                 -- YYYY-MM-DD, expected close
    stage_since     TEXT NOT NULL,                        -- when it entered its current stage
    created_at      TEXT NOT NULL,
    created_by      TEXT,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT,
    archived_at     TEXT,
    archived_by     TEXT
);
-- One live opportunity per investor and fund; an archived one stays as history.
CREATE UNIQUE INDEX opportunities_live ON opportunities(investor_id, fund_id) WHERE archived_at IS NULL;
CREATE INDEX opportunities_fund ON opportunities(fund_id, stage) WHERE archived_at IS NULL;

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    notes       TEXT,
    investor_id TEXT REFERENCES investors(id),
    contact_id  TEXT REFERENCES contacts(id),
    due         TEXT,                                     -- YYYY-MM-DD (the owner's day)
    owner       TEXT REFERENCES users(id),                -- user id
    done        INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    done_at     TEXT,
    done_by     TEXT,
    source      TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'intake', 'automation', 'pipeline')),
    source_ref  TEXT,                                     -- e.g. the rule id or the chat event id
    created_at  TEXT NOT NULL,
    created_by  TEXT,
    created_by_name TEXT,
    updated_at  TEXT NOT NULL,
    archived_at TEXT,
    archived_by TEXT
);
CREATE INDEX tasks_open_due ON tasks(due) WHERE done = 0 AND archived_at IS NULL;
CREATE INDEX tasks_owner ON tasks(owner, done, due) WHERE archived_at IS NULL;
CREATE INDEX tasks_investor ON tasks(investor_id, done) WHERE archived_at IS NULL;
-- One open task per source: a rule re-run (or a chat message replayed) does not make a second
-- while the first is open; once it is done, the rule may make a new one.
CREATE UNIQUE INDEX tasks_source_open ON tasks(source, source_ref) WHERE source_ref IS NOT NULL AND done = 0
    AND archived_at IS NULL;

CREATE TABLE feature_requests (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'planned', 'done', 'declined')),
    status_note TEXT,                                     -- an admin's word on the decision
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_by_name TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    status_by   TEXT,                                     -- who last set the status (name)
    status_at   TEXT,
    archived_at TEXT,
    archived_by TEXT
);
CREATE INDEX feature_requests_status ON feature_requests(status, created_at) WHERE archived_at IS NULL;
