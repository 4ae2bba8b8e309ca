"""Intake's CRM side over HTTP: the bot's service token asks which investors a name and an email
could be, and gets the near-duplicates ranked with their reasons."""
from __future__ import annotations


def test_match_ranks_near_duplicates_for_the_bots_token(fresh_server):
    srv, admin = fresh_server
    made = admin.post("/api/fundraising/rows/bulk", {"rows": [
        {"values": {"Name": "Acme Capital LLC", "Contacts": [{"name": "Jane Doe", "email": "jane@acme.com"}]}},
        {"values": {"Name": "Dunn Family Office", "Contacts": [{"name": "Charles Dunn", "email": "cd@dunnfo.com"}]}},
        {"values": {"Name": "Zenith Partners"}},
    ]}).data
    acme, dunn = made[0]["id"], made[1]["id"]
    token = admin.post("/api/admin/service-tokens", {"name": "matrix bot",
                                                      "scopes": ["intake:match", "intake:write"]}).data["token"]
    bot = srv.client(api_key=token)
    found = bot.get("/api/intake/match?q=Acme%20Capital").data
    assert found[0]["investor_id"] == acme and found[0]["score"] >= 0.5 and found[0]["reasons"]
    assert all(c["name"] != "Zenith Partners" or c["score"] < 0.5 for c in found)
    exact = bot.get("/api/intake/match?email=JANE@acme.com").data
    assert exact[0]["investor_id"] == acme and exact[0]["score"] == 1.0
    assert exact[0]["people"] == [{"name": "Jane Doe", "email": "jane@acme.com"}]
    nickname = bot.get("/api/intake/match?q=Charlie%20Dunn").data
    assert nickname[0]["investor_id"] == dunn and nickname[0]["score"] >= 0.5
    assert bot.get("/api/intake/match?q=Quasar%20Holdings").data == []
    empty = bot.get("/api/intake/match")
    assert empty.status == 400 and empty.json["field"] == "q"
    assert bot.get("/api/intake/match?q=" + "x" * 300).status == 400
    reader = srv.client(api_key=admin.post("/api/admin/service-tokens", {"name": "reader",
                                                                         "scopes": ["grid:read"]}).data["token"])
    assert reader.get("/api/intake/match?q=Acme").status == 403
    admin.delete(f"/api/fundraising/rows/{acme}")
    assert all(c["investor_id"] != acme for c in bot.get("/api/intake/match?q=Acme%20Capital").data)


def bot_for(srv, admin):
    token = admin.post("/api/admin/service-tokens", {"name": "matrix bot",
                                                      "scopes": ["intake:match", "intake:write"]}).data["token"]
    return srv.client(api_key=token)


def test_a_new_investor_from_chat_is_created_once_per_chat_event(fresh_server):
    srv, admin = fresh_server
    bot = bot_for(srv, admin)
    body = {"name": "Acme Capital", "people": [{"name": "Jane Doe", "email": "jane@acme.com", "title": "Partner"}],
            "values": {"Status": "Meeting"}, "note": "Met Jane at SuperReturn. Interested in Fund III, wants the deck.",
            "source": "matrix_intake", "ref": "$event1:matrix.example"}
    first = bot.post("/api/intake/investor", body)
    assert first.status == 201, first
    row = first.data
    columns = {c["name"]: c["id"] for c in admin.get("/api/fundraising/columns").data}
    assert row["values"][columns["Name"]] == "Acme Capital" and row["values"][columns["Status"]] == "Meeting"
    assert row["values"][columns["Contacts"]][0]["email"] == "jane@acme.com"
    again = bot.post("/api/intake/investor", body)  # the same yes, replayed
    assert again.status == 200 and again.data["id"] == row["id"]
    names = [r["values"][columns["Name"]] for r in admin.get("/api/fundraising/grid").data["rows"]]
    assert names.count("Acme Capital") == 1
    log = admin.get(f"/api/fundraising/rows/{row['id']}/interactions").data
    assert [(e["kind"], e["source"], e["by"]["name"]) for e in log] == [("intake", "matrix_intake", "matrix bot")]
    assert log[0]["summary"].startswith("Met Jane at SuperReturn")
    audit = admin.get(f"/api/audit-log?entity_id={row['id']}").data
    assert any(e["action"] == "investor.created" and e["actor"]["name"] == "matrix bot" for e in audit)
    # Bad input: 4xx naming the problem, nothing written.
    bad = bot.post("/api/intake/investor", {"name": "Bad LP", "people": [{"name": "X", "email": "not-an-email"}],
                                            "ref": "$event2:matrix.example"})
    assert bad.status == 400 and "email" in bad.json["error"].lower()
    assert bot.post("/api/intake/investor", {"name": ""}).status == 400
    assert "Bad LP" not in str(admin.get("/api/fundraising/grid").data)
    retried = bot.post("/api/intake/investor", {"name": "Bad LP", "ref": "$event2:matrix.example"})
    assert retried.status == 201  # a refused attempt did not use up its ref


def test_a_note_from_chat_is_logged_once_per_chat_event(fresh_server):
    srv, admin = fresh_server
    bot = bot_for(srv, admin)
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Dunn Family Office"}}).data
    body = {"investor_id": row["id"], "kind": "meeting", "summary": "Coffee with Charles: re-up likely",
            "body": "He wants the Q3 letter.", "occurred_at": "2026-11-24", "source": "matrix_intake",
            "ref": "$event9:matrix.example"}
    first = bot.post("/api/fundraising/log-communication", body)
    assert first.status == 201 and first.data["source"] == "matrix_intake" and first.data["kind"] == "meeting"
    again = bot.post("/api/fundraising/log-communication", body)
    assert again.status == 200 and again.data["id"] == first.data["id"]
    assert len(admin.get(f"/api/fundraising/rows/{row['id']}/interactions").data) == 1
    clash = bot.post("/api/intake/investor", {"name": "Other", "ref": "$event9:matrix.example"})
    assert clash.status == 409 and clash.json["field"] == "ref"
    assert bot.post("/api/fundraising/log-communication", {**body, "ref": None, "kind": "dance"}).status == 400
    missing = bot.post("/api/fundraising/log-communication", {**body, "investor_id": "nope", "ref": "$e10"})
    assert missing.status == 404
    reader = srv.client(api_key=admin.post("/api/admin/service-tokens", {"name": "reader", "scopes": ["intake:match"]}).data["token"])
    assert reader.post("/api/fundraising/log-communication", {**body, "ref": "$e11"}).status == 403
