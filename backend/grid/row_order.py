"""Where investors sit in the grid: `investors.position` (a REAL) for a new row, last or just
above or below another, at the midpoint of its neighbours so no other row is rewritten; and the
positions that space every row out again when a gap has been halved away. Reads only: the store
writes what these return inside its transaction."""
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
