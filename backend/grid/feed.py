"""What the grid says about its past: a row's cell-level history, the change feed other browsers
long-poll (with the current state of every row it names), and everything archived. Reads only;
mixed into `Grid`, whose database and published view they read."""
from __future__ import annotations

import json

from .cache import _dumps
from ..errors import NotFound

CHANGES_PAGE = 2000


class ChangeFeed:
    """Needs `self.db` and `self.view()` (the published grid)."""

    def history(self, row_id: str, limit: int = 500) -> list[dict]:
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM investors WHERE id = ?", (row_id,)).fetchone() is None:
                raise NotFound(f"investor {row_id} does not exist")
            names = dict(conn.execute("SELECT id, name FROM grid_columns"))
            rows = conn.execute(
                "SELECT seq, at, actor_type, actor_id, actor_name, kind, column_id, old, new, row_version"
                " FROM grid_changes WHERE investor_id = ? AND kind != 'signals' ORDER BY seq DESC LIMIT ?",
                (row_id, limit)).fetchall()
        return [{"seq": r[0], "at": r[1], "by": {"type": r[2], "id": r[3], "name": r[4]}, "kind": r[5],
                 "column_id": r[6], "column_name": names.get(r[6]), "old": json.loads(r[7]) if r[7] else None,
                 "new": json.loads(r[8]) if r[8] else None, "row_version": r[9]} for r in rows]

    def changes_since(self, since: int) -> dict:
        """Changes after `since` up to the published version, with the current state of every row
        they touched (so a client never holds a version newer than the rows it was given)."""
        view = self.view()
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT seq, at, actor_type, actor_id, actor_name, kind, investor_id, column_id, new, row_version"
                " FROM grid_changes WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                (since, view.seq, CHANGES_PAGE + 1)).fetchall()
        more = len(rows) > CHANGES_PAGE
        rows = rows[:CHANGES_PAGE]
        changes = [{"seq": r[0], "at": r[1], "by": {"type": r[2], "id": r[3], "name": r[4]}, "kind": r[5],
                    "row_id": r[6], "column_id": r[7], "value": json.loads(r[8]) if r[8] else None,
                    "row_version": r[9]} for r in rows]
        touched = list(dict.fromkeys(c["row_id"] for c in changes if c["row_id"]))
        if since > view.seq:  # the client saw a future that no longer exists (a restore)
            return {"version": view.seq, "changes": [], "rows": [], "more": False, "reset": True}
        current = json.loads(_dumps([view.rows[rid].as_dict() for rid in touched if rid in view.rows]))
        payload = {"version": changes[-1]["seq"] if changes else since, "changes": changes,
                   "rows": current, "more": more,
                   "columns_changed": any(c["kind"] == "column" for c in changes)}
        if payload["columns_changed"]:
            payload["columns"] = [c.as_dict(i) for i, c in enumerate(view.columns)]
        return payload

    def rows_changed_between(self, since: int, until: int, most: int = 5000, signals: bool = False) -> set[str] | None:
        """The investors whose cells, people or life changed after `since` up to `until` (their
        relationship signals too, with `signals`), for a reader keeping its own index of the grid;
        None when it should rebuild instead: columns changed, the grid went back (a restore), or
        more than `most` rows did."""
        if since > until:
            return None
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM grid_changes WHERE seq > ? AND seq <= ? AND kind = 'column' LIMIT 1",
                            (since, until)).fetchone():
                return None
            rows = {r[0] for r in conn.execute(
                "SELECT DISTINCT investor_id FROM grid_changes WHERE seq > ? AND seq <= ? AND (? OR kind != 'signals')"
                " AND investor_id IS NOT NULL LIMIT ?", (since, until, int(signals), most + 1))}
        return None if len(rows) > most else rows

    def lookup(self, query: str | None, limit: int = 12) -> list[dict]:
        """Live investors for a picker (a task's, a pipeline card's): names starting with `query`
        first, then containing it (case aside); with no query, the most recently changed."""
        text = " ".join((query or "").split()).casefold()
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT id, name FROM investors WHERE archived_at IS NULL AND name != ''"
                " AND (? = '' OR lower(name) LIKE ? ESCAPE '\\')"
                " ORDER BY CASE WHEN ? != '' AND lower(name) LIKE ? ESCAPE '\\' THEN 0 ELSE 1 END,"
                " CASE WHEN ? = '' THEN updated_at END DESC, lower(name) LIMIT ?",
                (text, like, text, like[1:], text, limit)).fetchall()
        return [{"id": r[0], "name": r[1]} for r in rows]

    def archived(self) -> dict:
        """Everything archived, for the admin's restore screen."""
        with self.db.read() as conn:
            investors = [{"id": r[0], "name": r[1] or None, "archived_at": r[2], "archived_by": r[3],
                          **({"merged_into": {"id": r[4], "name": r[5] or None}} if r[4] else {})} for r in conn.execute(
                "SELECT i.id, i.name, i.archived_at, i.archived_by, i.merged_into, s.name FROM investors i"
                " LEFT JOIN investors s ON s.id = i.merged_into WHERE i.archived_at IS NOT NULL"
                " ORDER BY i.archived_at DESC")]
            columns = [{"id": r[0], "name": r[1], "type": r[2], "archived_at": r[3]} for r in conn.execute(
                "SELECT id, name, type, archived_at FROM grid_columns WHERE archived_at IS NOT NULL ORDER BY archived_at DESC")]
            views = [{"id": r[0], "name": r[1], "shared": bool(r[2]), "archived_at": r[3]} for r in conn.execute(
                "SELECT id, name, shared, archived_at FROM views WHERE archived_at IS NOT NULL ORDER BY archived_at DESC")]
            rules = [{"id": r[0], "name": r[1], "archived_at": r[2]} for r in conn.execute(
                "SELECT id, name, archived_at FROM automation_rules WHERE archived_at IS NOT NULL ORDER BY archived_at DESC")]
            people = [{"id": r[0], "name": r[1] or None, "email": r[2], "investor_id": r[3], "investor_name": r[4] or None,
                       "archived_at": r[5]} for r in conn.execute(
                "SELECT c.id, c.name, c.email, c.investor_id, i.name, c.archived_at FROM contacts c"
                " JOIN investors i ON i.id = c.investor_id WHERE c.archived_at IS NOT NULL ORDER BY c.archived_at DESC")]
        return {"investors": investors, "columns": columns, "views": views, "automations": rules, "contacts": people}
