"""Service tokens for bots and scripts: random, shown once, stored hashed, scoped, revocable."""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time

from .. import audit
from ..db import Database, new_id, utc_now
from ..errors import Conflict, NotFound, Unauthorized
from ..principal import Principal

SCOPES = {
    "intake:match": "Look up existing investors by name or email (Matrix intake).",
    "intake:write": "Create investors and append notes to the interaction log (Matrix intake).",
    "grid:read": "Read the fundraising grid, views and history.",
    "grid:write": "Edit grid rows and cells.",
    "email:read": "Read captured mail, threads, proposals and the people seen in mail.",
    "search:read": "Search notes, interactions, matched mail and long-text cells (GET /api/search).",
}
TOKEN_PREFIX = "vcrm_"
TOKEN_FIELDS = "id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at"
# Recording every use would turn each bot read into a write; once a minute is enough to audit.
LAST_USED_GRANULARITY_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_dict(row) -> dict:
    return {"id": row[0], "name": row[1], "prefix": row[2], "scopes": json.loads(row[3]),
            "created_by": row[4], "created_at": row[5], "last_used_at": row[6],
            "revoked_at": row[7], "active": row[7] is None}


def list_tokens(conn: sqlite3.Connection) -> list[dict]:
    return [_token_dict(r) for r in conn.execute(
        f"SELECT {TOKEN_FIELDS} FROM service_tokens ORDER BY revoked_at IS NOT NULL, created_at DESC")]


def create_token(db: Database, actor: Principal, name: str, scopes: list[str]) -> dict:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = new_id()
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO service_tokens (id, name, token_hash, prefix, scopes, created_by, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (token_id, name, _hash(token), token[:len(TOKEN_PREFIX) + 6], json.dumps(sorted(scopes)),
             actor.id, utc_now()))
        audit.record(conn, actor, "service_token.created", "service_token", token_id,
                     {"name": name, "scopes": sorted(scopes)})
        row = conn.execute(f"SELECT {TOKEN_FIELDS} FROM service_tokens WHERE id = ?", (token_id,)).fetchone()
    return {**_token_dict(row), "token": token}


def revoke_token(db: Database, actor: Principal, token_id: str) -> dict:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT {TOKEN_FIELDS} FROM service_tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None:
            raise NotFound(f"service token {token_id} does not exist")
        if row[7] is not None:
            raise Conflict("service token is already revoked")
        conn.execute("UPDATE service_tokens SET revoked_at = ? WHERE id = ?", (utc_now(), token_id))
        audit.record(conn, actor, "service_token.revoked", "service_token", token_id, {"name": row[1]})
        return _token_dict(conn.execute(f"SELECT {TOKEN_FIELDS} FROM service_tokens WHERE id = ?",
                                        (token_id,)).fetchone())


class ServiceTokens:
    """Service tokens as the HTTP layer calls them: list, mint, revoke, and resolve `X-API-Key`
    values (remembering, coarsely, when each token was last used)."""

    def __init__(self, db: Database):
        self._db = db
        self._last_marked: dict[str, float] = {}
        self._lock = threading.Lock()

    def list(self) -> list[dict]:
        with self._db.read() as conn:
            return list_tokens(conn)

    def create(self, actor: Principal, name: str, scopes: list[str]) -> dict:
        return create_token(self._db, actor, name, scopes)

    def revoke(self, actor: Principal, token_id: str) -> dict:
        return revoke_token(self._db, actor, token_id)

    def authenticate(self, conn: sqlite3.Connection, token: str, ip: str | None) -> Principal:
        row = conn.execute("SELECT id, name, scopes, revoked_at FROM service_tokens WHERE token_hash = ?",
                           (_hash(token),)).fetchone()
        if row is None:
            raise Unauthorized("invalid service token", code="invalid_token")
        if row[3] is not None:
            raise Unauthorized("service token has been revoked", code="token_revoked")
        self._mark_used(row[0])
        return Principal("service", id=row[0], name=row[1], scopes=frozenset(json.loads(row[2])), ip=ip)

    def _mark_used(self, token_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_marked.get(token_id, -1e9) < LAST_USED_GRANULARITY_SECONDS:
                return
            self._last_marked[token_id] = now
        with self._db.transaction() as conn:
            conn.execute("UPDATE service_tokens SET last_used_at = ? WHERE id = ?", (utc_now(), token_id))
