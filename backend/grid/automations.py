"""Automation rules that keep the lists (main, follow-up, graveyard, longshot) and other cells right.

A rule is a condition (a filter group, evaluated exactly like a view's filter) and an action
(`move_to_list`, `set_value`, or `create_task`: a follow-up task on the investor, made through
`task_maker`, which the server sets so this package never imports `tasks`). Rules with trigger `edit` react inside the transaction of a grid
edit that changed a field their condition reads; rules with trigger `schedule` run over every live
row when the scheduler or a person starts a run; `both` does both. A run is planned first (`plan`:
per rule, which investors, which cell from what to what) and then applies exactly that plan, so a
preview (the plan alone) and the run cannot disagree. Each change is a normal grid change
attributed to the rule, audited, and written to the run log under its run's id; `undo_run` puts a
run's cells back as one audited edit, leaving alone every cell someone changed since. A
`create_task` change is a task, not a cell: the plan leaves out investors that already have the
rule's open task (source_ref `rule_id:investor_id`), and undo archives the tasks the run made
(leaving those ticked done since).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from .. import audit
from ..interactions import log as interactions
from . import column_types as ct, view_engine
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..periodic import PeriodicThread
from ..principal import Principal, system

TRIGGERS = ("edit", "schedule", "both")
ACTIONS = ("move_to_list", "set_value", "create_task")
TASK = "$task"  # the key of a create_task change in a run entry's cells: the task it made
RULE_FIELDS = "id, name, enabled, trigger, condition, action, position, created_at, updated_at"
RUN_FIELDS = ("r.id, r.rule_id, a.name, r.investor_id, i.name, r.at, r.trigger, r.outcome, r.details, r.batch_id,"
              " r.undone_at")
BATCH_FIELDS = ("id, trigger, rule_id, actor_type, actor_id, actor_name, started_at, planned, undone_at,"
                " undone_by_type, undone_by_id, undone_by_name, undo")
SCHEDULE_BATCH = 500
PREVIEW_INVESTORS = 200   # investors a preview lists per rule (its counts are always exact)
GROUP_CHANGES = 8         # changes the grouped run log shows per run (the rest: ?run_id=)
UNDO_LEFT_LISTED = 200    # cells an undo left alone that it names one by one
# Statuses the follow-up rule never touches: these investors are talked to, or done.
SETTLED_STATUSES = ("Committed", "Soft Circle", "Passed")
# Computed columns that change with every edit: a rule reading them reacts to any edit.
EVERY_EDIT = ("last_modified_time", "last_modified_by")


def _today():
    return datetime.now(timezone.utc).date()


def _rule_dict(row) -> dict:
    return {"id": row[0], "name": row[1], "enabled": bool(row[2]), "trigger": row[3],
            "condition": json.loads(row[4]), "action": json.loads(row[5]), "position": row[6],
            "created_at": row[7], "updated_at": row[8]}


def _run_dict(r) -> dict:
    return {"id": r[0], "rule_id": r[1], "rule_name": r[2], "investor_id": r[3], "investor_name": r[4] or None,
            "at": r[5], "trigger": r[6], "outcome": r[7], "details": json.loads(r[8]) if r[8] else {},
            "run_id": r[9], "undone_at": r[10]}


def _referenced_columns(group: dict) -> set[str]:
    found = set()
    for cond in group.get("conditions", []):
        if "conditions" in cond:
            found |= _referenced_columns(cond)
        else:
            found.add(cond.get("column_id"))
    return found


def _names(items: list[str], shown: int = 5) -> str:
    """'A, B and C' / 'A, B, C, D, E and 7 more' for messages that name investors."""
    items = list(dict.fromkeys(i or "an unnamed investor" for i in items))
    if len(items) > shown:
        return ", ".join(items[:shown]) + f" and {len(items) - shown} more"
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1] if items else ""]))


@dataclass
class Plan:
    """What a run would change now. `changes` are (rule, investor id, {column id: (old, new)}) in
    the order the run applies them; `token` fingerprints them, so a run confirmed from a preview
    can refuse when what it would do is no longer what the person saw."""
    rules: list
    rows_checked: int
    changes: list
    names: dict
    columns_by_id: dict
    version: int

    @property
    def token(self) -> str:
        body = json.dumps([[rule["id"], rid, sorted([cid, old, new] for cid, (old, new) in diff.items())]
                           for rule, rid, diff in self.changes], default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:32]


class Automations:
    """Rule storage, the interpreter, runs (plan, preview, apply, undo) and the run log."""

    def __init__(self, db: Database):
        self.db = db
        db.on_reset(self.invalidate)  # compiled rules are recompiled from the table
        self._compiled: tuple | None = None  # (key, [(rule, predicate, columns it reads)])
        self._lock = threading.Lock()
        self._rules_version = 0
        # Makes the tasks of `create_task` rules (tasks.service.RuleTasks): validate_action(action),
        # open_for(conn, rule_id), make(conn, actor, rule, investor_id), state/take_back(conn, actor, task_id).
        self.task_maker = None

    # --- storage -------------------------------------------------------------------------------

    def list_rules(self, columns_by_id: dict, rule_id: str | None = None) -> list[dict]:
        with self.db.read() as conn:
            rules = [_rule_dict(r) for r in conn.execute(
                f"SELECT {RULE_FIELDS} FROM automation_rules WHERE archived_at IS NULL"
                " AND (? IS NULL OR id = ?) ORDER BY position", (rule_id, rule_id))]
            last = dict(conn.execute("SELECT rule_id, max(at) FROM automation_runs GROUP BY rule_id"))
            names = dict(conn.execute("SELECT id, name FROM grid_columns"))
        for rule in rules:
            missing = self._missing_columns(rule, columns_by_id)
            rule["missing_columns"] = [{"id": cid, "name": names.get(cid)} for cid in missing]
            rule["status"] = ("paused: column(s) " + ", ".join(f"'{names.get(c, c)}'" for c in missing)
                              + " no longer exist") if missing else ("active" if rule["enabled"] else "disabled")
            rule["last_applied_at"] = last.get(rule["id"])
        return rules

    @staticmethod
    def _missing_columns(rule: dict, columns_by_id: dict) -> list[str]:
        wanted = _referenced_columns(rule["condition"])
        if rule["action"].get("type") == "set_value":
            wanted.add(rule["action"].get("column_id"))
        return sorted(c for c in wanted if c not in columns_by_id)

    def _validate(self, payload: dict, columns_by_id: dict, partial: bool = False) -> dict:
        clean = {}
        if "name" in payload or not partial:
            name = payload.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                raise BadRequest("rule name must be 1-200 characters", field="name")
            clean["name"] = name.strip()
        if "enabled" in payload:
            if not isinstance(payload["enabled"], bool):
                raise BadRequest("enabled must be true or false", field="enabled")
            clean["enabled"] = payload["enabled"]
        if "trigger" in payload or not partial:
            trigger = payload.get("trigger", "both")
            if trigger not in TRIGGERS:
                raise BadRequest(f"trigger must be one of: {', '.join(TRIGGERS)}", field="trigger")
            clean["trigger"] = trigger
        if "condition" in payload or not partial:
            condition = view_engine.normalize_filter(payload.get("condition"), columns_by_id)
            if not condition.get("conditions"):
                raise BadRequest("a rule needs at least one condition (it would otherwise touch every investor)",
                                 field="condition")
            clean["condition"] = condition
        if "action" in payload or not partial:
            clean["action"] = self._validate_action(payload.get("action"), columns_by_id)
        return clean

    def _validate_action(self, action: Any, columns_by_id: dict) -> dict:
        if not isinstance(action, dict) or action.get("type") not in ACTIONS:
            raise BadRequest(f"action must be an object with type one of: {', '.join(ACTIONS)}", field="action")
        if action["type"] == "create_task":
            if self.task_maker is None:
                raise BadRequest("create_task is not available on this server", field="action")
            return self.task_maker.validate_action(action)
        if action["type"] == "move_to_list":
            if action.get("list") not in ct.LISTS:
                raise BadRequest(f"move_to_list needs list: one of {', '.join(ct.LISTS)}", field="action")
            return {"type": "move_to_list", "list": action["list"]}
        column = columns_by_id.get(action.get("column_id"))
        if column is None:
            raise BadRequest("set_value needs column_id of a live column", field="action")
        if column["type"] in ct.COMPUTED:
            raise BadRequest(f"set_value cannot write the computed column '{column['name']}'", field="action")
        if column.get("field") == "list":
            value = ct.normalize_list(action.get("value"), column)
        else:
            value, _ = ct.normalize_value(column, action.get("value"))
        return {"type": "set_value", "column_id": column["id"], "value": value}

    def create_rule(self, actor: Principal, payload: dict, columns_by_id: dict) -> dict:
        clean = self._validate(payload, columns_by_id)
        with self.db.transaction() as conn:
            rule_id, now = new_id(), utc_now()
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM automation_rules").fetchone()[0]
            conn.execute(f"INSERT INTO automation_rules ({RULE_FIELDS}, created_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (rule_id, clean["name"], int(clean.get("enabled", True)), clean["trigger"],
                          json.dumps(clean["condition"]), json.dumps(clean["action"]), position, now, now, actor.id))
            audit.record(conn, actor, "automation.created", "automation_rule", rule_id, clean)
        self.invalidate()
        return self.list_rules(columns_by_id, rule_id)[0]

    def update_rule(self, actor: Principal, rule_id: str, payload: dict, columns_by_id: dict) -> dict:
        clean = self._validate(payload, columns_by_id, partial=True)
        if not clean:
            raise BadRequest("nothing to change: send name, enabled, trigger, condition or action")
        with self.db.transaction() as conn:
            before = conn.execute(f"SELECT {RULE_FIELDS} FROM automation_rules WHERE id = ? AND archived_at IS NULL",
                                  (rule_id,)).fetchone()
            if before is None:
                raise NotFound(f"automation rule {rule_id} does not exist")
            sets = [f"{k} = ?" for k in clean] + ["updated_at = ?"]
            args = [json.dumps(v) if k in ("condition", "action") else (int(v) if k == "enabled" else v)
                    for k, v in clean.items()]
            conn.execute(f"UPDATE automation_rules SET {', '.join(sets)} WHERE id = ?", (*args, utc_now(), rule_id))
            old = _rule_dict(before)
            audit.record(conn, actor, "automation.updated", "automation_rule", rule_id,
                         {k: {"old": old[k], "new": v} for k, v in clean.items() if old[k] != v})
        self.invalidate()
        return self.list_rules(columns_by_id, rule_id)[0]

    def archive_rule(self, actor: Principal, rule_id: str) -> dict:
        with self.db.transaction() as conn:
            row = conn.execute(f"SELECT {RULE_FIELDS} FROM automation_rules WHERE id = ? AND archived_at IS NULL",
                               (rule_id,)).fetchone()
            if row is None:
                raise NotFound(f"automation rule {rule_id} does not exist")
            conn.execute("UPDATE automation_rules SET archived_at = ?, enabled = 0 WHERE id = ?", (utc_now(), rule_id))
            audit.record(conn, actor, "automation.archived", "automation_rule", rule_id, {"name": row[1]})
        self.invalidate()
        return {**_rule_dict(row), "enabled": False, "archived": True}

    def restore_rule(self, actor: Principal, rule_id: str, columns_by_id: dict) -> dict:
        """Bring an archived rule back, disabled (so it cannot act before someone looks at it)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT name, archived_at FROM automation_rules WHERE id = ?", (rule_id,)).fetchone()
            if row is None:
                raise NotFound(f"automation rule {rule_id} does not exist")
            if row[1] is None:
                raise Conflict("automation rule is not archived")
            conn.execute("UPDATE automation_rules SET archived_at = NULL, enabled = 0, updated_at = ? WHERE id = ?",
                         (utc_now(), rule_id))
            audit.record(conn, actor, "automation.restored", "automation_rule", rule_id, {"name": row[0]})
        self.invalidate()
        return self.list_rules(columns_by_id, rule_id)[0]

    def seed_defaults(self, actor: Principal, columns: list[dict]) -> None:
        """The two rules the team always had, made conservative: passed -> graveyard when someone
        sets Passed; gone quiet -> follow-up, off until a person has seen what it would move, and
        never for investors never contacted or already Committed, Soft Circle or Passed."""
        by_name = {c["name"]: c for c in columns}
        by_id = {c["id"]: c for c in columns}
        status, last_contact, lists = by_name.get("Status"), by_name.get("Last Contact"), by_name.get("List")
        if not (status and last_contact and lists):
            return
        defaults = [
            {"name": "Passed investors move to the graveyard", "trigger": "edit", "enabled": True,
             "condition": {"op": "and", "conditions": [{"column_id": status["id"], "operator": "is", "value": "Passed"}]},
             "action": {"type": "move_to_list", "list": "graveyard"}},
            {"name": "No contact for 30 days: move to follow-up", "trigger": "schedule", "enabled": False,
             "condition": {"op": "and", "conditions": [
                 {"column_id": last_contact["id"], "operator": "is_not_empty", "value": None},
                 {"column_id": last_contact["id"], "operator": "is_before", "value": {"days_ago": 30}},
                 {"column_id": lists["id"], "operator": "is", "value": "main"},
                 {"column_id": status["id"], "operator": "is_none_of", "value": list(SETTLED_STATUSES)}]},
             "action": {"type": "move_to_list", "list": "follow_up"}},
        ]
        for rule in defaults:
            self.create_rule(actor, rule, by_id)

    # --- the run log ---------------------------------------------------------------------------

    def runs(self, limit: int, offset: int, rule_id: str | None = None,
             run_id: str | None = None) -> tuple[list[dict], int]:
        """Every change a rule made (or tried to), newest first; of one rule, or of one run."""
        where = [w for w, v in (("r.rule_id = ?", rule_id), ("r.batch_id = ?", run_id)) if v]
        args = [v for v in (rule_id, run_id) if v]
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        with self.db.read() as conn:
            total = conn.execute(f"SELECT count(*) FROM automation_runs r {clause}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT {RUN_FIELDS} FROM automation_runs r JOIN automation_rules a ON a.id = r.rule_id"
                f" LEFT JOIN investors i ON i.id = r.investor_id {clause} ORDER BY r.id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset]).fetchall()
        return [_run_dict(r) for r in rows], total

    def run_groups(self, limit: int, offset: int, rule_id: str | None = None) -> tuple[list[dict], int]:
        """The run log by run, newest first: each manual or scheduled run with its counts, its first
        changes, and whether it can still be undone; a change an edit set off stands alone."""
        key = "coalesce(batch_id, 'change:' || id)"
        where, args = ("WHERE rule_id = ?", [rule_id]) if rule_id else ("", [])
        with self.db.read() as conn:
            total = conn.execute(f"SELECT count(DISTINCT {key}) FROM automation_runs {where}", args).fetchone()[0]
            page = conn.execute(f"SELECT {key}, batch_id, max(id) FROM automation_runs {where} GROUP BY 1"
                                " ORDER BY 3 DESC LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
            batch_ids = [b for _, b, _ in page if b]
            marks = ",".join("?" * len(batch_ids))
            batches = {r[0]: r for r in conn.execute(
                f"SELECT {BATCH_FIELDS} FROM automation_batches WHERE id IN ({marks})", batch_ids)}
            counts: dict[str, dict] = {}
            for bid, rid, name, outcome, n, investors, undone in conn.execute(
                    "SELECT r.batch_id, r.rule_id, a.name, r.outcome, count(*), count(DISTINCT r.investor_id),"
                    " count(r.undone_at) FROM automation_runs r JOIN automation_rules a ON a.id = r.rule_id"
                    f" WHERE r.batch_id IN ({marks}) GROUP BY 1, 2, 3, 4", batch_ids):
                c = counts.setdefault(bid, {"rules": {}, "applied": 0, "errors": 0, "undone": 0})
                c["rules"].setdefault(rid, {"id": rid, "name": name, "count": 0})["count"] += n
                c["applied" if outcome == "applied" else "errors"] += n
                c["undone"] += undone
            firsts: dict[str, list] = {}
            for r in conn.execute(
                    f"SELECT {RUN_FIELDS} FROM (SELECT *, row_number() OVER (PARTITION BY batch_id ORDER BY id) AS n"
                    f" FROM automation_runs WHERE batch_id IN ({marks})) r JOIN automation_rules a ON a.id = r.rule_id"
                    f" LEFT JOIN investors i ON i.id = r.investor_id WHERE r.n <= {GROUP_CHANGES} ORDER BY r.id",
                    batch_ids):
                firsts.setdefault(r[9], []).append(_run_dict(r))
            lone = [last for _, b, last in page if not b]
            singles = {r[0]: _run_dict(r) for r in conn.execute(
                f"SELECT {RUN_FIELDS} FROM automation_runs r JOIN automation_rules a ON a.id = r.rule_id"
                f" LEFT JOIN investors i ON i.id = r.investor_id WHERE r.id IN ({','.join('?' * len(lone))})", lone)}
        groups = []
        for _, bid, last in page:
            if bid is None:
                entry = singles[last]
                groups.append({"id": None, "kind": "change", "trigger": entry["trigger"], "at": entry["at"],
                               "by": None, "rules": [{"id": entry["rule_id"], "name": entry["rule_name"], "count": 1}],
                               "applied": int(entry["outcome"] == "applied"), "errors": int(entry["outcome"] != "applied"),
                               "changes": [entry], "more": 0, "undone_at": None, "undone_by": None,
                               "undo": None, "undoable": False})
                continue
            b, c = batches[bid], counts.get(bid, {"rules": {}, "applied": 0, "errors": 0, "undone": 0})
            shown = firsts.get(bid, [])
            groups.append({
                "id": bid, "kind": "run", "trigger": b[1], "rule_id": b[2], "at": b[6],
                "by": {"type": b[3], "id": b[4], "name": b[5]}, "planned": b[7],
                "rules": list(c["rules"].values()), "applied": c["applied"], "errors": c["errors"],
                "undone": c["undone"], "changes": shown, "more": c["applied"] + c["errors"] - len(shown),
                "undone_at": b[8], "undone_by": {"type": b[9], "id": b[10], "name": b[11]} if b[8] else None,
                "undo": json.loads(b[12]) if b[12] else None, "undoable": not b[8] and c["applied"] > 0})
        return groups, total

    # --- the interpreter -------------------------------------------------------------------------

    def invalidate(self) -> None:
        with self._lock:
            self._rules_version += 1
            self._compiled = None

    @staticmethod
    def _compile(rule: dict, columns_by_id: dict) -> tuple | None:
        """(rule, predicate, columns it reads), or None for a rule that must not run as it is."""
        if Automations._missing_columns(rule, columns_by_id):
            return None  # a condition on a vanished column must not turn into "always true"
        try:
            condition = view_engine.normalize_filter(rule["condition"], columns_by_id)
        except BadRequest:
            return None
        return rule, view_engine.compile_filter(condition, columns_by_id, _today()), _referenced_columns(condition)

    def _rules(self, conn: sqlite3.Connection, columns_by_id: dict, layout: int, triggers: tuple[str, ...]) -> list:
        """Enabled rules for these triggers, compiled once per (rules, column layout, day)."""
        key = (self._rules_version, layout, _today())
        with self._lock:
            if self._compiled is None or self._compiled[0] != key:
                compiled = [self._compile(_rule_dict(row), columns_by_id) for row in conn.execute(
                    f"SELECT {RULE_FIELDS} FROM automation_rules WHERE archived_at IS NULL AND enabled = 1"
                    " ORDER BY position")]
                self._compiled = (key, [c for c in compiled if c])
            rules = self._compiled[1]
        return [c for c in rules if c[0]["trigger"] in triggers]

    def _one_rule(self, conn: sqlite3.Connection, rule_id: str, columns_by_id: dict) -> list:
        """One rule, compiled whatever its trigger and switch (a preview before turning it on)."""
        row = conn.execute(f"SELECT {RULE_FIELDS} FROM automation_rules WHERE id = ? AND archived_at IS NULL",
                           (rule_id,)).fetchone()
        if row is None:
            raise NotFound(f"automation rule {rule_id} does not exist")
        compiled = self._compile(_rule_dict(row), columns_by_id)
        if compiled is None:
            raise Conflict(f"automation rule '{row[1]}' is paused: a field its condition or action uses no longer"
                           " exists; edit the rule first", code="rule_paused")
        return [compiled]

    @staticmethod
    def _target(rule: dict, list_column_id: str) -> dict:
        """The cells the rule's action writes: {column id: value}."""
        action = rule["action"]
        if action["type"] == "move_to_list":
            return {list_column_id: action["list"]}
        if action["type"] == "create_task":
            return {}
        return {action["column_id"]: action["value"]}

    @staticmethod
    def _guarded(conn, rule: dict, row, trigger: str, run_id: str | None, work: Callable[[], Any]) -> tuple[bool, Any]:
        """Run one rule's action on one investor inside a savepoint: a value the action cannot
        write undoes only that action and is logged as the run's error. (ok, what work returned)."""
        conn.execute("SAVEPOINT automation_rule")
        try:
            result = work()
        except BadRequest as exc:
            conn.execute("ROLLBACK TO automation_rule")
            conn.execute("RELEASE automation_rule")
            conn.execute("INSERT INTO automation_runs (rule_id, investor_id, at, trigger, outcome, details, batch_id)"
                         " VALUES (?,?,?,?,?,?,?)", (rule["id"], row.id, utc_now(), trigger, "error",
                                                    json.dumps({"error": exc.message}), run_id))
            return False, None
        conn.execute("RELEASE automation_rule")
        return True, result

    def _apply_rule(self, conn, grid, rule: dict, row, columns, trigger: str, run_id: str | None = None):
        actor = Principal("system", id=rule["id"], name=f"Automation: {rule['name']}")
        target = self._target(rule, next(c.id for c in columns if c.field == "list"))
        ok, after = self._guarded(conn, rule, row, trigger, run_id,
                                  lambda: grid.apply_automation(conn, actor, row, columns, target))
        if not ok:
            return row
        if after.version != row.version:
            moved = [c for c in columns if c.type not in ct.COMPUTED
                     and not grid._same(c, row.values.get(c.id), after.values.get(c.id))]
            changed = {c.name: {"old": row.values.get(c.id), "new": after.values.get(c.id)} for c in moved}
            cells = {c.id: {"old": row.values.get(c.id), "new": after.values.get(c.id)} for c in moved}
            conn.execute("INSERT INTO automation_runs (rule_id, investor_id, at, trigger, outcome, details, batch_id,"
                         " cells) VALUES (?,?,?,?,?,?,?,?)",
                         (rule["id"], row.id, utc_now(), trigger, "applied", json.dumps(changed, default=str), run_id,
                          json.dumps(cells, default=str)))
            interactions.record(conn, actor, row.id, "automation", "automation", rule["name"],
                                "; ".join(f"{name}: {v['old']} -> {v['new']}" for name, v in changed.items()),
                                ref={"rule_id": rule["id"], "trigger": trigger, "run_id": run_id})
        return after

    def _apply_task(self, conn, rule: dict, row, trigger: str, run_id: str | None = None) -> bool:
        """A `create_task` rule on one investor: its task, made in the run's transaction and logged
        as the run's change (cells hold the task id, which undo archives); False when the
        investor already has the rule's open task (or tasks are not available)."""
        if self.task_maker is None:
            return False
        actor = Principal("system", id=rule["id"], name=f"Automation: {rule['name']}")
        ok, task = self._guarded(conn, rule, row, trigger, run_id, lambda: self.task_maker.make(conn, actor, rule, row.id))
        if not ok or task is None:
            return False
        shown = task["title"] + (f" · due {task['due']}" if task.get("due") else "")
        conn.execute("INSERT INTO automation_runs (rule_id, investor_id, at, trigger, outcome, details, batch_id,"
                     " cells) VALUES (?,?,?,?,?,?,?,?)",
                     (rule["id"], row.id, utc_now(), trigger, "applied", json.dumps({"New task": shown}), run_id,
                      json.dumps({TASK: task["id"]})))
        return True

    def after_edit(self, conn, grid, row, columns, changed_column_ids: list[str]):
        """Run edit-triggered rules on one freshly edited row, inside its transaction. A rule
        reacts only when the edit changed a field its condition reads (directly or through a
        formula): someone who moves a Passed investor back to Main by hand, then edits a note,
        must not see it moved again."""
        columns_by_id = {c.id: c.lookup() for c in columns}
        rules = self._rules(conn, columns_by_id, grid.cache.layout, ("edit", "both"))
        if not rules:
            return row
        touched = set(changed_column_ids)
        touched |= set(grid.formula_graph(columns).affected(touched))
        touched |= {c.id for c in columns if c.type in EVERY_EDIT}
        for rule, predicate, reads in rules:
            if reads & touched and predicate(row.values):
                if rule["action"]["type"] == "create_task":
                    self._apply_task(conn, rule, row, "edit")
                else:
                    row = self._apply_rule(conn, grid, rule, row, columns, "edit")
        return row

    # --- runs: plan, preview, apply, undo --------------------------------------------------------

    def plan(self, grid, rule_id: str | None = None) -> Plan:
        """What a run would change now, computed from the published grid without writing: the
        enabled schedule rules (or one rule, whatever its trigger and switch) over every live row,
        rule by rule, each seeing the changes of the rules before it as the run would make them."""
        version = grid.version()
        columns = grid.view().columns
        columns_by_id = {c.id: c.lookup() for c in columns}
        by_id = {c.id: c for c in columns}
        with self.db.read() as conn:
            rules = (self._one_rule(conn, rule_id, columns_by_id) if rule_id
                     else self._rules(conn, columns_by_id, grid.cache.layout, ("schedule", "both")))
            has_task = {rule["id"]: self.task_maker.open_for(conn, rule["id"]) for rule, _, _ in rules
                        if rule["action"]["type"] == "create_task" and self.task_maker is not None}
        rows = grid.live_rows()
        list_id = next(c.id for c in columns if c.field == "list")
        name_id = next(c.id for c in columns if c.field == "name")
        current = dict(rows)
        changes = []
        for rule, predicate, _ in rules:
            if rule["action"]["type"] == "create_task":
                have = has_task.get(rule["id"])
                changes += [(rule, rid, {}) for rid, _ in rows if have is not None and rid not in have
                            and predicate(current[rid])]
                continue
            target = self._target(rule, list_id)
            for rid, _ in rows:
                values = current[rid]
                if not predicate(values):
                    continue
                diff = {cid: (values.get(cid), new) for cid, new in target.items()
                        if not grid._same(by_id[cid], values.get(cid), new)}
                if diff:
                    changes.append((rule, rid, diff))
                    current[rid] = {**values, **{cid: new for cid, (_, new) in diff.items()}}
        names = {rid: current[rid].get(name_id) for _, rid, _ in changes}
        return Plan([r for r, _, _ in rules], len(rows), changes, names, columns_by_id, version)

    @staticmethod
    def preview(plan: Plan) -> dict:
        """A plan as the person confirms it: per rule, how many investors go from what to what,
        and who they are (the first PREVIEW_INVESTORS by name); `token` confirms exactly this."""
        by_rule: dict[str, dict] = {}
        for rule, rid, diff in plan.changes:
            entry = by_rule.setdefault(rule["id"], {
                "rule_id": rule["id"], "rule_name": rule["name"], "trigger": rule["trigger"],
                "action": rule["action"], "count": 0, "moves": {}, "investors": []})
            entry["count"] += 1
            cells = []
            if rule["action"]["type"] == "create_task":  # a task, not a cell: "New task: Follow up"
                cells.append({"column_id": None, "column": "New task", "old": None, "new": rule["action"]["title"]})
                move = entry["moves"].setdefault("task", {"column_id": None, "column": "New task", "old": None,
                                                          "new": rule["action"]["title"], "count": 0})
                move["count"] += 1
            for cid, (old, new) in diff.items():
                column = plan.columns_by_id[cid]
                move = entry["moves"].setdefault(json.dumps([cid, old, new], default=str), {
                    "column_id": cid, "column": column["name"], "old": old, "new": new, "count": 0})
                move["count"] += 1
                cells.append({"column_id": cid, "column": column["name"], "old": old, "new": new})
            entry["investors"].append({"id": rid, "name": plan.names.get(rid), "changes": cells})
        for entry in by_rule.values():
            entry["moves"] = sorted(entry["moves"].values(), key=lambda m: -m["count"])
            everyone = sorted(entry["investors"], key=lambda i: ((i["name"] or "").casefold(), i["id"]))
            entry["investors"], entry["more"] = everyone[:PREVIEW_INVESTORS], max(0, len(everyone) - PREVIEW_INVESTORS)
        ordered = [by_rule[r["id"]] for r in plan.rules if r["id"] in by_rule]
        return {"dry_run": True, "token": plan.token, "version": plan.version, "rules": len(plan.rules),
                "rule_names": [r["name"] for r in plan.rules], "rows_checked": plan.rows_checked,
                "changes": len(plan.changes), "investors": len({rid for _, rid, _ in plan.changes}),
                "by_rule": ordered}

    def run_scheduled(self, grid, trigger: str = "schedule", actor: Principal | None = None,
                      rule_id: str | None = None, token: str | None = None) -> dict:
        """Plan, then apply exactly the plan in batches (short write locks), as one run with an id
        that undo can put back. With `token` (from a preview) a plan that no longer matches what
        the person saw is refused (409, with the new preview) before anything changes. A planned
        change whose investor changed since the plan was made is left out, never re-planned."""
        actor = actor or system("automation scheduler")
        rule_id = rule_id or None  # "" means every rule, as in plan()
        plan = self.plan(grid, rule_id)
        if token is not None and token != plan.token:
            raise Conflict("what this run would change is no longer what the preview showed (someone edited an"
                           " investor or a rule); review the new preview", code="preview_changed",
                           preview=self.preview(plan))
        run_id = new_id() if plan.changes else None
        applied = 0
        for start in range(0, len(plan.changes), SCHEDULE_BATCH):
            batch = plan.changes[start:start + SCHEDULE_BATCH]

            def work(conn, columns, load_row, commit_row, batch=batch, first=start == 0):
                if first:
                    conn.execute(f"INSERT INTO automation_batches ({BATCH_FIELDS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                 (run_id, "manual" if trigger == "manual" else "schedule", rule_id, actor.kind,
                                  actor.id, actor.name, utc_now(), len(plan.changes), None, None, None, None, None))
                    audit.record(conn, actor, "automation.run", "automation_run", run_id,
                                 {"trigger": trigger, "rules": [r["name"] for r in plan.rules],
                                  "planned": len(plan.changes), "previewed": token is not None})
                elif conn.execute("SELECT undone_at FROM automation_batches WHERE id = ?", (run_id,)).fetchone()[0]:
                    return None  # someone undid the run while it was still going: it stops here
                by_id = {c.id: c for c in columns}
                lookup = {c.id: c.lookup() for c in columns}
                predicates: dict[str, Any] = {}
                count = 0
                for rule, rid, diff in batch:
                    if rule["id"] not in predicates:
                        compiled = self._compile(rule, lookup)  # the columns as they are now
                        predicates[rule["id"]] = compiled[1] if compiled else None
                    predicate, row = predicates[rule["id"]], load_row(rid)
                    if (predicate is None or row.archived_at or not predicate(row.values)
                            or any(cid not in by_id or not grid._same(by_id[cid], row.values.get(cid), old)
                                   for cid, (old, _) in diff.items())):
                        continue  # it changed since the plan was made: leave it
                    if rule["action"]["type"] == "create_task":
                        count += self._apply_task(conn, rule, row, trigger, run_id)
                        continue
                    after = self._apply_rule(conn, grid, rule, row, columns, trigger, run_id)
                    if after.version != row.version:
                        commit_row(after)
                        count += 1
                return count

            done = grid.run_in_write(work)
            if done is None:
                break
            applied += done
        return {"rules": len(plan.rules), "rows_checked": plan.rows_checked, "planned": len(plan.changes),
                "applied": applied, "skipped": len(plan.changes) - applied, "run_id": run_id}

    def _batch(self, conn, run_id: str):
        batch = conn.execute(f"SELECT {BATCH_FIELDS} FROM automation_batches WHERE id = ?", (run_id,)).fetchone()
        if batch is None:
            raise NotFound(f"automation run {run_id} does not exist")
        if batch[8]:
            raise Conflict(f"this run was already undone ({batch[8]} by {batch[11] or 'someone'})",
                           code="already_undone", undone_at=batch[8])
        return batch

    def _undo_tasks(self, conn, actor: Principal | None, tasks: list, entries: list, left: list, row_of,
                    columns) -> list[dict]:
        """The tasks a run made that go back (archived; with `actor` None, only said): each still
        open one; a task done or archived since stays and is named in `left`."""
        name_id = next(c.id for c in columns if c.field == "name")
        going = []
        for entry_id, rid, task_id in tasks:
            if self.task_maker is None:
                reason = "tasks are not available"
            else:
                reason = (self.task_maker.state(conn, task_id) if actor is None
                          else self.task_maker.take_back(conn, actor, task_id))
            row = row_of(rid)
            name = (row.values.get(name_id) if row else None) or None
            title = conn.execute("SELECT title FROM tasks WHERE id = ?", (task_id,)).fetchone()
            item = {"investor_id": rid, "investor_name": name, "task_id": task_id, "title": title[0] if title else None}
            if reason is None:
                going.append(item)
                entries.append(entry_id)
            else:
                left.append({**item, "column_id": None, "column": "New task", "value": item["title"],
                             "run_value": item["title"], "reason": reason, "by": None, "at": None})
        return going

    @staticmethod
    def _undo_plan(conn, grid, run_id: str, row_of, columns) -> tuple[dict, list, list, list]:
        """What undoing a run puts back: {investor id: {column id: value}} walking its changes newest
        first (a cell two rules changed goes back to before the first), the change-log entries that
        go back whole, the cells it leaves alone because they no longer hold what the run wrote
        (someone, or a later run, changed them since: their change wins), and the tasks the run
        made: (entry id, investor id, task id)."""
        by_id = {c.id: c for c in columns}
        name_id = next(c.id for c in columns if c.field == "name")
        current: dict[str, dict] = {}
        back: dict[str, dict] = {}
        entries, left, tasks = [], {}, []
        for entry_id, rid, cells in conn.execute(
                "SELECT id, investor_id, cells FROM automation_runs WHERE batch_id = ? AND outcome = 'applied'"
                " AND undone_at IS NULL ORDER BY id DESC", (run_id,)).fetchall():
            row = row_of(rid)
            whole = True
            cells = json.loads(cells or "{}")
            if TASK in cells:
                tasks.append((entry_id, rid, cells[TASK]))
                continue
            for cid, change in cells.items():
                col = by_id.get(cid)
                values = current.setdefault(rid, dict(row.values) if row else {})
                if row is None or row.archived_at or col is None or not grid._same(col, values.get(cid), change["new"]):
                    whole = False
                    reason = ("archived" if row is None or row.archived_at else
                              "field deleted" if col is None else "changed since")
                    left.setdefault((rid, cid), {"investor_id": rid, "investor_name": values.get(name_id) or None,
                                                 "column_id": cid, "column": col.name if col else None,
                                                 "value": values.get(cid), "run_value": change["new"], "reason": reason})
                    continue
                values[cid] = change["old"]
                back.setdefault(rid, {})[cid] = change["old"]
            if whole:
                entries.append(entry_id)
        listed = list(left.values())
        for item in listed[:UNDO_LEFT_LISTED]:  # who changed it since, so the person can ask them
            last = conn.execute("SELECT actor_name, at FROM grid_changes WHERE investor_id = ? AND column_id = ?"
                                " ORDER BY seq DESC LIMIT 1", (item["investor_id"], item["column_id"])).fetchone()
            item["by"], item["at"] = (last[0], last[1]) if last else (None, None)
        return back, entries, listed, tasks

    @staticmethod
    def _undo_summary(run_id: str, back: dict, listed: list, dry_run: bool, row_of, columns,
                      tasks: list | None = None) -> dict:
        """The answer of an undo: counts, what goes back (the first UNDO_LEFT_LISTED investors by
        name, each cell from its value now to the one it goes back to) and what is left."""
        names = {c.id: c.name for c in columns}
        name_id = next(c.id for c in columns if c.field == "name")
        going = []
        for rid, cells in back.items():
            now = row_of(rid).values
            going.append({"investor_id": rid, "investor_name": now.get(name_id) or None, "changes": [
                {"column_id": cid, "column": names[cid], "old": now.get(cid), "new": value} for cid, value in cells.items()]})
        going.sort(key=lambda i: ((i["investor_name"] or "").casefold(), i["investor_id"]))
        return {"run_id": run_id, "dry_run": dry_run, "investors": len(back),
                "cells": sum(len(v) for v in back.values()), "back": going[:UNDO_LEFT_LISTED],
                "tasks": len(tasks or []), "tasks_back": (tasks or [])[:UNDO_LEFT_LISTED],
                "left_count": len(listed), "left": listed[:UNDO_LEFT_LISTED]}

    def undo_run(self, grid, actor: Principal, run_id: str, dry_run: bool = False) -> dict:
        """Put back every cell a run changed, in one transaction, as `actor`'s audited grid edit
        (rules are not set off again: that would redo the run). Cells changed since the run keep
        their newer value and are named in the answer; if none can go back: 409 naming them.
        `dry_run` says the same without writing (read from the published grid)."""
        if dry_run:
            view = grid.view()
            with self.db.read() as conn:
                self._batch(conn, run_id)
                back, entries, listed, made = self._undo_plan(conn, grid, run_id, view.rows.get, view.columns)
                tasks = self._undo_tasks(conn, None, made, entries, listed, view.rows.get, view.columns)
            return self._undo_summary(run_id, back, listed, True, view.rows.get, view.columns, tasks)

        def work(conn, columns, load_row, commit_row):
            self._batch(conn, run_id)
            back, entries, listed, made = self._undo_plan(conn, grid, run_id, load_row, columns)
            tasks = self._undo_tasks(conn, actor, made, entries, listed, load_row, columns)
            if not back and not tasks:
                raise Conflict("nothing to undo: every investor this run changed was changed again since ("
                               + _names([i["investor_name"] for i in listed]) + ")", code="undo_conflict",
                               left=listed[:UNDO_LEFT_LISTED])
            summary = self._undo_summary(run_id, back, listed, False, load_row, columns, tasks)
            names = {c.id: c.name for c in columns}
            now = utc_now()
            undone = {k: summary[k] for k in ("investors", "cells", "left_count")}
            if summary["tasks"]:
                undone["tasks"] = summary["tasks"]  # archived by _undo_tasks above
            for rid, values in back.items():
                row = load_row(rid)
                after = grid.revert_automation(conn, actor, row, columns, values)
                commit_row(after)
                interactions.record(conn, actor, rid, "automation", "automation", "Undid an automation run",
                                    "; ".join(f"{names[cid]}: {row.values.get(cid)} -> {v}" for cid, v in values.items()),
                                    ref={"run_id": run_id, "undo": True})
            conn.executemany("UPDATE automation_runs SET undone_at = ? WHERE id = ?", [(now, e) for e in entries])
            conn.execute("UPDATE automation_batches SET undone_at = ?, undone_by_type = ?, undone_by_id = ?,"
                         " undone_by_name = ?, undo = ? WHERE id = ?",
                         (now, actor.kind, actor.id, actor.name,
                          json.dumps(undone), run_id))
            audit.record(conn, actor, "automation.run_undone", "automation_run", run_id, undone)
            return {**summary, "undone_at": now}
        return grid.run_in_write(work)


class Scheduler(PeriodicThread):
    """Every `interval` seconds: recompute time-dependent formulas, then run the schedule rules."""

    def __init__(self, automations: Automations, grid, interval: float, first_delay: float = 5.0):
        super().__init__("automation-scheduler", interval, first_delay)
        self.automations, self.grid = automations, grid

    def run_once(self) -> dict:
        self.grid.recompute_volatile()  # TODAY()-based formulas first: rules may read them
        return self.automations.run_scheduled(self.grid)
