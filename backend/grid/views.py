"""Saved views of the grid: filter, sort, hidden and ordered columns, frozen count; shared with
the team or personal to their owner (a personal view is invisible to everyone else).

Evaluation (which rows, in which order) is `view_engine.select` over the live grid, the same
semantics the browser applies while a view is being edited.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from .. import audit
from . import importer, view_engine
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..principal import Principal

VIEW_FIELDS = "v.id, v.name, v.owner_id, u.username, v.shared, v.config, v.position, v.created_at, v.updated_at"
CONFIG_KEYS = ("filter", "sort", "hidden", "order", "frozen", "row_height")
MAX_FROZEN = 10
# How tall a view's rows are: one line of text (Airtable's short), two, or four.
ROW_HEIGHTS = ("short", "medium", "tall")


def _view_dict(row) -> dict:
    config = json.loads(row[5] or "{}")
    return {"id": row[0], "name": row[1], "owner_id": row[2], "owner_name": row[3], "shared": bool(row[4]),
            "filter": config.get("filter") or {"op": "and", "conditions": []}, "sort": config.get("sort") or [],
            "hidden": config.get("hidden") or [], "order": config.get("order") or [],
            "frozen": config.get("frozen", 1), "row_height": config.get("row_height", "short"),
            "position": row[6], "created_at": row[7], "updated_at": row[8]}


def _column_ids(value, name: str, columns_by_id: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{name}' must be a list of column ids", field=name)
    unknown = [v for v in value if v not in columns_by_id]
    if unknown:
        raise BadRequest(f"'{name}' names unknown column(s): {', '.join(unknown)}", field=name)
    return list(dict.fromkeys(value))


def normalize_config(payload: dict, columns_by_id: dict) -> dict:
    """Validate the view keys present in `payload` (for create and partial update)."""
    clean = {}
    if "filter" in payload:
        clean["filter"] = view_engine.normalize_filter(payload["filter"], columns_by_id)
    if "sort" in payload:
        clean["sort"] = view_engine.normalize_sort(payload["sort"], columns_by_id)
    for key in ("hidden", "order"):
        if key in payload:
            clean[key] = _column_ids(payload[key], key, columns_by_id)
    if "frozen" in payload:
        frozen = payload["frozen"]
        if not isinstance(frozen, int) or isinstance(frozen, bool) or not 0 <= frozen <= MAX_FROZEN:
            raise BadRequest(f"'frozen' must be a whole number from 0 to {MAX_FROZEN}", field="frozen")
        clean["frozen"] = frozen
    if "row_height" in payload:
        if payload["row_height"] not in ROW_HEIGHTS:
            raise BadRequest(f"'row_height' must be one of {', '.join(ROW_HEIGHTS)}", field="row_height")
        clean["row_height"] = payload["row_height"]
    return clean


class Views:
    """View storage. Writes go through `grid.write` so the change feed tells other browsers."""

    def __init__(self, db: Database, grid):
        self.db = db
        self.grid = grid

    def _get(self, conn, who: Principal, view_id: str):
        row = conn.execute(f"SELECT {VIEW_FIELDS} FROM views v JOIN users u ON u.id = v.owner_id"
                           " WHERE v.id = ? AND v.archived_at IS NULL", (view_id,)).fetchone()
        # Someone else's personal view does not exist as far as this caller can tell.
        if row is None or (not row[4] and row[2] != who.id):
            raise NotFound(f"view {view_id} does not exist")
        return row

    def list(self, who: Principal) -> list[dict]:
        with self.db.read() as conn:
            return [_view_dict(r) for r in conn.execute(
                f"SELECT {VIEW_FIELDS} FROM views v JOIN users u ON u.id = v.owner_id"
                " WHERE v.archived_at IS NULL AND (v.shared = 1 OR v.owner_id = ?) ORDER BY v.position",
                (who.id if who.kind == "user" else "",))]

    def get(self, who: Principal, view_id: str) -> dict:
        with self.db.read() as conn:
            return _view_dict(self._get(conn, who, view_id))

    def create(self, who: Principal, payload: dict, columns_by_id: dict) -> dict:
        name = payload.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
            raise BadRequest("view name must be 1-120 characters", field="name")
        shared = payload.get("shared", True)
        if not isinstance(shared, bool):
            raise BadRequest("'shared' must be true or false", field="shared")
        unknown = set(payload) - {"name", "shared", *CONFIG_KEYS}
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        config = normalize_config(payload, columns_by_id)

        def work(conn):
            view_id, now = new_id(), utc_now()
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM views").fetchone()[0]
            conn.execute("INSERT INTO views (id, name, owner_id, shared, config, position, created_at, updated_at)"
                         " VALUES (?,?,?,?,?,?,?,?)",
                         (view_id, name.strip(), who.id, int(shared), json.dumps(config), position, now, now))
            audit.record(conn, who, "view.created", "view", view_id, {"name": name.strip(), "shared": shared, **config})
            self.grid.log(conn, who, "view", {"view_id": view_id})
            return _view_dict(self._get(conn, who, view_id))
        return self.grid.write(work)

    def update(self, who: Principal, view_id: str, payload: dict, columns_by_id: dict) -> dict:
        unknown = set(payload) - {"name", "shared", *CONFIG_KEYS}
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        if not payload:
            raise BadRequest("nothing to change")
        config_changes = normalize_config(payload, columns_by_id)

        def work(conn):
            row = self._get(conn, who, view_id)
            before = _view_dict(row)
            if "shared" in payload:
                if not isinstance(payload["shared"], bool):
                    raise BadRequest("'shared' must be true or false", field="shared")
                if payload["shared"] != before["shared"] and before["owner_id"] != who.id:
                    raise Forbidden("only the view's owner can change whether it is shared")
            name = before["name"]
            if "name" in payload:
                if not isinstance(payload["name"], str) or not payload["name"].strip() or len(payload["name"].strip()) > 120:
                    raise BadRequest("view name must be 1-120 characters", field="name")
                name = payload["name"].strip()
            config = {k: before[k] for k in CONFIG_KEYS}
            config.update(config_changes)
            shared = payload.get("shared", before["shared"])
            conn.execute("UPDATE views SET name = ?, shared = ?, config = ?, updated_at = ? WHERE id = ?",
                         (name, int(shared), json.dumps(config), utc_now(), view_id))
            after = {"name": name, "shared": shared, **config}
            audit.record(conn, who, "view.updated", "view", view_id,
                         {k: {"old": before[k], "new": v} for k, v in after.items() if before[k] != v})
            self.grid.log(conn, who, "view", {"view_id": view_id})
            return _view_dict(self._get(conn, who, view_id))
        return self.grid.write(work)

    def archive(self, who: Principal, view_id: str) -> dict:
        def work(conn):
            view = _view_dict(self._get(conn, who, view_id))
            if view["owner_id"] != who.id and not who.is_admin:
                raise Forbidden("only the view's owner or an admin can delete a shared view")
            conn.execute("UPDATE views SET archived_at = ?, updated_at = ? WHERE id = ?", (utc_now(), utc_now(), view_id))
            audit.record(conn, who, "view.archived", "view", view_id, {"name": view["name"]})
            self.grid.log(conn, who, "view", {"view_id": view_id, "archived": True})
            return {**view, "archived": True}
        return self.grid.write(work)

    def restore(self, who: Principal, view_id: str) -> dict:
        def work(conn):
            row = conn.execute("SELECT owner_id, shared, archived_at, name FROM views WHERE id = ?", (view_id,)).fetchone()
            if row is None or (not row[1] and row[0] != who.id and not who.is_admin):
                raise NotFound(f"view {view_id} does not exist")
            if row[2] is None:
                raise Conflict("view is not archived")
            conn.execute("UPDATE views SET archived_at = NULL, updated_at = ? WHERE id = ?", (utc_now(), view_id))
            audit.record(conn, who, "view.restored", "view", view_id, {"name": row[3]})
            self.grid.log(conn, who, "view", {"view_id": view_id, "restored": True})
            return _view_dict(conn.execute(f"SELECT {VIEW_FIELDS} FROM views v JOIN users u ON u.id = v.owner_id"
                                           " WHERE v.id = ?", (view_id,)).fetchone())
        return self.grid.write(work)

    @staticmethod
    def select(view: dict, rows: list, columns_by_id: dict) -> list[str]:
        """Row ids the view shows, in its order."""
        today = datetime.now(timezone.utc).date()
        return [rid for rid, _ in view_engine.select(rows, view, columns_by_id, today)]

    def rows_response(self, who: Principal, view_id: str, shape: str) -> bytes:
        """GET .../views/{id}/rows as ready JSON: the view, the columns and the rows it selects."""
        view = self.get(who, view_id)
        ids = self.select(view, self.grid.live_rows(), self.grid.column_lookup())
        dump = lambda value: json.dumps(value, separators=(",", ":"))  # noqa: E731
        return (f'{{"data":{{"version":{self.grid.version()},"view":{dump(view)},'
                f'"columns":{dump(self.grid.columns())},"rows":{self.grid.rows_json(ids, shape)}}},'
                f'"total":{len(ids)}}}').encode()

    def export_csv(self, who: Principal, view_id: str | None) -> tuple[str, bytes]:
        """The grid, or a view (its columns, order, filter and sort), as CSV: (name, bytes)."""
        columns = self.grid.columns()
        rows = dict(self.grid.live_rows())
        order, name = list(rows), "grid"
        if view_id:
            view = self.get(who, view_id)
            order = self.select(view, list(rows.items()), self.grid.column_lookup())
            ranked = {cid: i for i, cid in enumerate(view["order"])}
            hidden = set(view["hidden"])
            columns = sorted((c for c in columns if c["id"] not in hidden),
                             key=lambda c: (ranked.get(c["id"], len(ranked)), c["position"]))
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", view["name"]).strip("-") or "view"
        return name, importer.export_csv(columns, [rows[rid] for rid in order])
