"""Automation rules over HTTP: the default list rules, custom rules, schedule runs, run log."""
from __future__ import annotations

from datetime import date, timedelta

from helpers import add_column, columns_by_name, unique


def list_of(admin, row_id) -> str:
    return admin.get(f"/api/fundraising/rows/{row_id}").data["values"][columns_by_name(admin)["List"]["id"]]


def test_default_rules_exist(start_server):
    admin = start_server().bootstrap()
    rules = admin.get("/api/fundraising/automations").data
    assert [r["action"] for r in rules] == [{"type": "move_to_list", "list": "graveyard"},
                                            {"type": "move_to_list", "list": "follow_up"}]
    assert all(r["enabled"] and r["status"] == "active" for r in rules)


def test_passed_moves_to_graveyard_in_the_same_edit(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Pass Capital", "Status": "Meeting"}}).data
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})
    assert resp.status == 200
    assert resp.data["values"][columns_by_name(admin)["List"]["id"]] == "graveyard"  # in the PATCH response
    history = admin.get(f"/api/fundraising/rows/{row['id']}/history").data
    moved = next(h for h in history if h["column_name"] == "List")
    assert moved["by"]["type"] == "system" and moved["by"]["name"].startswith("Automation:")
    runs = admin.get("/api/fundraising/automation-runs?limit=5").data
    assert runs[0]["investor_id"] == row["id"] and runs[0]["outcome"] == "applied"
    assert runs[0]["trigger"] == "edit" and runs[0]["details"]["List"] == {"old": "main", "new": "graveyard"}
    again = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Notes": "still passed"}})
    assert admin.get("/api/fundraising/automation-runs?limit=1").data[0]["id"] == runs[0]["id"]  # idempotent


def test_schedule_moves_stale_main_investors_to_follow_up(admin):
    stale = (date.today() - timedelta(days=45)).isoformat()
    fresh = (date.today() - timedelta(days=3)).isoformat()
    old = admin.post("/api/fundraising/rows", {"values": {"Name": "Quiet LP", "Last Contact": stale}}).data
    new = admin.post("/api/fundraising/rows", {"values": {"Name": "Chatty LP", "Last Contact": fresh}}).data
    never = admin.post("/api/fundraising/rows", {"values": {"Name": "Unknown LP"}}).data
    assert list_of(admin, old["id"]) == "main"  # schedule-only rule: not on edit
    result = admin.post("/api/fundraising/automations/run").data
    assert result["applied"] >= 1 and result["rows_checked"] >= 3
    assert list_of(admin, old["id"]) == "follow_up"
    assert list_of(admin, new["id"]) == "main" and list_of(admin, never["id"]) == "main"
    second = admin.post("/api/fundraising/automations/run").data
    assert list_of(admin, old["id"]) == "follow_up"
    runs = [r for r in admin.get("/api/fundraising/automation-runs?limit=200").data if r["investor_id"] == old["id"]]
    assert len(runs) == 1 and runs[0]["trigger"] == "manual"
    assert second["applied"] == 0 or all(r["investor_id"] != old["id"] for r in
                                         admin.get("/api/fundraising/automation-runs?limit=1").data)


def test_custom_set_value_rule_and_disable(admin):
    flag = add_column(admin, unique("Big ticket"), "checkbox")
    ticket = add_column(admin, unique("Ticket"), "currency")
    rule = admin.post("/api/fundraising/automations", {
        "name": "Flag big tickets", "trigger": "edit",
        "condition": {"op": "and", "conditions": [{"column_id": ticket["id"], "operator": ">", "value": 1_000_000}]},
        "action": {"type": "set_value", "column_id": flag["id"], "value": True}})
    assert rule.status == 201, rule
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Whale", ticket["id"]: 5_000_000}}).data
    assert row["values"][flag["id"]] is True
    assert admin.patch(f"/api/fundraising/automations/{rule.data['id']}", {"enabled": False}).status == 200
    minnow = admin.post("/api/fundraising/rows", {"values": {"Name": "Whale 2", ticket["id"]: 5_000_000}}).data
    assert minnow["values"][flag["id"]] is None
    assert admin.delete(f"/api/fundraising/automations/{rule.data['id']}").status == 200
    assert rule.data["id"] not in {r["id"] for r in admin.get("/api/fundraising/automations").data}


def test_rule_on_archived_column_pauses_instead_of_matching_everything(admin):
    col = add_column(admin, unique("Stage"), "text")
    rule = admin.post("/api/fundraising/automations", {
        "name": "Longshots", "trigger": "edit",
        "condition": {"op": "and", "conditions": [{"column_id": col["id"], "operator": "is", "value": "long"}]},
        "action": {"type": "move_to_list", "list": "longshot"}}).data
    assert admin.delete(f"/api/fundraising/columns/{col['id']}").status == 200
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Innocent"}}).data
    assert list_of(admin, row["id"]) == "main"
    listed = next(r for r in admin.get("/api/fundraising/automations").data if r["id"] == rule["id"])
    assert listed["status"].startswith("paused")
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_rule_validation(admin):
    cols = columns_by_name(admin)
    for body, needle in (
            ({"name": "x", "condition": {"op": "and", "conditions": []}, "action": {"type": "move_to_list", "list": "main"}}, "at least one"),
            ({"name": "x", "condition": {"op": "and", "conditions": [{"column_id": cols["Status"]["id"], "operator": "is", "value": "Passed"}]},
              "action": {"type": "explode"}}, "action"),
            ({"name": "x", "condition": {"op": "and", "conditions": [{"column_id": cols["Status"]["id"], "operator": "is", "value": "Passed"}]},
              "action": {"type": "move_to_list", "list": "moon"}}, "list"),
            ({"name": "x", "trigger": "hourly", "condition": {"op": "and", "conditions": [{"column_id": cols["Status"]["id"], "operator": "is", "value": "Passed"}]},
              "action": {"type": "move_to_list", "list": "main"}}, "trigger")):
        resp = admin.post("/api/fundraising/automations", body)
        assert resp.status == 400 and needle in resp.json["error"], (body, resp)


def test_lists_counts(admin):
    counts = admin.get("/api/fundraising/lists").data
    assert set(counts) == {"main", "follow_up", "graveyard", "longshot"}
    assert all(isinstance(v, int) for v in counts.values())
