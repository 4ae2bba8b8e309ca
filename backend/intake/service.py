"""The intake service on the app: candidates for a name and an email among the grid's live
investors (the match the bot's card shows), and what the bot commits once a person says yes — a
new investor (with its people, values and note) or a note on an existing one — each at most once
per chat event (`ref`)."""
from __future__ import annotations

import sqlite3

from . import matcher
from ..db import Database, utc_now
from ..errors import BadRequest, Conflict
from ..interactions import log as interaction_log
from ..principal import Principal


class Intake:
    def __init__(self, db: Database, grid):
        self.db, self.grid = db, grid
        self._index: tuple[int, matcher.MatchIndex] | None = None

    def index(self) -> matcher.MatchIndex:
        """The grid's investors by match key, rebuilt when the grid changed since the last match."""
        version = self.grid.version()
        if self._index is None or self._index[0] != version:
            name_col, people_col = self._columns()
            self._index = (version, matcher.MatchIndex(
                (rid, values.get(name_col), (values.get(people_col) or []) if people_col else [])
                for rid, values in self.grid.live_rows()))
        return self._index[1]

    def _columns(self) -> tuple[str, str | None]:
        columns = self.grid.columns()
        return (next(c["id"] for c in columns if c.get("primary")),
                next((c["id"] for c in columns if c["type"] == "contacts"), None))

    def match(self, query: str | None, email: str | None) -> list[dict]:
        """Ranked candidates, best first, at most five; a score >= 0.5 is likely the same investor."""
        if not (query or "").strip() and not (email or "").strip():
            raise BadRequest("give a name (q) or an email to match", field="q")
        return [c.as_dict() for c in self.index().candidates(query or "", email or "")]

    # --- commits, once per chat event ----------------------------------------------------------

    def _committed(self, ref: str | None, kind: str) -> str | None:
        if not ref:
            return None
        with self.db.read() as conn:
            found = conn.execute("SELECT kind, result_id FROM intake_refs WHERE ref = ?", (ref,)).fetchone()
        if found and found[0] != kind:
            raise Conflict(f"ref {ref!r} already committed a {found[0]}, not a {kind}", field="ref")
        return found[1] if found else None

    @staticmethod
    def _remember(conn, actor: Principal, ref: str | None, kind: str, result_id: str, source: str) -> None:
        if ref:
            conn.execute("INSERT INTO intake_refs (ref, kind, result_id, source, created_at, created_by)"
                         " VALUES (?,?,?,?,?,?)", (ref, kind, result_id, source, utc_now(), actor.name))

    def create_investor(self, actor: Principal, data: dict) -> tuple[dict, bool]:
        """(the row, created?) — a ref already committed answers its first result."""
        ref, source = data.get("ref"), data.get("source") or "matrix_intake"
        done = self._committed(ref, "investor")
        if done:
            return self.grid.get_row(done), False
        name_col, people_col = self._columns()
        values = dict(data.get("values") or {})
        values[name_col] = data["name"]
        people = data.get("people") or []
        if people:
            if people_col is None:
                raise BadRequest("the grid has no contacts column for people", field="people")
            values[people_col] = people
        note = (data.get("note") or "").strip()

        def record(conn, row):
            if note:
                interaction_log.record(conn, actor, row["id"], "intake", source, _summary(note),
                                       note if len(note) > 500 else None, ref={"ref": ref} if ref else None)
            self._remember(conn, actor, ref, "investor", row["id"], source)
        try:
            return self.grid.create_row(actor, values, then=record), True
        except sqlite3.IntegrityError:  # the same ref committed meanwhile by a twin request
            return self.grid.get_row(self._committed(ref, "investor")), False

    def log_communication(self, actor: Principal, data: dict) -> tuple[dict, bool]:
        """(the interaction-log entry, created?) — idempotent on ref the same way."""
        ref, source = data.get("ref"), data.get("source") or "matrix_intake"
        done = self._committed(ref, "interaction")
        if done:
            return self._entry(done), False
        try:
            entry = interaction_log.add(
                self.db, actor, data["investor_id"], data.get("kind") or "note", source, data["summary"],
                data.get("body"), data.get("occurred_at"), {"ref": ref} if ref else None,
                then=lambda conn, entry_id: self._remember(conn, actor, ref, "interaction", entry_id, source))
        except sqlite3.IntegrityError:
            return self._entry(self._committed(ref, "interaction")), False
        return entry, True

    def _entry(self, entry_id: str) -> dict:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {interaction_log.FIELDS} FROM interactions WHERE id = ?", (entry_id,)).fetchone()
        return interaction_log.entry_dict(row)


def _summary(note: str) -> str:
    first = note.splitlines()[0].strip()
    return first if len(first) <= 500 else first[:497] + "..."
