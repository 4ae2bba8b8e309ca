"""Saved views over HTTP: shared vs personal, validation, and server-side evaluation."""
from __future__ import annotations

import uuid

from helpers import make_user, sign_in
from helpers import add_column, columns_by_name, unique


def seed(admin, tag):
    amount = add_column(admin, unique("Ticket"), "currency")
    rows = {}
    for name, status, ticket in (("Aurora", "Meeting", 500_000), ("Birch", "Committed", 2_000_000),
                                 ("Cedar", "Passed", 1_000_000), ("Dune", "Meeting", None),
                                 ("Elm", "Committed", 750_000)):
        rows[name] = admin.post("/api/fundraising/rows", {"values": {
            "Name": f"{name} {tag}", "Status": status, amount["id"]: ticket, "Lead Source": tag}}).data
    return amount, rows


def test_view_rows_filter_and_sort_on_the_server(admin):
    tag = uuid.uuid4().hex[:6]
    amount, rows = seed(admin, tag)
    cols = columns_by_name(admin)
    view = admin.post("/api/fundraising/views", {
        "name": f"Big or committed {tag}", "shared": True,
        "filter": {"op": "and", "conditions": [
            {"column_id": cols["Lead Source"]["id"], "operator": "is", "value": tag},
            {"op": "or", "conditions": [
                {"column_id": amount["id"], "operator": ">=", "value": "$1,000,000"},
                {"column_id": cols["Status"]["id"], "operator": "is", "value": "committed"}]}]},
        "sort": [{"column_id": cols["Status"]["id"], "direction": "asc"},
                 {"column_id": amount["id"], "direction": "desc"}],
        "hidden": [cols["Notes"]["id"]], "frozen": 2})
    assert view.status == 201, view
    got = admin.get(f"/api/fundraising/views/{view.data['id']}/rows")
    assert got.status == 200
    names = [r["values"][cols["Name"]["id"]] for r in got.data["rows"]]
    # Status sorts by choice order (Committed before Passed); then the bigger ticket first.
    assert names == [f"Birch {tag}", f"Elm {tag}", f"Cedar {tag}"]
    assert got.json["total"] == 3 and got.data["view"]["frozen"] == 2
    compact = admin.get(f"/api/fundraising/views/{view.data['id']}/rows?shape=compact").data
    assert [r[0] for r in compact["rows"]] == [r["id"] for r in got.data["rows"]]


def test_personal_views_are_private(server, admin):
    alice = sign_in(server, make_user(admin)["username"])
    bob = sign_in(server, make_user(admin)["username"])
    mine = alice.post("/api/fundraising/views", {"name": "Alice only", "shared": False}).data
    shared = alice.post("/api/fundraising/views", {"name": "Team view", "shared": True}).data
    assert mine["id"] in {v["id"] for v in alice.get("/api/fundraising/views").data}
    bob_sees = {v["id"] for v in bob.get("/api/fundraising/views").data}
    assert mine["id"] not in bob_sees and shared["id"] in bob_sees
    for resp in (bob.get(f"/api/fundraising/views/{mine['id']}/rows"),
                 bob.patch(f"/api/fundraising/views/{mine['id']}", {"name": "hijack"}),
                 bob.delete(f"/api/fundraising/views/{mine['id']}")):
        assert resp.status == 404
    assert mine["id"] not in {v["id"] for v in admin.get("/api/fundraising/views").data}
    # shared views: anyone edits, only the owner changes sharing, owner or admin deletes
    assert bob.patch(f"/api/fundraising/views/{shared['id']}", {"name": "Team view v2"}).status == 200
    assert bob.patch(f"/api/fundraising/views/{shared['id']}", {"shared": False}).status == 403
    assert bob.delete(f"/api/fundraising/views/{shared['id']}").status == 403
    assert admin.delete(f"/api/fundraising/views/{shared['id']}").status == 200
    assert shared["id"] not in {v["id"] for v in alice.get("/api/fundraising/views").data}


def test_view_validation_names_the_problem(admin):
    cols = columns_by_name(admin)
    for body, needle in (
            ({"name": ""}, "name"),
            ({"name": "x", "filter": {"op": "and", "conditions": [{"column_id": "nope", "operator": "is", "value": 1}]}}, "nope"),
            ({"name": "x", "filter": {"op": "and", "conditions": [
                {"column_id": cols["Last Contact"]["id"], "operator": "contains", "value": "x"}]}}, "Last Contact"),
            ({"name": "x", "sort": [{"column_id": cols["Name"]["id"], "direction": "sideways"}]}, "direction"),
            ({"name": "x", "hidden": ["ghost"]}, "ghost"),
            ({"name": "x", "frozen": 99}, "frozen"),
            ({"name": "x", "colour": "red"}, "colour")):
        resp = admin.post("/api/fundraising/views", body)
        assert resp.status == 400, (body, resp)
        assert needle in resp.json["error"], (needle, resp.json)


def test_view_changes_reach_the_feed_and_audit(admin):
    since = admin.get("/api/fundraising/changes?since=0").data["version"]
    view = admin.post("/api/fundraising/views", {"name": "Feed me"}).data
    changes = admin.get(f"/api/fundraising/changes?since={since}").data["changes"]
    assert any(c["kind"] == "view" for c in changes)
    assert admin.get(f"/api/audit-log?entity_id={view['id']}").data[0]["action"] == "view.created"
