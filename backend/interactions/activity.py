"""The admin activity feed: audit entries, automation runs and backups, merged newest first."""
from __future__ import annotations

import json

from .. import audit
from ..db import Database


# An automation's edit is logged twice: its run (which names the rule and the investor) and the
# audit entry of the edit it made. The feed keeps the run, so its counts and its list agree.
_NOT_AUDIT_DUPLICATE = "action != 'automation.applied'"


def feed(db: Database, backups: list[dict], limit: int, offset: int) -> tuple[list[dict], int, dict]:
    """One page of the merged feed; each item is {at, source, action, summary, by, details,
    entity_name}. Returns (items, total, {source: count})."""
    window = limit + offset
    with db.read() as conn:
        audit_rows = conn.execute(
            "SELECT at, action, entity_type, entity_id, actor_type, actor_name, details FROM audit_log"
            f" WHERE {_NOT_AUDIT_DUPLICATE} ORDER BY id DESC LIMIT ?", (window,)).fetchall()
        run_rows = conn.execute(
            "SELECT r.at, a.name, r.investor_id, i.name, r.outcome, r.details, r.trigger FROM automation_runs r"
            " JOIN automation_rules a ON a.id = r.rule_id LEFT JOIN investors i ON i.id = r.investor_id"
            " ORDER BY r.id DESC LIMIT ?", (window,)).fetchall()
        counts = {"audit": conn.execute(f"SELECT count(*) FROM audit_log WHERE {_NOT_AUDIT_DUPLICATE}").fetchone()[0],
                  "automation": conn.execute("SELECT count(*) FROM automation_runs").fetchone()[0],
                  "backup": len(backups)}
        items = audit.name_entities(conn, [
            {"at": r[0], "source": "audit", "action": r[1], "entity_type": r[2], "entity_id": r[3],
             "by": {"type": r[4], "name": r[5]}, "summary": r[1].replace(".", " ").replace("_", " "),
             "details": json.loads(r[6]) if r[6] else {}} for r in audit_rows])
    items += [{"at": r[0], "source": "automation", "action": f"automation.{r[4]}", "entity_type": "investor",
               "entity_id": r[2], "entity_name": r[3], "by": {"type": "system", "name": f"Automation: {r[1]}"},
               "summary": f"{r[1]} on {r[3] or 'an investor'}", "details": {"trigger": r[6], **json.loads(r[5] or "{}")}}
              for r in run_rows]
    items += [{"at": b["created_at"], "source": "backup", "action": f"backup.{b['kind']}", "entity_type": "backup",
               "entity_id": b["id"], "entity_name": None,
               "by": {"type": "user" if b["kind"] in ("manual", "upload") else "system", "name": b.get("created_by")},
               "summary": f"{b['kind'].replace('_', ' ')} backup, {b['size']:,} bytes",
               "details": {"verify": b.get("verify")}} for b in backups[:window]]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[offset:offset + limit], sum(counts.values()), counts
