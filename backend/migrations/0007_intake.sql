-- What chat intake committed, by the chat event that asked for it (`ref`): a `yes` seen twice (a
-- replayed event, a bot restarted between a reply and its commit) returns the first result
-- instead of writing again.

CREATE TABLE intake_refs (
    ref        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('investor', 'interaction')),
    result_id  TEXT NOT NULL,
    source     TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT
);
