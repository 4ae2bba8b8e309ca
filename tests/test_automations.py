"""Automation rules over HTTP: the conservative default rules (and the migration that narrows
them on existing grids), custom rules, edit triggers, runs previewed before they change anything,
runs undone as one step (and what undo leaves when someone edited since), the run log."""
from __future__ import annotations

import json
import shutil
import sqlite3
import time
from datetime import date, timedelta

import pytest

from helpers import add_column, columns_by_name, launch, unique

STALE = (date.today() - timedelta(days=45)).isoformat()
FRESH = (date.today() - timedelta(days=3)).isoformat()
FOLLOW_UP = "No contact for 30 days: move to follow-up"
PASSED = "Passed investors move to the graveyard"


def list_of(admin, row_id) -> str:
    return admin.get(f"/api/fundraising/rows/{row_id}").data["values"][columns_by_name(admin)["List"]["id"]]


def rule_named(admin, name) -> dict:
    return next(r for r in admin.get("/api/fundraising/automations").data if r["name"] == name)


def add_investors(admin, tag, specs) -> dict:
    """{name: row} for investors whose Lead Source is `tag` (what each test's own rules match)."""
    return {name: admin.post("/api/fundraising/rows", {"values": {"Name": name, "Lead Source": tag, **values}}).data
            for name, values in specs.items()}


def tagged_rule(admin, tag, action, name=None) -> dict:
    """A schedule rule of this test alone: it matches only investors whose Lead Source is `tag`."""
    resp = admin.post("/api/fundraising/automations", {
        "name": name or unique("Tagged"), "trigger": "schedule", "action": action,
        "condition": {"op": "and", "conditions": [
            {"column_id": columns_by_name(admin)["Lead Source"]["id"], "operator": "is", "value": tag}]}})
    assert resp.status == 201, resp
    return resp.data


def preview(admin, **body) -> dict:
    resp = admin.post("/api/fundraising/automations/run", {"dry_run": True, **body})
    assert resp.status == 200, resp
    return resp.data


def previewed(data, rule_id) -> dict:
    """{investor name: [(column, old, new)]} of one rule in a preview."""
    entry = next((r for r in data["by_rule"] if r["rule_id"] == rule_id), {"investors": []})
    return {i["name"]: [(c["column"], c["old"], c["new"]) for c in i["changes"]] for i in entry["investors"]}


def audit_entries(admin, **filters) -> list:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return admin.get(f"/api/audit-log?limit=1000&{query}").data


@pytest.fixture(scope="module")
def quiet():
    """A private server whose scheduler has made its first pass (5 s after start, then hourly)
    before any test here turns a schedule rule on: every run these tests see is their own."""
    srv = launch(CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    admin = srv.bootstrap()
    time.sleep(6)
    yield srv, admin
    admin.close()
    srv.stop()


# --- the default rules -----------------------------------------------------------------------------

def test_default_rules_are_conservative_and_say_so(start_server):
    admin = start_server().bootstrap()
    rules = {r["name"]: r for r in admin.get("/api/fundraising/automations").data}
    cols = columns_by_name(admin)
    passed, follow = rules[PASSED], rules[FOLLOW_UP]
    # Passed -> graveyard reacts to someone setting Passed, never on a scheduled pass.
    assert passed["enabled"] and passed["status"] == "active" and passed["trigger"] == "edit"
    assert passed["action"] == {"type": "move_to_list", "list": "graveyard"}
    # The follow-up rule is off until a person turns it on, and it reads as what it does.
    assert not follow["enabled"] and follow["status"] == "disabled" and follow["trigger"] == "schedule"
    assert follow["condition"]["conditions"] == [
        {"column_id": cols["Last Contact"]["id"], "operator": "is_not_empty", "value": None},
        {"column_id": cols["Last Contact"]["id"], "operator": "is_before", "value": {"days_ago": 30}},
        {"column_id": cols["List"]["id"], "operator": "is", "value": "main"},
        {"column_id": cols["Status"]["id"], "operator": "is_none_of", "value": ["Committed", "Soft Circle", "Passed"]}]
    # Off means off: a run now changes nothing.
    stale = admin.post("/api/fundraising/rows", {"values": {"Name": "Quiet LP", "Last Contact": STALE}}).data
    result = admin.post("/api/fundraising/automations/run", {"dry_run": True}).data
    assert result["rules"] == 0 and result["changes"] == 0 and result["by_rule"] == []
    assert list_of(admin, stale["id"]) == "main"


def test_follow_up_rule_leaves_committed_and_never_contacted_investors(quiet):
    _, admin = quiet
    tag = unique("conservative")
    rows = add_investors(admin, tag, {
        "Quiet Harbor": {"Last Contact": STALE},
        "Committed LP": {"Last Contact": STALE, "Status": "Committed"},
        "Soft Circle LP": {"Last Contact": STALE, "Status": "Soft Circle"},
        "Never Contacted": {},
        "Chatty LP": {"Last Contact": FRESH},
        "Already Longshot": {"Last Contact": STALE, "List": "longshot"}})
    rule = rule_named(admin, FOLLOW_UP)
    assert admin.patch(f"/api/fundraising/automations/{rule['id']}", {"enabled": True}).status == 200
    plan = preview(admin, rule_id=rule["id"])
    mine = {name: changes for name, changes in previewed(plan, rule["id"]).items() if name in rows}
    assert mine == {"Quiet Harbor": [("List", "main", "follow_up")]}
    # A client that runs without a preview (the old call, no body) gets the same, with a run id.
    result = admin.post("/api/fundraising/automations/run").data
    assert result["applied"] >= 1 and result["run_id"]
    assert {name: list_of(admin, row["id"]) for name, row in rows.items()} == {
        "Quiet Harbor": "follow_up", "Committed LP": "main", "Soft Circle LP": "main", "Never Contacted": "main",
        "Chatty LP": "main", "Already Longshot": "longshot"}
    runs = admin.get(f"/api/fundraising/automation-runs?run_id={result['run_id']}&limit=1000").data
    assert {r["investor_id"] for r in runs} >= {rows["Quiet Harbor"]["id"]}
    assert all(r["trigger"] == "manual" and r["run_id"] == result["run_id"] for r in runs)
    again = preview(admin, rule_id=rule["id"])  # done is done: a second run has nothing of these to move
    assert not set(previewed(again, rule["id"])) & set(rows)
    assert admin.patch(f"/api/fundraising/automations/{rule['id']}", {"enabled": False}).status == 200


def test_edit_rules_react_only_to_a_change_of_what_they_read(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Pass Capital", "Status": "Meeting"}}).data
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})
    assert resp.status == 200
    assert resp.data["values"][columns_by_name(admin)["List"]["id"]] == "graveyard"  # in the PATCH response
    history = admin.get(f"/api/fundraising/rows/{row['id']}/history").data
    moved = next(h for h in history if h["column_name"] == "List")
    assert moved["by"]["type"] == "system" and moved["by"]["name"].startswith("Automation:")
    runs = admin.get("/api/fundraising/automation-runs?limit=5").data
    assert runs[0]["investor_id"] == row["id"] and runs[0]["outcome"] == "applied" and runs[0]["run_id"] is None
    assert runs[0]["trigger"] == "edit" and runs[0]["details"]["List"] == {"old": "main", "new": "graveyard"}
    # Someone brings the Passed investor back by hand and keeps working on it: the rule stays out.
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"List": "main"}}).status == 200
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Notes": "re-engaged"}}).status == 200
    assert list_of(admin, row["id"]) == "main"
    assert admin.get("/api/fundraising/automation-runs?limit=1").data[0]["id"] == runs[0]["id"]
    # Setting Passed again is a change of what the rule reads: it acts.
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Meeting"}})
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})
    assert list_of(admin, row["id"]) == "graveyard"


def test_migration_narrows_the_seeded_rules_of_an_existing_grid(tmp_path):
    """A grid seeded before 0004 keeps each rule's switch; rules still as seeded get narrower, a
    team's own rule is left alone, and every change is in the audit log."""
    from backend.db import Database
    from backend.grid.store import Grid
    from backend.migrate import MIGRATIONS_DIR, apply_migrations
    from backend.principal import system
    old = tmp_path / "migrations"
    old.mkdir()
    # 0005 (row positions) too: today's Grid seeds the columns and reads the rows with it; it is
    # independent of 0004, which the server then applies as it would to a grid from before it.
    for path in sorted(MIGRATIONS_DIR.glob("000[1235]_*.sql")):
        shutil.copy(path, old)
    data = tmp_path / "data"
    data.mkdir()
    db = Database(data / "crm.db")
    with db.read() as conn:
        assert apply_migrations(conn, old) == ["0001_foundation", "0002_grid", "0003_interactions", "0005_row_order"]
    Grid(db).seed_defaults(system("setup"))
    db.close()
    with sqlite3.connect(data / "crm.db") as conn:  # the rules as the seeding before 0004 wrote them
        ids = dict(conn.execute("SELECT name, id FROM grid_columns"))
        stale_rule = lambda days: {"op": "and", "conditions": [
            {"column_id": ids["Last Contact"], "operator": "is_before", "value": {"days_ago": days}},
            {"column_id": ids["List"], "operator": "is", "value": "main"}]}
        for n, (name, trigger, condition, lst) in enumerate((
                (PASSED, "both", {"op": "and", "conditions": [
                    {"column_id": ids["Status"], "operator": "is", "value": "Passed"}]}, "graveyard"),
                (FOLLOW_UP, "schedule", stale_rule(30), "follow_up"),
                ("Our own: quiet for 60 days", "schedule", stale_rule(60), "follow_up"))):
            conn.execute("INSERT INTO automation_rules (id, name, enabled, trigger, condition, action, position,"
                         " created_at, updated_at) VALUES (?,?,1,?,?,?,?,'2026-01-01T00:00:00.000Z',"
                         "'2026-01-01T00:00:00.000Z')",
                         (f"rule-{n}", name, trigger, json.dumps(condition),
                          json.dumps({"type": "move_to_list", "list": lst}), n + 1))
    srv = launch(data, CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    try:
        admin = srv.bootstrap()
        rules = {r["name"]: r for r in admin.get("/api/fundraising/automations").data}
        assert rules[PASSED]["trigger"] == "edit" and rules[PASSED]["enabled"]
        follow = rules[FOLLOW_UP]
        assert follow["enabled"] and follow["status"] == "active"  # the team had it on: it stays on, narrower
        assert [(c["operator"], c["value"]) for c in follow["condition"]["conditions"]] == [
            ("is_not_empty", None), ("is_before", {"days_ago": 30}), ("is", "main"),
            ("is_none_of", ["Committed", "Soft Circle", "Passed"])]
        assert rules["Our own: quiet for 60 days"]["condition"] == stale_rule(60)
        entries = [e for e in audit_entries(admin, action="automation.updated")
                   if e["actor"]["name"] == "migration 0004_automation_undo"]
        assert sorted(e["entity_id"] for e in entries) == ["rule-0", "rule-1"]
        assert next(e for e in entries if e["entity_id"] == "rule-0")["details"]["trigger"] == {"old": "both", "new": "edit"}
        assert next(e for e in entries if e["entity_id"] == "rule-1")["details"]["condition"]["old"] == stale_rule(30)
        # And the narrowed rule behaves: the committed LP and the never-contacted one stay.
        time.sleep(6)  # past the scheduler's first pass: the rule is on, and this test wants only a preview
        rows = add_investors(admin, unique("migrated"), {"Quiet": {"Last Contact": STALE},
                                                          "Committed": {"Last Contact": STALE, "Status": "Committed"},
                                                          "Never": {}})
        plan = preview(admin, rule_id="rule-1")
        assert {n for n in previewed(plan, "rule-1") if n in rows} == {"Quiet"}
    finally:
        srv.stop()


# --- runs: preview, run, undo ----------------------------------------------------------------------

def test_preview_changes_nothing_and_matches_the_run(quiet):
    _, admin = quiet
    tag = unique("preview")
    rows = add_investors(admin, tag, {"Alder Partners": {}, "Birch Family Office": {"List": "follow_up"},
                                      "Cedar Endowment": {"List": "longshot"}})
    rule = tagged_rule(admin, tag, {"type": "move_to_list", "list": "longshot"})
    before_grid = admin.get("/api/fundraising/grid").data
    before_runs = admin.get("/api/fundraising/automation-runs?limit=1").json["total"]
    before_audit = len(audit_entries(admin))
    plan = preview(admin, rule_id=rule["id"])
    assert plan["dry_run"] and plan["changes"] == 2 and plan["investors"] == 2 and plan["token"]
    entry = plan["by_rule"][0]
    assert entry["rule_name"] == rule["name"] and entry["count"] == 2
    assert sorted((m["old"], m["new"], m["count"]) for m in entry["moves"]) == [
        ("follow_up", "longshot", 1), ("main", "longshot", 1)]
    assert previewed(plan, rule["id"]) == {"Alder Partners": [("List", "main", "longshot")],
                                           "Birch Family Office": [("List", "follow_up", "longshot")]}
    # The whole-grid preview (every enabled schedule rule) shows this rule's investors too.
    assert previewed(preview(admin), rule["id"]) == previewed(plan, rule["id"])
    # Nothing changed: not the grid, its version, the run log or the audit log.
    assert admin.get("/api/fundraising/grid").data == before_grid
    assert admin.get("/api/fundraising/automation-runs?limit=1").json["total"] == before_runs
    assert len(audit_entries(admin)) == before_audit
    # Confirming the preview runs exactly it.
    result = admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"], "token": plan["token"]}).data
    assert result["applied"] == result["planned"] == 2 and result["skipped"] == 0
    runs = admin.get(f"/api/fundraising/automation-runs?run_id={result['run_id']}").data
    assert sorted((r["investor_name"], r["details"]["List"]["old"], r["details"]["List"]["new"]) for r in runs) == [
        ("Alder Partners", "main", "longshot"), ("Birch Family Office", "follow_up", "longshot")]
    assert {name: list_of(admin, row["id"]) for name, row in rows.items()} == {
        "Alder Partners": "longshot", "Birch Family Office": "longshot", "Cedar Endowment": "longshot"}
    started = [e for e in audit_entries(admin, action="automation.run") if e["entity_id"] == result["run_id"]]
    assert started and started[0]["actor"]["name"] == admin.user["username"] and started[0]["details"]["previewed"]
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_a_preview_that_no_longer_holds_is_refused_with_the_new_one(quiet):
    _, admin = quiet
    tag = unique("stale-preview")
    rows = add_investors(admin, tag, {"Dogwood Capital": {}, "Elm Street Trust": {}})
    rule = tagged_rule(admin, tag, {"type": "move_to_list", "list": "follow_up"})
    plan = preview(admin, rule_id=rule["id"])
    assert set(previewed(plan, rule["id"])) == {"Dogwood Capital", "Elm Street Trust"}
    admin.patch(f"/api/fundraising/rows/{rows['Elm Street Trust']['id']}", {"values": {"List": "graveyard"}})
    version = admin.get("/api/fundraising/grid").data["version"]
    resp = admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"], "token": plan["token"]})
    assert resp.status == 409 and resp.json["code"] == "preview_changed" and "preview" in resp.json["error"]
    fresh = resp.json["preview"]
    assert previewed(fresh, rule["id"]) == {"Dogwood Capital": [("List", "main", "follow_up")],
                                            "Elm Street Trust": [("List", "graveyard", "follow_up")]}
    assert admin.get("/api/fundraising/grid").data["version"] == version  # refused before any change
    assert list_of(admin, rows["Dogwood Capital"]["id"]) == "main"
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_undo_puts_a_run_back_as_one_audited_edit(quiet):
    _, admin = quiet
    tag = unique("undo")
    step = add_column(admin, unique("Next step"), "text")
    rows = add_investors(admin, tag, {"Fir Ventures": {}, "Gingko Holdings": {step["id"]: "Send deck"},
                                      "Hazel Foundation": {"List": "longshot"}})
    move = tagged_rule(admin, tag, {"type": "move_to_list", "list": "follow_up"}, name=unique("Move"))
    note = tagged_rule(admin, tag, {"type": "set_value", "column_id": step["id"], "value": "Call"}, name=unique("Note"))
    before = {name: admin.get(f"/api/fundraising/rows/{row['id']}").data for name, row in rows.items()}
    plan = preview(admin)
    assert set(previewed(plan, move["id"])) == set(rows) and set(previewed(plan, note["id"])) == set(rows)
    result = admin.post("/api/fundraising/automations/run", {"token": plan["token"]}).data
    assert result["applied"] == result["planned"] and result["run_id"]
    run_id = result["run_id"]
    assert {list_of(admin, row["id"]) for row in rows.values()} == {"follow_up"}
    groups = admin.get("/api/fundraising/automations/runs?limit=5").data
    group = next(g for g in groups if g["id"] == run_id)
    assert group["kind"] == "run" and group["trigger"] == "manual" and group["undoable"] and not group["undone_at"]
    assert group["by"]["name"] == admin.user["username"] and group["applied"] == result["applied"]
    assert {r["name"]: r["count"] for r in group["rules"]}.items() >= {move["name"]: 3, note["name"]: 3}.items()
    version = admin.get("/api/fundraising/grid").data["version"]

    dry = admin.post(f"/api/fundraising/automations/runs/{run_id}/undo", {"dry_run": True}).data
    assert dry["dry_run"] and dry["left_count"] == 0 and dry["investors"] == 3 and dry["cells"] == 6
    assert {i["investor_name"]: sorted((c["column"], c["old"], c["new"]) for c in i["changes"]) for i in dry["back"]} == {
        "Fir Ventures": [("List", "follow_up", "main"), (step["name"], "Call", None)],
        "Gingko Holdings": [("List", "follow_up", "main"), (step["name"], "Call", "Send deck")],
        "Hazel Foundation": [("List", "follow_up", "longshot"), (step["name"], "Call", None)]}
    assert admin.get("/api/fundraising/grid").data["version"] == version  # the dry run wrote nothing
    undo = admin.post(f"/api/fundraising/automations/runs/{run_id}/undo")
    assert undo.status == 200, undo
    assert undo.data["investors"] == dry["investors"] and undo.data["cells"] == dry["cells"]
    after = {name: admin.get(f"/api/fundraising/rows/{row['id']}").data for name, row in rows.items()}
    for name in rows:
        for column in ("List", step["name"]):
            cid = columns_by_name(admin)[column]["id"]
            assert after[name]["values"][cid] == before[name]["values"][cid], (name, column)
    # A normal grid edit by the person: history, audit, the change feed, the investor's timeline.
    fir = rows["Fir Ventures"]["id"]
    latest = admin.get(f"/api/fundraising/rows/{fir}/history").data[0]
    assert latest["by"]["name"] == admin.user["username"] and latest["by"]["type"] == "user"
    edits = [e for e in audit_entries(admin, action="investor.updated", entity_id=fir)]
    assert edits[0]["actor"]["name"] == admin.user["username"] and edits[0]["details"]["List"] == {
        "old": "follow_up", "new": "main"}
    undone = [e for e in audit_entries(admin, action="automation.run_undone") if e["entity_id"] == run_id]
    assert len(undone) == 1 and undone[0]["details"]["investors"] == 3
    feed = admin.get(f"/api/fundraising/changes?since={version}").data
    assert {c["row_id"] for c in feed["changes"] if c["kind"] == "cell"} == {r["id"] for r in rows.values()}
    assert all(c["by"]["name"] == admin.user["username"] for c in feed["changes"])
    timeline = admin.get(f"/api/fundraising/rows/{fir}/interactions").data
    assert timeline[0]["summary"] == "Undid an automation run" and "follow_up -> main" in timeline[0]["body"]
    # The run log marks it undone; a second undo is refused.
    group = next(g for g in admin.get("/api/fundraising/automations/runs?limit=5").data if g["id"] == run_id)
    assert group["undone_at"] and group["undone_by"]["name"] == admin.user["username"] and not group["undoable"]
    assert all(c["undone_at"] for c in group["changes"])
    again = admin.post(f"/api/fundraising/automations/runs/{run_id}/undo")
    assert again.status == 409 and "already undone" in again.json["error"]
    for rule in (move, note):
        admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_undo_leaves_cells_someone_changed_since_and_names_them(quiet, server):
    _, admin = quiet
    tag = unique("conflict")
    rows = add_investors(admin, tag, {"Juniper Capital": {}, "Kapok Partners": {}, "Larch LP": {}})
    rule = tagged_rule(admin, tag, {"type": "move_to_list", "list": "follow_up"})
    result = admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"],
                                                             "token": preview(admin, rule_id=rule["id"])["token"]}).data
    assert result["applied"] == 3
    kapok = rows["Kapok Partners"]["id"]
    assert admin.patch(f"/api/fundraising/rows/{kapok}", {"values": {"List": "graveyard"}}).status == 200
    dry = admin.post(f"/api/fundraising/automations/runs/{result['run_id']}/undo", {"dry_run": True}).data
    assert dry["investors"] == 2 and dry["left_count"] == 1
    undo = admin.post(f"/api/fundraising/automations/runs/{result['run_id']}/undo").data
    assert undo["investors"] == 2 and undo["left_count"] == 1
    [left] = undo["left"]
    assert left["investor_name"] == "Kapok Partners" and left["column"] == "List" and left["reason"] == "changed since"
    assert left["value"] == "graveyard" and left["run_value"] == "follow_up" and left["by"] == admin.user["username"]
    assert {name: list_of(admin, row["id"]) for name, row in rows.items()} == {
        "Juniper Capital": "main", "Kapok Partners": "graveyard", "Larch LP": "main"}  # the newer edit wins
    group = next(g for g in admin.get("/api/fundraising/automations/runs").data if g["id"] == result["run_id"])
    assert group["undo"] == {"investors": 2, "cells": 2, "left_count": 1} and group["undone"] == 2

    # A run whose every change was edited since cannot be undone: 409 naming the investors.
    result = admin.post("/api/fundraising/automations/run", {"rule_id": rule["id"]}).data
    assert result["applied"] == 3
    for row in rows.values():
        admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"List": "longshot"}})
    version = admin.get("/api/fundraising/grid").data["version"]
    refused = admin.post(f"/api/fundraising/automations/runs/{result['run_id']}/undo")
    assert refused.status == 409 and refused.json["code"] == "undo_conflict"
    assert all(name in refused.json["error"] for name in rows)
    assert admin.get("/api/fundraising/grid").data["version"] == version
    group = next(g for g in admin.get("/api/fundraising/automations/runs").data if g["id"] == result["run_id"])
    assert not group["undone_at"] and group["undoable"]
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_run_and_undo_requests_are_checked(quiet):
    _, admin = quiet
    for body, status, needle in (({"dry_run": "yes"}, 400, "dry_run"), ({"rules": 1}, 400, "unknown field"),
                                 ({"dry_run": True, "rule_id": "nope"}, 404, "does not exist")):
        resp = admin.post("/api/fundraising/automations/run", body)
        assert resp.status == status and needle in resp.json["error"], (body, resp)
    resp = admin.post("/api/fundraising/automations/runs/nope/undo")
    assert resp.status == 404 and "automation run nope does not exist" in resp.json["error"]
    col = add_column(admin, unique("Stage"), "text")
    rule = admin.post("/api/fundraising/automations", {
        "name": unique("Paused"), "trigger": "schedule", "action": {"type": "move_to_list", "list": "longshot"},
        "condition": {"op": "and", "conditions": [{"column_id": col["id"], "operator": "is", "value": "x"}]}}).data
    admin.delete(f"/api/fundraising/columns/{col['id']}")
    resp = admin.post("/api/fundraising/automations/run", {"dry_run": True, "rule_id": rule["id"]})
    assert resp.status == 409 and "is paused" in resp.json["error"]
    admin.delete(f"/api/fundraising/automations/{rule['id']}")


def test_a_scheduled_run_is_a_run_too(app):
    """The scheduler's own pass gets a run id, is attributed to the scheduler, and can be undone."""
    from backend.grid.automations import Scheduler
    from backend.principal import Principal
    jane = Principal("user", id="u-jane", name="jane")
    cols = app.grid.column_lookup()
    rule = next(r for r in app.automations.list_rules(cols) if r["name"] == FOLLOW_UP)
    app.automations.update_rule(jane, rule["id"], {"enabled": True}, cols)
    row = app.grid.create_row(jane, {"Name": "Quiet Harbor", "Last Contact": STALE})
    result = Scheduler(app.automations, app.grid, interval=3600).run_once()
    assert result["applied"] == 1 and result["run_id"]
    [group] = app.automations.run_groups(10, 0)[0]
    assert group["trigger"] == "schedule" and group["by"] == {"type": "system", "id": None,
                                                              "name": "automation scheduler"}
    app.automations.undo_run(app.grid, jane, result["run_id"])
    list_id = next(k for k, c in cols.items() if c.get("field") == "list")
    assert app.grid.get_row(row["id"])["values"][list_id] == "main"


# --- rules ------------------------------------------------------------------------------------------

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
