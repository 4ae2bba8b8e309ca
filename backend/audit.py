"""The audit log: one append-only row per mutation, written in the mutation's own transaction."""
from __future__ import annotations

import json
import sqlite3

from .db import utc_now
from .principal import Principal


def record(conn: sqlite3.Connection, actor: Principal, action: str, entity_type: str | None = None,
           entity_id: str | None = None, details: dict | None = None) -> None:
    """Append an entry. Call it inside the same `db.transaction()` as the change it describes."""
    if not conn.in_transaction:
        raise RuntimeError("audit.record must run inside the mutation's transaction")
    conn.execute(
        "INSERT INTO audit_log (at, actor_type, actor_id, actor_name, action, entity_type,"
        " entity_id, details, ip) VALUES (?,?,?,?,?,?,?,?,?)",
        (utc_now(), actor.kind, actor.id, actor.name, action, entity_type, entity_id,
         json.dumps(details, sort_keys=True, default=str) if details else None, actor.ip))


def record_many(conn: sqlite3.Connection, actor: Principal, action: str, entity_type: str,
                entries: list[tuple[str, dict | None]]) -> None:
    """`record` for many entities at once (bulk imports), in the same transaction."""
    if not conn.in_transaction:
        raise RuntimeError("audit.record_many must run inside the mutation's transaction")
    at = utc_now()
    conn.executemany(
        "INSERT INTO audit_log (at, actor_type, actor_id, actor_name, action, entity_type, entity_id, details, ip)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [(at, actor.kind, actor.id, actor.name, action, entity_type, entity_id,
          json.dumps(details, sort_keys=True, default=str) if details else None, actor.ip)
         for entity_id, details in entries])


FILTERS = {"action": "action = ?", "entity_type": "entity_type = ?", "entity_id": "entity_id = ?",
           "actor_id": "actor_id = ?", "since": "at >= ?", "until": "at < ?"}


def list_entries(conn: sqlite3.Connection, filters: dict, limit: int, offset: int) -> tuple[list, int]:
    """Newest first. `filters` keys are those of FILTERS; returns (entries, total)."""
    where = [FILTERS[k] for k in FILTERS if filters.get(k)]
    args = [filters[k] for k in FILTERS if filters.get(k)]
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = conn.execute(f"SELECT count(*) FROM audit_log{clause}", args).fetchone()[0]
    rows = conn.execute(
        "SELECT id, at, actor_type, actor_id, actor_name, action, entity_type, entity_id, details,"
        f" ip FROM audit_log{clause} ORDER BY id DESC LIMIT ? OFFSET ?", [*args, limit, offset])
    entries = [{"id": r[0], "at": r[1], "actor": {"type": r[2], "id": r[3], "name": r[4]},
                "action": r[5], "entity_type": r[6], "entity_id": r[7],
                "details": json.loads(r[8]) if r[8] else {}, "ip": r[9]} for r in rows]
    return entries, total


class AuditLog:
    """Reading the audit log (writes go through `record` inside each mutation's transaction)."""

    def __init__(self, db):
        self.db = db

    def entries(self, filters: dict, limit: int, offset: int) -> tuple[list, int]:
        with self.db.read() as conn:
            return list_entries(conn, filters, limit, offset)
