"""Soft-delete leak test: archive something of every kind, then walk every read endpoint and
prove none returns it — except the views whose job is to show archived things."""
from __future__ import annotations

import json
import re

from backend import server as srv_module

# Routes whose purpose is to show archived things (or a thing by its id), and where seeing the
# archived ids is correct.
ARCHIVE_VIEWS = {"/api/admin/archive", "/api/audit-log", "/api/fundraising/activity", "/api/fundraising/export",
                 "/api/fundraising/rows/{id}", "/api/fundraising/rows/{id}/history",
                 "/api/fundraising/rows/{id}/interactions", "/api/fundraising/automation-runs",
                 "/api/fundraising/changes"}


def test_archived_things_leak_nowhere(start_server):
    srv = start_server()
    admin = srv.bootstrap()
    keep = admin.post("/api/fundraising/rows", {"values": {"Name": "Visible Capital"}}).data
    gone = admin.post("/api/fundraising/rows", {"values": {"Name": "Archived Capital", "Contacts": [
        {"name": "Gone Person", "email": "gone.person@archived.example"}]}}).data
    column = admin.post("/api/fundraising/columns", {"name": "Archived Column", "type": "text"}).data
    admin.patch(f"/api/fundraising/rows/{keep['id']}", {"values": {"Archived Column": "secret-cell-value"}})
    view = admin.post("/api/fundraising/views", {"name": "Archived View"}).data
    rule = admin.post("/api/fundraising/automations", {
        "name": "Archived Rule", "trigger": "edit",
        "condition": {"op": "and", "conditions": [{"column_id": column["id"], "operator": "is", "value": "zzz"}]},
        "action": {"type": "move_to_list", "list": "longshot"}}).data
    person_row = admin.post("/api/fundraising/rows", {"values": {"Name": "People Holder", "Contacts": [
        {"name": "Stays Here", "email": "stays@live.example"}, {"name": "Removed Person", "email": "removed@gone.example"}]}}).data
    contacts_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["type"] == "contacts")
    stays = person_row["values"][contacts_col][0]
    admin.patch(f"/api/fundraising/rows/{person_row['id']}", {"values": {contacts_col: [stays]}})
    # A card of the investor archived below, and a card taken off the board (its record archived).
    fund = admin.post("/api/fundraising/columns", {"name": "Fund Leak", "type": "fund"}).data
    lost_card = admin.post("/api/pipeline/opportunities", {"investor_id": gone["id"], "fund_id": fund["id"],
                                                           "stage": "Pitch", "expected_amount": 4_321_987}).data
    cleared = admin.post("/api/pipeline/opportunities", {"investor_id": keep["id"], "fund_id": fund["id"],
                                                         "stage": "Passed"}).data
    assert admin.delete(f"/api/pipeline/opportunities/{cleared['id']}").status == 200
    assert admin.delete(f"/api/fundraising/automations/{rule['id']}").status == 200
    assert admin.delete(f"/api/fundraising/columns/{column['id']}").status == 200
    assert admin.delete(f"/api/fundraising/views/{view['id']}").status == 200
    assert admin.delete(f"/api/fundraising/rows/{gone['id']}").status == 200
    secrets = [gone["id"], "Archived Capital", "gone.person@archived.example", column["id"], "Archived Column",
               "secret-cell-value", view["id"], "Archived View", rule["id"], "Archived Rule", "removed@gone.example",
               lost_card["id"], "4321987", cleared["id"]]

    checked = 0
    for route in srv_module.ROUTES:
        if route.method != "GET" or not route.path.startswith("/api/") or route.path in ARCHIVE_VIEWS:
            continue
        path = re.sub(r"\{id\}", keep["id"], route.path)
        if "{" in path:
            continue
        resp = admin.get(path)
        if resp.status != 200:
            continue
        body = resp.body.decode("utf-8", "replace")
        leaks = [s for s in secrets if s in body]
        assert not leaks, f"GET {path} returns archived {leaks}"
        checked += 1
    view_rows = admin.get(f"/api/fundraising/views/{admin.post('/api/fundraising/views', {'name': 'v'}).data['id']}/rows")
    assert not [s for s in secrets if s in view_rows.body.decode()]
    csv_body = admin.get("/api/fundraising/export.csv").body.decode("utf-8-sig")
    assert not [s for s in secrets if s in csv_body]
    assert checked >= 15
    archive = admin.get("/api/admin/archive").data  # ...and the archive view does list them
    assert gone["id"] in json.dumps(archive) and "Archived Column" in json.dumps(archive)
    assert "removed@gone.example" in json.dumps(archive)
