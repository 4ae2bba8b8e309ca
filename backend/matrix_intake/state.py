"""The bot's own SQLite file: proposals by the chat message that started them, the events already
handled, and the sync position. Everything the bot must not forget across a restart lives here;
each change is one transaction, so a kill at any instant leaves a state the bot can resume from."""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    root_event_id TEXT PRIMARY KEY,
    room_id       TEXT NOT NULL,
    author        TEXT NOT NULL,
    text          TEXT NOT NULL,
    proposal      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'discarded', 'expired')),
    card_event_id TEXT,
    last_event_id TEXT,
    result        TEXT,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    expires_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS proposals_pending ON proposals (state, expires_at);
CREATE TABLE IF NOT EXISTS handled_events (
    event_id   TEXT PRIMARY KEY,
    handled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass
class Stored:
    """One proposal as kept: the note's event, who wrote it, the proposal and where it stands."""
    root_event_id: str
    room_id: str
    author: str
    text: str
    proposal: dict
    state: str
    card_event_id: str | None
    last_event_id: str | None
    result: dict | None
    created_at: float
    expires_at: float


class State:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def _write(self, sql: str, args: tuple) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(sql, args)

    # --- settings: sync position, the bot's device -------------------------------------------

    def get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        self._write("INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # --- events ------------------------------------------------------------------------------

    def handled(self, event_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM handled_events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def mark_handled(self, event_id: str) -> None:
        self._write("INSERT OR IGNORE INTO handled_events (event_id, handled_at) VALUES (?, ?)",
                    (event_id, time.time()))

    # --- proposals ---------------------------------------------------------------------------

    def create(self, root_event_id: str, room_id: str, author: str, text: str, proposal: dict,
               ttl_seconds: float) -> Stored:
        now = time.time()
        self._write("INSERT OR IGNORE INTO proposals (root_event_id, room_id, author, text, proposal, state,"
                    " created_at, updated_at, expires_at) VALUES (?,?,?,?,?,'pending',?,?,?)",
                    (root_event_id, room_id, author, text, json.dumps(proposal), now, now, now + ttl_seconds))
        return self.find(root_event_id)

    def find(self, root_event_id: str) -> Stored | None:
        row = self.conn.execute(
            "SELECT root_event_id, room_id, author, text, proposal, state, card_event_id, last_event_id,"
            " result, created_at, expires_at FROM proposals WHERE root_event_id = ?", (root_event_id,)).fetchone()
        if row is None:
            return None
        return Stored(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7],
                      json.loads(row[8]) if row[8] else None, row[9], row[10])

    def update(self, root_event_id: str, *, proposal: dict | None = None, state: str | None = None,
               card_event_id: str | None = None, last_event_id: str | None = None,
               result: dict | None = None) -> None:
        sets, args = ["updated_at = ?"], [time.time()]
        for column, value in (("proposal", proposal), ("state", state), ("card_event_id", card_event_id),
                              ("last_event_id", last_event_id), ("result", result)):
            if value is not None:
                sets.append(f"{column} = ?")
                args.append(json.dumps(value) if isinstance(value, dict) else value)
        self._write(f"UPDATE proposals SET {', '.join(sets)} WHERE root_event_id = ?", (*args, root_event_id))

    def root_of(self, event_id: str) -> str | None:
        """The proposal an event belongs to: its note, its card or the bot's latest answer in it."""
        row = self.conn.execute("SELECT root_event_id FROM proposals WHERE ? IN (root_event_id, card_event_id,"
                                " last_event_id)", (event_id,)).fetchone()
        return row[0] if row else None

    def due_to_expire(self, now: float | None = None) -> list[Stored]:
        rows = self.conn.execute("SELECT root_event_id FROM proposals WHERE state = 'pending' AND expires_at <= ?",
                                 (time.time() if now is None else now,)).fetchall()
        return [self.find(r[0]) for r in rows]

    def counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, COUNT(*) FROM proposals GROUP BY state").fetchall())
