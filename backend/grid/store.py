"""The fundraising grid: investors (rows) x typed columns, stored relationally, edited cell by cell.

Every write runs in one transaction that changes only the touched row: its cells, its version,
its change-log entries (`grid_changes`, whose sequence is the grid version), the audit entry and
the automation rules that react to the edit. Writers keep the working copy (`cache.GridCache`)
current inside the transaction and, once it commits, publish what changed into the view readers
read (`cache.GridView`), so a read never waits behind a write; serialised rows are cached per row
so a grid load is mostly a join.
"""
from __future__ import annotations

import gc
import gzip
import json
import sqlite3
from collections import namedtuple
from contextlib import contextmanager
from typing import Any, Callable

from .. import audit
from . import column_types as ct, contacts, formula_columns, merge, opportunities, placement
from .cache import Column, GridCache, GridView, Row, _dumps, shed
from .feed import ChangeFeed
from .pipeline_cells import PipelineCells
from ..db import Database, new_id, new_ids, utc_now
from ..errors import BadRequest, Conflict, NotFound, Unprocessable
from ..principal import Principal

COLUMN_FIELDS = "id, name, type, field, options, position, frozen, width, archived_at"
INVESTOR_FIELDS = ("id, name, list, notes, lead_source, version, created_at, updated_at, updated_by,"
                   " archived_at, position")
# An investors row read by name (inv.version), built from the same field list the SELECTs use.
Investor = namedtuple("Investor", [f.strip() for f in INVESTOR_FIELDS.split(",")])
BUILTIN_FIELDS = ("name", "list", "notes", "lead_source")
# Computed columns read straight off the investor row.
METADATA_FIELDS = {"created_time": "created_at", "last_modified_time": "updated_at", "last_modified_by": "updated_by"}
MAX_COLUMNS = 500
PUBLISH_WHOLE_ABOVE = 2000  # a write that replaced more rows than this publishes a whole new view
MAX_BATCH = 5000

# The columns of a fresh grid: Airtable users expect a Name, a status and the people.
DEFAULT_COLUMNS = (
    ("Name", "text", "name", {}),
    ("List", "single_select", "list", {"choices": [{"name": n, "color": c} for n, c in zip(
        ct.LISTS, ("blue", "yellow", "gray", "purple"))], "allow_new": False}),
    ("Status", "single_select", None, {"choices": [
        "Not Contacted", "Contacted", "Meeting", "Diligence", "Soft Circle", "Committed", "Passed"]}),
    ("Contacts", "contacts", None, {}),
    ("Last Contact", "date", None, {}),
    ("Lead Source", "text", "lead_source", {}),
    ("Notes", "long_text", "notes", {}),
    ("Last Modified", "last_modified_time", None, {}),
)


@contextmanager
def collector_paused():
    """For a bulk load (reading and applying an import): it creates millions of objects, and full
    collections walking them would pause every other request for ~100 ms at a time. Refcounting
    frees them as usual; cycles wait for the end. Nests."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()



class Grid(ChangeFeed, PipelineCells):
    """Reads and writes of the grid. One instance per server."""

    def __init__(self, db: Database, on_change: Callable[[int], None] | None = None,
                 automations=None):
        self.db = db
        self.cache = GridCache()
        self.published: GridView | None = None
        db.on_reset(self._reset)  # both rebuilt from the tables on the next read or write
        self.on_change = on_change or (lambda seq: None)
        self.automations = automations  # set by the server: evaluates rules after each edit
        self._graph: tuple[tuple, formula_columns.FormulaGraph] | None = None
        # (name, on_merge(conn, actor, merged_id, survivor_id) -> record, on_unmerge(conn, actor, record)):
        # other packages move their own rows inside a merge's transaction (the server registers them).
        self.merge_hooks: list[tuple[str, Callable, Callable]] = []

    # --- loading -------------------------------------------------------------------------------

    def _load_columns(self, conn: sqlite3.Connection, include_archived: bool = False) -> list[Column]:
        funds = {r[0]: r[1:] for r in conn.execute("SELECT id, vintage, target, currency FROM funds")}
        where = "" if include_archived else " WHERE archived_at IS NULL"
        return [Column.from_row(r, funds.get(r[0])) for r in conn.execute(
            f"SELECT {COLUMN_FIELDS} FROM grid_columns{where} ORDER BY archived_at IS NOT NULL, position, rowid")]

    @staticmethod
    def _base_values(columns: list[Column], inv) -> dict:
        """Values that live on the investor row itself (built-ins and computed metadata)."""
        values = {}
        for col in columns:
            if col.field:
                value = getattr(inv, col.field)
                values[col.id] = value if value != "" else None
            else:
                values[col.id] = getattr(inv, METADATA_FIELDS[col.type]) if col.type in METADATA_FIELDS else None
        return values

    def _build(self, conn: sqlite3.Connection) -> None:
        cache = self.cache
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM grid_changes").fetchone()[0]
        columns = self._load_columns(conn)
        by_id = {c.id: c for c in columns}
        rows: dict[str, Row] = {}
        order = []
        for inv in map(Investor._make, conn.execute(f"SELECT {INVESTOR_FIELDS} FROM investors ORDER BY position, rowid")):
            rows[inv.id] = Row(inv.id, inv.version, self._base_values(columns, inv), inv.created_at, inv.archived_at,
                               updated_at=inv.updated_at, position=inv.position)
            order.append(inv.id)
        loads = json.loads
        for investor_id, column_id, value in conn.execute(
                "SELECT investor_id, column_id, value FROM cell_values WHERE value IS NOT NULL"):
            row = rows.get(investor_id)
            if row is not None and column_id in by_id:
                row.values[column_id] = loads(value)
        for investor_id, fund_id, amount in conn.execute(
                "SELECT investor_id, fund_id, amount FROM commitments WHERE amount IS NOT NULL"):
            row = rows.get(investor_id)
            if row is not None and fund_id in by_id:
                row.values[fund_id] = int(amount) if float(amount).is_integer() else amount
        for investor_id, column_id, value in opportunities.load_all(conn, columns):
            row = rows.get(investor_id)
            if row is not None:
                row.values[column_id] = value
        contacts_col = next((c.id for c in columns if c.type == "contacts"), None)
        if contacts_col:
            for cid, investor_id, name, email, phone, title in conn.execute(
                    "SELECT id, investor_id, name, email, phone, title FROM contacts"
                    " WHERE archived_at IS NULL ORDER BY investor_id, position, rowid"):
                row = rows.get(investor_id)
                if row is not None:
                    people = row.values.get(contacts_col) or []
                    people.append({"id": cid, "name": name or None, "email": email, "phone": phone, "title": title})
                    row.values[contacts_col] = people
        replaced = cache.rows
        cache.columns, cache.rows, cache.order, cache.seq = columns, rows, order, seq
        cache.layout += 1
        shed(replaced)

    def _row_from_db(self, conn: sqlite3.Connection, columns: list[Column], investor_id: str) -> Row:
        found = conn.execute(f"SELECT {INVESTOR_FIELDS} FROM investors WHERE id = ?", (investor_id,)).fetchone()
        if found is None:
            raise NotFound(f"investor {investor_id} does not exist")
        inv = Investor._make(found)
        row = Row(inv.id, inv.version, self._base_values(columns, inv), inv.created_at, inv.archived_at,
                  updated_at=inv.updated_at, position=inv.position)
        live = {c.id for c in columns}
        for column_id, value in conn.execute(
                "SELECT column_id, value FROM cell_values WHERE investor_id = ? AND value IS NOT NULL", (investor_id,)):
            if column_id in live:
                row.values[column_id] = json.loads(value)
        for fund_id, amount in conn.execute(
                "SELECT fund_id, amount FROM commitments WHERE investor_id = ? AND amount IS NOT NULL", (investor_id,)):
            if fund_id in live:
                row.values[fund_id] = int(amount) if float(amount).is_integer() else amount
        row.values.update(opportunities.load_row(conn, columns, investor_id))
        contacts_col = next((c.id for c in columns if c.type == "contacts"), None)
        if contacts_col:
            people = [{"id": r[0], "name": r[1] or None, "email": r[2], "phone": r[3], "title": r[4]}
                      for r in conn.execute(
                          "SELECT id, name, email, phone, title FROM contacts WHERE investor_id = ?"
                          " AND archived_at IS NULL ORDER BY position, rowid", (investor_id,))]
            row.values[contacts_col] = people or None
        return row

    def _reset(self) -> None:
        self.cache.invalidate()
        self.published = None

    def view(self) -> GridView:
        """What readers read: the last published grid. Built once (after start or a restore),
        then kept current by every write as it commits; never waits behind a write otherwise."""
        view = self.published
        if view is None:
            with self.cache.lock:
                if self.published is None:
                    with self.db.read() as conn:
                        self._refresh(conn)
                    self._publish_all()
                view = self.published
        return view

    def _publish_all(self) -> None:
        """A new view from the working copy, swapped in whole (readers of the old one finish on it)."""
        cache = self.cache
        columns = [Column(**{**c.__dict__, "options": dict(c.options)}) for c in cache.columns]
        self.published = GridView(cache.seq, columns, {rid: row.clone() for rid, row in cache.rows.items()},
                                  list(cache.order), cache.layout)
        # Millions of long-lived objects: keep the cyclic collector from walking them on every full
        # collection (a pause for every request). They hold no cycles, so refcounting still frees
        # a replaced view.
        gc.freeze()

    def _publish(self, full: bool) -> None:
        """After a commit: put the rows the write replaced into the view, or swap in a new view
        when the write changed rows in place (`full`), changed the columns (the layout moved past
        the view's) or touched many rows."""
        cache, view = self.cache, self.published
        if full or view is None or view.layout != cache.layout or len(cache.touched) > PUBLISH_WHOLE_ABOVE:
            self._publish_all()
            return
        fresh = {rid: cache.rows[rid].clone() for rid in cache.touched}
        with view.lock:
            view.rows.update(fresh)
            if cache.reordered:  # a row went in between two others: the order is copied (~0.2 ms at 50,000)
                view.order[:] = cache.order
            else:
                view.order.extend(cache.order[len(view.order):])
            view.seq = cache.seq
            view.responses.clear()

    def _refresh(self, conn: sqlite3.Connection) -> None:
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM grid_changes").fetchone()[0]
        if self.cache.seq < 0 or seq > self.cache.seq:
            self._build(conn)

    # --- reads ---------------------------------------------------------------------------------

    def version(self) -> int:
        return self.view().seq

    def columns(self, include_archived: bool = False) -> list[dict]:
        if include_archived:
            with self.db.read() as conn:
                cols = self._load_columns(conn, include_archived=True)
            return [c.as_dict(i) for i, c in enumerate(cols)]
        return [c.as_dict(i) for i, c in enumerate(self.view().columns)]

    def column_lookup(self) -> dict[str, dict]:
        return {c.id: c.lookup() for c in self.view().columns}

    def live_rows(self) -> list[tuple[str, dict]]:
        """(row id, values) of every live row in grid order (for views and automations)."""
        view = self.view()
        with view.lock:
            rows = [view.rows[rid] for rid in view.order]
        return [(row.id, row.values) for row in rows if not row.archived_at]

    def get_row(self, row_id: str) -> dict:
        row = self.view().rows.get(row_id)
        if row is None:
            raise NotFound(f"investor {row_id} does not exist")
        return json.loads(_dumps(row.as_dict()))  # a copy the caller may keep

    def list_counts(self) -> dict[str, int]:
        """How many live investors are on each list."""
        counts = {name: 0 for name in ct.LISTS}
        list_col = next(c for c in self.column_lookup().values() if c.get("field") == "list")
        for _, values in self.live_rows():
            counts[values.get(list_col["id"]) or "main"] += 1
        return counts

    def evaluate_formula(self, source: Any, record: dict, row_id: str | None = None) -> tuple[Any, str]:
        """A formula against a record, or against an investor's values overlaid by the record."""
        columns = self.columns()
        if row_id:
            names = {c["id"]: c["name"] for c in columns}
            row = self.get_row(row_id)
            record = {**{names[k]: v for k, v in row["values"].items() if k in names}, **record}
        return formula_columns.evaluate(source, record, (c["name"] for c in columns))

    def snapshot(self, include_archived: bool = False) -> dict:
        """The whole grid as plain data (the snapshot and export endpoints)."""
        body, _ = self.grid_response("full", include_archived, False)
        return json.loads(body)["data"]

    def rows_json(self, row_ids: list[str], shape: str) -> str:
        """Serialised rows (cached per row) joined into a JSON array, in the order given."""
        view = self.view()
        with view.lock:
            rows = [view.rows[rid] for rid in row_ids if rid in view.rows]
        return self._array(view, rows, shape)

    @classmethod
    def _array(cls, view: GridView, rows: list[Row], shape: str) -> str:
        return "[" + ",".join(cls._fragment(view, row, shape) for row in rows) + "]"

    @staticmethod
    def _fragment(view: GridView, row: Row, shape: str) -> str:
        text = row.fragments.get(shape)
        if text is None:
            if shape == "compact":
                text = _dumps([row.id, row.version, *(row.values.get(c.id) for c in view.columns)])
            else:
                text = _dumps(row.as_dict())
            row.fragments[shape] = text
        return text

    def grid_response(self, shape: str = "full", include_archived: bool = False,
                      gzipped: bool = False) -> tuple[bytes, bytes | None]:
        """The whole grid as envelope bytes (and its gzip form), cached per version."""
        view = self.view()
        key = (shape, include_archived)
        hit = view.responses.get(key)
        with view.lock:
            seq = view.seq
            stale = hit is None or hit[0] != seq
            if stale:  # one consistent set of rows, collected under the lock, serialised outside it
                rows = [view.rows[rid] for rid in view.order]
        if stale:
            rows = [row for row in rows if include_archived or not row.archived_at]
            columns = _dumps([c.as_dict(i) for i, c in enumerate(view.columns)])
            # The compact shape has no room for a flag per row: name the archived ones.
            archived = (',"archived_ids":' + _dumps([row.id for row in rows if row.archived_at])
                        if include_archived and shape == "compact" else "")
            body = (f'{{"data":{{"version":{seq},"columns":{columns},"rows":'
                    f'{self._array(view, rows, shape)}{archived}}}}}').encode()
            hit = (seq, body, None)
            view.responses[key] = hit
        if gzipped and hit[2] is None:
            hit = (hit[0], hit[1], gzip.compress(hit[1], 1))
            view.responses[key] = hit
        return hit[1], hit[2]

    # --- writes: shared machinery ---------------------------------------------------------------

    def _resolve(self, columns: list[Column], raw_values: Any) -> list[tuple[Column, Any]]:
        if not isinstance(raw_values, dict):
            raise BadRequest("'values' must be an object of column id or name -> value")
        by_id = {c.id: c for c in columns}
        by_name = {c.name.casefold(): c for c in columns}
        out, seen = [], set()
        for key, raw in raw_values.items():
            col = by_id.get(key) or by_name.get(str(key).strip().casefold())
            if col is None:
                raise BadRequest(f"unknown column '{key}'", column=key)
            if col.id in seen:
                raise BadRequest(f"column '{col.name}' is given twice", column=col.name)
            seen.add(col.id)
            out.append((col, raw))
        return out

    def _normalize(self, conn, actor: Principal, col: Column, raw: Any) -> Any:
        if col.field == "list":
            return ct.normalize_list(raw, col.lookup())
        value, added = ct.normalize_value(col.lookup(), raw)
        if added:  # a select column grows: persist the new choices in this same transaction
            col.options = {**col.options, "choices": col.options.get("choices", []) + added}
            self._save_column_options(conn, actor, col, {"choices_added": [c["name"] for c in added]})
        return value

    def _save_column_options(self, conn, actor: Principal, col: Column, detail: dict) -> None:
        stored = {k: v for k, v in col.options.items() if col.type != "fund" or k not in ("vintage", "target", "currency")}
        conn.execute("UPDATE grid_columns SET options = ?, updated_at = ? WHERE id = ?",
                     (_dumps(stored), utc_now(), col.id))
        self._log(conn, actor, "column", None, col.id, None, None, col.as_dict())
        audit.record(conn, actor, "column.updated", "column", col.id, detail)

    @staticmethod
    def _log(conn, actor: Principal, kind: str, investor_id, column_id, row_version, old, new) -> int:
        cur = conn.execute(
            "INSERT INTO grid_changes (at, actor_type, actor_id, actor_name, kind, investor_id, column_id,"
            " row_version, old, new) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (utc_now(), actor.kind, actor.id, actor.name, kind, investor_id, column_id, row_version,
             None if old is None else _dumps(old), None if new is None else _dumps(new)))
        return cur.lastrowid

    def _store(self, conn, actor: Principal, investor_id: str, col: Column, value: Any, now: str) -> Any:
        """Write one cell where its type keeps it; returns the value as the grid shows it."""
        if col.field:
            stored = value if value is not None else ("" if col.field == "name" else None)
            conn.execute(f"UPDATE investors SET {col.field} = ? WHERE id = ?", (stored, investor_id))
            if col.field == "list":
                conn.execute("UPDATE list_memberships SET ended_at = ? WHERE investor_id = ? AND ended_at IS NULL",
                             (now, investor_id))
                conn.execute("INSERT INTO list_memberships (investor_id, list, started_at, changed_by, reason)"
                             " VALUES (?,?,?,?,?)", (investor_id, value, now, actor.name, actor.kind))
            return value
        if col.type == "fund":
            conn.execute(
                "INSERT INTO commitments (investor_id, fund_id, amount, updated_at, updated_by) VALUES (?,?,?,?,?)"
                " ON CONFLICT (investor_id, fund_id) DO UPDATE SET amount = excluded.amount,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (investor_id, col.id, value, now, actor.name))
            return value
        if col.type == "contacts":
            return contacts.store(conn, investor_id, value, now)
        if col.type == "pipeline":
            return opportunities.store(conn, actor.name, investor_id, col.options["fund_id"], value, now)
        conn.execute(
            "INSERT INTO cell_values (investor_id, column_id, value, updated_at, updated_by) VALUES (?,?,?,?,?)"
            " ON CONFLICT (investor_id, column_id) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (investor_id, col.id, None if value is None else _dumps(value), now, actor.name))
        return value

    @staticmethod
    def _same(col: Column, old: Any, new: Any) -> bool:
        if col.type == "pipeline":
            return opportunities.same(old, new)
        if col.type == "contacts":
            fields = lambda people: [(p.get("name"), p.get("email"), p.get("phone"), p.get("title")) for p in people or []]
            return fields(old) == fields(new) and all(
                p.get("id") in (None, o.get("id")) for p, o in zip(new or [], old or []))
        if isinstance(old, bool) or isinstance(new, bool):
            return old is new
        if isinstance(old, (int, float)) and isinstance(new, (int, float)):
            return float(old) == float(new)
        return old == new

    def _apply(self, conn, actor: Principal, row: Row, columns: list[Column],
               changes: list[tuple[Column, Any]], audit_action: str | None = "investor.updated",
               trigger_automations: bool = True) -> Row:
        """Write changed cells of one row, bump its version once, log and audit; then let the
        automation rules react. Returns the row as stored."""
        now = utc_now()
        diffs = []
        for col, value in changes:
            old = row.values.get(col.id)
            if col.type == "pipeline":  # an edit names only what it changes
                value = opportunities.merge(old, value, now[:10])
            if not self._same(col, old, value):
                diffs.append((col, old, self._store(conn, actor, row.id, col, value, now)))
        if not diffs:
            return row
        version = row.version + 1
        conn.execute("UPDATE investors SET version = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                     (version, now, actor.name, row.id))
        for col, old, new in diffs:
            self._log(conn, actor, "cell", row.id, col.id, version, old, new)
        if audit_action:
            audit.record(conn, actor, audit_action, "investor", row.id,
                         {col.name: {"old": old, "new": new} for col, old, new in diffs})
        fresh = self._row_from_db(conn, columns, row.id)
        self._recompute_row(conn, columns, fresh, [c.id for c, _, _ in diffs])
        if trigger_automations and self.automations is not None:
            fresh = self.automations.after_edit(conn, self, fresh, columns, [c.id for c, _, _ in diffs])
        return fresh

    # --- formulas ------------------------------------------------------------------------------

    def formula_graph(self, columns: list[Column]) -> formula_columns.FormulaGraph:
        key = tuple((c.id, c.name, c.options.get("formula"), tuple(c.options.get("refs", ())))
                    for c in columns if c.type == "formula") + tuple(c.name for c in columns)
        if self._graph is None or self._graph[0] != key:
            self._graph = (key, formula_columns.FormulaGraph(columns))
        return self._graph[1]

    @staticmethod
    def _store_formula_values(conn, cells: list[tuple[str, str, Any]]) -> None:
        """Store computed formula cells: (row id, column id, value) each."""
        now = utc_now()
        conn.executemany(
            "INSERT INTO cell_values (investor_id, column_id, value, updated_at) VALUES (?,?,?,?)"
            " ON CONFLICT (investor_id, column_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [(rid, cid, None if v is None else _dumps(v), now) for rid, cid, v in cells])

    def _recompute_row(self, conn, columns: list[Column], row: Row, changed: list[str] | None) -> None:
        """Recompute the formula cells of one row that depend on `changed` (None: all of them),
        store those that changed, and update `row` in place."""
        graph = self.formula_graph(columns)
        if not graph.formulas:
            return
        which = graph.order if changed is None else graph.affected(changed)
        if not which:
            return
        before = {cid: row.values.get(cid) for cid in which}
        context = formula_columns.context_for(row.id, row.created_at, row.updated_at)
        fresh = graph.compute(row.values, which, context)
        moved = [(row.id, cid, v) for cid, v in fresh.items() if v != before[cid]]
        if moved:
            self._store_formula_values(conn, moved)

    def _recompute_columns(self, conn, columns: list[Column], which: list[str] | None = None,
                           volatile_only: bool = False) -> int:
        """Recompute formula columns (and what depends on them) over every row, writing only the
        cells whose value moved. Returns how many cells changed."""
        self.cache.full = True  # working rows change in place: the whole view is republished
        graph = self.formula_graph(columns)
        start = graph.volatile if volatile_only else (which if which is not None else graph.order)
        order = graph.affected(start)
        if not order:
            return 0
        cache, changed = self.cache, []
        for rid in cache.order:
            row = cache.rows[rid]
            before = {cid: row.values.get(cid) for cid in order}
            fresh = graph.compute(row.values, order, formula_columns.context_for(rid, row.created_at, row.updated_at))
            moved = [(rid, cid, v) for cid, v in fresh.items() if v != before[cid]]
            if moved:
                changed.extend(moved)
        self._store_formula_values(conn, changed)
        return len(changed)

    def recompute_volatile(self) -> int:
        """Formulas using TODAY()/NOW() change as time passes: recompute them (scheduler, start)."""
        with self.db.read() as conn:
            if not conn.execute("SELECT 1 FROM grid_columns WHERE type = 'formula' AND archived_at IS NULL").fetchone():
                return 0

        def work(conn, columns):
            if not self.formula_graph(columns).volatile:
                return 0
            changed = self._recompute_columns(conn, columns, volatile_only=True)
            if changed:  # readers must see a new version, or their cached grid would hide the change
                self._log(conn, Principal("system", name="formula clock"), "formulas", None, None, None, None,
                          {"cells": changed})
            return changed
        return self._write(work)

    def _write(self, work: Callable[[sqlite3.Connection, list[Column]], Any]) -> Any:
        """Run `work` in one transaction with the live columns; keep the cache in step inside it,
        and tell long-pollers after the commit."""
        cache = self.cache
        with cache.lock:  # writers take it before the write lock: readers never take it (they read the view)
            try:
                with self.db.transaction() as conn:
                    self._refresh(conn)
                    cache.touched, cache.full, cache.reordered = set(), False, False
                    columns = [Column(**{**c.__dict__, "options": dict(c.options)}) for c in cache.columns]
                    result = work(conn, columns)
                    cache.seq = conn.execute("SELECT coalesce(max(seq), 0) FROM grid_changes").fetchone()[0]
            except BaseException:
                # The working copy may hold what did not commit; the published view is still true.
                cache.invalidate()
                raise
            self._publish(cache.full)
            seq = cache.seq
        self.on_change(seq)
        return result

    def write(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """A write by another module (views) that logs grid changes: same transaction rules."""
        return self._write(lambda conn, columns: work(conn))

    def log(self, conn, actor: Principal, kind: str, payload: dict) -> int:
        """Record a non-cell change (e.g. a view edit) in the change feed."""
        return self._log(conn, actor, kind, None, None, None, None, payload)

    def _commit_row(self, row: Row, columns: list[Column]) -> None:
        cache = self.cache
        if any(c.options != o.options for c, o in zip(columns, cache.columns)) or len(columns) != len(cache.columns):
            cache.set_columns(columns)
        cache.put_row(row)

    # --- rows ----------------------------------------------------------------------------------

    def _insert_investor(self, conn, actor: Principal, initial_list: str, reason: str,
                         place: tuple[str, str] | None = None) -> str:
        row_id, now = new_id(), utc_now()
        position, neighbours = self._new_position(conn, place)
        conn.execute("INSERT INTO investors (id, name, list, version, created_at, created_by, updated_at, updated_by,"
                     " position) VALUES (?, '', ?, 1, ?, ?, ?, ?, ?)",
                     (row_id, initial_list, now, actor.name, now, actor.name, position))
        conn.execute("INSERT INTO list_memberships (investor_id, list, started_at, changed_by, reason)"
                     " VALUES (?,?,?,?,?)", (row_id, initial_list, now, actor.name, reason))
        self._log(conn, actor, "row_created", row_id, None, 1, None, neighbours)
        return row_id

    def _new_position(self, conn, place: tuple[str, str] | None) -> tuple[float, dict | None]:
        position, neighbours = placement.new_position(conn, place)
        if position is None:  # space every row out again, in the table and the working copy alike
            spaced = placement.spaced_out(conn)
            conn.executemany("UPDATE investors SET position = ? WHERE id = ?", spaced)
            rows = self.cache.rows
            for spaced_position, rid in spaced:
                if rid in rows:
                    rows[rid].position = spaced_position
            position, neighbours = placement.new_position(conn, place)
        return position, neighbours

    def _archive(self, conn, actor: Principal, row: Row, archived: bool, details: dict) -> None:
        now, version = utc_now(), row.version + 1
        conn.execute("UPDATE investors SET archived_at = ?, archived_by = ?, version = ?, updated_at = ?,"
                     " updated_by = ? WHERE id = ?",
                     (now if archived else None, actor.name if archived else None, version, now, actor.name, row.id))
        self._log(conn, actor, "row_archived" if archived else "row_restored", row.id, None, version, None, None)
        audit.record(conn, actor, "investor.archived" if archived else "investor.restored", "investor", row.id, details)

    def _create_row(self, conn, actor: Principal, columns: list[Column], raw_values: Any,
                    audit_action: str = "investor.created", reason: str = "created",
                    place: tuple[str, str] | None = None) -> Row:
        """A new investor inside an open write: insert, audit, compute formulas, set its cells."""
        targets = self._resolve(columns, raw_values or {})
        changes = [(col, self._normalize(conn, actor, col, raw)) for col, raw in targets]
        initial_list = next((v for c, v in changes if c.field == "list"), "main")
        row_id = self._insert_investor(conn, actor, initial_list, reason, place)
        changes = [(c, v) for c, v in changes if c.field != "list"]
        audit.record(conn, actor, audit_action, "investor", row_id,
                     {col.name: {"old": None, "new": value} for col, value in changes if value not in (None, [], False)})
        row = self._row_from_db(conn, columns, row_id)
        self._recompute_row(conn, columns, row, None)
        row = self._apply(conn, actor, row, columns, changes, audit_action=None)
        self._commit_row(row, columns)
        return row

    def create_row(self, actor: Principal, raw_values: Any, audit_action: str = "investor.created",
                   before: str | None = None, after: str | None = None,
                   then: Callable[[sqlite3.Connection, dict], Any] | None = None) -> dict:
        """A new investor at the end of the grid, or just above (`before`) or below (`after`) one;
        `then(conn, row)` runs in the same transaction (another module's record of it)."""
        if before and after:
            raise BadRequest("give 'before' or 'after', not both", field="before")
        place = ("before", before) if before else ("after", after) if after else None

        def work(conn, columns):
            row = self._create_row(conn, actor, columns, raw_values, audit_action, place=place).as_dict()
            if then:
                then(conn, row)
            return row
        return self._write(work)

    def create_rows(self, actor: Principal, rows_values: list, reason: str = "created") -> list[dict]:
        """Many new investors in one transaction: all or none (a bad value names its row)."""
        if not isinstance(rows_values, list) or not rows_values or len(rows_values) > MAX_BATCH:
            raise BadRequest(f"'rows' must be a list of 1 to {MAX_BATCH} objects of values", field="rows")

        def work(conn, columns):
            out = []
            for index, values in enumerate(rows_values):
                try:
                    out.append(self._create_row(conn, actor, columns, values, reason=reason).as_dict())
                except BadRequest as exc:
                    raise BadRequest(f"rows[{index}]: {exc.message}", **{**exc.details, "row": index}) from None
            return out
        return self._write(work)

    def _edit_row(self, conn, actor: Principal, columns: list[Column], row_id: str, raw_values: Any,
                  expected_version: int | None) -> Row:
        """One row's cell edit inside an open write: conflict check, normalise, apply."""
        row = self._row_from_db(conn, columns, row_id)
        if row.archived_at:
            raise Conflict("this investor is archived; restore it before editing", code="archived",
                           current=row.as_dict(), row_id=row_id)
        targets = self._resolve(columns, raw_values)
        if not targets:
            raise BadRequest("'values' is empty: nothing to change")
        if expected_version is not None and expected_version < row.version:
            placeholders = ",".join("?" * len(targets))
            clashes = conn.execute(
                "SELECT column_id, actor_name, at, new FROM grid_changes WHERE investor_id = ? AND row_version > ?"
                f" AND column_id IN ({placeholders}) ORDER BY seq",
                (row_id, expected_version, *[c.id for c, _ in targets])).fetchall()
            if clashes:
                names = {c.id: c.name for c, _ in targets}
                raise Conflict(
                    "someone else changed " + ", ".join(sorted({f"'{names[c[0]]}'" for c in clashes}))
                    + " since you loaded this row", code="version_conflict", current=row.as_dict(), row_id=row_id,
                    conflicts=[{"column_id": c[0], "by": c[1], "at": c[2],
                                "value": json.loads(c[3]) if c[3] else None} for c in clashes])
        elif expected_version is not None and expected_version > row.version:
            raise BadRequest(f"expected_version {expected_version} is newer than the row ({row.version})",
                             row_id=row_id)
        changes = [(col, self._normalize(conn, actor, col, raw)) for col, raw in targets]
        row = self._apply(conn, actor, row, columns, changes)
        self._commit_row(row, columns)
        return row

    def update_row(self, actor: Principal, row_id: str, raw_values: Any, expected_version: int | None = None) -> dict:
        return self._write(lambda conn, columns: self._edit_row(
            conn, actor, columns, row_id, raw_values, expected_version).as_dict())

    def update_people(self, actor: Principal, row_id: str, change: Callable[[list | None], list],
                      then: Callable[[sqlite3.Connection], Any] | None = None) -> dict:
        """Change an investor's people from what they are now (`change(current) -> new`), and run
        `then(conn)` in the same transaction (another module's bookkeeping of the same decision)."""
        def work(conn, columns):
            people = next((c for c in columns if c.type == "contacts"), None)
            if people is None:
                raise Conflict("the grid has no contacts column")
            current = self._row_from_db(conn, columns, row_id).values.get(people.id)
            row = self._edit_row(conn, actor, columns, row_id, {people.id: change(current)}, None)
            if then:
                then(conn)
            return row.as_dict()
        return self._write(work)

    def edit_row(self, actor: Principal, row_id: str, change: Callable[[dict], dict],
                 then: Callable[[sqlite3.Connection, dict], Any] | None = None) -> dict:
        """Edit one row with values made from it as stored now (`change(row) -> {column id or name:
        value}`, a normal audited edit; empty changes nothing), then run `then(conn, row)` in the
        same transaction (another module's record of the same decision)."""
        def work(conn, columns):
            row = self._row_from_db(conn, columns, row_id)
            raw_values = change(row.as_dict())
            if raw_values:
                row = self._edit_row(conn, actor, columns, row_id, raw_values, None)
            if then:
                then(conn, row.as_dict())
            return row.as_dict()
        return self._write(work)

    def set_signals(self, actor: Principal, signals: dict[str, dict]) -> int:
        """Relationship signals computed from mail ({row id: {signal type: value}}) into the signal
        columns, like formula values: stored, published, formulas reading them recomputed, one
        `signals` change per row for the feed. Returns how many rows changed."""
        def work(conn, columns):
            targets = [c for c in columns if c.type in ct.SIGNALS]
            changed = 0
            for row_id, values in signals.items():
                row = self.cache.rows.get(row_id)
                cells = [(row_id, c.id, values.get(c.type)) for c in targets
                         if row is not None and row.values.get(c.id) != values.get(c.type)]
                if not cells:
                    continue
                self._store_formula_values(conn, cells)
                row = self._row_from_db(conn, columns, row_id)
                self._recompute_row(conn, columns, row, [cid for _, cid, _ in cells])
                self._log(conn, actor, "signals", row_id, None, row.version, None, None)
                self._commit_row(row, columns)
                changed += 1
            return changed
        return self._write(work)

    def update_rows(self, actor: Principal, edits: Any) -> list[dict]:
        """Several rows' edits (a paste, a fill-down, an undo) in one transaction: all land or
        none does; the error names the row that failed."""
        if not isinstance(edits, list) or not edits:
            raise BadRequest("'rows' must be a non-empty list of {id, values, expected_version?}", field="rows")
        if len(edits) > MAX_BATCH:
            raise BadRequest(f"at most {MAX_BATCH} rows per request", field="rows")
        for index, edit in enumerate(edits):
            if (not isinstance(edit, dict) or not isinstance(edit.get("id"), str)
                    or set(edit) - {"id", "values", "expected_version"}
                    or not (edit.get("expected_version") is None or (isinstance(edit["expected_version"], int)
                                                                    and not isinstance(edit["expected_version"], bool)))):
                raise BadRequest(f"rows[{index}] must be {{id, values, expected_version?}}", field="rows")
        if len({e["id"] for e in edits}) != len(edits):
            raise BadRequest("each row may appear once per request", field="rows")

        def work(conn, columns):
            return [self._edit_row(conn, actor, columns, e["id"], e.get("values"), e.get("expected_version")).as_dict()
                    for e in edits]
        return self._write(work)

    def set_archived(self, actor: Principal, row_id: str, archived: bool) -> dict:
        def work(conn, columns):
            row = self._row_from_db(conn, columns, row_id)
            if bool(row.archived_at) == archived:
                raise Conflict(f"investor is already {'archived' if archived else 'live'}")
            if not archived and merge.merged_into(conn, row_id):
                raise Conflict("this investor was merged into another; unmerge it to bring both back as they were",
                               code="merged", row_id=row_id)
            self._archive(conn, actor, row, archived,
                          {"name": row.values.get(next(c.id for c in columns if c.field == "name"))})
            row = self._row_from_db(conn, columns, row_id)
            self._commit_row(row, columns)
            return row.as_dict()
        return self._write(work)

    def put_state(self, actor: Principal, rows_payload: Any, expected_version: int) -> dict:
        """Snapshot compatibility: make the live rows match `rows_payload` ([{id?, values}]) as
        cell-level edits in one transaction; live rows absent from it are archived."""
        if not isinstance(rows_payload, list):
            raise BadRequest("'rows' must be a list of {id, values}", field="rows")

        def work(conn, columns):
            if expected_version != self.cache.seq:
                raise Conflict(f"the grid changed since version {expected_version} (now {self.cache.seq});"
                               " reload and try again", code="version_conflict", current_version=self.cache.seq)
            counts = {"created": 0, "updated": 0, "unchanged": 0, "archived": 0, "restored": 0}
            seen = set()
            for index, item in enumerate(rows_payload):
                if not isinstance(item, dict) or set(item) - {"id", "version", "values"}:
                    raise BadRequest(f"rows[{index}] must be an object with id and values", field="rows")
                row_id = item.get("id")
                exists = isinstance(row_id, str) and conn.execute(
                    "SELECT 1 FROM investors WHERE id = ?", (row_id,)).fetchone()
                changes = [(col, self._normalize(conn, actor, col, raw))
                           for col, raw in self._resolve(columns, item.get("values") or {}) if col.type not in ct.COMPUTED]
                if not exists:
                    row_id = self._insert_investor(conn, actor, "main", "snapshot")
                    audit.record(conn, actor, "investor.created", "investor", row_id, {"via": "snapshot"})
                    counts["created"] += 1
                row = self._row_from_db(conn, columns, row_id)
                if not exists:
                    self._recompute_row(conn, columns, row, None)
                seen.add(row_id)
                if row.archived_at:
                    self._archive(conn, actor, row, False, {"via": "snapshot"})
                    row = self._row_from_db(conn, columns, row_id)
                    counts["restored"] += 1
                after = self._apply(conn, actor, row, columns, changes)
                if exists:
                    counts["updated" if after.version != row.version else "unchanged"] += 1
                self._commit_row(after, columns)
            for (row_id,) in conn.execute("SELECT id FROM investors WHERE archived_at IS NULL").fetchall():
                if row_id not in seen:
                    self._archive(conn, actor, self._row_from_db(conn, columns, row_id), True, {"via": "snapshot"})
                    self._commit_row(self._row_from_db(conn, columns, row_id), columns)
                    counts["archived"] += 1
            return counts
        counts = self._write(work)
        return {**counts, "version": self.cache.seq}

    def apply_automation(self, conn, actor: Principal, row: Row, columns: list[Column],
                         raw_values: dict) -> Row:
        """Used by the automation engine inside an open write: change cells as `actor`."""
        changes = [(col, self._normalize(conn, actor, col, raw)) for col, raw in self._resolve(columns, raw_values)]
        return self._apply(conn, actor, row, columns, changes, audit_action="automation.applied",
                           trigger_automations=False)

    def run_in_write(self, work: Callable) -> Any:
        """Run automation-style work over rows in one write: work(conn, columns, rows, commit)."""
        def wrapped(conn, columns):
            return work(conn, columns, lambda rid: self._row_from_db(conn, columns, rid),
                        lambda row: self._commit_row(row, columns))
        return self._write(wrapped)

    # --- columns -------------------------------------------------------------------------------

    def _check_name(self, conn, name: Any, exclude: str | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("column name must be a non-empty string", field="name")
        name = name.strip()
        if len(name) > ct.MAX_COLUMN_NAME:
            raise BadRequest(f"column name must be at most {ct.MAX_COLUMN_NAME} characters", field="name")
        clash = conn.execute("SELECT id FROM grid_columns WHERE name = ? COLLATE NOCASE AND archived_at IS NULL"
                             " AND id IS NOT ?", (name, exclude)).fetchone()
        if clash:
            raise Conflict(f"a column named '{name}' already exists", field="name")
        return name

    def _insert_column(self, conn, actor: Principal, columns: list[Column], name: Any, column_type: Any,
                       options: Any = None, frozen: bool = False, width: int | None = None,
                       position: int | None = None) -> Column:
        """A new column inside an open write (validated; formulas checked against `columns`)."""
        if column_type not in ct.TYPES:
            raise BadRequest(f"unknown column type {column_type!r}; one of: {', '.join(ct.TYPES)}", field="type")
        clean_name = self._check_name(conn, name)
        if len(columns) >= MAX_COLUMNS:
            raise BadRequest(f"a grid holds at most {MAX_COLUMNS} columns")
        if column_type == "contacts" and any(c.type == "contacts" for c in columns):
            raise Conflict("the grid already has a contacts column (an investor has one list of people)")
        clean = ct.normalize_options(column_type, options, clean_name)
        if column_type == "formula":
            clean = formula_columns.validate(clean["formula"], clean_name, columns)
        if column_type == "pipeline":
            self._check_pipeline_fund(columns, clean["fund_id"])
        col_id, now = new_id(), utc_now()
        if position is None and column_type == "fund":
            position = placement.fund_index(columns)
        pos = placement.column_position(columns, position)
        stored = {k: v for k, v in clean.items() if column_type != "fund" or k not in ("vintage", "target", "currency")}
        conn.execute("INSERT INTO grid_columns (id, name, type, options, position, frozen, width, created_at,"
                     " created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (col_id, clean_name, column_type, _dumps(stored), pos, int(bool(frozen)), width, now,
                      actor.id, now))
        if column_type == "fund":
            conn.execute("INSERT INTO funds (id, vintage, target, currency, created_at, updated_at)"
                         " VALUES (?,?,?,?,?,?)", (col_id, clean.get("vintage"), clean.get("target"),
                                                   clean.get("currency", "USD"), now, now))
        col = Column(col_id, clean_name, column_type, None, clean, pos, bool(frozen), width)
        self._log(conn, actor, "column", None, col_id, None, None, col.as_dict())
        audit.record(conn, actor, "column.created", "column", col_id,
                     {"name": clean_name, "type": column_type, "options": clean})
        return col

    def create_column(self, actor: Principal, name: Any, column_type: Any, options: Any = None,
                      frozen: bool = False, width: int | None = None, position: int | None = None) -> dict:
        def work(conn, columns):
            col = self._insert_column(conn, actor, columns, name, column_type, options, frozen, width, position)
            self._reload_columns(conn, rebuild=column_type in ("contacts", "pipeline"))
            if column_type == "formula":
                self._recompute_columns(conn, self.cache.columns, [col.id])
            return next(c.as_dict(i) for i, c in enumerate(self.cache.columns) if c.id == col.id)
        return self._write(work)

    # --- imports -------------------------------------------------------------------------------

    def apply_import(self, actor: Principal, make_plan: Callable[[list[dict], list], Any],
                     dry_run: bool = False, run_rules: bool = False) -> dict:
        """Plan an import against the grid as it is under the write lock, then apply all of it in
        this one transaction (new columns, new choices, created and updated investors, formulas)
        or, if the plan has errors, nothing. Edit-triggered automation rules run on the imported
        investors only when asked (`run_rules`): a file states its rows, and a rule such as
        "Passed -> graveyard" must not move fifty investors unless the person chose that.
        `make_plan(columns, rows)` gets the live columns (lookup shape) and rows [(id, values)]."""
        def work(conn, columns):
            cache = self.cache
            live = [(rid, cache.rows[rid].values) for rid in cache.order if not cache.rows[rid].archived_at]
            plan = make_plan([c.lookup() for c in columns], live)
            summary = {"created": len(plan.creates), "updated": len(plan.updates), "unchanged": plan.unchanged,
                       "new_columns": [c["name"] for c in plan.new_columns], "errors": plan.errors,
                       "warnings": plan.warnings, "people_added": plan.people_added}
            if plan.errors:
                raise Unprocessable(f"{len(plan.errors)} problem(s) in the file; nothing was imported "
                                    f"(first: line {plan.errors[0].get('line')}: {plan.errors[0]['message']})",
                                    code="import_errors",
                                    data={**summary, "created": 0, "updated": 0, "unchanged": 0, "people_added": 0})
            if dry_run:
                return summary
            refs = {c.id: c.id for c in columns}
            for spec in plan.new_columns:
                col = self._insert_column(conn, actor, columns, spec["name"], spec["type"], spec.get("options"))
                columns.append(col)
                columns.sort(key=lambda c: c.position)  # display order: a fund lands among the first columns
                refs["new:" + spec["name"]] = col.id
            by_id = {c.id: c for c in columns}
            for ref, names in plan.choices_to_add.items():
                col = by_id[refs[ref]]
                known = {c["name"].casefold() for c in col.options.get("choices", [])}
                added = [n for n in names if n.casefold() not in known]
                if added:
                    choices = col.options.get("choices", [])
                    col.options = {**col.options, "choices": choices + [
                        {"name": n, "color": ct.CHOICE_COLORS[(len(choices) + i) % len(ct.CHOICE_COLORS)]}
                        for i, n in enumerate(added)]}
                    self._save_column_options(conn, actor, col, {"choices_added": added, "via": "import"})
            self._build(conn)  # rows now carry the new columns
            columns = self._load_columns(conn)
            by_id = {c.id: c for c in columns}
            touched = self._bulk_create(conn, actor, by_id, refs, plan.creates)
            for update in plan.updates:
                row = self.cache.rows[update["row_id"]]
                changes = [(by_id[refs[ref]], value) for ref, value in update["values"].items()]
                self._apply(conn, actor, row, columns, changes, trigger_automations=False)
                touched.append(update["row_id"])
            self._build(conn)
            if any(c.type == "formula" for c in columns):
                self._recompute_columns(conn, columns)
            summary["changed_by_rules"] = 0
            if run_rules and self.automations is not None:
                for rid in touched:
                    row = self.cache.rows[rid]
                    after = self.automations.after_edit(conn, self, row, columns, list(by_id))
                    if after is not row:
                        self._commit_row(after, columns)
                        summary["changed_by_rules"] += 1
            audit.record(conn, actor, "import.completed", "grid", None, {"run_rules": run_rules, **{
                k: summary[k] for k in ("created", "updated", "unchanged", "new_columns", "people_added",
                                        "changed_by_rules")}})
            shed(live, plan.creates, plan.updates)
            return summary
        with collector_paused():
            return self._write(work)

    def _bulk_create(self, conn, actor: Principal, by_id: dict, refs: dict, creates: list[dict]) -> list[str]:
        """Insert many new investors with executemany: the cost of a 50,000-row first import."""
        now, ids = utc_now(), new_ids(len(creates))
        first = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM investors").fetchone()[0]
        investors, memberships, cells, commitments, people, logs, audits = [], [], [], [], [], [], []
        for row_id, item in zip(ids, creates):
            fields = {"name": "", "list": "main", "notes": None, "lead_source": None}
            for ref, value in item["values"].items():
                col = by_id[refs[ref]]
                if col.field:
                    fields[col.field] = value if value is not None else fields[col.field]
                elif col.type == "fund":
                    commitments.append((row_id, col.id, value, now, actor.name))
                elif col.type == "contacts":
                    for position, person in enumerate(value or []):
                        people.append((row_id, person.get("name") or "", person.get("email"),
                                       person.get("phone"), person.get("title"), position, now, now))
                elif col.type not in ct.COMPUTED and value is not None:
                    cells.append((row_id, col.id, _dumps(value), now, actor.name))
            investors.append((row_id, fields["name"] or "", fields["list"], fields["notes"], fields["lead_source"],
                              now, actor.name, now, actor.name, first + len(investors)))
            memberships.append((row_id, fields["list"], now, actor.name, "import"))
            logs.append((now, actor.kind, actor.id, actor.name, row_id, _dumps({"via": "import", "line": item.get("line")})))
            audits.append((row_id, {"via": "import", "line": item.get("line"), "name": fields["name"]}))
        conn.executemany("INSERT INTO investors (id, name, list, notes, lead_source, version, created_at, created_by,"
                         " updated_at, updated_by, position) VALUES (?,?,?,?,?,1,?,?,?,?,?)", investors)
        conn.executemany("INSERT INTO list_memberships (investor_id, list, started_at, changed_by, reason)"
                         " VALUES (?,?,?,?,?)", memberships)
        conn.executemany("INSERT INTO cell_values (investor_id, column_id, value, updated_at, updated_by)"
                         " VALUES (?,?,?,?,?)", cells)
        conn.executemany("INSERT INTO commitments (investor_id, fund_id, amount, updated_at, updated_by)"
                         " VALUES (?,?,?,?,?)", commitments)
        conn.executemany("INSERT INTO contacts (id, investor_id, name, email, phone, title, position, created_at,"
                         " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                         [(person_id, *person) for person_id, person in zip(new_ids(len(people)), people)])
        conn.executemany("INSERT INTO grid_changes (at, actor_type, actor_id, actor_name, kind, investor_id,"
                         " row_version, new) VALUES (?,?,?,?,'row_created',?,1,?)", logs)
        audit.record_many(conn, actor, "investor.created", "investor", audits)
        shed(investors, memberships, cells, commitments, people, logs, audits)
        return ids

    def _reload_columns(self, conn, rebuild: bool = False) -> None:
        """Refresh the cached columns after a column change. Values only need re-reading from the
        tables when a column comes back (restore) or a contacts column appears."""
        if rebuild:
            self._build(conn)
        else:
            self.cache.set_columns(self._load_columns(conn))

    def update_column(self, actor: Principal, column_id: str, changes: dict) -> dict:
        def work(conn, columns):
            col = next((c for c in columns if c.id == column_id), None)
            if col is None:
                raise NotFound(f"column {column_id} does not exist or is archived")
            detail, sets, args = {}, [], []
            if "name" in changes:
                new_name = self._check_name(conn, changes["name"], exclude=column_id)
                if new_name != col.name:
                    sets.append("name = ?"); args.append(new_name)
                    detail["name"] = {"old": col.name, "new": new_name}
            if "type" in changes and changes["type"] != col.type:
                raise BadRequest("changing a column's type is not supported; create a new column and copy values",
                                 field="type")
            recompute = False
            if "options" in changes:
                if col.field == "list":
                    raise BadRequest("the List column's options are fixed (main, follow_up, graveyard, longshot)")
                merged = {**col.options, **(changes["options"] or {})} if isinstance(changes["options"], dict) else changes["options"]
                clean = ct.normalize_options(col.type, merged, col.name)
                if col.type == "pipeline" and clean["fund_id"] != col.options.get("fund_id"):
                    raise BadRequest("a pipeline column follows one fund for good; add a new one for another fund",
                                     field="options")
                if col.type == "formula":
                    clean = formula_columns.validate(clean["formula"], col.name, columns, own_id=col.id)
                    recompute = clean["formula"] != col.options.get("formula")
                if clean != {k: col.options.get(k) for k in clean} or set(clean) != set(col.options):
                    stored = {k: v for k, v in clean.items() if col.type != "fund" or k not in ("vintage", "target", "currency")}
                    sets.append("options = ?"); args.append(_dumps(stored))
                    detail["options"] = {"old": col.options, "new": clean}
                    if col.type == "fund":
                        conn.execute("UPDATE funds SET vintage = ?, target = ?, currency = ?, updated_at = ? WHERE id = ?",
                                     (clean.get("vintage"), clean.get("target"), clean.get("currency", "USD"),
                                      utc_now(), col.id))
            for key in ("frozen", "width"):
                if key in changes and changes[key] != getattr(col, key):
                    value = changes[key]
                    if key == "frozen" and not isinstance(value, bool):
                        raise BadRequest("frozen must be true or false", field="frozen")
                    if key == "width" and value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                                                 or not 40 <= value <= 2000):
                        raise BadRequest("width must be a whole number of pixels between 40 and 2000", field="width")
                    sets.append(f"{key} = ?"); args.append(int(value) if key == "frozen" else value)
                    detail[key] = {"old": getattr(col, key), "new": value}
            if "position" in changes:
                index = changes["position"]
                if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                    raise BadRequest("position must be a whole number >= 0", field="position")
                current = [c.id for c in columns].index(col.id)
                if index != current:
                    sets.append("position = ?"); args.append(placement.column_position(columns, index, moving=col.id))
                    detail["position"] = {"old": current, "new": index}
            if not sets:
                return col.as_dict([c.id for c in columns].index(col.id))
            sets.append("updated_at = ?"); args.append(utc_now())
            conn.execute(f"UPDATE grid_columns SET {', '.join(sets)} WHERE id = ?", (*args, col.id))
            self._log(conn, actor, "column", None, col.id, None, None, detail)
            audit.record(conn, actor, "column.updated", "column", col.id, detail)
            if "name" in detail:
                self._rename_in_formulas(conn, actor, columns, col, detail["name"]["old"], detail["name"]["new"])
            self._reload_columns(conn)
            if recompute:
                self._recompute_columns(conn, self.cache.columns, [col.id])
            return next(c.as_dict(i) for i, c in enumerate(self.cache.columns) if c.id == column_id)
        return self._write(work)

    def _rename_in_formulas(self, conn, actor: Principal, columns: list[Column], renamed: Column,
                            old: str, new: str) -> None:
        """Formulas refer to columns by name: rewrite those that use the renamed column."""
        for col in columns:
            if col.type == "formula" and renamed.id in col.options.get("refs", []):
                source = formula_columns.formula.rename_reference(col.options["formula"], old, new)
                options = {**col.options, "formula": source}
                conn.execute("UPDATE grid_columns SET options = ?, updated_at = ? WHERE id = ?",
                             (_dumps(options), utc_now(), col.id))
                self._log(conn, actor, "column", None, col.id, None, None, {"formula": source})
                audit.record(conn, actor, "column.updated", "column", col.id,
                             {"formula": {"old": col.options["formula"], "new": source}, "reason": f"'{old}' renamed"})

    def set_column_archived(self, actor: Principal, column_id: str, archived: bool) -> dict:
        def work(conn, columns):
            row = conn.execute(f"SELECT {COLUMN_FIELDS} FROM grid_columns WHERE id = ?", (column_id,)).fetchone()
            if row is None:
                raise NotFound(f"column {column_id} does not exist")
            col = Column.from_row(row)
            if col.field == "name":
                raise BadRequest("the primary Name column can be renamed but never removed")
            if bool(col.archived_at) == archived:
                raise Conflict(f"column is already {'archived' if archived else 'live'}")
            users = [c.name for c in columns if c.type == "formula" and column_id in c.options.get("refs", [])]
            if archived and users:
                raise Conflict(f"column '{col.name}' is used by formula column(s) {', '.join(users)};"
                               " change those formulas first", code="column_in_use", used_by=users)
            if archived:
                self._check_pipeline_archive(conn, columns, col)
            else:
                self._check_name(conn, col.name)
                if col.type == "contacts" and any(c.type == "contacts" for c in columns):
                    raise Conflict("the grid already has a live contacts column")
                if col.type == "pipeline":
                    self._check_pipeline_fund(columns, col.options.get("fund_id"))
            now = utc_now()
            conn.execute("UPDATE grid_columns SET archived_at = ?, updated_at = ? WHERE id = ?",
                         (now if archived else None, now, column_id))
            self._log(conn, actor, "column", None, column_id, None, None, {"archived": archived})
            audit.record(conn, actor, "column.archived" if archived else "column.restored", "column", column_id,
                         {"name": col.name})
            self._reload_columns(conn, rebuild=not archived)
            if not archived and col.type == "formula":
                col.options = formula_columns.validate(col.options.get("formula"), col.name, self.cache.columns,
                                                       own_id=col.id)
                self._recompute_columns(conn, self.cache.columns, [col.id])
            col.archived_at = now if archived else None
            return col.as_dict()
        return self._write(work)

    def merge_preview(self, row_id: str, into: str) -> dict:
        """What merging `row_id` into `into` would do (grid/merge.py); writes nothing."""
        columns = self.view().columns
        with self.db.read() as conn:
            return merge.preview(self, conn, columns, row_id, into)

    def merge_rows(self, actor: Principal, row_id: str, into: str, choices: dict | None = None,
                   expected_versions: dict | None = None) -> dict:
        """Merge `row_id` into `into` in one write (grid/merge.py): the survivor, with `merge_id`."""
        return self._write(lambda conn, columns: merge.merge(self, conn, columns, actor, row_id, into, choices,
                                                             expected_versions))

    def unmerge(self, actor: Principal, row_id: str) -> dict:
        """Undo the merge of `row_id` (the merged row) in one write: both rows, and the cells kept."""
        return self._write(lambda conn, columns: merge.unmerge(self, conn, columns, actor, row_id))

    def archive_everything(self, actor: Principal) -> dict:
        """Reset: archive every live investor, custom column and view (never deletes anything)."""
        def work(conn, columns):
            now = utc_now()
            ids = [r[0] for r in conn.execute("SELECT id FROM investors WHERE archived_at IS NULL")]
            conn.execute("UPDATE investors SET archived_at = ?, archived_by = ?, version = version + 1,"
                         " updated_at = ?, updated_by = ? WHERE archived_at IS NULL", (now, actor.name, now, actor.name))
            conn.executemany("INSERT INTO grid_changes (at, actor_type, actor_id, actor_name, kind, investor_id)"
                             " VALUES (?,?,?,?,'row_archived',?)", [(now, actor.kind, actor.id, actor.name, i) for i in ids])
            custom = [c.id for c in columns if not c.field and c.type != "contacts"]
            archived_columns = conn.execute("UPDATE grid_columns SET archived_at = ?, updated_at = ? WHERE archived_at IS NULL"
                                      " AND field IS NULL AND type != 'contacts'", (now, now)).rowcount
            views = conn.execute("UPDATE views SET archived_at = ?, updated_at = ? WHERE archived_at IS NULL",
                                 (now, now)).rowcount
            self._log(conn, actor, "column", None, None, None, None, {"reset": True})
            counts = {"investors": len(ids), "columns": archived_columns, "views": views}
            audit.record(conn, actor, "grid.reset", "grid", None, {**counts, "column_ids": custom})
            self._build(conn)
            return counts
        return self._write(work)

    # --- seeding -------------------------------------------------------------------------------

    def seed_defaults(self, actor: Principal) -> bool:
        """Give a brand-new grid its default columns (once; later edits are the team's)."""
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM grid_columns LIMIT 1").fetchone():
                return False

        def work(conn, columns):
            if conn.execute("SELECT 1 FROM grid_columns LIMIT 1").fetchone():
                return False
            now = utc_now()
            for i, (name, kind, fld, options) in enumerate(DEFAULT_COLUMNS):
                clean = ct.normalize_options(kind, options, name)
                col_id = new_id()
                conn.execute("INSERT INTO grid_columns (id, name, type, field, options, position, frozen, created_at,"
                             " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                             (col_id, name, kind, fld, _dumps(clean), float(i + 1), int(fld == "name"), now, now))
                self._log(conn, actor, "column", None, col_id, None, None, {"name": name, "type": kind})
            audit.record(conn, actor, "grid.seeded", "grid", None, {"columns": [c[0] for c in DEFAULT_COLUMNS]})
            self._build(conn)
            return True
        return self._write(work)

    def revert_automation(self, conn, actor: Principal, row: Row, columns: list[Column], raw_values: dict) -> Row:
        """Used by the automation engine's undo inside an open write: put cells back as `actor`, a
        normal audited edit that does not set the rules off again (they would redo what is undone)."""
        changes = [(col, self._normalize(conn, actor, col, raw)) for col, raw in self._resolve(columns, raw_values)]
        return self._apply(conn, actor, row, columns, changes, trigger_automations=False)
