-- Follow-up drafts: a person composed a follow-up to an investor and the CRM saved it as a draft
-- in that person's own Gmail mailbox (users.drafts.create) for them to review and send from
-- Gmail. The CRM never sends it. One row per saved draft, written with its audit entry; the
-- body is not kept (it is in Gmail), only a short snippet for the investor panel. Nothing is
-- deleted: a row is archived.

CREATE TABLE followup_drafts (
    id               TEXT PRIMARY KEY,
    investor_id      TEXT NOT NULL REFERENCES investors(id),
    thread_id        TEXT REFERENCES email_threads(id),   -- the conversation it answers, if any
    mailbox          TEXT NOT NULL COLLATE NOCASE,        -- the requesting person's own mailbox
    account_id       TEXT REFERENCES email_accounts(id),
    gmail_draft_id   TEXT NOT NULL,
    gmail_message_id TEXT,                                -- the draft's message in Gmail
    gmail_thread_id  TEXT,                                -- the conversation's Gmail thread it joined (NULL: on its own)
    rfc_message_id   TEXT,                                -- the Message-ID the draft carries
    subject          TEXT NOT NULL,
    snippet          TEXT NOT NULL DEFAULT '',            -- the body's first words (bounded)
    to_addresses     TEXT NOT NULL,                       -- JSON list of addresses
    model            TEXT NOT NULL CHECK (model IN ('llm', 'template', 'manual')),  -- where the text came from
    created_by       TEXT NOT NULL,                       -- user id
    created_by_name  TEXT,
    created_at       TEXT NOT NULL,
    archived_at      TEXT,
    archived_by      TEXT
);
CREATE INDEX followup_drafts_investor ON followup_drafts(investor_id, created_at) WHERE archived_at IS NULL;
