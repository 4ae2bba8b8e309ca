"""The intake service on the app: candidates for a name and an email among the grid's live
investors (the match the bot's card shows), the grid's vocabulary the bot reads a note with, and
what the bot commits once a person says yes — a new investor (with its people, values and note)
or a note on an existing one (with people to add and values to set), either with a follow-up
task ("follow up in 3 days") made in the same transaction — each at most once per chat event
(`ref`); and the history of those commits for the admin screen."""
from __future__ import annotations

import sqlite3
import threading

from . import matcher
from ..db import Database, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..interactions import log as interaction_log
from ..principal import Principal
from ..validation import EMAIL_RE

PERSON_FIELDS = ("name", "email", "phone", "title")
MAX_PEOPLE = 20      # people one chat note may name
SELECTS = ("single_select", "multi_select")


class Intake:
    def __init__(self, db: Database, grid, tasks=None):
        self.db, self.grid = db, grid
        self.tasks = tasks  # the tasks service (the server hands it in): a note's follow-up task
        self._index: tuple[int, matcher.MatchIndex] | None = None
        self._index_lock = threading.Lock()
        db.on_reset(self._forget_index)

    def _forget_index(self) -> None:
        self._index = None

    def index(self) -> matcher.MatchIndex:
        """The grid's investors by match key as of the published grid: built once, then brought up
        to date with just the rows changed since (a whole rebuild costs ~1 s at 50,000 investors;
        a note's card must not wait for one after every edit)."""
        with self._index_lock:
            view = self.grid.view()
            seq = view.seq  # rows read below are at least this new; later changes are re-read next time
            name_col, people_col = self._columns()

            def entry(row):
                return row.values.get(name_col), (row.values.get(people_col) or []) if people_col else []
            current = self._index
            changed = None if current is None else (
                set() if current[0] == seq else self.grid.rows_changed_between(current[0], seq))
            with view.lock:
                if changed is None:
                    index = matcher.MatchIndex((rid, *entry(view.rows[rid])) for rid in view.order
                                               if not view.rows[rid].archived_at)
                else:
                    index = current[1]
                    for rid in changed:
                        row = view.rows.get(rid)
                        if row is None or row.archived_at:
                            index.remove(rid)
                        else:
                            index.put(rid, *entry(row))
            self._index = (seq, index)
            return index

    def with_index(self, read):
        """`read(seq, index)` on the index brought up to date, under its lock (a reader walking its
        buckets, such as the duplicates finder, never sees it change halfway). Returns
        (grid version the index is at, what `read` returned)."""
        self.index()
        with self._index_lock:
            seq, index = self._index
            return seq, read(seq, index)

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
        task = self._task(data.get("task"))

        def record(conn, row):
            if note:
                interaction_log.add_in(conn, actor, row["id"], "intake", source, _summary(note),
                                       note if note != _summary(note) else None, None, {"ref": ref} if ref else None)
            self._make_task(conn, actor, task, row["id"], ref)
            self._remember(conn, actor, ref, "investor", row["id"], source)
        try:
            return self.grid.create_row(actor, values, then=record), True
        except sqlite3.IntegrityError:  # the same ref committed meanwhile by a twin request
            return self.grid.get_row(self._committed(ref, "investor")), False

    def log_communication(self, actor: Principal, data: dict) -> tuple[dict, bool]:
        """(the interaction-log entry, created?) — idempotent on ref the same way. `people` join
        the investor's (never removing or overwriting one) and `values` are a normal grid edit, in
        the entry's transaction."""
        ref, source = data.get("ref"), data.get("source") or "matrix_intake"
        kind, occurred_at = data.get("kind") or "note", data.get("occurred_at")
        done = self._committed(ref, "interaction")
        if done:
            return self._entry(done), False
        interaction_log.check(kind, source, occurred_at)
        people = clean_people(data.get("people"))
        _, people_col = self._columns()
        if people and people_col is None:
            raise BadRequest("the grid has no contacts column for people", field="people")
        values = self._values(data.get("values"))
        investor_id = data["investor_id"]
        task = self._task(data.get("task"))

        def record(conn, entry_id):
            self._make_task(conn, actor, task, investor_id, ref)
            self._remember(conn, actor, ref, "interaction", entry_id, source)
        try:
            if not people and not values:
                return interaction_log.add(self.db, actor, investor_id, kind, source, data["summary"], data.get("body"),
                                           occurred_at, {"ref": ref} if ref else None, then=record), True
            made = []

            def change(row):
                if row.get("archived_at"):
                    raise NotFound(f"investor {investor_id} does not exist")
                merged = merge_people(row["values"].get(people_col), people) if people else None
                return {**values, **({people_col: merged} if merged is not None else {})}

            def log(conn, row):
                made.append(interaction_log.add_in(conn, actor, investor_id, kind, source, data["summary"],
                                                   data.get("body"), occurred_at, {"ref": ref} if ref else None))
                record(conn, made[0]["id"])
            try:
                self.grid.edit_row(actor, investor_id, change, then=log)
            except BadRequest as exc:
                if "field" in exc.details:
                    raise
                field = "people" if exc.details.get("column_id") == people_col else "values"
                raise BadRequest(f"{field}: {exc.message}", **{**exc.details, "field": field}) from None
            return made[0], True
        except sqlite3.IntegrityError:
            return self._entry(self._committed(ref, "interaction")), False

    def _task(self, raw) -> dict | None:
        """A note's follow-up, checked before anything is written: {title, due | in_days, owner_matrix}."""
        if raw is None:
            return None
        if self.tasks is None:
            raise BadRequest("tasks are not available on this server", field="task")
        if not isinstance(raw, dict):
            raise BadRequest("task must be an object: {title, due or in_days, owner_matrix}", field="task")
        unknown = sorted(set(raw) - {"title", "due", "in_days", "owner_matrix"})
        if unknown:
            raise BadRequest(f"task has unknown field(s) {', '.join(unknown)}", field="task")
        title = raw.get("title")
        if not isinstance(title, str) or not 1 <= len(" ".join(title.split())) <= 300:
            raise BadRequest("task: title must be 1-300 characters", field="task")
        try:
            due = self.tasks.due_of(raw)
        except BadRequest as exc:
            raise BadRequest(f"task: {exc.message}", field="task") from None
        matrix = raw.get("owner_matrix")
        if matrix is not None and (not isinstance(matrix, str) or len(matrix) > 255):
            raise BadRequest("task: owner_matrix must be a Matrix user id like @ann:example.org", field="task")
        return {"title": title, "due": due, "owner": self._owner_of(matrix)}

    def _owner_of(self, matrix_id: str | None) -> str | None:
        """The CRM person a Matrix sender is: the active user whose username is the id's localpart
        (@ann:fund.example -> ann), else the one whose email is localpart@server; None: the team's."""
        if not matrix_id or not matrix_id.startswith("@") or ":" not in matrix_id:
            return None
        local, server = matrix_id[1:].split(":", 1)
        with self.db.read() as conn:
            found = conn.execute("SELECT id FROM users WHERE is_active = 1 AND (username = ? COLLATE NOCASE"
                                 " OR email = ? COLLATE NOCASE) ORDER BY username = ? COLLATE NOCASE DESC LIMIT 1",
                                 (local, f"{local}@{server}", local)).fetchone()
        return found[0] if found else None

    def _make_task(self, conn, actor: Principal, task: dict | None, investor_id: str, ref: str | None) -> None:
        if task is not None:
            self.tasks.create_in(conn, actor, {**task, "investor_id": investor_id}, source="intake", source_ref=ref)

    def _values(self, raw) -> dict:
        """Values to set on an existing investor: {column name or id: value}, never its people."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise BadRequest("values must be an object of column name or id -> value", field="values")
        columns = self.grid.columns()
        for key in raw:
            column = next((c for c in columns if c["id"] == key or c["name"].casefold() == str(key).strip().casefold()), None)
            if column is not None and column["type"] == "contacts":
                raise BadRequest(f"values: '{key}' is the people column; give people instead", field="values")
        return dict(raw)

    # --- what the bot reads, what the admin sees -------------------------------------------------

    def vocabulary(self) -> dict:
        """The grid's words for reading a note: the name column, the funds, the statuses and the
        columns a person may set (`edit field=value`)."""
        columns = self.grid.columns()
        status = next((c for c in columns if c["type"] == "single_select" and c["name"].casefold() == "status"), None)

        def described(c):
            out = {"id": c["id"], "name": c["name"], "type": c["type"]}
            if c["type"] in SELECTS:
                out["choices"] = _choices(c)
            return out
        return {"name_column": next(c["name"] for c in columns if c.get("primary")),
                "funds": [c["name"] for c in columns if c["type"] == "fund"],
                "statuses": _choices(status) if status else [],
                "columns": [described(c) for c in columns if c.get("editable")]}

    def history(self, limit: int, offset: int) -> tuple[list[dict], int]:
        """What chat intake committed, newest first, with the investor (archived ones marked)."""
        with self.db.read() as conn:
            total = conn.execute("SELECT count(*) FROM intake_refs").fetchone()[0]
            rows = conn.execute(
                "SELECT r.ref, r.kind, r.result_id, r.source, r.created_at, r.created_by, i.id, i.name, i.archived_at,"
                " CASE WHEN r.kind = 'interaction' THEN e.summary ELSE (SELECT n.summary FROM interactions n"
                "  WHERE n.investor_id = r.result_id AND n.kind = 'intake' AND json_extract(n.ref, '$.ref') = r.ref"
                "  LIMIT 1) END, e.kind"
                " FROM intake_refs r"
                " LEFT JOIN interactions e ON r.kind = 'interaction' AND e.id = r.result_id"
                " LEFT JOIN investors i ON i.id = CASE WHEN r.kind = 'investor' THEN r.result_id ELSE e.investor_id END"
                " ORDER BY r.created_at DESC, r.rowid DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [{"ref": r[0], "kind": r[1], "result_id": r[2], "source": r[3], "created_at": r[4], "created_by": r[5],
                 "investor": {"id": r[6], "name": r[7], "archived": bool(r[8])} if r[6] else None,
                 "summary": r[9], "interaction_kind": r[10]} for r in rows], total

    def _entry(self, entry_id: str) -> dict:
        with self.db.read() as conn:
            row = conn.execute(f"SELECT {interaction_log.FIELDS} FROM interactions WHERE id = ?", (entry_id,)).fetchone()
        return interaction_log.entry_dict(row)


def clean_people(raw) -> list[dict]:
    """The people a chat note names, checked: at most MAX_PEOPLE objects of text fields, each with
    a name or an email (lower-cased, well formed)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest("people must be a list of {name, email, phone, title}", field="people")
    if len(raw) > MAX_PEOPLE:
        raise BadRequest(f"people: at most {MAX_PEOPLE} people at a time", field="people")
    people = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise BadRequest(f"people: person {i} must be an object with name, email, phone, title", field="people")
        unknown = sorted(set(item) - set(PERSON_FIELDS))
        if unknown:
            raise BadRequest(f"people: person {i} has unknown field(s) {', '.join(unknown)}", field="people")
        person = {}
        for key in PERSON_FIELDS:
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"people: person {i}: {key} must be text", field="people")
            person[key] = (value or "").strip() or None
            if person[key] and len(person[key]) > 500:
                raise BadRequest(f"people: person {i}: {key} is too long", field="people")
        if person["email"]:
            person["email"] = person["email"].lower()
            if not EMAIL_RE.match(person["email"]):
                raise BadRequest(f"people: person {i}: '{person['email']}' is not a valid email address", field="people")
        if not person["name"] and not person["email"]:
            raise BadRequest(f"people: person {i} needs a name or an email", field="people")
        people.append(person)
    return people


def merge_people(current, people: list[dict]) -> list[dict] | None:
    """The investor's people with `people` joined: the same email (case aside), else the same name
    with nicknames folded (`matcher.person_key`) where the addresses do not differ, is a person
    already there, whose missing fields are filled in and nothing else; anyone else is added after
    them. Nobody is removed or overwritten. None: no change."""
    merged = [dict(p) for p in (current or [])]
    changed = False
    for person in people:
        same = _same_person(merged, person)
        if same is None:
            merged.append(dict(person))
            changed = True
            continue
        for key in PERSON_FIELDS:
            if person[key] and not same.get(key):
                same[key] = person[key]
                changed = True
    return merged if changed else None


def _same_person(pool: list[dict], person: dict) -> dict | None:
    if person["email"]:
        found = next((p for p in pool if (p.get("email") or "").casefold() == person["email"].casefold()), None)
        if found is not None:
            return found
    if person["name"]:
        # Within one investor, "Charlie Dunn" is its Charles Dunn — unless both have addresses that differ.
        key = matcher.person_key(person["name"])
        return next((p for p in pool if p.get("name") and matcher.person_key(p["name"]) == key
                     and not (p.get("email") and person["email"])), None)
    return None


def _choices(column: dict) -> list[str]:
    return [c["name"] if isinstance(c, dict) else str(c) for c in (column.get("options") or {}).get("choices", [])]


def _summary(note: str) -> str:
    first = note.splitlines()[0].strip()
    return first if len(first) <= 500 else first[:497] + "..."
