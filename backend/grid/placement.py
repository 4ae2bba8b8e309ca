"""Where new things go in the grid. Rows: `investors.position` (a REAL) for a new investor, last
or just above or below another, at the midpoint of its neighbours so no other row is rewritten,
and the positions that space every row out again when a gap has been halved away. Columns: the
position of a column put at an index, and where a new fund goes. Reads only: the store writes
what these return inside its transaction."""
from __future__ import annotations

import sqlite3

from ..errors import BadRequest


def new_position(conn: sqlite3.Connection, place: tuple[str, str] | None) -> tuple[float | None, dict | None]:
    """(position, neighbours) for a new row: after the last one, or `place` = (side, row id)
    beside a row. `neighbours` ({after, before}: the ids it goes between) is what the change feed
    tells other browsers. A position of None: the rows must be spaced out first (`spaced_out`)."""
    if place is None:
        return conn.execute("SELECT coalesce(max(position), 0) + 1 FROM investors").fetchone()[0], None
    side, anchor_id = place
    found = conn.execute("SELECT position FROM investors WHERE id = ?", (anchor_id,)).fetchone()
    if found is None:
        raise BadRequest(f"'{side}': investor {anchor_id} does not exist", field=side)
    anchor = found[0]
    if conn.execute("SELECT count(*) FROM investors WHERE position = ?", (anchor,)).fetchone()[0] > 1:
        return None, None  # rows written with one position (a raw load): give each its own first
    if side == "before":
        other = conn.execute("SELECT id, position FROM investors WHERE position < ? ORDER BY position DESC LIMIT 1",
                             (anchor,)).fetchone()
        low, high = (other[1] if other else anchor - 2), anchor
        neighbours = {"after": other[0] if other else None, "before": anchor_id}
    else:
        other = conn.execute("SELECT id, position FROM investors WHERE position > ? ORDER BY position LIMIT 1",
                             (anchor,)).fetchone()
        low, high = anchor, (other[1] if other else anchor + 2)
        neighbours = {"after": anchor_id, "before": other[0] if other else None}
    position = (low + high) / 2
    if not low < position < high:  # ~40 inserts at one spot have used up the gap
        return None, None
    return position, neighbours


def spaced_out(conn: sqlite3.Connection) -> list[tuple[float, str]]:
    """(position, id) for every investor: 1, 2, 3... in the grid's current order. Rare (a gap
    halves with each insert into it) and O(rows)."""
    return [(index + 1.0, rid) for index, (rid,) in
            enumerate(conn.execute("SELECT id FROM investors ORDER BY position, rowid"))]


def fund_index(columns: list) -> int:
    """Where a new fund goes: right after the leading columns that say who an investor is and
    where it stands (the frozen ones, Name, List and the single selects beside them, such as
    Status) and after the funds already there, so amounts are on the first screen and funds
    read in creation order. `columns` in display order."""
    index = 0
    while index < len(columns) and (columns[index].frozen or columns[index].field in ("name", "list")
                                    or columns[index].type == "single_select"):
        index += 1
    while index < len(columns) and columns[index].type == "fund":
        index += 1
    return index


def column_position(columns: list, index: int | None, moving: str | None = None) -> float:
    """The position of a column put at display `index` (None: last) among `columns`, `moving`
    itself left out: the midpoint of its new neighbours."""
    others = [c for c in columns if c.id != moving]
    if index is None or index >= len(others):
        return (others[-1].position + 1) if others else 1.0
    if index <= 0:
        return others[0].position - 1
    return (others[index - 1].position + others[index].position) / 2
