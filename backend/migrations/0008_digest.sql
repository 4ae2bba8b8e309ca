-- The daily digest: its policy (one row, edited in Settings -> Digest) and every digest or test
-- email sent, which is both the admins' log and the scheduler's persisted cursor: a daily digest
-- claims its local day before it sends, so a restart never sends a day twice.

CREATE TABLE digest_policy (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    hour       INTEGER NOT NULL DEFAULT 18 CHECK (hour BETWEEN 0 AND 23),
    timezone   TEXT NOT NULL DEFAULT '',          -- '' is the box's own time zone
    transport  TEXT NOT NULL DEFAULT 'smtp' CHECK (transport IN ('smtp', 'gmail')),
    updated_at TEXT,
    updated_by TEXT
);
INSERT INTO digest_policy (id) VALUES (1);

CREATE TABLE digest_sends (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('daily', 'now', 'test')),
    day          TEXT,                             -- the local day a daily digest is for
    window_since TEXT,
    window_until TEXT,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'interrupted')),
    recipients   TEXT NOT NULL DEFAULT '[]',
    transport    TEXT,
    narrative    TEXT,
    size_bytes   INTEGER,
    subject      TEXT,
    error        TEXT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    created_by   TEXT
);
-- One daily digest per day, whatever happens: a claim that is sending, sent, or was cut short by
-- a crash (then nobody can know whether the mail went out, so it is not sent again) blocks it.
CREATE UNIQUE INDEX digest_sends_one_per_day ON digest_sends (day)
    WHERE kind = 'daily' AND status IN ('sending', 'sent', 'interrupted');
CREATE INDEX digest_sends_recent ON digest_sends (started_at);
