-- Email capture: the team's mailboxes (synced from Gmail or imported), the mail in them stored
-- once per RFC Message-ID however many mailboxes saw it, threads, the people on each message,
-- links to investors with how they matched, proposals a person approves, and every sync run.
-- Bodies and attachment bytes are kept only for mail matched to an investor (a privacy rule):
-- unmatched mail is metadata only. Nothing is deleted: rows are archived.

CREATE TABLE email_accounts (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL COLLATE NOCASE,
    auth             TEXT NOT NULL CHECK (auth IN ('delegation', 'oauth', 'import')),
    refresh_token    TEXT,             -- OAuth only: sealed with AES-GCM under the email key, never returned
    history_id       TEXT,             -- the History API cursor, set once a backfill has completed
    backfill_token   TEXT,             -- the next messages.list page of an unfinished backfill
    backfill_history_id TEXT,          -- the mailbox's historyId when the backfill began: incremental sync starts there
    backfill_done_at TEXT,
    last_sync_at     TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    created_by       TEXT,
    archived_at      TEXT,
    archived_by      TEXT
);
CREATE UNIQUE INDEX email_accounts_live ON email_accounts(email) WHERE archived_at IS NULL;

CREATE TABLE email_threads (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL DEFAULT '',
    first_at      TEXT,
    last_at       TEXT,
    message_count INTEGER NOT NULL DEFAULT 0,
    merged_into   TEXT REFERENCES email_threads(id),  -- two threads found to be one conversation
    archived_at   TEXT
);
CREATE INDEX email_threads_last ON email_threads(last_at) WHERE merged_into IS NULL;

CREATE TABLE email_messages (
    id               TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,     -- RFC Message-ID (generated from the bytes when missing)
    thread_id        TEXT NOT NULL REFERENCES email_threads(id),
    subject          TEXT NOT NULL DEFAULT '',
    from_addr        TEXT,
    from_name        TEXT,
    to_json          TEXT NOT NULL DEFAULT '[]',   -- [{name, addr}]
    cc_json          TEXT NOT NULL DEFAULT '[]',
    sent_at          TEXT NOT NULL,                -- the Date header, else when it was first seen
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
    in_reply_to      TEXT,
    gmail_thread_key TEXT,                         -- "<account id>:<Gmail threadId>" of the first sighting
    snippet          TEXT NOT NULL DEFAULT '',     -- matched mail only, like the bodies
    body_text        TEXT,
    body_html        TEXT,                         -- sanitised when stored
    matched          INTEGER NOT NULL DEFAULT 0,
    body_pending     INTEGER NOT NULL DEFAULT 0,   -- matched after its body was dropped: fetch it again
    size             INTEGER NOT NULL DEFAULT 0,
    attachment_count INTEGER NOT NULL DEFAULT 0,
    problems_json    TEXT,
    created_at       TEXT NOT NULL,
    archived_at      TEXT,
    archived_by      TEXT
);
CREATE INDEX email_messages_thread ON email_messages(thread_id, sent_at);
CREATE INDEX email_messages_sent ON email_messages(sent_at);
CREATE INDEX email_messages_gmail_thread ON email_messages(gmail_thread_key);

-- The Message-IDs a message names in In-Reply-To and References: threads join whichever of
-- parent or child arrives first (a backfill lists newest first).
CREATE TABLE email_references (
    message_id TEXT NOT NULL REFERENCES email_messages(id),
    ref        TEXT NOT NULL,
    PRIMARY KEY (message_id, ref)
);
CREATE INDEX email_references_ref ON email_references(ref);

-- Every address on a message, for matching, re-matching and the People screen.
CREATE TABLE email_participants (
    message_id TEXT NOT NULL REFERENCES email_messages(id),
    role       TEXT NOT NULL CHECK (role IN ('from', 'to', 'cc', 'bcc')),
    addr       TEXT NOT NULL,
    domain     TEXT NOT NULL,
    name       TEXT,
    team       INTEGER NOT NULL DEFAULT 0,     -- one of the team's own addresses
    PRIMARY KEY (message_id, role, addr)
);
CREATE INDEX email_participants_addr ON email_participants(addr);
CREATE INDEX email_participants_domain ON email_participants(domain);

-- Where each email was seen: one email, several mailboxes (and the Gmail id in each).
CREATE TABLE email_sightings (
    account_id      TEXT NOT NULL REFERENCES email_accounts(id),
    source_id       TEXT NOT NULL,             -- the Gmail message id, or "import:<Message-ID>"
    message_id      TEXT NOT NULL REFERENCES email_messages(id),
    gmail_thread_id TEXT,
    labels_json     TEXT,
    seen_at         TEXT NOT NULL,
    PRIMARY KEY (account_id, source_id)
);
CREATE INDEX email_sightings_message ON email_sightings(message_id);

CREATE TABLE email_attachments (
    id           TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES email_messages(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT,          -- the bytes under <data dir>/email_attachments/; NULL: not kept (over the cap, or unmatched)
    inline       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX email_attachments_message ON email_attachments(message_id);

CREATE TABLE email_links (
    message_id  TEXT NOT NULL REFERENCES email_messages(id),
    investor_id TEXT NOT NULL REFERENCES investors(id),
    contact_id  TEXT,                          -- the person whose address matched exactly
    match_kind  TEXT NOT NULL CHECK (match_kind IN ('exact_email', 'domain')),
    confidence  REAL NOT NULL,
    address     TEXT NOT NULL,                 -- the counterpart address that matched
    created_at  TEXT NOT NULL,
    archived_at TEXT,                          -- a re-match no longer finds it
    PRIMARY KEY (message_id, investor_id)
);
CREATE INDEX email_links_investor ON email_links(investor_id) WHERE archived_at IS NULL;

CREATE TABLE email_proposals (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('log_touch', 'add_person')),
    dedupe_key     TEXT NOT NULL UNIQUE,      -- one proposal per thing proposed, however often it is seen
    investor_id    TEXT NOT NULL REFERENCES investors(id),
    thread_id      TEXT REFERENCES email_threads(id),
    message_id     TEXT REFERENCES email_messages(id),   -- log_touch: the latest message of the thread
    address        TEXT,                      -- add_person
    name           TEXT,
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    created_at     TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT,
    interaction_id TEXT
);
CREATE INDEX email_proposals_pending ON email_proposals(created_at) WHERE status = 'pending';
CREATE INDEX email_proposals_thread ON email_proposals(investor_id, thread_id);

CREATE TABLE email_sync_runs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT REFERENCES email_accounts(id),   -- NULL: an import
    kind        TEXT NOT NULL CHECK (kind IN ('backfill', 'incremental', 'resync', 'import')),
    trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'upload')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'error', 'interrupted')),
    fetched     INTEGER NOT NULL DEFAULT 0,
    new         INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    matched     INTEGER NOT NULL DEFAULT 0,
    errors_json TEXT,
    duration_ms INTEGER
);
CREATE INDEX email_sync_runs_started ON email_sync_runs(started_at);
