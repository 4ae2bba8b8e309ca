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
