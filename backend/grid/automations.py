"""Automation rules that keep the lists (main, follow-up, graveyard, longshot) and other cells right.

A rule is a condition (a filter group, evaluated exactly like a view's filter) and an action
(`move_to_list` or `set_value`). Rules with trigger `edit` run inside the transaction of every
grid edit, on the edited row; rules with trigger `schedule` run periodically over every live row
(time passes: "last contact more than 30 days ago"); `both` does both. Each change an action
makes is a normal grid change attributed to the rule, audited, and written to the run log.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from typing import Any

from .. import audit
from ..interactions import log as interactions
from . import column_types as ct, view_engine
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..periodic import PeriodicThread
from ..principal import Principal

TRIGGERS = ("edit", "schedule", "both")
ACTIONS = ("move_to_list", "set_value")
RULE_FIELDS = "id, name, enabled, trigger, condition, action, position, created_at, updated_at"
SCHEDULE_BATCH = 500


def _today():
    return datetime.now(timezone.utc).date()


def _rule_dict(row) -> dict:
    return {"id": row[0], "name": row[1], "enabled": bool(row[2]), "trigger": row[3],
            "condition": json.loads(row[4]), "action": json.loads(row[5]), "position": row[6],
            "created_at": row[7], "updated_at": row[8]}


def _referenced_columns(group: dict) -> set[str]:
    found = set()
    for cond in group.get("conditions", []):
        if "conditions" in cond:
            found |= _referenced_columns(cond)
        else:
            found.add(cond.get("column_id"))
    return found


class Automations:
    """Rule storage, the interpreter, and the scheduled run."""

    def __init__(self, db: Database):
        self.db = db
        db.on_reset(self.invalidate)  # compiled rules are recompiled from the table
        self._compiled: tuple[int, str, list] | None = None  # (grid seq, day, [(rule, predicate, action)])
        self._lock = threading.Lock()
        self._rules_version = 0

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

    @staticmethod
    def _validate_action(action: Any, columns_by_id: dict) -> dict:
        if not isinstance(action, dict) or action.get("type") not in ACTIONS:
            raise BadRequest(f"action must be an object with type one of: {', '.join(ACTIONS)}", field="action")
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

    def runs(self, limit: int, offset: int, rule_id: str | None = None) -> tuple[list[dict], int]:
        where, args = ("WHERE r.rule_id = ?", [rule_id]) if rule_id else ("", [])
        with self.db.read() as conn:
            total = conn.execute(f"SELECT count(*) FROM automation_runs r {where}", args).fetchone()[0]
            rows = conn.execute(
                "SELECT r.id, r.rule_id, a.name, r.investor_id, i.name, r.at, r.trigger, r.outcome, r.details"
                " FROM automation_runs r JOIN automation_rules a ON a.id = r.rule_id"
                f" LEFT JOIN investors i ON i.id = r.investor_id {where} ORDER BY r.id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset]).fetchall()
        return [{"id": r[0], "rule_id": r[1], "rule_name": r[2], "investor_id": r[3], "investor_name": r[4] or None,
                 "at": r[5], "trigger": r[6], "outcome": r[7], "details": json.loads(r[8]) if r[8] else {}}
                for r in rows], total

    def seed_defaults(self, actor: Principal, columns: list[dict]) -> None:
        """The two rules the team always had: passed -> graveyard, gone quiet -> follow-up."""
        by_name = {c["name"]: c for c in columns}
        by_id = {c["id"]: c for c in columns}
        status, last_contact, lists = by_name.get("Status"), by_name.get("Last Contact"), by_name.get("List")
        if not (status and last_contact and lists):
            return
        defaults = [
            {"name": "Passed investors move to the graveyard", "trigger": "both",
             "condition": {"op": "and", "conditions": [{"column_id": status["id"], "operator": "is", "value": "Passed"}]},
             "action": {"type": "move_to_list", "list": "graveyard"}},
            {"name": "No contact for 30 days: move to follow-up", "trigger": "schedule",
             "condition": {"op": "and", "conditions": [
                 {"column_id": last_contact["id"], "operator": "is_before", "value": {"days_ago": 30}},
                 {"column_id": lists["id"], "operator": "is", "value": "main"}]},
             "action": {"type": "move_to_list", "list": "follow_up"}},
        ]
        for rule in defaults:
            self.create_rule(actor, rule, by_id)

    # --- the interpreter -------------------------------------------------------------------------

    def invalidate(self) -> None:
        with self._lock:
            self._rules_version += 1
            self._compiled = None

    def _rules(self, conn: sqlite3.Connection, columns_by_id: dict, layout: int, triggers: tuple[str, ...]) -> list:
        """Enabled rules for these triggers, compiled once per (rules, column layout, day)."""
        key = (self._rules_version, layout, _today())
        with self._lock:
            if self._compiled is None or self._compiled[0] != key:
                compiled = []
                for row in conn.execute(f"SELECT {RULE_FIELDS} FROM automation_rules"
                                        " WHERE archived_at IS NULL AND enabled = 1 ORDER BY position"):
                    rule = _rule_dict(row)
                    if self._missing_columns(rule, columns_by_id):
                        continue  # a condition on a vanished column must not turn into "always true"
                    try:
                        condition = view_engine.normalize_filter(rule["condition"], columns_by_id)
                    except BadRequest:
                        continue
                    compiled.append((rule, view_engine.compile_filter(condition, columns_by_id, key[2])))
                self._compiled = (key, compiled)
            rules = self._compiled[1]
        return [(rule, pred) for rule, pred in rules if rule["trigger"] in triggers]

    @staticmethod
    def _raw_values(rule: dict, columns) -> dict:
        action = rule["action"]
        if action["type"] == "move_to_list":
            list_col = next(c for c in columns if c.field == "list")
            return {list_col.id: action["list"]}
        return {action["column_id"]: action["value"]}

    def _apply_rule(self, conn, grid, rule: dict, row, columns, trigger: str):
        actor = Principal("system", id=rule["id"], name=f"Automation: {rule['name']}")
        conn.execute("SAVEPOINT automation_rule")
        try:
            after = grid.apply_automation(conn, actor, row, columns, self._raw_values(rule, columns))
        except BadRequest as exc:
            conn.execute("ROLLBACK TO automation_rule")
            conn.execute("RELEASE automation_rule")
            conn.execute("INSERT INTO automation_runs (rule_id, investor_id, at, trigger, outcome, details)"
                         " VALUES (?,?,?,?,?,?)", (rule["id"], row.id, utc_now(), trigger, "error",
                                                  json.dumps({"error": exc.message})))
            return row
        conn.execute("RELEASE automation_rule")
        if after.version != row.version:
            changed = {c.name: {"old": row.values.get(c.id), "new": after.values.get(c.id)} for c in columns
                       if row.values.get(c.id) != after.values.get(c.id) and c.type not in ct.COMPUTED}
            conn.execute("INSERT INTO automation_runs (rule_id, investor_id, at, trigger, outcome, details)"
                         " VALUES (?,?,?,?,?,?)", (rule["id"], row.id, utc_now(), trigger, "applied",
                                                  json.dumps(changed, default=str)))
            interactions.record(conn, actor, row.id, "automation", "automation", rule["name"],
                                "; ".join(f"{name}: {v['old']} -> {v['new']}" for name, v in changed.items()),
                                ref={"rule_id": rule["id"], "trigger": trigger})
        return after

    def after_edit(self, conn, grid, row, columns, changed_column_ids: list[str]):
        """Run edit-triggered rules on one freshly edited row, inside its transaction."""
        columns_by_id = {c.id: c.lookup() for c in columns}
        for rule, predicate in self._rules(conn, columns_by_id, grid.cache.layout, ("edit", "both")):
            if predicate(row.values):
                row = self._apply_rule(conn, grid, rule, row, columns, "edit")
        return row

    def run_scheduled(self, grid, trigger: str = "schedule") -> dict:
        """Evaluate schedule rules over every live row; apply in batches (short write locks)."""
        columns_by_id = grid.column_lookup()
        with self.db.read() as conn:
            rules = self._rules(conn, columns_by_id, grid.cache.layout, ("schedule", "both"))
        rows = grid.live_rows()
        due = [(rule, rid) for rule, predicate in rules for rid, values in rows if predicate(values)]
        applied = 0
        for start in range(0, len(due), SCHEDULE_BATCH):
            batch = due[start:start + SCHEDULE_BATCH]

            def work(conn, columns, load_row, commit_row, batch=batch):
                count = 0
                by_id = {c.id: c.lookup() for c in columns}
                for rule, rid in batch:
                    row = load_row(rid)
                    if row.archived_at:
                        continue
                    predicate = view_engine.compile_filter(
                        view_engine.normalize_filter(rule["condition"], by_id), by_id, _today())
                    if not predicate(row.values):  # it changed since we looked
                        continue
                    after = self._apply_rule(conn, grid, rule, row, columns, trigger)
                    if after.version != row.version:
                        commit_row(after)
                        count += 1
                return count

            applied += grid.run_in_write(work)
        return {"rules": len(rules), "rows_checked": len(rows), "applied": applied}


class Scheduler(PeriodicThread):
    """Every `interval` seconds: recompute time-dependent formulas, then run the schedule rules."""

    def __init__(self, automations: Automations, grid, interval: float, first_delay: float = 5.0):
        super().__init__("automation-scheduler", interval, first_delay)
        self.automations, self.grid = automations, grid

    def run_once(self) -> dict:
        self.grid.recompute_volatile()  # TODAY()-based formulas first: rules may read them
        return self.automations.run_scheduled(self.grid)
