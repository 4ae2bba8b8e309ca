"""Where search reads what it indexes: read-only SQL over the grid, interaction-log and email
tables, turned into chunks by `chunking`. Used by the indexer (what should be in the index) and
by hydration (what a hit says now, and whether it may still be shown at all).

Nothing archived is ever a chunk: an archived investor has none; an archived message, email link
or column gives none; only mail matched to an investor has a body to index.
"""
from __future__ import annotations

import json
import sqlite3

from . import chunking
from .chunking import Chunk

GRID_TYPES = ("note", "investor")
ALL_TYPES = chunking.TYPES
_EMAIL_FIELDS = ("m.id, l.investor_id, m.subject, m.body_text, m.body_html, m.sent_at,"
                 " coalesce(nullif(m.from_name, ''), m.from_addr)")


def _marks(items) -> str:
    return ",".join("?" * len(items))


def long_text_columns(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    """(id, name, field) of every live long-text column (Notes has field 'notes')."""
    return conn.execute("SELECT id, name, field FROM grid_columns WHERE type = 'long_text' AND archived_at IS NULL"
                        " ORDER BY position").fetchall()


def live_investors(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple]:
    """id -> (name, notes, lead_source, created_at) for the live ones among `ids`."""
    out = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for row in conn.execute(f"SELECT id, name, notes, lead_source, created_at FROM investors"
                                f" WHERE archived_at IS NULL AND id IN ({_marks(part)})", part):
            out[row[0]] = row[1:]
    return out


def investor_chunks(conn: sqlite3.Connection, ids: list[str], types: tuple[str, ...] = ALL_TYPES) -> dict[str, list[Chunk]]:
    """Every chunk of `types` each investor in `ids` should have now ([] for an archived one)."""
    live = live_investors(conn, ids)
    out: dict[str, list[Chunk]] = {i: [] for i in ids}
    if not live:
        return out
    live_ids = list(live)
    if "note" in types or "investor" in types:
        columns = long_text_columns(conn)
        notes_col = next((c for c in columns if c[2] == "notes"), None)
        cells = [c for c in columns if c[2] is None]
        for inv_id, (name, notes, lead_source, created_at) in live.items():
            if "note" in types and notes_col is not None and notes:
                at, by = _last_edit(conn, inv_id, notes_col[0], created_at)
                out[inv_id] += chunking.note_chunks(inv_id, name, notes, at, by, since=created_at)
            if "investor" in types:
                out[inv_id] += chunking.name_chunk(inv_id, name, lead_source, created_at)
        if "investor" in types and cells:
            col_names = {c[0]: c[1] for c in cells}
            for start in range(0, len(live_ids), 500):
                part = live_ids[start:start + 500]
                rows = conn.execute(
                    f"SELECT investor_id, column_id, value, updated_at, updated_by FROM cell_values"
                    f" WHERE investor_id IN ({_marks(part)}) AND column_id IN ({_marks(col_names)})"
                    f" AND value IS NOT NULL", [*part, *col_names])
                for inv_id, col_id, value, at, by in rows:
                    out[inv_id] += chunking.cell_chunks(inv_id, live[inv_id][0], col_id, col_names[col_id],
                                                        _json_text(value), at, by)
    for start in range(0, len(live_ids), 500):
        part = live_ids[start:start + 500]
        if "interaction" in types:
            for row in conn.execute(f"SELECT id, investor_id, summary, body, occurred_at, actor_name, kind"
                                    f" FROM interactions WHERE investor_id IN ({_marks(part)})", part):
                out[row[1]] += _interaction(row, live[row[1]][0])
        if "email" in types:
            for row in conn.execute(f"SELECT {_EMAIL_FIELDS} FROM email_links l JOIN email_messages m ON m.id = l.message_id"
                                    f" WHERE l.investor_id IN ({_marks(part)}) AND l.archived_at IS NULL"
                                    f" AND m.archived_at IS NULL AND m.matched = 1", part):
                out[row[1]] += chunking.email_chunks(row[0], row[1], live[row[1]][0], *row[2:])
    return out


def _interaction(row, investor_name: str) -> list[Chunk]:
    entry_id, inv_id, summary, body, occurred_at, author, kind = row
    return chunking.interaction_chunks(entry_id, inv_id, investor_name, summary, body, occurred_at, author, kind)


def _last_edit(conn: sqlite3.Connection, investor_id: str, column_id: str, fallback: str | None) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT at, actor_name FROM grid_changes WHERE investor_id = ? AND column_id = ?"
                       " ORDER BY seq DESC LIMIT 1", (investor_id, column_id)).fetchone()
    return (row[0], row[1]) if row else (fallback, None)


def _json_text(value: str | None) -> str | None:
    try:
        parsed = json.loads(value) if value else None
    except ValueError:
        return value
    return parsed if isinstance(parsed, str) else None


def interactions_after(conn: sqlite3.Connection, rowid: int, limit: int) -> list[tuple[int, list[Chunk], str]]:
    """(rowid, chunks, entry id) of log entries recorded after `rowid` (none for an archived investor)."""
    rows = conn.execute("SELECT i.rowid, i.id, i.investor_id, i.summary, i.body, i.occurred_at, i.actor_name, i.kind,"
                        " v.name, v.archived_at FROM interactions i JOIN investors v ON v.id = i.investor_id"
                        " WHERE i.rowid > ? ORDER BY i.rowid LIMIT ?", (rowid, limit)).fetchall()
    return [(r[0], [] if r[9] else _interaction(r[1:8], r[8]), r[1]) for r in rows]


def links_after(conn: sqlite3.Connection, rowid: int, limit: int) -> list[tuple[int, str, str]]:
    """(rowid, message id, investor id) of email links made after `rowid`."""
    return conn.execute("SELECT rowid, message_id, investor_id FROM email_links WHERE rowid > ? ORDER BY rowid LIMIT ?",
                        (rowid, limit)).fetchall()


def email_pair_chunks(conn: sqlite3.Connection, message_id: str, investor_id: str) -> list[Chunk]:
    row = conn.execute(f"SELECT {_EMAIL_FIELDS}, v.name FROM email_links l JOIN email_messages m ON m.id = l.message_id"
                       " JOIN investors v ON v.id = l.investor_id WHERE l.message_id = ? AND l.investor_id = ?"
                       " AND l.archived_at IS NULL AND m.archived_at IS NULL AND m.matched = 1 AND v.archived_at IS NULL",
                       (message_id, investor_id)).fetchone()
    return chunking.email_chunks(row[0], row[1], row[7], *row[2:7]) if row else []


def cursors_now(conn: sqlite3.Connection) -> dict[str, int]:
    """The end of every feed the indexer follows."""
    return {"grid_seq": conn.execute("SELECT coalesce(max(seq), 0) FROM grid_changes").fetchone()[0],
            "interaction_rowid": conn.execute("SELECT coalesce(max(rowid), 0) FROM interactions").fetchone()[0],
            "link_rowid": conn.execute("SELECT coalesce(max(rowid), 0) FROM email_links").fetchone()[0]}


def current(conn: sqlite3.Connection, payload: dict) -> tuple[Chunk, str] | None:
    """The chunk a hit names as its source says it now, with a title; None when it may not be
    shown (its investor, message, link or column is archived or gone) or no longer exists."""
    kind, source_id, inv_id, key = payload.get("type"), payload.get("source_id"), payload.get("investor_id"), payload.get("key")
    if not (kind and source_id and inv_id and key):
        return None
    if kind == "email":
        chunks = email_pair_chunks(conn, source_id, inv_id)
    elif kind == "interaction":
        row = conn.execute("SELECT i.id, i.investor_id, i.summary, i.body, i.occurred_at, i.actor_name, i.kind, v.name"
                           " FROM interactions i JOIN investors v ON v.id = i.investor_id"
                           " WHERE i.id = ? AND v.archived_at IS NULL", (source_id,)).fetchone()
        chunks = _interaction(row[:7], row[7]) if row else []
    else:
        chunks = investor_chunks(conn, [inv_id], (kind,)).get(inv_id, [])
    chunk = next((c for c in chunks if c.key == key), None)
    if chunk is None:
        return None
    name = chunk.investor_name or ""
    if kind == "email":
        title = chunk.extra.get("subject") or "(no subject)"
    elif kind == "interaction":
        title = chunk.extra.get("summary") or "Interaction"
    elif kind == "note":
        title = f"{name} · Notes"
    else:
        title = f"{name} · {chunk.extra['column']}" if chunk.column_id else name
    return chunk, title[:200]
