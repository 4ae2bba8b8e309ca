"""The dashboard's figures from the grid (money per fund, lists, status, relationship strength, the
pipeline by stage), kept between requests: each live row's contribution is remembered, and after an
edit only the rows the change log names (`Grid.rows_changed_between`) are taken out and put back,
so a dashboard after an edit costs the rows that changed, not the 50,000. A change of the columns
(or a restore, or a large import) rebuilds from the published grid.

Money is summed in whole cents (ints), so taking a row out and putting it back is exact.
What counts is said in service.py's docstring (and docs/dashboard.md).
"""
from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any

from ..grid import column_types as ct, opportunities

NO_STATUS = "(no status)"
REBUILD_ABOVE = 5000  # changed rows past which one pass over the grid is cheaper


def _cents(value: Any) -> int:
    """A positive, finite amount in cents; 0 for anything else."""
    if (type(value) is int or type(value) is float) and value > 0 and math.isfinite(value):
        return round(value * 100)
    return 0


def _money(cents: int) -> float | int:
    value = round(cents / 100, 2)
    return int(value) if float(value).is_integer() else value


class _Shape:
    """Which columns the figures read, fixed for one grid layout."""

    def __init__(self, columns: list):
        self.list_col = next((c for c in columns if c.field == "list"), None)
        self.status_col = next((c for c in columns if c.type == "single_select" and c.field is None
                                and c.name.strip().casefold() == "status"), None)
        self.strength_col = next((c for c in columns if c.type == "relationship_strength"), None)
        self.funds = [c for c in columns if c.type == "fund"]
        fund_ids = {c.id for c in self.funds}
        self.pipes = [c for c in columns if c.type == "pipeline" and c.options.get("fund_id") in fund_ids]

    def contribution(self, values: dict) -> tuple:
        """What one live row adds: (list, status, strength, fund cents..., pipeline cells...)."""
        lst = values.get(self.list_col.id) if self.list_col else None
        status = None
        if self.status_col:
            raw = values.get(self.status_col.id)
            status = raw.strip() if isinstance(raw, str) and raw.strip() else NO_STATUS
        strength = values.get(self.strength_col.id) if self.strength_col else None
        funds = tuple(_cents(values.get(c.id)) for c in self.funds)
        pipes = []
        for c in self.pipes:
            cell = values.get(c.id)
            if type(cell) is dict and cell.get("stage") in opportunities.DEFAULT_PROBABILITY:
                pipes.append((cell["stage"], _cents(cell.get("expected_amount")), round(opportunities.weighted(cell) * 100)))
            else:
                pipes.append(None)
        return lst, status, strength, funds, tuple(pipes)


class _Totals:
    """The sums over every live row's contribution."""

    def __init__(self, shape: _Shape):
        self.live = 0
        self.lists: Counter = Counter()
        self.status: Counter = Counter()        # (status, list) -> investors
        self.strength: Counter = Counter()      # level (or anything else) -> investors
        self.funds = [[0, 0, 0, 0] for _ in shape.funds]   # committed cents, investors, graveyard cents, graveyard investors
        self.pipes = [{s: [0, 0, 0] for s in opportunities.STAGES} for _ in shape.pipes]  # count, expected, weighted

    def add(self, part: tuple, sign: int) -> None:
        lst, status, strength, funds, pipes = part
        self.live += sign
        self.lists[lst] += sign
        if status is not None:
            self.status[(status, lst)] += sign
        self.strength[strength] += sign
        graveyard = lst == "graveyard"
        for tally, cents in zip(self.funds, funds):
            if cents:
                at = 2 if graveyard else 0
                tally[at] += sign * cents
                tally[at + 1] += sign
        for tally, cell in zip(self.pipes, pipes):
            if cell:
                entry = tally[cell[0]]
                entry[0] += sign
                entry[1] += sign * cell[1]
                entry[2] += sign * cell[2]


class GridFigures:
    """One per dashboard: the published grid's figures, kept current by the rows that changed."""

    def __init__(self, grid):
        self.grid = grid
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.layout, self.seq = None, -1
        self.shape: _Shape | None = None
        self.parts: dict[str, tuple] = {}
        self.archived: set[str] = set()
        self.totals: _Totals | None = None

    def _rebuild(self, view) -> None:
        shape = _Shape(view.columns)
        totals, parts, archived = _Totals(shape), {}, set()
        with view.lock:
            rows = list(view.rows.values())
        for row in rows:
            if row.archived_at:
                archived.add(row.id)
                continue
            part = parts[row.id] = shape.contribution(row.values)
            totals.add(part, 1)
        self.shape, self.totals, self.parts, self.archived = shape, totals, parts, archived

    def _follow(self, view) -> None:
        """Bring the sums to `view`: only the rows changed since, or everything after a layout change."""
        if self.totals is None or self.layout != view.layout:
            self._rebuild(view)
        elif self.seq != view.seq:
            changed = self.grid.rows_changed_between(self.seq, view.seq, REBUILD_ABOVE, signals=True)
            if changed is None:
                self._rebuild(view)
            else:
                for rid in changed:
                    old = self.parts.pop(rid, None)
                    if old is not None:
                        self.totals.add(old, -1)
                    row = view.rows.get(rid)
                    self.archived.discard(rid)
                    if row is None:
                        continue
                    if row.archived_at:
                        self.archived.add(rid)
                        continue
                    part = self.parts[rid] = self.shape.contribution(row.values)
                    self.totals.add(part, 1)
        self.layout, self.seq = view.layout, view.seq

    def figures(self, view, fund: str | None) -> tuple[dict, frozenset]:
        """(the grid's figures, the archived investors' ids) as of `view`."""
        with self.lock:
            self._follow(view)
            return self._render(fund), frozenset(self.archived)

    def _render(self, fund: str | None) -> dict:
        shape, totals = self.shape, self.totals
        by_list = {key: max(0, totals.lists.get(key, 0)) for key in ct.LISTS}
        fund_rows, committed_total = [], 0
        for col, (committed, investors, graveyard, graveyard_investors) in zip(shape.funds, totals.funds):
            target = col.options.get("target")
            committed_total += committed
            amount = committed / 100
            fund_rows.append({
                "fund_id": col.id, "name": col.name, "vintage": col.options.get("vintage"),
                "currency": col.options.get("currency") or "USD", "symbol": col.options.get("symbol") or "$",
                "target": _money(round(target * 100)) if target else target, "committed": _money(committed),
                "investors": investors, "percent": round(amount / target * 100, 1) if target else None,
                "remaining": _money(round(max(0.0, target - amount) * 100)) if target else None,
                "graveyard_committed": _money(graveyard), "graveyard_investors": graveyard_investors,
            })
        return {
            "committed_total": _money(committed_total),
            "committed_by_fund": [{"fund_id": f["fund_id"], "name": f["name"], "total": f["committed"]} for f in fund_rows],
            "currencies": sorted({f["currency"] for f in fund_rows}),
            "funds": fund_rows,
            "by_list": by_list,
            "lists": [{"list": key, "label": ct.LIST_LABELS[key], "count": by_list[key]} for key in ct.LISTS],
            "list_column_id": shape.list_col.id if shape.list_col else None,
            "investors": totals.live,
            "by_status": self._status(),
            "strength_distribution": self._strength(),
            **self._pipeline(fund),
        }

    def _status(self) -> dict | None:
        col = self.shape.status_col
        if col is None:
            return None
        choices = [c["name"] if isinstance(c, dict) else str(c) for c in col.options.get("choices") or []]
        colors = {c["name"]: c.get("color") for c in col.options.get("choices") or [] if isinstance(c, dict)}
        counts: dict[str, dict] = {}
        for (status, lst), n in self.totals.status.items():
            if n <= 0:
                continue
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

    def _strength(self) -> dict | None:
        col = self.shape.strength_col
        if col is None:
            return None
        levels = {level: max(0, self.totals.strength.get(level, 0)) for level in ct.STRENGTHS}
        none = sum(n for level, n in self.totals.strength.items() if level not in ct.STRENGTHS)
        return {"column_id": col.id, "name": col.name, "no_signal": none,
                "levels": [{"level": level, "color": ct.STRENGTHS[level], "count": levels[level]} for level in ct.STRENGTHS]}

    def _pipeline(self, fund: str | None) -> dict:
        stages = {s: [0, 0, 0] for s in opportunities.STAGES}
        chosen = [(col, tally) for col, tally in zip(self.shape.pipes, self.totals.pipes)
                  if fund is None or col.options.get("fund_id") == fund]
        for _col, tally in chosen:
            for stage, (count, expected, weighted) in tally.items():
                entry = stages[stage]
                entry[0] += count
                entry[1] += expected
                entry[2] += weighted
        by_stage = [{"stage": s, "count": c, "expected": _money(e), "weighted": _money(w),
                     "probability": opportunities.DEFAULT_PROBABILITY[s], "open": s in opportunities.OPEN_STAGES}
                    for s, (c, e, w) in stages.items()]
        opened = [stages[s] for s in opportunities.OPEN_STAGES]
        names = {c.id: c.name for c in self.shape.funds}
        return {
            "pipeline_weighted": _money(sum(e[2] for e in opened)),
            "pipeline_expected": _money(sum(e[1] for e in opened)),
            "pipeline_open": sum(e[0] for e in opened),
            "pipeline_by_stage": by_stage,
            "pipelines": [{"column_id": c.id, "fund_id": c.options["fund_id"], "fund": names.get(c.options["fund_id"]),
                           "name": c.name} for c, _ in chosen],
            "pipeline_fund": fund,
        }
