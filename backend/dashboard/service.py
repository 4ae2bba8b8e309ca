"""The dashboard's figures (`app.dashboard`): one read of the published grid (`Grid.view()`) for
money, lists, status, pipeline and relationship strength, and a few aggregate reads of the activity
tables (captured mail, the interaction log, grid edits, tasks) in one read snapshot.

What counts (docs/dashboard.md says it for people):
- Only live investors and live columns: an archived investor or column never counts anywhere.
- Committed: a fund column's positive amounts, over investors not on the graveyard list; what the
  graveyard holds is reported beside it (`graveyard_committed`), never in the totals.
- Pipeline: the cells of each fund's pipeline column (`grid/opportunities.py`: stages, default
  probabilities and the weighted value are its own); `pipeline_weighted` sums the open stages
  (Intro to Soft Circle): a commitment is counted by the fund column, not twice.
- Activity: weekly buckets (Monday 00:00 UTC) of the last 12 weeks. Emails: matched mail with a live
  investor, by when it was sent, once per team member (outbound: the sender; inbound: the team
  mailboxes it arrived in). Notes: the interaction log by when it was recorded (automation touches
  and the entries approved mail proposals make are left out, as the digest does). Edits: cell
  edits in the grid's change log, by who made them (automation rules are not team members; the values
  an investor was created with are not edits). `activity.py` keeps these tallies between requests.
- Top investors: the 10 live investors with the most emails + notes + edits in the last 30 days
  (UTC days: today and the 29 before).
- Overdue tasks: open, not archived, due before today (the box's day), on a live investor or none.

Figures are kept per (grid version, activity tables' high-water marks, day, fund): a dashboard
opened by several people, or polled, is computed once per change.
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from datetime import date, datetime, timezone
from typing import Callable

from .activity import Activity, iso as _iso
from .grid_figures import GridFigures
from ..db import Database
from ..errors import NotFound
from ..grid import column_types as ct
from ..grid.importer import export_csv

NO_SIGNAL = "No signal"
FIGURES = ("funds", "pipeline", "lists", "status", "activity", "top_investors", "strength")
CACHE_ENTRIES = 16
WARM_UP_WAIT_SECONDS = 60  # past this a request builds what it needs itself


class Dashboard:
    def __init__(self, db: Database, grid, clock: Callable[[], datetime] | None = None):
        self.db, self.grid = db, grid
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._cache: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self.activity = Activity()
        self.grid_figures = GridFigures(grid)
        # Set while the start-up warm-up builds the tallies: a request then waits for it rather
        # than building them a second time under its read deadline.
        self._merges_seen = None  # the merges seen when the tallies were last counted
        self._warming = threading.Event()
        self._warmed = threading.Event()
        db.on_reset(self._forget)

    def _forget(self) -> None:
        with self._lock:
            self._cache.clear()
        with self.activity.lock:
            self.activity.reset()
        with self.grid_figures.lock:
            self.grid_figures.reset()

    # --- the one entry point ---------------------------------------------------------------------

    def summary(self, fund: str | None = None) -> dict:
        """Every figure, as `GET /api/dashboard` returns it (`fund`: narrow the pipeline to one fund)."""
        if self._warming.is_set():
            self._warmed.wait(WARM_UP_WAIT_SECONDS)
        return self._summary(fund)

    def _summary(self, fund: str | None) -> dict:
        started = time.perf_counter()
        view = self.grid.view()
        if fund is not None and not any(c.id == fund and c.type == "fund" for c in view.columns):
            raise NotFound(f"fund {fund!r} is not a live fund column", field="fund")
        now = self.clock()
        today_local = now.astimezone().date()
        with self.db.read() as conn:
            conn.execute("BEGIN")  # one snapshot for the marks and every read below
            try:
                marks = self._marks(conn)
                if marks[-1] != self._merges_seen:
                    # A merge (or unmerge) moved touches between investors in place: the tallies,
                    # which follow the logs by what was added, are counted again.
                    with self.activity.lock:
                        self.activity.reset()
                    self._merges_seen = marks[-1]
                key = (view.seq, view.layout, marks, now.date().isoformat(), today_local.isoformat(), fund)
                with self._lock:
                    found = self._cache.get(key)
                if found is None:
                    found = self._compute(conn, view, now, today_local, fund)
                    with self._lock:
                        if len(self._cache) >= CACHE_ENTRIES:
                            self._cache.clear()
                        self._cache[key] = found
            finally:
                conn.execute("ROLLBACK")
        return {**found, "generated_ms": round((time.perf_counter() - started) * 1000, 1),
                "generated_at": _iso(now)}

    def expect_warm_up(self) -> None:
        """Called before the warm-up thread starts: requests from now on wait for it."""
        self._warming.set()

    def warm(self) -> None:
        """Build the tallies once at start-up (a background job: no read deadline), so the first
        dashboard a person opens reads only what was added since."""
        try:
            self._summary(None)
        except Exception:  # a warm-up must never stop the server; the first request builds instead
            sys.stderr.write("dashboard warm-up failed:\n" + traceback.format_exc())
        finally:
            self._warmed.set()
            self._warming.clear()

    def figure_csv(self, figure: str, fund: str | None = None) -> bytes:
        """One figure as CSV (UTF-8 with BOM, formula-injection safe, as the grid's export writes it)."""
        if figure not in FIGURES:
            raise NotFound(f"no dashboard figure {figure!r} (figures: {', '.join(FIGURES)})")
        data = self.summary(fund)
        columns, rows = _TABLES[figure](data)
        cols = [{"id": str(i), "name": name, "type": kind} for i, (name, kind) in enumerate(columns)]
        return export_csv(cols, [{str(i): v for i, v in enumerate(row)} for row in rows])

    @staticmethod
    def _marks(conn) -> tuple:
        """What changes the activity figures besides the grid: new log entries, mail, links, tasks."""
        row = conn.execute(
            "SELECT (SELECT max(rowid) FROM interactions), (SELECT max(rowid) FROM email_messages),"
            " (SELECT max(rowid) FROM email_links), (SELECT count(*) FROM email_links WHERE archived_at IS NULL),"
            " (SELECT max(rowid) FROM email_sightings), (SELECT max(rowid) FROM users),"
            " (SELECT max(updated_at) FROM tasks), (SELECT count(*) FROM tasks WHERE archived_at IS NULL AND done = 0),"
            " (SELECT max(seq) FROM grid_changes),"
            " (SELECT count(*) FROM merges) + (SELECT count(*) FROM merges WHERE undone_at IS NOT NULL)").fetchone()
        return tuple(row)

    def _compute(self, conn, view, now: datetime, today_local: date, fund: str | None) -> dict:
        out, archived = self.grid_figures.figures(view, fund)
        live = _LiveRows(view.rows)
        name_col = next((c.id for c in view.columns if c.field == "name"), None)
        out.update(self.activity.figures(conn, now, archived, live, name_col, frozenset(c.id for c in view.columns)))
        out.update(_tasks(conn, today_local, live))
        return out


class _LiveRows:
    """The published grid's live rows by id, read in place (no copy of 50,000 rows per request)."""

    def __init__(self, rows: dict):
        self.rows = rows

    def __contains__(self, rid) -> bool:
        row = self.rows.get(rid)
        return row is not None and not row.archived_at

    def __getitem__(self, rid):
        row = self.rows.get(rid)
        if row is None or row.archived_at:
            raise KeyError(rid)
        return row


# --- activity -------------------------------------------------------------------------------------

def _tasks(conn, today: date, live: dict) -> dict:
    names = dict(conn.execute("SELECT id, username FROM users").fetchall())
    overdue, owners = 0, {}
    for inv, owner in conn.execute(
            "SELECT investor_id, owner FROM tasks WHERE done = 0 AND archived_at IS NULL AND due IS NOT NULL"
            " AND due < ?", (today.isoformat(),)):
        if inv is not None and inv not in live:
            continue
        overdue += 1
        owners[owner] = owners.get(owner, 0) + 1
    by_owner = sorted(({"owner": o, "name": names.get(o) or ("nobody" if o is None else o), "count": n}
                       for o, n in owners.items()), key=lambda e: (-e["count"], e["name"]))
    return {"overdue_tasks": overdue, "overdue_by_owner": by_owner, "today": today.isoformat()}


# --- figures as tables (the CSV export) -----------------------------------------------------------

def _funds_table(d: dict):
    cols = [("Fund", "text"), ("Vintage", "number"), ("Currency", "text"), ("Target", "number"),
            ("Committed (graveyard excluded)", "number"), ("Percent of target", "number"),
            ("Investors committed", "number"), ("Graveyard commitments (excluded)", "number")]
    return cols, [(f["name"], f["vintage"], f["currency"], f["target"], f["committed"], f["percent"],
                   f["investors"], f["graveyard_committed"]) for f in d["funds"]]


def _pipeline_table(d: dict):
    cols = [("Stage", "text"), ("Open", "text"), ("Opportunities", "number"), ("Expected", "number"),
            ("Default probability", "number"), ("Weighted", "number")]
    return cols, [(s["stage"], "yes" if s["open"] else "no", s["count"], s["expected"], s["probability"], s["weighted"])
                  for s in d["pipeline_by_stage"]]


def _lists_table(d: dict):
    return [("List", "text"), ("Investors", "number")], [(e["label"], e["count"]) for e in d["lists"]]


def _status_table(d: dict):
    cols = [("Status", "text"), ("Investors", "number")] + [(ct.LIST_LABELS[k], "number") for k in ct.LISTS]
    rows = (d["by_status"] or {}).get("rows") or []
    return cols, [(r["status"], r["count"], *(r["by_list"][k] for k in ct.LISTS)) for r in rows]


def _activity_table(d: dict):
    a = d["activity_by_week"]
    cols = [("Week of", "text"), ("Team member", "text"), ("Emails", "number"), ("Notes", "number"), ("Edits", "number")]
    rows = [(week, m["name"], m["weeks"][i]["emails"], m["weeks"][i]["notes"], m["weeks"][i]["edits"])
            for i, week in enumerate(a["weeks"]) for m in a["members"]]
    return cols, rows


def _top_table(d: dict):
    cols = [("Rank", "number"), ("Investor", "text"), ("Emails", "number"), ("Notes", "number"), ("Edits", "number"),
            ("Total", "number"), ("Last activity", "text")]
    return cols, [(i + 1, t["name"], t["emails"], t["notes"], t["edits"], t["total"], t["last_at"])
                  for i, t in enumerate(d["top_investors"])]


def _strength_table(d: dict):
    s = d["strength_distribution"]
    rows = [(e["level"], e["count"]) for e in s["levels"]] + [(NO_SIGNAL, s["no_signal"])] if s else []
    return [("Relationship strength", "text"), ("Investors", "number")], rows


_TABLES = {"funds": _funds_table, "pipeline": _pipeline_table, "lists": _lists_table, "status": _status_table,
           "activity": _activity_table, "top_investors": _top_table, "strength": _strength_table}
