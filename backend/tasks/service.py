"""The tasks service on the app (`app.tasks`): list with filters (whose, which investor, open or
done, when due), create (a typed due date like "tomorrow" or "+7d", or `in_days`), update (title,
notes, due, owner, done, investor, person), archive and restore. Every change is audited in its own
transaction; `create_in` makes a task inside a transaction already open (an automation rule's, the
intake commit's) and is idempotent through (source, source_ref): while a task from the same
source and reference is open, asking again answers that task instead of making a second.

Days are the office's: the digest's time zone when one is set, else the box's own. A task is
overdue when it is open and its due day is before today. The team shares tasks: anyone signed in
may edit, tick or archive any task (the audit log says who did)."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import audit
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..grid.column_types import parse_date_text
from ..principal import Principal

SOURCES = ("manual", "intake", "automation", "pipeline")
STATUSES = ("open", "done", "all")
DUES = ("overdue", "today", "week", "none")
TITLE_MAX = 300
NOTES_MAX = 10_000
IN_DAYS_MAX = 3650
WEEK_DAYS = 7  # due=week: today and the seven days after it
FIELDS = ("t.id, t.title, t.notes, t.investor_id, i.name, i.archived_at, t.contact_id, c.name, t.due, t.owner,"
          " u.username, t.done, t.done_at, t.done_by, t.source, t.source_ref, t.created_at, t.created_by,"
          " t.created_by_name, t.updated_at, t.archived_at")
JOINS = (" FROM tasks t LEFT JOIN investors i ON i.id = t.investor_id LEFT JOIN contacts c ON c.id = t.contact_id"
         " LEFT JOIN users u ON u.id = t.owner")
EDITABLE = ("title", "notes", "due", "owner", "done", "investor_id", "contact_id")


def office_today(db: Database) -> date:
    """Today in the office's zone: the digest's time zone when set, else the box's own."""
    try:
        with db.read() as conn:
            row = conn.execute("SELECT timezone FROM digest_policy WHERE id = 1").fetchone()
    except sqlite3.Error:
        row = None
    if row and row[0]:
        try:
            return datetime.now(ZoneInfo(row[0])).date()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return datetime.now().astimezone().date()


def _task_dict(r, today: str) -> dict:
    due, done = r[8], bool(r[11])
    return {"id": r[0], "title": r[1], "notes": r[2], "investor_id": r[3], "investor_name": r[4],
            "investor_archived": bool(r[5]), "contact_id": r[6], "contact_name": r[7] or None, "due": due,
            "owner": r[9], "owner_name": r[10], "done": done, "done_at": r[12], "done_by": r[13],
            "source": r[14], "source_ref": r[15], "created_at": r[16], "created_by": r[17],
            "created_by_name": r[18], "updated_at": r[19], "archived_at": r[20],
            "overdue": bool(not done and due and due < today), "due_today": bool(not done and due == today)}


class Tasks:
    def __init__(self, db: Database, today=None):
        self.db = db
        self._today = today or (lambda: office_today(db))

    def today(self) -> date:
        return self._today()

    # --- reads ---------------------------------------------------------------------------------

    def list(self, actor: Principal, owner: str | None = None, investor_id: str | None = None,
             status: str = "open", due: str | None = None, limit: int = 200, offset: int = 0) -> tuple[list, int, dict]:
        """(tasks, total, extra): live tasks (never archived ones, nor those of an archived
        investor), open before done, then by due day (overdue first, no date last). `owner` is
        'me' (the default for a person), 'all' (the default for a bot), 'none' or a user id."""
        today = self.today()
        where, args = ["t.archived_at IS NULL", "(t.investor_id IS NULL OR i.archived_at IS NULL)"], []
        owner = owner or ("me" if actor.kind == "user" else "all")
        if owner == "me":
            if actor.kind != "user":
                raise BadRequest("owner=me needs a signed-in person; give a user id or all", field="owner")
            where.append("t.owner = ?")
            args.append(actor.id)
        elif owner == "none":
            where.append("t.owner IS NULL")
        elif owner != "all":
            where.append("t.owner = ?")
            args.append(owner)
        if investor_id:
            where.append("t.investor_id = ?")
            args.append(investor_id)
        if status not in STATUSES:
            raise BadRequest(f"status must be one of: {', '.join(STATUSES)}", field="status")
        if status != "all":
            where.append("t.done = ?")
            args.append(int(status == "done"))
        if due:
            if due not in DUES:
                raise BadRequest(f"due must be one of: {', '.join(DUES)}", field="due")
            if due == "overdue":
                where.append("t.due < ? AND t.done = 0")
                args.append(today.isoformat())
            elif due == "today":
                where.append("t.due = ?")
                args.append(today.isoformat())
            elif due == "week":
                where.append("t.due >= ? AND t.due <= ?")
                args += [today.isoformat(), (today + timedelta(days=WEEK_DAYS)).isoformat()]
            else:
                where.append("t.due IS NULL")
        clause = " WHERE " + " AND ".join(where)
        with self.db.read() as conn:
            total = conn.execute(f"SELECT count(*){JOINS}{clause}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT {FIELDS}{JOINS}{clause} ORDER BY t.done, CASE WHEN t.done = 1 THEN t.done_at END DESC,"
                " t.due IS NULL, t.due, t.created_at LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
            mine = {"overdue": 0, "today": 0}
            if actor.kind == "user":
                for key, op in (("overdue", "<"), ("today", "=")):
                    mine[key] = conn.execute(
                        f"SELECT count(*){JOINS} WHERE t.archived_at IS NULL AND (t.investor_id IS NULL OR"
                        f" i.archived_at IS NULL) AND t.done = 0 AND t.owner = ? AND t.due {op} ?",
                        (actor.id, today.isoformat())).fetchone()[0]
        return [_task_dict(r, today.isoformat()) for r in rows], total, {"today": today.isoformat(), "mine": mine}

    def get(self, task_id: str) -> dict:
        with self.db.read() as conn:
            return self._get(conn, task_id)

    def _get(self, conn, task_id: str, archived: bool = False) -> dict:
        row = conn.execute(f"SELECT {FIELDS}{JOINS} WHERE t.id = ?", (task_id,)).fetchone()
        if row is None or (bool(row[20]) != archived):
            raise NotFound(f"task {task_id} does not exist" + (" or is not archived" if archived else ""))
        return _task_dict(row, self.today().isoformat())

    # --- checks ---------------------------------------------------------------------------------

    def due_of(self, data: dict, today: date | None = None) -> str | None:
        """The due day a request asks for: `due` (YYYY-MM-DD or typed: "tomorrow", "+7d", "in 3
        days", "friday", "6/14") or `in_days` (follow up in N days); None: no date."""
        today = today or self.today()
        if data.get("in_days") is not None:
            if data.get("due") is not None:
                raise BadRequest("give due or in_days, not both", field="in_days")
            days = data["in_days"]
            if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= IN_DAYS_MAX:
                raise BadRequest(f"in_days must be a whole number of days from 0 to {IN_DAYS_MAX}", field="in_days")
            return (today + timedelta(days=days)).isoformat()
        raw = data.get("due")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if not isinstance(raw, str):
            raise BadRequest("due must be a date (YYYY-MM-DD) or words like tomorrow, +7d, in 3 days", field="due")
        read = parse_date_text(raw[:100], today)
        if isinstance(read, datetime):
            read = read.date()
        if read is None or not 1900 <= read.year <= 2200:
            raise BadRequest(f"due: {raw[:60]!r} is not a date I can read (try 2026-11-24, tomorrow, +7d or"
                             " in 3 days)", field="due")
        return read.isoformat()

    @staticmethod
    def _title(raw) -> str:
        title = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not 1 <= len(title) <= TITLE_MAX:
            raise BadRequest(f"title must be 1-{TITLE_MAX} characters", field="title")
        return title

    @staticmethod
    def _notes(raw) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or len(raw) > NOTES_MAX:
            raise BadRequest(f"notes must be text of at most {NOTES_MAX} characters", field="notes")
        return raw.strip() or None

    @staticmethod
    def _owner(conn, actor: Principal, raw) -> str | None:
        if raw == "me":
            if actor.kind != "user":
                raise BadRequest("owner 'me' needs a signed-in person; give a user id", field="owner")
            raw = actor.id
        if raw is None:
            return None
        found = conn.execute("SELECT is_active FROM users WHERE id = ?", (raw,)).fetchone()
        if not found or not found[0]:
            raise BadRequest(f"owner {raw} is not an active user", field="owner")
        return raw

    @staticmethod
    def _investor(conn, investor_id, contact_id) -> tuple[str | None, str | None]:
        if contact_id is not None:
            contact = conn.execute("SELECT investor_id FROM contacts WHERE id = ? AND archived_at IS NULL",
                                   (contact_id,)).fetchone()
            if contact is None:
                raise BadRequest(f"contact {contact_id} does not exist", field="contact_id")
            if investor_id is None:
                investor_id = contact[0]
            elif contact[0] != investor_id:
                raise BadRequest(f"contact {contact_id} is not one of investor {investor_id}'s people",
                                 field="contact_id")
        if investor_id is not None and conn.execute(
                "SELECT 1 FROM investors WHERE id = ? AND archived_at IS NULL", (investor_id,)).fetchone() is None:
            raise NotFound(f"investor {investor_id} does not exist or is archived", field="investor_id")
        return investor_id, contact_id

    # --- writes ---------------------------------------------------------------------------------

    def create(self, actor: Principal, data: dict) -> dict:
        """A task from a person or a bot (source manual): validated, audited, in its own transaction."""
        with self.db.transaction() as conn:
            return self.create_in(conn, actor, data)[0]

    def create_in(self, conn, actor: Principal, data: dict, source: str = "manual",
                  source_ref: str | None = None) -> tuple[dict, bool]:
        """(the task, made?) inside the caller's transaction. With `source_ref`, an open task from
        the same source and reference is answered instead of making a second one."""
        if source not in SOURCES:
            raise BadRequest(f"source must be one of: {', '.join(SOURCES)}", field="source")
        if source_ref:
            found = conn.execute("SELECT id FROM tasks WHERE source = ? AND source_ref = ? AND done = 0"
                                 " AND archived_at IS NULL", (source, source_ref)).fetchone()
            if found:
                return self._get(conn, found[0]), False
        title = self._title(data.get("title"))
        notes = self._notes(data.get("notes"))
        due = self.due_of(data)
        owner = self._owner(conn, actor, data["owner"] if "owner" in data else
                            (actor.id if actor.kind == "user" else None))
        investor_id, contact_id = self._investor(conn, data.get("investor_id"), data.get("contact_id"))
        task_id, now = new_id(), utc_now()
        conn.execute("INSERT INTO tasks (id, title, notes, investor_id, contact_id, due, owner, source, source_ref,"
                     " created_at, created_by, created_by_name, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (task_id, title, notes, investor_id, contact_id, due, owner, source, source_ref, now,
                      actor.id, actor.name, now))
        audit.record(conn, actor, "task.created", "task", task_id,
                     {"title": title, "due": due, "owner": owner, "investor_id": investor_id, "source": source,
                      **({"source_ref": source_ref} if source_ref else {})})
        return self._get(conn, task_id), True

    def update(self, actor: Principal, task_id: str, data: dict) -> dict:
        """Change what `data` names; done true stamps done_at/done_by, false clears them."""
        if not any(k in data for k in (*EDITABLE, "in_days")):
            raise BadRequest(f"nothing to change: send any of {', '.join(EDITABLE)} or in_days")
        with self.db.transaction() as conn:
            before = self._get(conn, task_id)
            after = dict(before)
            if "title" in data:
                after["title"] = self._title(data["title"])
            if "notes" in data:
                after["notes"] = self._notes(data["notes"])
            if "due" in data or data.get("in_days") is not None:
                after["due"] = self.due_of(data)
            if "owner" in data:
                after["owner"] = self._owner(conn, actor, data["owner"])
            if "investor_id" in data or "contact_id" in data:
                investor_id = data["investor_id"] if "investor_id" in data else before["investor_id"]
                contact_id = data.get("contact_id") if "contact_id" in data else (
                    before["contact_id"] if investor_id == before["investor_id"] else None)
                after["investor_id"], after["contact_id"] = self._investor(conn, investor_id, contact_id)
            if "done" in data:
                if not isinstance(data["done"], bool):
                    raise BadRequest("done must be true or false", field="done")
                after["done"] = data["done"]
            changed = {k: {"old": before[k], "new": after[k]} for k in EDITABLE if before[k] != after[k]}
            if not changed:
                return before
            now = utc_now()
            done_at, done_by = before["done_at"], before["done_by"]
            if "done" in changed:
                done_at, done_by = (now, actor.name) if after["done"] else (None, None)
            try:
                conn.execute("UPDATE tasks SET title = ?, notes = ?, due = ?, owner = ?, investor_id = ?, contact_id = ?,"
                             " done = ?, done_at = ?, done_by = ?, updated_at = ? WHERE id = ?",
                             (after["title"], after["notes"], after["due"], after["owner"], after["investor_id"],
                              after["contact_id"], int(after["done"]), done_at, done_by, now, task_id))
            except sqlite3.IntegrityError:
                raise Conflict("another open task came from the same source (the same rule or chat note); tick"
                               " that one instead", field="done") from None
            action = ("task.done" if after["done"] else "task.reopened") if set(changed) == {"done"} else "task.updated"
            audit.record(conn, actor, action, "task", task_id, changed)
            return self._get(conn, task_id)

    def archive(self, actor: Principal, task_id: str) -> dict:
        """Soft delete: the task keeps its row with archived_at and is never listed again."""
        with self.db.transaction() as conn:
            task = self._get(conn, task_id)
            self.archive_in(conn, actor, task_id, task["title"])
            return {**task, "archived_at": utc_now()}

    def archive_in(self, conn, actor: Principal, task_id: str, title: str | None = None, why: str | None = None) -> bool:
        done = conn.execute("UPDATE tasks SET archived_at = ?, archived_by = ?, updated_at = ? WHERE id = ?"
                            " AND archived_at IS NULL", (utc_now(), actor.name, utc_now(), task_id)).rowcount
        if done:
            audit.record(conn, actor, "task.archived", "task", task_id,
                         {k: v for k, v in (("title", title), ("why", why)) if v})
        return bool(done)

    def restore(self, actor: Principal, task_id: str) -> dict:
        """Bring an archived task back (409 when an open task from the same source took its place)."""
        with self.db.transaction() as conn:
            task = self._get(conn, task_id, archived=True)
            try:
                conn.execute("UPDATE tasks SET archived_at = NULL, archived_by = NULL, updated_at = ? WHERE id = ?",
                             (utc_now(), task_id))
            except sqlite3.IntegrityError:
                raise Conflict("an open task from the same source exists; this one cannot come back beside it") from None
            audit.record(conn, actor, "task.restored", "task", task_id, {"title": task["title"]})
            return self._get(conn, task_id)


class RuleTasks:
    """What automation rules need of tasks (`Automations.task_maker`, set by the server so `grid`
    never imports `tasks`): check a `create_task` action, say which investors already have the
    rule's open task (a plan leaves them out), make one inside the run's transaction, and take one
    back when a run is undone."""

    def __init__(self, tasks: Tasks):
        self.tasks = tasks

    def validate_action(self, action: dict) -> dict:
        title = action.get("title")
        if not isinstance(title, str) or not 1 <= len(" ".join(title.split())) <= TITLE_MAX:
            raise BadRequest(f"create_task needs title: 1-{TITLE_MAX} characters", field="action")
        days = action.get("due_in_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= IN_DAYS_MAX):
            raise BadRequest(f"create_task due_in_days must be a whole number from 0 to {IN_DAYS_MAX}, or null",
                             field="action")
        owner = action.get("owner")
        if owner is not None:
            with self.tasks.db.read() as conn:
                found = conn.execute("SELECT is_active FROM users WHERE id = ?", (owner,)).fetchone() \
                    if isinstance(owner, str) else None
            if not found or not found[0]:
                raise BadRequest("create_task owner must be an active user's id, or null (the rule's creator)",
                                 field="action")
        return {"type": "create_task", "title": " ".join(title.split()), "due_in_days": days, "owner": owner}

    @staticmethod
    def ref(rule_id: str, investor_id: str) -> str:
        return f"{rule_id}:{investor_id}"

    def open_for(self, conn, rule_id: str) -> set[str]:
        """Investors that already have this rule's open task."""
        prefix = f"{rule_id}:"
        return {ref[len(prefix):] for (ref,) in conn.execute(
            "SELECT source_ref FROM tasks WHERE source = 'automation' AND done = 0 AND archived_at IS NULL"
            " AND substr(source_ref, 1, ?) = ?", (len(prefix), prefix))}

    def make(self, conn, actor: Principal, rule: dict, investor_id: str) -> dict | None:
        """The rule's task for the investor, or None when its open task is already there."""
        action = rule["action"]
        owner = action.get("owner")
        if owner is None:
            row = conn.execute("SELECT created_by FROM automation_rules WHERE id = ?", (rule["id"],)).fetchone()
            owner = row[0] if row else None
        if owner is not None:
            active = conn.execute("SELECT is_active FROM users WHERE id = ?", (owner,)).fetchone()
            owner = owner if active and active[0] else None  # a departed owner: the task is the team's
        task, made = self.tasks.create_in(conn, actor, {
            "title": action["title"], "investor_id": investor_id, "owner": owner,
            "in_days": action.get("due_in_days")}, source="automation", source_ref=self.ref(rule["id"], investor_id))
        return task if made else None

    @staticmethod
    def state(conn, task_id: str) -> str | None:
        """Why a task a run made would stay when the run is undone (done since, archived), or None."""
        row = conn.execute("SELECT done, archived_at FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None or row[1]:
            return "archived since"
        return "done since" if row[0] else None

    def take_back(self, conn, actor: Principal, task_id: str) -> str | None:
        """Archive a task a run made; the reason it stays instead, or None."""
        reason = self.state(conn, task_id)
        if reason is None:
            title = conn.execute("SELECT title FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]
            self.tasks.archive_in(conn, actor, task_id, title, why="automation run undone")
        return reason


# --- a merge of two investors (Grid.merge_hooks, registered by the server) -------------------------

def move_for_merge(conn, actor: Principal, merged_id: str, survivor_id: str) -> dict:
    """Inside a merge's transaction: the merged investor's tasks (open or done) become the
    survivor's. Returns what unmerge needs."""
    ids = [r[0] for r in conn.execute("SELECT id FROM tasks WHERE investor_id = ? AND archived_at IS NULL",
                                      (merged_id,))]
    now = utc_now()
    conn.executemany("UPDATE tasks SET investor_id = ?, updated_at = ? WHERE id = ?", [(survivor_id, now, i) for i in ids])
    return {"ids": ids, "from": merged_id, "to": survivor_id, "count": len(ids)}


def move_back_for_merge(conn, actor: Principal, record: dict) -> dict:
    """An unmerge: the tasks the merge moved go back (those still on the survivor)."""
    now = utc_now()
    back = [i for i in record["ids"] if conn.execute("SELECT 1 FROM tasks WHERE id = ? AND investor_id = ?",
                                                     (i, record["to"])).fetchone()]
    conn.executemany("UPDATE tasks SET investor_id = ?, updated_at = ? WHERE id = ?", [(record["from"], now, i) for i in back])
    return {"count": len(back)}
