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


# Where each kind of entity keeps the name a person knows it by (archived ones included: the log
# outlives them).
_NAMES = {"investor": ("investors", "name"), "column": ("grid_columns", "name"), "view": ("views", "name"),
          "automation_rule": ("automation_rules", "name"), "user": ("users", "username"),
          "service_token": ("service_tokens", "name"), "invite": ("invites", "email"),
          "task": ("tasks", "title"), "feature_request": ("feature_requests", "title")}


def name_entities(conn: sqlite3.Connection, entries: list[dict]) -> list[dict]:
    """Give each entry an `entity_name` ("Halcyon Family Office", "Fund III"), one query per
    kind of entity; None when the entity has no name or is not known."""
    wanted: dict[str, set] = {}
    for entry in entries:
        if entry.get("entity_type") in _NAMES and entry.get("entity_id"):
            wanted.setdefault(entry["entity_type"], set()).add(entry["entity_id"])
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        table, column = _NAMES[kind]
        ids = list(ids)
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            for entity_id, name in conn.execute(
                    f"SELECT id, {column} FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                names[(kind, entity_id)] = name or None
    for entry in entries:
        entry["entity_name"] = names.get((entry.get("entity_type"), entry.get("entity_id")))
    return entries


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
    return name_entities(conn, entries), total


class AuditLog:
    """Reading the audit log (writes go through `record` inside each mutation's transaction)."""

    def __init__(self, db):
        self.db = db

    def entries(self, filters: dict, limit: int, offset: int) -> tuple[list, int]:
        with self.db.read() as conn:
            return list_entries(conn, filters, limit, offset)
