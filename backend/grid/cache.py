"""The grid in memory: columns and rows as the store keeps them, the writers' working copy
(`GridCache`), and what readers read (`GridView`, published at each commit)."""
from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass, field

from . import column_types as ct, view_engine


SHED_SLICE = 4096
# Compact JSON, the form every response and cached row fragment is written in. One encoder:
# json.dumps with options builds a new one on every call, a third of the cost of a grid row.
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def shed(*containers) -> None:
    """Empty big lists and dicts a slice at a time. Dropping the last reference to 500,000 tuples
    frees them in one C call that holds the GIL for ~100 ms, so every reader waits; freed in
    slices, the interpreter can hand the GIL over between them."""
    for container in containers:
        if isinstance(container, list):
            while container:
                del container[-SHED_SLICE:]
        elif isinstance(container, dict):
            pop = container.popitem
            while container:
                for _ in range(min(SHED_SLICE, len(container))):
                    pop()


@dataclass
class Column:
    id: str
    name: str
    type: str
    field: str | None
    options: dict
    position: float
    frozen: bool
    width: int | None
    archived_at: str | None = None

    @classmethod
    def from_row(cls, row, fund: tuple | None = None) -> "Column":
        options = json.loads(row[4] or "{}")
        if row[2] == "fund" and fund is not None:
            options.update(vintage=fund[0], target=fund[1], currency=fund[2])
        return cls(row[0], row[1], row[2], row[3], options, row[5], bool(row[6]), row[7], row[8])

    def as_dict(self, index: int | None = None) -> dict:
        out = {"id": self.id, "name": self.name, "type": self.type, "options": self.options,
               "position": index if index is not None else self.position, "frozen": self.frozen,
               "width": self.width, "primary": self.field == "name",
               "editable": self.type not in ct.COMPUTED,
               "kind": view_engine.column_kind(self.lookup())}  # which filter operators apply
        if self.field:
            out["field"] = self.field
        if self.archived_at:
            out["archived_at"] = self.archived_at
        return out

    def lookup(self) -> dict:
        """The shape column_types and the view engine take."""
        return {"id": self.id, "name": self.name, "type": self.type, "options": self.options, "field": self.field}


@dataclass
class Row:
    id: str
    version: int
    values: dict
    created_at: str
    archived_at: str | None = None
    fragments: dict = field(default_factory=dict)  # shape -> serialised JSON (published rows only)
    updated_at: str | None = None
    position: float = 0.0                           # the grid's row order (investors.position)

    def clone(self) -> "Row":
        """A copy for readers: writers may change their own Row in place, never a published one."""
        return Row(self.id, self.version, dict(self.values), self.created_at, self.archived_at,
                   updated_at=self.updated_at, position=self.position)

    def as_dict(self) -> dict:
        out = {"id": self.id, "version": self.version, "values": self.values}
        if self.archived_at:
            out["archived_at"] = self.archived_at
        return out


class GridView:
    """The grid as readers see it: what the last committed write published. Its rows are its own
    copies (no writer touches them), so readers never wait behind a write; `lock` is held only
    to put newly published rows in, or to collect a consistent set of rows to serialise."""

    def __init__(self, seq: int, columns: list, rows: dict, order: list, layout: int):
        self.seq, self.columns, self.rows, self.order, self.layout = seq, columns, rows, order, layout
        self.responses: dict[tuple, tuple[int, bytes, bytes | None]] = {}
        self.lock = threading.Lock()


class GridCache:
    """The writers' working copy of the grid, as of change sequence `seq`. Only writers (and the
    build of a first view) use it, holding `lock`; `touched` and `full` say what to publish."""

    def __init__(self):
        self.lock = threading.RLock()
        self.seq = -1                    # -1: not built
        self.columns: list[Column] = []  # live columns in display order
        self.rows: dict[str, Row] = {}
        self.order: list[str] = []       # row ids in grid order (by position)
        self.layout = 0                  # bumped whenever the columns change (compiled-rule caches key on it)
        self.touched: set[str] = set()   # rows the running write replaced
        self.full = False                # the running write changed rows in place: publish everything
        self.reordered = False           # the running write put a row somewhere other than the end

    def invalidate(self) -> None:
        with self.lock:
            self.seq = -1

    def set_columns(self, columns: list[Column]) -> None:
        self.columns = columns
        self.layout += 1
        for row in self.rows.values():
            row.values = {c.id: row.values.get(c.id) for c in columns}

    def put_row(self, row: Row) -> None:
        if row.id not in self.rows:
            order, rows = self.order, self.rows
            if not order or rows[order[-1]].position < row.position:
                order.append(row.id)
            else:  # inserted between two rows: its place by position (a binary search)
                order.insert(bisect.bisect_right(order, row.position, key=lambda rid: rows[rid].position), row.id)
                self.reordered = True
        self.rows[row.id] = row
        self.touched.add(row.id)
