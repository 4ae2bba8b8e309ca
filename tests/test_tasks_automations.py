"""Automation rules that make tasks (the `create_task` action; backend/grid/automations.py with
backend/tasks/service.py's RuleTasks): validated, previewed as "New task", made once per investor
while the rule's task is open (re-runs and edits make no second), owned by the rule's creator
unless it names an owner, and taken back by undo (a task ticked done since stays, named)."""
from __future__ import annotations

import time

import pytest

from helpers import columns_by_name, launch, make_user, unique


@pytest.fixture(scope="module")
def quiet():
    """A private server whose scheduler made its first pass before these tests add rules."""
    srv = launch(CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    admin = srv.bootstrap()
    time.sleep(6)
    yield srv, admin
    admin.close()
    srv.stop()


def tagged(admin, tag, names) -> dict:
    return {name: admin.post("/api/fundraising/rows", {"values": {"Name": name, "Lead Source": tag}}).data
            for name in names}


def rule_for(admin, tag, action, trigger="schedule") -> dict:
    resp = admin.post("/api/fundraising/automations", {
        "name": unique("Task rule"), "trigger": trigger, "action": action,
        "condition": {"op": "and", "conditions": [
            {"column_id": columns_by_name(admin)["Lead Source"]["id"], "operator": "is", "value": tag}]}})
    assert resp.status == 201, resp
    return resp.data


def tasks_of(admin, investor_id, status="all") -> list:
    return admin.get(f"/api/tasks?owner=all&status={status}&investor_id={investor_id}").data


def test_create_task_actions_are_validated(quiet):
    _, admin = quiet
    lead = columns_by_name(admin)["Lead Source"]["id"]
    cond = {"op": "and", "conditions": [{"column_id": lead, "operator": "is", "value": "x"}]}
    for action in ({"type": "create_task"}, {"type": "create_task", "title": ""},
                   {"type": "create_task", "title": "x" * 301},
                   {"type": "create_task", "title": "Call", "due_in_days": -1},
                   {"type": "create_task", "title": "Call", "due_in_days": "3"},
                   {"type": "create_task", "title": "Call", "owner": "nobody"}):
        resp = admin.post("/api/fundraising/automations", {"name": unique("bad"), "condition": cond, "action": action})
        assert resp.status == 400 and resp.json["field"] == "action", (action, resp)
    ok = admin.post("/api/fundraising/automations", {"name": unique("ok"), "condition": cond, "action": {
        "type": "create_task", "title": "  Call   them ", "due_in_days": 3}})
    assert ok.status == 201 and ok.data["action"] == {"type": "create_task", "title": "Call them", "due_in_days": 3,
                                                      "owner": None}
    admin.delete(f"/api/fundraising/automations/{ok.data['id']}")


def test_a_run_makes_one_task_per_investor_and_undo_takes_them_back(quiet):
    _, admin = quiet
    tag = unique("tasks-run")
    rows = tagged(admin, tag, ["Aspen Capital", "Birch Trust", "Cedar Family Office"])
    rule = rule_for(admin, tag, {"type": "create_task", "title": "Send the Q3 letter", "due_in_days": 5})
    plan = admin.post("/api/fundraising/automations/run", {"dry_run": True, "rule_id": rule["id"]}).data
    assert plan["changes"] == 3 and plan["investors"] == 3
    entry = plan["by_rule"][0]
    assert entry["moves"] == [{"column_id": None, "column": "New task", "old": None, "new": "Send the Q3 letter",
                               "count": 3}]
    assert {i["name"]: [c["new"] for c in i["changes"]] for i in entry["investors"]} == {
        name: ["Send the Q3 letter"] for name in rows}
    assert all(not tasks_of(admin, r["id"]) for r in rows.values())  # a preview makes nothing
    result = admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"], "token": plan["token"]}).data
    assert result["applied"] == 3 and result["run_id"]
    today = admin.get("/api/tasks?limit=1").json["today"]
    made = {name: tasks_of(admin, row["id"]) for name, row in rows.items()}
    for name, found in made.items():
        assert len(found) == 1, name
        t = found[0]
        assert (t["title"], t["source"], t["source_ref"]) == ("Send the Q3 letter", "automation", f"{rule['id']}:{rows[name]['id']}")
        assert t["owner"] == admin.user["id"] and t["created_by_name"] == f"Automation: {rule['name']}"
        assert t["due"] > today
    runs = admin.get(f"/api/fundraising/automation-runs?run_id={result['run_id']}").data
    assert {r["details"]["New task"] for r in runs} == {f"Send the Q3 letter · due {made['Birch Trust'][0]['due']}"}
    # a re-run makes no second task while the first is open
    again = admin.post("/api/fundraising/automations/run", {"dry_run": True, "rule_id": rule["id"]}).data
    assert again["changes"] == 0
    assert admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"]}).data["applied"] == 0
    # one is ticked done since: undo archives the other two and keeps that one, naming it
    done = made["Birch Trust"][0]
    assert admin.patch(f"/api/tasks/{done['id']}", {"done": True}).status == 200
    dry = admin.post(f"/api/fundraising/automations/runs/{result['run_id']}/undo", {"dry_run": True}).data
    assert dry["tasks"] == 2 and dry["investors"] == 0 and dry["left_count"] == 1
    assert dry["left"][0]["investor_name"] == "Birch Trust" and dry["left"][0]["reason"] == "done since"
    undo = admin.post(f"/api/fundraising/automations/runs/{result['run_id']}/undo")
    assert undo.status == 200 and undo.data["tasks"] == 2, undo
    assert not tasks_of(admin, rows["Aspen Capital"]["id"]) and not tasks_of(admin, rows["Cedar Family Office"]["id"])
    assert [t["id"] for t in tasks_of(admin, rows["Birch Trust"]["id"])] == [done["id"]]
    archived = admin.get(f"/api/audit-log?entity_type=task&action=task.archived&entity_id={made['Aspen Capital'][0]['id']}").data
    assert archived and archived[0]["details"]["why"] == "automation run undone"
    # after the undo, a new run may make them again (the done one too: its task is no longer open)
    assert admin.post("/api/fundraising/automations/run", {"dry_run": True, "rule_id": rule["id"]}).data["changes"] == 3
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_an_edit_rule_makes_the_task_once_for_its_named_owner(quiet):
    _, admin = quiet
    tag = unique("tasks-edit")
    owner = make_user(admin, "member")
    rule = rule_for(admin, tag, {"type": "create_task", "title": "Book the intro call", "owner": owner["id"]},
                    trigger="edit")
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Dogwood Partners"}}).data
    assert not tasks_of(admin, row["id"])
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Lead Source": tag}}).status == 200
    found = tasks_of(admin, row["id"])
    assert len(found) == 1 and found[0]["owner"] == owner["id"] and found[0]["due"] is None
    # the rule reads Lead Source: setting it again (another tag, then back) makes no second open task
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Lead Source": "other"}})
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Lead Source": tag}})
    assert len(tasks_of(admin, row["id"])) == 1
    runs = admin.get(f"/api/fundraising/automation-runs?rule_id={rule['id']}").data
    assert len(runs) == 1 and runs[0]["trigger"] == "edit" and runs[0]["outcome"] == "applied"
    admin.delete(f"/api/fundraising/automations/{rule['id']}")
