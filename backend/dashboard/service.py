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

import math
import sys
import threading
import time
import traceback
from collections import Counter
from datetime import date, datetime, timezone
from typing import Any, Callable

from .activity import Activity, iso as _iso
from ..db import Database
from ..errors import NotFound
from ..grid import column_types as ct, opportunities
from ..grid.importer import export_csv

NO_STATUS = "(no status)"
NO_SIGNAL = "No signal"
FIGURES = ("funds", "pipeline", "lists", "status", "activity", "top_investors", "strength")
CACHE_ENTRIES = 16


def _amount(value: Any) -> float | None:
    """A cell's number if it is a real, finite, positive amount; else None."""
    if type(value) is int or type(value) is float:
        return float(value) if value > 0 and math.isfinite(value) else None
    return None


def _round(value: float) -> float | int:
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


class Dashboard:
    def __init__(self, db: Database, grid, clock: Callable[[], datetime] | None = None):
        self.db, self.grid = db, grid
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._cache: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self.activity = Activity()
        db.on_reset(self._forget)

    def _forget(self) -> None:
        with self._lock:
            self._cache.clear()
        with self.activity.lock:
            self.activity.reset()

    # --- the one entry point ---------------------------------------------------------------------

    def summary(self, fund: str | None = None) -> dict:
        """Every figure, as `GET /api/dashboard` returns it (`fund`: narrow the pipeline to one fund)."""
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

    def warm(self) -> None:
        """Build the activity tallies once at start-up (a background job: no read deadline), so the
        first dashboard a person opens reads only what was added since."""
        try:
            self.summary()
        except Exception:  # a warm-up must never stop the server; the first request builds instead
            sys.stderr.write("dashboard warm-up failed:\n" + traceback.format_exc())

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
            " (SELECT max(seq) FROM grid_changes)").fetchone()
        return tuple(row)

    def _compute(self, conn, view, now: datetime, today_local: date, fund: str | None) -> dict:
        with view.lock:
            rows = [view.rows[rid] for rid in view.order]
        live = [r for r in rows if not r.archived_at]
        out = _grid_figures(view.columns, live, fund)
        live_ids = {r.id: r for r in live}
        name_col = next((c.id for c in view.columns if c.field == "name"), None)
        out.update(self.activity.figures(conn, now, rows, live_ids, name_col, frozenset(c.id for c in view.columns)))
        out.update(_tasks(conn, today_local, live_ids))
        return out


# --- the grid's figures -------------------------------------------------------------------------

def _grid_figures(columns: list, live: list, fund: str | None) -> dict:
    list_col = next((c for c in columns if c.field == "list"), None)
    status_col = next((c for c in columns if c.type == "single_select" and c.field is None
                       and c.name.strip().casefold() == "status"), None)
    strength_col = next((c for c in columns if c.type == "relationship_strength"), None)
    funds = [c for c in columns if c.type == "fund"]
    fund_ids = {c.id for c in funds}
    pipes = [c for c in columns if c.type == "pipeline" and c.options.get("fund_id") in fund_ids
             and (fund is None or c.options.get("fund_id") == fund)]
    values = [r.values for r in live]
    lists = [v.get(list_col.id) for v in values] if list_col else [None] * len(values)

    by_list = {key: 0 for key in ct.LISTS}
    for lst in lists:
        if lst in by_list:
            by_list[lst] += 1

    fund_rows, committed_total = [], 0.0
    for col in funds:
        committed = graveyard = 0.0
        investors = graveyard_investors = 0
        cid = col.id
        for raw, lst in zip([v.get(cid) for v in values], lists):
            if raw is None:
                continue
            amount = _amount(raw)
            if amount is None:
                continue
            if lst == "graveyard":
                graveyard += amount
                graveyard_investors += 1
            else:
                committed += amount
                investors += 1
        target = col.options.get("target")
        committed_total += committed
        fund_rows.append({
            "fund_id": col.id, "name": col.name, "vintage": col.options.get("vintage"),
            "currency": col.options.get("currency") or "USD", "symbol": col.options.get("symbol") or "$",
            "target": _round(target) if target else target, "committed": _round(committed), "investors": investors,
            "percent": round(committed / target * 100, 1) if target else None,
            "remaining": _round(max(0.0, target - committed)) if target else None,
            "graveyard_committed": _round(graveyard), "graveyard_investors": graveyard_investors,
        })

    return {
        "committed_total": _round(committed_total),
        "committed_by_fund": [{"fund_id": f["fund_id"], "name": f["name"], "total": f["committed"]} for f in fund_rows],
        "currencies": sorted({f["currency"] for f in fund_rows}),
        "funds": fund_rows,
        "by_list": by_list,
        "lists": [{"list": key, "label": ct.LIST_LABELS[key], "count": by_list[key]} for key in ct.LISTS],
        "list_column_id": list_col.id if list_col else None,
        "investors": len(live),
        "by_status": _by_status(status_col, values, lists),
        "strength_distribution": _strength(strength_col, values),
        **_pipeline(pipes, funds, values, fund),
    }


def _by_status(col, values: list, lists: list) -> dict | None:
    if col is None:
        return None
    choices = [c["name"] if isinstance(c, dict) else str(c) for c in col.options.get("choices") or []]
    colors = {c["name"]: c.get("color") for c in col.options.get("choices") or [] if isinstance(c, dict)}
    counts: dict[str, dict] = {}
    cid = col.id
    for (raw, lst), n in Counter(zip([v.get(cid) for v in values], lists)).items():
        status = raw.strip() if isinstance(raw, str) and raw.strip() else NO_STATUS
        entry = counts.get(status)
        if entry is None:
            entry = counts[status] = {key: 0 for key in ct.LISTS}
        if lst in entry:
            entry[lst] += n
    order = [s for s in choices if s in counts] + sorted(s for s in counts if s not in choices and s != NO_STATUS)
    if NO_STATUS in counts:
        order.append(NO_STATUS)
    return {"column_id": col.id, "name": col.name,
            "rows": [{"status": s, "empty": s == NO_STATUS, "color": colors.get(s),
                      "count": sum(counts[s].values()), "by_list": counts[s]} for s in order]}


def _strength(col, values: list) -> dict | None:
    if col is None:
        return None
    counts = {level: 0 for level in ct.STRENGTHS}
    none = 0
    for level, n in Counter([v.get(col.id) for v in values]).items():
        if isinstance(level, str) and level in counts:
            counts[level] += n
        else:
            none += n
    return {"column_id": col.id, "name": col.name, "no_signal": none,
            "levels": [{"level": level, "color": ct.STRENGTHS[level], "count": counts[level]} for level in ct.STRENGTHS]}


def _pipeline(pipes: list, funds: list, values: list, fund: str | None) -> dict:
    stages = {s: {"stage": s, "count": 0, "expected": 0.0, "weighted": 0.0,
                  "probability": opportunities.DEFAULT_PROBABILITY[s], "open": s in opportunities.OPEN_STAGES}
              for s in opportunities.STAGES}
    for col in pipes:
        cid = col.id
        for cell in [v.get(cid) for v in values]:
            if cell is None or type(cell) is not dict:
                continue
            entry = stages.get(cell.get("stage"))
            if entry is None:
                continue
            entry["count"] += 1
            amount = _amount(cell.get("expected_amount"))
            if amount:
                entry["expected"] += amount
            entry["weighted"] += opportunities.weighted(cell)
    by_stage = [{**e, "expected": _round(e["expected"]), "weighted": _round(e["weighted"])} for e in stages.values()]
    names = {c.id: c.name for c in funds}
    return {
        "pipeline_weighted": _round(sum(e["weighted"] for e in stages.values() if e["open"])),
        "pipeline_expected": _round(sum(e["expected"] for e in stages.values() if e["open"])),
        "pipeline_open": sum(e["count"] for e in stages.values() if e["open"]),
        "pipeline_by_stage": by_stage,
        "pipelines": [{"column_id": c.id, "fund_id": c.options["fund_id"], "fund": names.get(c.options["fund_id"]),
                       "name": c.name} for c in pipes],
        "pipeline_fund": fund,
    }


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
