-- The fundraising grid: investors (rows), typed columns, fund columns with commitments, custom
-- cell values, the people of each investor, saved views, list memberships, automations, and the
-- grid change log whose monotonic sequence is the grid's version. Nothing is hard-deleted.

CREATE TABLE grid_columns (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    -- Built-in columns store their value on the investor row (name, list, notes, lead_source);
    -- NULL means the type decides where the value lives (cell_values, commitments, contacts,
    -- or computed from the investor row).
    field       TEXT CHECK (field IN ('name', 'list', 'notes', 'lead_source')),
    options     TEXT NOT NULL DEFAULT '{}',      -- JSON object
    position    REAL NOT NULL,
    frozen      INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    width       INTEGER,
    created_at  TEXT NOT NULL,
    created_by  TEXT,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX grid_columns_live_name ON grid_columns(name COLLATE NOCASE) WHERE archived_at IS NULL;
CREATE UNIQUE INDEX grid_columns_field ON grid_columns(field) WHERE field IS NOT NULL;

-- Fund metadata of each fund column (its name is the column's name).
CREATE TABLE funds (
    id          TEXT PRIMARY KEY REFERENCES grid_columns(id),
    vintage     INTEGER,
    target      REAL,
    currency    TEXT NOT NULL DEFAULT 'USD',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE investors (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    list        TEXT NOT NULL DEFAULT 'main' CHECK (list IN ('main', 'follow_up', 'graveyard', 'longshot')),
    notes       TEXT,
    lead_source TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    created_by  TEXT,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT,                            -- display name of the last editor
    archived_at TEXT,
    archived_by TEXT
);
CREATE INDEX investors_name ON investors(name COLLATE NOCASE);
CREATE INDEX investors_list ON investors(list) WHERE archived_at IS NULL;

-- The people of an investor (many per investor).
CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    name        TEXT NOT NULL DEFAULT '',
    email       TEXT,
    phone       TEXT,
    title       TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX contacts_investor ON contacts(investor_id, position);
CREATE INDEX contacts_email ON contacts(email COLLATE NOCASE);

-- investor x fund -> amount. A cleared cell keeps its row with a NULL amount.
CREATE TABLE commitments (
    investor_id TEXT NOT NULL REFERENCES investors(id),
    fund_id     TEXT NOT NULL REFERENCES funds(id),
    amount      REAL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT,
    PRIMARY KEY (investor_id, fund_id)
) WITHOUT ROWID;
CREATE INDEX commitments_fund ON commitments(fund_id);

-- Values of custom (non-built-in, non-fund, non-computed) columns, one JSON value per cell.
CREATE TABLE cell_values (
    investor_id TEXT NOT NULL REFERENCES investors(id),
    column_id   TEXT NOT NULL REFERENCES grid_columns(id),
    value       TEXT,                            -- JSON; NULL when cleared
    updated_at  TEXT NOT NULL,
    updated_by  TEXT,
    PRIMARY KEY (investor_id, column_id)
) WITHOUT ROWID;

-- Which list an investor was on, and when: one open interval per investor.
CREATE TABLE list_memberships (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    investor_id TEXT NOT NULL REFERENCES investors(id),
    list        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    changed_by  TEXT,
    reason      TEXT
);
CREATE INDEX list_memberships_investor ON list_memberships(investor_id, started_at);

CREATE TABLE views (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    shared      INTEGER NOT NULL DEFAULT 1 CHECK (shared IN (0, 1)),
    config      TEXT NOT NULL DEFAULT '{}',      -- JSON: filter, sort, hidden, order, frozen
    position    REAL NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);

-- Every change to the grid, in order. seq is the grid version; row_version is the investor's
-- version after the change (used to detect conflicting cell edits).
CREATE TABLE grid_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT,
    kind        TEXT NOT NULL,                   -- cell | row_created | row_archived | row_restored | column | view
    investor_id TEXT,
    column_id   TEXT,
    row_version INTEGER,
    old         TEXT,                            -- JSON
    new         TEXT                             -- JSON
);
CREATE INDEX grid_changes_row ON grid_changes(investor_id, row_version) WHERE investor_id IS NOT NULL;

CREATE TABLE automation_rules (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    trigger     TEXT NOT NULL DEFAULT 'both' CHECK (trigger IN ('edit', 'schedule', 'both')),
    condition   TEXT NOT NULL,                   -- JSON filter group, as in views
    action      TEXT NOT NULL,                   -- JSON {"type": "move_to_list", "list": ...} | {"type": "set_value", ...}
    position    REAL NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT,
    updated_at  TEXT NOT NULL,
    archived_at TEXT
);

CREATE TABLE automation_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id     TEXT NOT NULL REFERENCES automation_rules(id),
    investor_id TEXT REFERENCES investors(id),
    at          TEXT NOT NULL,
    trigger     TEXT NOT NULL,                   -- edit | schedule | manual
    outcome     TEXT NOT NULL,                   -- applied | error
    details     TEXT                             -- JSON: what changed, or the error
);
CREATE INDEX automation_runs_at ON automation_runs(at);
