"""Feature requests over real HTTP (backend/feature_requests): filing, the list by status with
counts, who may change what (the author edits while new, admins set the status and its note),
archive and restore, the audit trail, and bad input as 4xx naming the field."""
from __future__ import annotations

from helpers import make_user, sign_in, unique

BASE = "/api/feature-requests"


def file_request(client, title=None, details="It would save us an hour a week."):
    resp = client.post(BASE, {"title": title or unique("Request"), "details": details})
    assert resp.status == 201, resp
    return resp.data


def listed(client, status="all", **query):
    params = "&".join(f"{k}={v}" for k, v in {"status": status, "limit": 200, **query}.items())
    resp = client.get(f"{BASE}?{params}")
    assert resp.status == 200, resp
    return resp


def ids(resp) -> list[str]:
    return [r["id"] for r in resp.data]


def audit_actions(admin, request_id) -> list[str]:
    resp = admin.get(f"/api/audit-log?entity_type=feature_request&entity_id={request_id}")
    assert resp.status == 200, resp
    return [e["action"] for e in resp.data]


def test_file_a_request_and_read_it_back(admin, member):
    made = file_request(member, "  Bulk-edit tags on investors  ", "Select many rows, add a tag.")
    assert made["title"] == "Bulk-edit tags on investors"  # stripped
    assert made["details"] == "Select many rows, add a tag."
    assert made["status"] == "new" and made["status_note"] is None and made["status_by"] is None
    assert made["created_by"] == {"id": member.user["id"], "name": member.user["username"]}
    assert made["mine"] is True and made["created_at"] and made["updated_at"]
    row = next(r for r in listed(admin).data if r["id"] == made["id"])
    assert row["mine"] is False and row["created_by"]["name"] == member.user["username"]
    assert set(row) == {"id", "title", "details", "status", "status_note", "created_by", "created_at",
                        "updated_at", "status_by", "status_at", "mine"}
    assert file_request(member, details=None)["details"] == ""  # details are optional
    assert member.post(BASE, {"title": "No details at all"}).status == 201


def test_list_is_newest_first_filtered_by_status_with_counts(fresh_server):
    srv, admin = fresh_server
    member = sign_in(srv, make_user(admin)["username"])
    first, second, third = (file_request(member, f"Request {n}") for n in (1, 2, 3))
    assert admin.patch(f"{BASE}/{second['id']}", {"status": "planned"}).status == 200
    assert admin.patch(f"{BASE}/{third['id']}", {"status": "declined", "status_note": "Out of scope"}).status == 200
    everything = listed(member)
    assert ids(everything) == [third["id"], second["id"], first["id"]]
    assert everything.json["total"] == 3
    assert everything.json["counts"] == {"all": 3, "new": 1, "planned": 1, "done": 0, "declined": 1}
    assert ids(listed(member, "new")) == [first["id"]]
    assert ids(listed(member, "planned")) == [second["id"]]
    declined = listed(member, "declined")
    assert ids(declined) == [third["id"]] and declined.json["total"] == 1
    assert declined.data[0]["status_note"] == "Out of scope"
    assert listed(member, "done").data == [] and listed(member, "done").json["counts"]["all"] == 3
    paged = member.get(f"{BASE}?limit=2&offset=0")
    assert paged.status == 200 and len(paged.data) == 2 and paged.json["total"] == 3
    assert ids(member.get(f"{BASE}?limit=2&offset=2")) == [first["id"]]
    assert member.get(BASE).status == 200  # no query at all: every status


def test_the_author_edits_while_new_and_not_after_it_is_planned(admin, member):
    made = file_request(member)
    resp = member.patch(f"{BASE}/{made['id']}", {"title": "Sharper title", "details": "More detail"})
    assert resp.status == 200, resp
    assert resp.data["title"] == "Sharper title" and resp.data["details"] == "More detail"
    assert resp.data["updated_at"] >= made["updated_at"] and resp.data["status"] == "new"
    assert admin.patch(f"{BASE}/{made['id']}", {"status": "planned"}).status == 200
    late = member.patch(f"{BASE}/{made['id']}", {"title": "Changed my mind"})
    assert late.status == 409 and late.json["field"] == "title" and "planned" in late.json["error"]
    assert next(r for r in listed(member).data if r["id"] == made["id"])["title"] == "Sharper title"


def test_only_the_author_edits_title_and_details(server, admin, member):
    made = file_request(member)
    other = sign_in(server, make_user(admin)["username"])
    resp = other.patch(f"{BASE}/{made['id']}", {"title": "Hijacked"})
    assert resp.status == 403 and resp.json["field"] == "title" and "filed" in resp.json["error"]
    resp = admin.patch(f"{BASE}/{made['id']}", {"details": "An admin rewrites it"})
    assert resp.status == 403 and resp.json["field"] == "details"
    mine = file_request(admin)  # an admin edits their own request like any author
    assert admin.patch(f"{BASE}/{mine['id']}", {"title": "Admin's own, edited"}).data["title"] == "Admin's own, edited"


def test_a_member_cannot_set_the_status_or_note(admin, member):
    made = file_request(member)
    resp = member.patch(f"{BASE}/{made['id']}", {"status": "done"})
    assert resp.status == 403 and resp.json["field"] == "status" and "status" in resp.json["error"]
    assert "admin" in resp.json["error"]
    resp = member.patch(f"{BASE}/{made['id']}", {"status_note": "Shipping it myself"})
    assert resp.status == 403 and resp.json["field"] == "status_note"
    # all or nothing: an allowed edit alongside a refused status change is not applied either
    resp = member.patch(f"{BASE}/{made['id']}", {"title": "Sneaky", "status": "planned"})
    assert resp.status == 403
    row = next(r for r in listed(member).data if r["id"] == made["id"])
    assert row["status"] == "new" and row["title"] == made["title"]


def test_an_admin_sets_status_and_note_at_any_time(admin, member):
    made = file_request(member)
    resp = admin.patch(f"{BASE}/{made['id']}", {"status": "planned", "status_note": "Next sprint"})
    assert resp.status == 200, resp
    d = resp.data
    assert d["status"] == "planned" and d["status_note"] == "Next sprint"
    assert d["status_by"] == admin.user["username"] and d["status_at"]
    assert d["mine"] is False and d["created_by"]["id"] == member.user["id"]
    done = admin.patch(f"{BASE}/{made['id']}", {"status": "done", "status_note": ""}).data
    assert done["status"] == "done" and done["status_note"] is None  # an empty note clears it
    back = admin.patch(f"{BASE}/{made['id']}", {"status": "new"}).data
    assert back["status"] == "new"
    assert member.patch(f"{BASE}/{made['id']}", {"title": "Editable again"}).status == 200
    seen = next(r for r in listed(member).data if r["id"] == made["id"])
    assert seen["status"] == "new" and seen["title"] == "Editable again"


def test_archive_hides_it_from_lists_and_restore_brings_it_back(server, admin, member):
    made = file_request(member)
    other = sign_in(server, make_user(admin)["username"])
    resp = other.post(f"{BASE}/{made['id']}/archive")
    assert resp.status == 403 and resp.json["code"] == "not_author"
    resp = member.post(f"{BASE}/{made['id']}/archive")
    assert resp.status == 200 and resp.data["archived_at"] and resp.data["id"] == made["id"]
    for status in ("all", "new"):
        assert made["id"] not in ids(listed(admin, status))
    assert member.patch(f"{BASE}/{made['id']}", {"title": "Ghost"}).status == 404
    assert member.post(f"{BASE}/{made['id']}/archive").status == 404
    assert admin.post(f"{BASE}/{made['id']}/restore").status == 200
    assert made["id"] in ids(listed(member))
    assert member.post(f"{BASE}/{made['id']}/restore").status == 409  # not archived
    someone_elses = file_request(member)
    assert admin.post(f"{BASE}/{someone_elses['id']}/archive").status == 200  # admins archive anyone's


def test_every_mutation_is_audited(admin, member):
    made = file_request(member)
    member.patch(f"{BASE}/{made['id']}", {"details": "Edited once"})
    admin.patch(f"{BASE}/{made['id']}", {"status": "declined", "status_note": "Not this year"})
    member.post(f"{BASE}/{made['id']}/archive")
    admin.post(f"{BASE}/{made['id']}/restore")
    assert audit_actions(admin, made["id"]) == [  # newest first
        "feature_request.restored", "feature_request.archived", "feature_request.status_set",
        "feature_request.edited", "feature_request.created"]
    entries = admin.get(f"/api/audit-log?entity_id={made['id']}&action=feature_request.status_set").data
    assert entries[0]["actor"]["name"] == admin.user["username"]
    assert entries[0]["details"]["changes"]["status"] == {"from": "new", "to": "declined"}
    assert entries[0]["details"]["changes"]["status_note"] == {"from": None, "to": "Not this year"}
    created = admin.get(f"/api/audit-log?entity_id={made['id']}&action=feature_request.created").data[0]
    assert created["actor"]["id"] == member.user["id"]
    # refused and no-op changes write nothing
    before = len(audit_actions(admin, made["id"]))
    assert member.patch(f"{BASE}/{made['id']}", {"status": "done"}).status == 403
    assert admin.patch(f"{BASE}/{made['id']}", {"status": "declined"}).status == 200  # already declined
    assert len(audit_actions(admin, made["id"])) == before


def test_bad_input_is_a_4xx_naming_the_field(admin, member):
    made = file_request(member)
    cases = [
        (BASE, "POST", {"title": ""}, "title"),
        (BASE, "POST", {"title": "   "}, "title"),
        (BASE, "POST", {"title": "x" * 201}, "title"),
        (BASE, "POST", {"details": "no title"}, "title"),
        (BASE, "POST", {"title": 42}, "title"),
        (BASE, "POST", {"title": "Fine", "details": "y" * 10_001}, "details"),
        (f"{BASE}/{made['id']}", "PATCH", {"status": "shipped"}, "status"),
        (f"{BASE}/{made['id']}", "PATCH", {"status": None}, "status"),
        (f"{BASE}/{made['id']}", "PATCH", {"title": ""}, "title"),
        (f"{BASE}/{made['id']}", "PATCH", {"status_note": "n" * 2_001}, "status_note"),
    ]
    for path, method, body, field in cases:
        resp = admin.request(method, path, body)
        assert 400 <= resp.status < 500 and resp.json.get("field") == field, (method, body, resp)
    resp = admin.post(BASE, {"title": "Fine", "priority": "high"})
    assert resp.status == 400 and "priority" in resp.json["error"]
    resp = admin.patch(f"{BASE}/{made['id']}", {})
    assert resp.status == 400 and "nothing to change" in resp.json["error"]
    resp = member.get(f"{BASE}?status=shipped")
    assert resp.status == 400 and resp.json["field"] == "status"
    assert member.get(f"{BASE}?limit=0").status == 400
    assert file_request(member, "x" * 200)["title"] == "x" * 200  # the bound itself is fine


def test_unknown_id_is_404(admin, member):
    missing = "00000000-0000-4000-8000-000000000000"
    for method, path, body in (("PATCH", f"{BASE}/{missing}", {"title": "x"}),
                               ("PATCH", f"{BASE}/{missing}", {"status": "done"}),
                               ("POST", f"{BASE}/{missing}/archive", None),
                               ("POST", f"{BASE}/{missing}/restore", None)):
        resp = admin.request(method, path, body)
        assert resp.status == 404 and missing in resp.json["error"], (method, path, resp)
    assert member.patch(f"{BASE}/{missing}", {"title": "x"}).status == 404


def test_signed_out_callers_and_service_tokens_are_refused(server, admin):
    anon = server.client()
    assert anon.get(BASE).status == 401
    assert anon.post(BASE, {"title": "Anonymous"}).status == 401
    token = admin.post("/api/admin/service-tokens", {"name": unique("bot"), "scopes": ["grid:read"]}).data
    bot = server.client(api_key=token["token"])
    assert bot.get(BASE).status == 403
    assert bot.post(BASE, {"title": "From a bot"}).status == 403
