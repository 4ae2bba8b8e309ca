"""The interaction log: an append-only record of every touch of an investor, with provenance."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from .. import audit
from . import activity
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, NotFound
from ..principal import Principal

KINDS = ("note", "email", "meeting", "call", "intake", "automation", "import")
SOURCES = ("ui", "matrix_intake", "gmail", "automation", "import", "api", "mcp")
FIELDS = "id, investor_id, at, occurred_at, kind, source, actor_type, actor_id, actor_name, summary, body, ref"


def entry_dict(row) -> dict:
    return {"id": row[0], "investor_id": row[1], "at": row[2], "occurred_at": row[3], "kind": row[4],
            "source": row[5], "by": {"type": row[6], "id": row[7], "name": row[8]}, "summary": row[9],
            "body": row[10], "ref": json.loads(row[11]) if row[11] else None}


def record(conn: sqlite3.Connection, actor: Principal, investor_id: str, kind: str, source: str,
           summary: str, body: str | None = None, occurred_at: str | None = None, ref: dict | None = None) -> str:
    """Append a touch inside the caller's transaction; returns its id."""
    entry_id, now = new_id(), utc_now()
    conn.execute(f"INSERT INTO interactions ({FIELDS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 (entry_id, investor_id, now, occurred_at or now, kind, source, actor.kind, actor.id, actor.name,
                  summary, body, json.dumps(ref) if ref else None))
    return entry_id


def check(kind: str, source: str, occurred_at: str | None) -> None:
    """Refuse a kind, a source or a date the log does not take (400 naming the field)."""
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    if source not in SOURCES:
        raise BadRequest(f"source must be one of: {', '.join(SOURCES)}", field="source")
    if occurred_at is not None:
        try:
            datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest("occurred_at must be an ISO-8601 date or time", field="occurred_at") from None


def add_in(conn: sqlite3.Connection, actor: Principal, investor_id: str, kind: str, source: str, summary: str,
           body: str | None, occurred_at: str | None, ref: dict | None = None) -> dict:
    """A touch of a live investor inside the caller's transaction: validated, recorded, audited."""
    check(kind, source, occurred_at)
    if conn.execute("SELECT 1 FROM investors WHERE id = ? AND archived_at IS NULL", (investor_id,)).fetchone() is None:
        raise NotFound(f"investor {investor_id} does not exist")
    entry_id = record(conn, actor, investor_id, kind, source, summary, body, occurred_at, ref)
    audit.record(conn, actor, "interaction.added", "investor", investor_id,
                 {"interaction_id": entry_id, "kind": kind, "source": source, "summary": summary})
    return entry_dict(conn.execute(f"SELECT {FIELDS} FROM interactions WHERE id = ?", (entry_id,)).fetchone())


def add(db: Database, actor: Principal, investor_id: str, kind: str, source: str, summary: str,
        body: str | None, occurred_at: str | None, ref: dict | None = None, then=None) -> dict:
    """A person's or a bot's note/meeting/email about an investor (validated, audited) in its own
    transaction; `then(conn, entry_id)` runs in the same transaction."""
    check(kind, source, occurred_at)
    with db.transaction() as conn:
        entry = add_in(conn, actor, investor_id, kind, source, summary, body, occurred_at, ref)
        if then:
            then(conn, entry["id"])
        return entry


def for_investor(conn: sqlite3.Connection, investor_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
    total = conn.execute("SELECT count(*) FROM interactions WHERE investor_id = ?", (investor_id,)).fetchone()[0]
    rows = conn.execute(f"SELECT {FIELDS} FROM interactions WHERE investor_id = ?"
                        " ORDER BY occurred_at DESC, at DESC LIMIT ? OFFSET ?", (investor_id, limit, offset))
    return [entry_dict(r) for r in rows], total


class InteractionLog:
    """An investor's touches as the HTTP layer calls them (one service on the app)."""

    def __init__(self, db: Database):
        self.db = db

    def for_investor(self, investor_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM investors WHERE id = ?", (investor_id,)).fetchone() is None:
                raise NotFound(f"investor {investor_id} does not exist")
            return for_investor(conn, investor_id, limit, offset)

    def add(self, actor: Principal, investor_id: str, kind: str, source: str, summary: str,
            body: str | None, occurred_at: str | None, ref: dict | None = None) -> dict:
        return add(self.db, actor, investor_id, kind, source, summary, body, occurred_at, ref)

    def activity(self, backups: list[dict], limit: int, offset: int) -> tuple[list[dict], int, dict]:
        """The admin feed: audit entries, automation runs and `backups`, merged newest first;
        with the total and the count from each source."""
        return activity.feed(self.db, backups, limit, offset)


def move(conn: sqlite3.Connection, from_id: str, to_id: str) -> list[str]:
    """A merge: every touch of `from_id` becomes `to_id`'s inside the caller's transaction (the
    only UPDATE the log's trigger allows: investor_id alone). Returns the ids moved."""
    ids = [r[0] for r in conn.execute("SELECT id FROM interactions WHERE investor_id = ?", (from_id,))]
    conn.executemany("UPDATE interactions SET investor_id = ? WHERE id = ?", [(to_id, i) for i in ids])
    return ids


def move_back(conn: sqlite3.Connection, ids: list[str], from_id: str, to_id: str) -> list[str]:
    """An unmerge: the touches `ids` that are still `from_id`'s go back to `to_id`."""
    back = [i for i in ids if conn.execute("SELECT 1 FROM interactions WHERE id = ? AND investor_id = ?",
                                           (i, from_id)).fetchone()]
    conn.executemany("UPDATE interactions SET investor_id = ? WHERE id = ?", [(to_id, i) for i in back])
    return back
