-- Search: what the indexer has put into Qdrant and how far it has read each source. Derived
-- bookkeeping, rebuilt from the data at will (a rebuild marks every chunk removed and starts the
-- cursors again). `search_state` holds the cursors (the grid's change-feed seq, the interaction
-- log's and the email links' rowids) and the collection's shape; `search_chunks` one row per chunk
-- ever indexed, with the content hash that lets an unchanged chunk be skipped. A chunk that is
-- gone from its source is marked `removed_at` (and its point deleted from Qdrant), never deleted.

CREATE TABLE search_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE search_chunks (
    chunk_key    TEXT PRIMARY KEY,
    source_type  TEXT NOT NULL CHECK (source_type IN ('email', 'note', 'interaction', 'investor')),
    source_id    TEXT NOT NULL,
    investor_id  TEXT,
    content_hash TEXT NOT NULL,
    indexed_at   TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX search_chunks_investor ON search_chunks(investor_id) WHERE removed_at IS NULL;
CREATE INDEX search_chunks_source ON search_chunks(source_id) WHERE removed_at IS NULL;
