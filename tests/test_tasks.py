"""Tasks over HTTP (backend/tasks/): create with typed due days and `in_days`, the list's filters and
order, overdue against the office day, ticking done and undone, archive (DELETE) and restore,
validation that names the field, the team sharing tasks, audit entries, archived investors'
tasks hidden, and what bots may do with which scope."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from helpers import make_user, sign_in, unique


def investor(admin, name=None, people=None) -> dict:
    values = {"Name": name or unique("Task LP")}
    if people:
        values["Contacts"] = people
    resp = admin.post("/api/fundraising/rows", {"values": values})
    assert resp.status == 201, resp
    return {**resp.data, "name": values["Name"]}


def today_of(client) -> date:
    return date.fromisoformat(client.get("/api/tasks?limit=1").json["today"])


def task(client, **body) -> dict:
    resp = client.post("/api/tasks", body)
    assert resp.status == 201, resp
    return resp.data


@pytest.fixture
def person(server, admin):
    """A member of their own (their list starts empty)."""
    user = make_user(admin, "member")
    client = sign_in(server, user["username"])
    client.user = user
    yield client
    client.close()


def test_create_with_typed_due_days_and_in_days(person, admin):
    lp = investor(admin)
    today = today_of(person)
    made = task(person, title="  Send   the deck ", investor_id=lp["id"], due="tomorrow")
    assert made["title"] == "Send the deck" and made["due"] == (today + timedelta(days=1)).isoformat()
    assert made["owner"] == person.user["id"] and made["owner_name"] == person.user["username"]
    assert made["investor_id"] == lp["id"] and made["investor_name"] == lp["name"]
    assert made["source"] == "manual" and made["done"] is False and not made["overdue"]
    for typed, days in (("+7d", 7), ("in 3 days", 3), ("next week", 7), ("today", 0), ("Tomorrow 3pm", 1)):
        resp = person.post("/api/tasks", {"title": "typed", "due": typed})
        assert resp.status == 201 and resp.data["due"] == (today + timedelta(days=days)).isoformat(), (typed, resp)
    follow = task(person, title="Follow up", investor_id=lp["id"], in_days=14)
    assert follow["due"] == (today + timedelta(days=14)).isoformat()
    assert task(person, title="Someday")["due"] is None
    iso = task(person, title="On a day", due="2031-02-03")
    assert iso["due"] == "2031-02-03"


def test_validation_names_the_field(person, admin):
    lp = investor(admin, people=[{"name": "Jane Doe", "email": "jane@valid.example"}])
    other = investor(admin, people=[{"name": "Other Person"}])
    archived = investor(admin)
    assert admin.delete(f"/api/fundraising/rows/{archived['id']}").status == 200
    contacts = lambda row: admin.get(f"/api/fundraising/rows/{row['id']}").data
    cases = [
        ({}, 400, "title"),
        ({"title": ""}, 400, "title"),
        ({"title": "   "}, 400, "title"),
        ({"title": "x" * 301}, 400, "title"),
        ({"title": 5}, 400, "title"),
        ({"title": "x", "due": "someday soon"}, 400, "due"),
        ({"title": "x", "due": "3000-01-01"}, 400, "due"),
        ({"title": "x", "due": "tomorrow", "in_days": 3}, 400, "in_days"),
        ({"title": "x", "in_days": -1}, 400, "in_days"),
        ({"title": "x", "in_days": "3"}, 400, "in_days"),
        ({"title": "x", "owner": "no-such-user"}, 400, "owner"),
        ({"title": "x", "investor_id": "00000000-0000-0000-0000-000000000000"}, 404, "investor_id"),
        ({"title": "x", "investor_id": archived["id"]}, 404, "investor_id"),
        ({"title": "x", "contact_id": "nope"}, 400, "contact_id"),
        ({"title": "x", "colour": "red"}, 400, None),
    ]
    for body, status, field in cases:
        resp = person.post("/api/tasks", body)
        assert resp.status == status, (body, resp)
        assert resp.json.get("field") == field or field is None and resp.json.get("fields") == ["colour"], (body, resp)
    # a person must belong to the investor; given alone, the person names the investor
    lp_people = contacts(lp)
    jane = next(v for v in lp_people["values"].values() if isinstance(v, list))[0]
    wrong = person.post("/api/tasks", {"title": "x", "investor_id": other["id"], "contact_id": jane["id"]})
    assert wrong.status == 400 and wrong.json["field"] == "contact_id"
    alone = task(person, title="Call Jane", contact_id=jane["id"])
    assert alone["investor_id"] == lp["id"] and alone["contact_name"] == "Jane Doe"
    # an inactive owner is refused
    gone = make_user(admin, "member")
    assert admin.patch(f"/api/admin/users/{gone['id']}", {"is_active": False}).status == 200
    resp = person.post("/api/tasks", {"title": "x", "owner": gone["id"]})
    assert resp.status == 400 and resp.json["field"] == "owner"
    # bad query parameters are 400s naming them
    for query, field in (("status=later", "status"), ("due=soon", "due"), ("limit=0", "limit")):
        resp = person.get(f"/api/tasks?{query}")
        assert resp.status == 400 and resp.json["field"] == field, query
    # updates are checked the same way
    made = task(person, title="to change")
    for body, field in (({"title": ""}, "title"), ({"due": "not a day"}, "due"), ({"done": "yes"}, "done"),
                        ({"owner": "nobody"}, "owner")):
        resp = person.patch(f"/api/tasks/{made['id']}", body)
        assert resp.status == 400 and resp.json["field"] == field, (body, resp)
    assert person.patch(f"/api/tasks/{made['id']}", {}).status == 400


def test_unknown_ids_are_404(person):
    missing = "00000000-0000-0000-0000-000000000000"
    assert person.patch(f"/api/tasks/{missing}", {"done": True}).status == 404
    assert person.delete(f"/api/tasks/{missing}").status == 404
    assert person.post(f"/api/tasks/{missing}/restore").status == 404


def test_list_filters_order_and_overdue(person, admin):
    lp, other = investor(admin), investor(admin)
    today = today_of(person)
    day = lambda n: (today + timedelta(days=n)).isoformat()
    made = {
        "late": task(person, title="late", investor_id=lp["id"], due=day(-3)),
        "later": task(person, title="later", investor_id=lp["id"], due=day(30)),
        "nodate": task(person, title="nodate", investor_id=other["id"]),
        "today": task(person, title="today", investor_id=lp["id"], due=day(0)),
        "week": task(person, title="week", due=day(5)),
        "very_late": task(person, title="very late", due=day(-10)),
    }
    theirs = task(admin, title="admin's own", investor_id=lp["id"], due=day(1))
    mine = person.get("/api/tasks")
    assert mine.status == 200 and mine.json["today"] == today.isoformat()
    titles = [t["title"] for t in mine.data]
    assert titles == ["very late", "late", "today", "week", "later", "nodate"]  # overdue first, no date last
    assert mine.json["total"] == 6 and mine.json["mine"] == {"overdue": 2, "today": 1}
    flags = {t["title"]: (t["overdue"], t["due_today"]) for t in mine.data}
    assert flags["late"] == (True, False) and flags["today"] == (False, True) and flags["later"] == (False, False)
    pick = lambda q: [t["title"] for t in person.get(f"/api/tasks?{q}").data]
    assert pick("due=overdue") == ["very late", "late"]
    assert pick("due=today") == ["today"]
    assert pick("due=week") == ["today", "week"]
    assert pick("due=none") == ["nodate"]
    assert set(pick(f"investor_id={lp['id']}")) == {"late", "today", "later"}
    everyone = pick(f"owner=all&investor_id={lp['id']}")
    assert set(everyone) == {"late", "today", "later", "admin's own"}
    assert pick(f"owner={admin.user['id']}&investor_id={lp['id']}") == ["admin's own"]
    assert theirs["title"] not in pick("owner=me")
    # paging
    page = person.get("/api/tasks?limit=2&offset=1")
    assert [t["title"] for t in page.data] == ["late", "today"] and page.json["total"] == 6
    # done tasks leave the open list and its overdue count
    assert person.patch(f"/api/tasks/{made['late']['id']}", {"done": True}).status == 200
    assert pick("") == ["very late", "today", "week", "later", "nodate"]
    assert pick("status=done") == ["late"]
    assert pick("status=all")[-1] == "late"  # open before done
    assert person.get("/api/tasks").json["mine"]["overdue"] == 1
    assert not next(t for t in person.get("/api/tasks?status=done").data)["overdue"]  # done is never overdue


def test_done_undone_edit_and_the_team_shares_tasks(person, admin):
    lp, other = investor(admin), investor(admin)
    made = task(person, title="Send the LPA", investor_id=lp["id"], due="+2d")
    # anyone on the team may tick anyone's task (the audit log says who)
    done = admin.patch(f"/api/tasks/{made['id']}", {"done": True})
    assert done.status == 200 and done.data["done"] and done.data["done_at"]
    assert done.data["done_by"] == admin.user["username"]
    undone = person.patch(f"/api/tasks/{made['id']}", {"done": False}).data
    assert undone["done"] is False and undone["done_at"] is None and undone["done_by"] is None
    changed = person.patch(f"/api/tasks/{made['id']}", {
        "title": "Send the signed LPA", "due": "2030-05-06", "owner": admin.user["id"], "investor_id": other["id"],
        "notes": "the side letter too"}).data
    assert (changed["title"], changed["due"], changed["owner"], changed["investor_id"], changed["notes"]) == (
        "Send the signed LPA", "2030-05-06", admin.user["id"], other["id"], "the side letter too")
    cleared = person.patch(f"/api/tasks/{made['id']}", {"due": None, "owner": None, "investor_id": None}).data
    assert cleared["due"] is None and cleared["owner"] is None and cleared["investor_id"] is None
    assert person.patch(f"/api/tasks/{made['id']}", {"in_days": 1}).data["due"] is not None
    # nothing changed: the same task back, no audit entry
    same = person.patch(f"/api/tasks/{made['id']}", {"title": "Send the signed LPA"})
    assert same.status == 200
    actions = [a["action"] for a in admin.get(f"/api/audit-log?entity_type=task&entity_id={made['id']}&limit=100").data]
    assert sorted(actions) == sorted(["task.created", "task.done", "task.reopened", "task.updated", "task.updated",
                                      "task.updated"])
    entry = next(a for a in admin.get(f"/api/audit-log?entity_type=task&entity_id={made['id']}&action=task.done").data)
    assert entry["actor"]["name"] == admin.user["username"] and entry["details"]["done"] == {"old": False, "new": True}
    assert entry["entity_name"] == "Send the signed LPA"  # the log names the task as it is now


def test_delete_archives_and_restore_brings_back(server, person, admin):
    made = task(person, title="Archive me", due="+1d")
    gone = person.delete(f"/api/tasks/{made['id']}")
    assert gone.status == 200 and gone.data["archived_at"]
    for query in ("status=all", "status=done", "owner=all&status=all"):
        assert made["id"] not in [t["id"] for t in person.get(f"/api/tasks?{query}").data]
    assert person.delete(f"/api/tasks/{made['id']}").status == 404
    assert person.patch(f"/api/tasks/{made['id']}", {"done": True}).status == 404
    back = person.post(f"/api/tasks/{made['id']}/restore")
    assert back.status == 200 and back.data["archived_at"] is None
    assert made["id"] in [t["id"] for t in person.get("/api/tasks").data]
    assert person.post(f"/api/tasks/{made['id']}/restore").status == 404  # not archived
    actions = {a["action"] for a in admin.get(f"/api/audit-log?entity_type=task&entity_id={made['id']}").data}
    assert {"task.created", "task.archived", "task.restored"} <= actions
    assert person.delete(f"/api/tasks/{made['id']}").status == 200
    with sqlite3.connect(server.data_dir / "crm.db") as conn:  # the row stays: soft delete only
        assert conn.execute("SELECT archived_at IS NOT NULL FROM tasks WHERE id = ?", (made["id"],)).fetchone() == (1,)


def test_an_archived_investors_tasks_are_hidden(person, admin):
    lp = investor(admin)
    made = task(person, title="Hidden with its investor", investor_id=lp["id"], due="-1d")
    before = person.get("/api/tasks").json["mine"]["overdue"]
    assert admin.delete(f"/api/fundraising/rows/{lp['id']}").status == 200
    assert made["id"] not in [t["id"] for t in person.get("/api/tasks?owner=all&status=all").data]
    assert person.get("/api/tasks").json["mine"]["overdue"] == before - 1
    assert admin.post(f"/api/fundraising/rows/{lp['id']}/restore").status == 200
    assert made["id"] in [t["id"] for t in person.get("/api/tasks").data]


def test_bots_need_scopes_and_own_nothing_by_default(server, admin):
    lp = investor(admin)
    reader = server.client(api_key=admin.post("/api/admin/service-tokens", {
        "name": "reader", "scopes": ["grid:read"]}).data["token"])
    writer = server.client(api_key=admin.post("/api/admin/service-tokens", {
        "name": "writer", "scopes": ["intake:write", "grid:read"]}).data["token"])
    assert reader.get("/api/tasks").status == 200  # owner defaults to all for a bot
    assert reader.get("/api/tasks?owner=me").status == 400
    assert reader.post("/api/tasks", {"title": "x"}).status == 403
    made = writer.post("/api/tasks", {"title": "From a bot", "investor_id": lp["id"], "owner": admin.user["id"]})
    assert made.status == 201 and made.data["owner"] == admin.user["id"] and made.data["created_by_name"] == "writer"
    team = writer.post("/api/tasks", {"title": "The team's"})
    assert team.status == 201 and team.data["owner"] is None
    assert writer.patch(f"/api/tasks/{made.data['id']}", {"done": True}).status == 403  # needs grid:write
    assert server.client().get("/api/tasks").status == 401
