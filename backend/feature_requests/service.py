"""The feature requests on the app (`app.feature_requests`): the list (by status, newest first,
paged, with the count per status), filing one, editing it, setting its status, archiving and
restoring it. Every mutation writes its audit entry in its own transaction.

Who may change what is decided here, not in the handler: the author edits the title and details
while the request is still new; an admin sets the status and its note at any time (an admin who
filed the request edits it like any author); the author or an admin archives it.
"""
from __future__ import annotations

import sqlite3

from .. import audit
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..principal import Principal

STATUSES = ("new", "planned", "done", "declined")
TITLE_MAX, DETAILS_MAX, NOTE_MAX = 200, 10_000, 2_000
ENTITY = "feature_request"

_COLUMNS = ("r.id, r.title, r.details, r.status, r.status_note, r.created_by,"
            " COALESCE(u.username, r.created_by_name), r.created_at, r.updated_at, r.status_by, r.status_at")
_FROM = " FROM feature_requests r LEFT JOIN users u ON u.id = r.created_by"


def _as_dict(row, viewer: Principal) -> dict:
    return {"id": row[0], "title": row[1], "details": row[2] or "", "status": row[3], "status_note": row[4],
            "created_by": {"id": row[5], "name": row[6]}, "created_at": row[7], "updated_at": row[8],
            "status_by": row[9], "status_at": row[10], "mine": viewer.kind == "user" and row[5] == viewer.id}


def _text(name: str, value, most: int, required: bool = False) -> str:
    """A title or details as stored: a string, stripped, within its bounds (400 naming the field)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"field '{name}' must be a string", field=name)
    value = value.strip()
    if "\x00" in value:
        raise BadRequest(f"field '{name}' must not contain NUL characters", field=name)
    if required and not value:
        raise BadRequest(f"field '{name}' must not be empty", field=name)
    if len(value) > most:
        raise BadRequest(f"field '{name}' must have at most {most:,} characters", field=name)
    return value


class FeatureRequests:
    def __init__(self, db: Database):
        self.db = db

    # --- reads -----------------------------------------------------------------------------------

    def list(self, viewer: Principal, status: str, limit: int, offset: int) -> tuple[list[dict], int, dict]:
        """Live requests (all, or those of one status), newest first; with the total of that
        selection and the count per status (and `all`) for the page's tabs."""
        if status != "all" and status not in STATUSES:
            raise BadRequest(f"status must be one of: all, {', '.join(STATUSES)}", field="status")
        where, args = " WHERE r.archived_at IS NULL", []
        if status != "all":
            where += " AND r.status = ?"
            args.append(status)
        with self.db.read() as conn:
            counts = dict.fromkeys(STATUSES, 0)
            counts.update(conn.execute("SELECT status, count(*) FROM feature_requests WHERE archived_at IS NULL"
                                       " GROUP BY status").fetchall())
            counts["all"] = sum(counts[s] for s in STATUSES)
            total = counts[status]
            rows = conn.execute(f"SELECT {_COLUMNS}{_FROM}{where} ORDER BY r.created_at DESC, r.rowid DESC"
                                " LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
        return [_as_dict(r, viewer) for r in rows], total, counts

    def get(self, viewer: Principal, request_id: str) -> dict:
        with self.db.read() as conn:
            return _as_dict(self._live(conn, request_id), viewer)

    @staticmethod
    def _live(conn: sqlite3.Connection, request_id: str):
        row = conn.execute(f"SELECT {_COLUMNS}{_FROM} WHERE r.id = ? AND r.archived_at IS NULL",
                           (request_id,)).fetchone()
        if row is None:
            raise NotFound(f"feature request {request_id} does not exist (or was archived)")
        return row

    # --- writes ----------------------------------------------------------------------------------

    def create(self, actor: Principal, title, details=None) -> dict:
        """File a request as `actor` (a signed-in person): it starts as new."""
        if actor.kind != "user":
            raise Forbidden("only a signed-in person can file a feature request")
        title, details = _text("title", title, TITLE_MAX, required=True), _text("details", details, DETAILS_MAX)
        request_id, now = new_id(), utc_now()
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO feature_requests (id, title, details, status, created_by, created_by_name,"
                         " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                         (request_id, title, details, "new", actor.id, actor.name, now, now))
            audit.record(conn, actor, "feature_request.created", ENTITY, request_id, {"title": title})
            return _as_dict(self._live(conn, request_id), actor)

    def update(self, actor: Principal, request_id: str, changes: dict) -> dict:
        """Edit the title/details (the author, while new) and/or set the status and its note (an
        admin). Refused as a whole if any part is not the caller's to change; a request that
        changes nothing writes nothing."""
        wanted = {k: changes[k] for k in ("title", "details", "status", "status_note") if k in changes}
        if not wanted:
            raise BadRequest("nothing to change: send title, details, status or status_note")
        clean: dict = {}
        if "title" in wanted:
            clean["title"] = _text("title", wanted["title"], TITLE_MAX, required=True)
        if "details" in wanted:
            clean["details"] = _text("details", wanted["details"], DETAILS_MAX)
        if "status" in wanted:
            if wanted["status"] not in STATUSES:
                raise BadRequest(f"field 'status' must be one of: {', '.join(STATUSES)}", field="status")
            clean["status"] = wanted["status"]
        if "status_note" in wanted:
            note = _text("status_note", wanted["status_note"], NOTE_MAX)
            clean["status_note"] = note or None
        with self.db.transaction() as conn:
            row = self._live(conn, request_id)
            current = {"title": row[1], "details": row[2] or "", "status": row[3], "status_note": row[4]}
            author = actor.kind == "user" and row[5] == actor.id
            deciding = [k for k in ("status", "status_note") if k in clean]
            editing = [k for k in ("title", "details") if k in clean]
            if deciding and not actor.is_admin:
                raise Forbidden(f"only an admin may set a request's {' or '.join(deciding)}",
                                code="admin_required", field=deciding[0])
            if editing and not author:
                raise Forbidden(f"only the person who filed this request may edit its {' and '.join(editing)}",
                                code="not_author", field=editing[0])
            if editing and current["status"] != "new":
                raise Conflict(f"this request is {current['status']}: its title and details can be edited only"
                               " while it is new", code="not_new", field=editing[0], status_now=current["status"])
            diff = {k: {"from": current[k], "to": v} for k, v in clean.items() if current[k] != v}
            if not diff:
                return _as_dict(row, actor)
            now = utc_now()
            sets, args = [f"{k} = ?" for k in diff] + ["updated_at = ?"], [clean[k] for k in diff] + [now]
            if "status" in diff or "status_note" in diff:
                sets += ["status_by = ?", "status_at = ?"]
                args += [actor.name, now]
            conn.execute(f"UPDATE feature_requests SET {', '.join(sets)} WHERE id = ?", [*args, request_id])
            decided, edited = bool(set(diff) & {"status", "status_note"}), bool(set(diff) & {"title", "details"})
            action = ("feature_request.updated" if decided and edited
                      else "feature_request.status_set" if decided else "feature_request.edited")
            audit.record(conn, actor, action, ENTITY, request_id, {"title": row[1], "changes": diff})
            return _as_dict(self._live(conn, request_id), actor)

    def archive(self, actor: Principal, request_id: str) -> dict:
        """Archive a request (its author or an admin): it leaves every list; restore brings it back."""
        with self.db.transaction() as conn:
            row = self._live(conn, request_id)
            self._may_archive(actor, row)
            now = utc_now()
            conn.execute("UPDATE feature_requests SET archived_at = ?, archived_by = ?, updated_at = ? WHERE id = ?",
                         (now, actor.name, now, request_id))
            audit.record(conn, actor, "feature_request.archived", ENTITY, request_id, {"title": row[1]})
            return {**_as_dict(row, actor), "archived_at": now, "archived_by": actor.name}

    def restore(self, actor: Principal, request_id: str) -> dict:
        """Bring back an archived request (its author or an admin), as it was."""
        with self.db.transaction() as conn:
            found = conn.execute("SELECT archived_at, title FROM feature_requests WHERE id = ?",
                                 (request_id,)).fetchone()
            if found is None:
                raise NotFound(f"feature request {request_id} does not exist")
            if found[0] is None:
                raise Conflict(f"feature request {request_id} is not archived", code="not_archived")
            row = conn.execute(f"SELECT {_COLUMNS}{_FROM} WHERE r.id = ?", (request_id,)).fetchone()
            self._may_archive(actor, row)
            conn.execute("UPDATE feature_requests SET archived_at = NULL, archived_by = NULL, updated_at = ?"
                         " WHERE id = ?", (utc_now(), request_id))
            audit.record(conn, actor, "feature_request.restored", ENTITY, request_id, {"title": found[1]})
            return _as_dict(self._live(conn, request_id), actor)

    @staticmethod
    def _may_archive(actor: Principal, row) -> None:
        if not actor.is_admin and not (actor.kind == "user" and row[5] == actor.id):
            raise Forbidden("only the person who filed this request or an admin may archive or restore it",
                            code="not_author")
