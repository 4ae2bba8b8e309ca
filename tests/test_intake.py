"""Intake's CRM side over HTTP: the bot's service token asks which investors a name and an email
could be (the near-duplicates ranked with their reasons) and what the grid's words are, commits
new investors and notes once per chat event (a note may add people and set values, in the same
transaction), and the admin reads what was committed."""
from __future__ import annotations

from datetime import date, timedelta

from helpers import add_column, make_user, sign_in


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


def test_the_vocabulary_names_what_a_note_can_set(fresh_server):
    srv, admin = fresh_server
    add_column(admin, "Fund I", "fund")
    add_column(admin, "Fund II", "fund")
    add_column(admin, "Double", "formula", {"formula": "{Fund I} * 2"})
    add_column(admin, "Sectors", "multi_select", {"choices": ["Fintech", "Climate"]})
    bot = bot_for(srv, admin)
    vocab = bot.get("/api/intake/vocabulary")
    assert vocab.status == 200, vocab
    v = vocab.data
    assert v["name_column"] == "Name"
    assert v["funds"] == ["Fund I", "Fund II"]
    assert v["statuses"][:3] == ["Not Contacted", "Contacted", "Meeting"] and "Committed" in v["statuses"]
    by_name = {c["name"]: c for c in v["columns"]}
    assert {"Name", "Status", "Contacts", "Fund I", "Fund II", "Sectors", "Notes"} <= set(by_name)
    assert not {"Double", "Last Modified"} & set(by_name)  # formulas and computed columns are not set by hand
    assert by_name["Status"]["type"] == "single_select" and by_name["Status"]["choices"] == v["statuses"]
    assert by_name["Sectors"]["choices"] == ["Fintech", "Climate"] and "choices" not in by_name["Fund I"]
    assert all(set(c) <= {"id", "name", "type", "choices"} for c in v["columns"])
    names = [c["name"] for c in admin.get("/api/fundraising/columns").data]
    assert [c["name"] for c in v["columns"]] == [n for n in names if n in by_name]  # grid order
    # Archived columns are gone from it; only intake:match reads it.
    fund2 = next(c for c in admin.get("/api/fundraising/columns").data if c["name"] == "Fund II")
    assert admin.delete(f"/api/fundraising/columns/{fund2['id']}").status == 200
    assert bot.get("/api/intake/vocabulary").data["funds"] == ["Fund I"]
    writer = srv.client(api_key=admin.post("/api/admin/service-tokens", {"name": "writer",
                                                                         "scopes": ["intake:write"]}).data["token"])
    assert writer.get("/api/intake/vocabulary").status == 403
    assert admin.get("/api/intake/vocabulary").status == 200  # a person may read it too


def test_a_note_adds_people_and_sets_values_in_one_transaction(fresh_server):
    srv, admin = fresh_server
    add_column(admin, "Fund I", "fund")
    add_column(admin, "Double", "formula", {"formula": "{Fund I} * 2"})
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Dunn Family Office", "Contacts": [
        {"name": "Charles Dunn", "email": "cd@dunnfo.com"},
        {"name": "Zoë O'Neil"}]}}).data
    columns = {c["name"]: c["id"] for c in admin.get("/api/fundraising/columns").data}
    bot = bot_for(srv, admin)
    since = admin.get("/api/fundraising/changes?since=0").data["version"]
    body = {"investor_id": row["id"], "kind": "meeting", "summary": "Coffee with Charles: re-up likely",
            "source": "matrix_intake", "ref": "$event20:matrix.example",
            "people": [{"name": "Charlie Dunn", "email": "CD@dunnfo.com", "phone": "+1 212 555 0100", "title": "Partner"},
                       {"name": "zoe  oneil", "email": "zoe@dunnfo.com"},
                       {"name": "Pat Lee", "email": "pat@dunnfo.com", "title": "Analyst"}],
            "values": {"Status": "Meeting", columns["Fund I"]: "2.5m"}}
    first = bot.post("/api/fundraising/log-communication", body)
    assert first.status == 201, first
    entry = first.data
    assert entry["kind"] == "meeting" and entry["source"] == "matrix_intake" and entry["by"]["name"] == "matrix bot"
    fresh = admin.get(f"/api/fundraising/rows/{row['id']}").data
    people = fresh["values"][columns["Contacts"]]
    # The same email is the same person (filled in, not renamed), the same name once accents and
    # spacing are set aside too; the new person is added after them. Nobody removed.
    assert [(p["name"], p["email"], p["phone"], p["title"]) for p in people] == [
        ("Charles Dunn", "cd@dunnfo.com", "+1 212 555 0100", "Partner"),
        ("Zoë O'Neil", "zoe@dunnfo.com", None, None),
        ("Pat Lee", "pat@dunnfo.com", None, "Analyst")]
    assert fresh["values"][columns["Status"]] == "Meeting" and fresh["values"][columns["Fund I"]] == 2_500_000
    assert fresh["values"][columns["Double"]] == 5_000_000  # formulas recomputed in the edit
    # A normal edit: audited as the bot, in the change feed, next to the interaction.
    audit = admin.get(f"/api/audit-log?entity_id={row['id']}").data
    edit = next(e for e in audit if e["action"] == "investor.updated")
    assert edit["actor"]["name"] == "matrix bot" and edit["details"]["Status"] == {"old": None, "new": "Meeting"}
    assert "Contacts" in edit["details"] and "Fund I" in edit["details"]
    added = next(e for e in audit if e["action"] == "interaction.added")
    assert added["details"]["source"] == "matrix_intake" and added["details"]["interaction_id"] == entry["id"]
    feed = admin.get(f"/api/fundraising/changes?since={since}").data
    changed = {c["column_id"] for c in feed["changes"] if c["kind"] == "cell" and c["row_id"] == row["id"]}
    assert {columns["Status"], columns["Fund I"], columns["Contacts"]} <= changed
    assert all(c["by"]["name"] == "matrix bot" for c in feed["changes"] if c["kind"] == "cell")
    # The same yes again: the first entry, nothing written.
    version = admin.get("/api/fundraising/changes?since=0").data["version"]
    audit_count = len(admin.get("/api/audit-log?limit=500").data)
    again = bot.post("/api/fundraising/log-communication", {**body, "values": {"Status": "Passed"},
                                                            "people": [{"name": "Someone New"}]})
    assert again.status == 200 and again.data["id"] == entry["id"]
    assert admin.get("/api/fundraising/changes?since=0").data["version"] == version
    assert len(admin.get("/api/audit-log?limit=500").data) == audit_count
    assert len(admin.get(f"/api/fundraising/rows/{row['id']}/interactions").data) == 1
    # People already there, nothing to set: the note alone, the grid untouched.
    same = bot.post("/api/fundraising/log-communication", {**body, "ref": "$event21:matrix.example", "values": None,
                                                           "people": [{"email": "PAT@dunnfo.com"}, {"name": "charles dunn"}]})
    assert same.status == 201
    assert admin.get("/api/fundraising/changes?since=0").data["version"] == version
    assert len(admin.get(f"/api/fundraising/rows/{row['id']}").data["values"][columns["Contacts"]]) == 3


def test_bad_people_or_values_write_nothing(fresh_server):
    srv, admin = fresh_server
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Acme Capital",
                                                          "Contacts": [{"name": "Jane Doe", "email": "jane@acme.com"}]}}).data
    add_column(admin, "Double", "formula", {"formula": "1 + 1"})
    bot = bot_for(srv, admin)
    base = {"investor_id": row["id"], "summary": "Call with Jane", "source": "matrix_intake"}
    version = admin.get("/api/fundraising/changes?since=0").data["version"]
    cases = [
        ({"people": [{"name": "X", "email": "not-an-email"}], "values": {"Status": "Meeting"}}, "people", "email"),
        ({"people": [{"title": "Partner"}]}, "people", "name or an email"),
        ({"people": [{"name": "X", "twitter": "@x"}]}, "people", "twitter"),
        ({"people": [{"name": 5}]}, "people", "text"),
        ({"people": "Jane"}, "people", "list"),
        ({"people": [{"name": f"P{i}"} for i in range(21)]}, "people", "20"),
        ({"values": {"Nope": 1}}, "values", "nope"),
        ({"values": {"Double": 3}}, "values", "computed"),
        ({"values": {"Contacts": []}}, "values", "people"),
        ({"values": {"Last Contact": "not a date"}, "people": [{"name": "Pat Lee"}]}, "values", "last contact"),
        ({"values": ["Status"]}, "values", ""),
    ]
    for i, (extra, field, words) in enumerate(cases):
        resp = bot.post("/api/fundraising/log-communication", {**base, **extra, "ref": f"$bad{i}"})
        assert resp.status == 400, (extra, resp)
        assert resp.json["field"] == field and words in resp.json["error"].lower(), (extra, resp.json)
    assert admin.get("/api/fundraising/changes?since=0").data["version"] == version
    assert admin.get(f"/api/fundraising/rows/{row['id']}/interactions").data == []
    assert admin.get("/api/intake/history").data == []
    # A refused ref is not used up; an archived investor is not there to note.
    ok = bot.post("/api/fundraising/log-communication", {**base, "ref": "$bad0", "people": [{"name": "Pat Lee"}]})
    assert ok.status == 201
    admin.delete(f"/api/fundraising/rows/{row['id']}")
    gone = bot.post("/api/fundraising/log-communication", {**base, "ref": "$e30", "values": {"Status": "Meeting"}})
    assert gone.status == 404
    assert bot.post("/api/fundraising/log-communication", {**base, "investor_id": "nope", "ref": "$e31",
                                                           "people": [{"name": "Pat"}]}).status == 404


def test_the_intake_history_lists_commits_newest_first_for_admins(fresh_server):
    srv, admin = fresh_server
    bot = bot_for(srv, admin)
    made = bot.post("/api/intake/investor", {"name": "Acme Capital", "note": "Met Jane at SuperReturn.\nMore later.",
                                             "ref": "$h1"}).data
    bare = bot.post("/api/intake/investor", {"name": "Zenith Partners", "ref": "$h2"}).data
    for i in range(3):
        assert bot.post("/api/fundraising/log-communication", {"investor_id": made["id"], "kind": "call",
                                                               "summary": f"Call {i}", "ref": f"$h{3 + i}"}).status == 201
    assert bot.post("/api/fundraising/log-communication", {"investor_id": bare["id"], "summary": "no ref"}).status == 201
    admin.delete(f"/api/fundraising/rows/{bare['id']}")
    resp = admin.get("/api/intake/history")
    assert resp.status == 200 and resp.json["total"] == 5
    items = resp.data
    assert [i["ref"] for i in items] == ["$h5", "$h4", "$h3", "$h2", "$h1"]
    call = items[0]
    assert call["kind"] == "interaction" and call["summary"] == "Call 2" and call["interaction_kind"] == "call"
    assert call["investor"] == {"id": made["id"], "name": "Acme Capital", "archived": False}
    assert call["source"] == "matrix_intake" and call["created_by"] == "matrix bot" and call["created_at"]
    assert set(call) >= {"ref", "kind", "result_id", "investor", "summary", "source", "created_at", "created_by"}
    assert items[3]["kind"] == "investor" and items[3]["result_id"] == bare["id"] and items[3]["summary"] is None
    assert items[3]["investor"] == {"id": bare["id"], "name": "Zenith Partners", "archived": True}
    assert items[4]["summary"] == "Met Jane at SuperReturn."
    page = admin.get("/api/intake/history?limit=2&offset=2")
    assert [i["ref"] for i in page.data] == ["$h3", "$h2"] and page.json["total"] == 5
    assert admin.get("/api/intake/history?limit=0").status == 400
    # Admins only: not a member, not a service token whatever its scopes.
    member = sign_in(srv, make_user(admin)["username"])
    assert member.get("/api/intake/history").status == 403
    assert bot.get("/api/intake/history").status == 403


def test_matching_follows_the_grid_as_it_changes(fresh_server):
    """The match index is brought up to date with the rows changed since the last match: a rename,
    a new person, an archive and a restore show in the very next match."""
    srv, admin = fresh_server
    bot = bot_for(srv, admin)
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Heronwood Capital"}}).data
    assert bot.get("/api/intake/match?q=Heronwood").data[0]["investor_id"] == row["id"]
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Name": "Larkfield Partners"}})
    assert not [c for c in bot.get("/api/intake/match?q=Heronwood").data if c["score"] >= 0.5]
    assert bot.get("/api/intake/match?q=Larkfield%20Partners%20LLC").data[0]["investor_id"] == row["id"]
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Contacts": [{"name": "Wilhelmina Oyelaran",
                                                                                   "email": "wo@larkfield.example"}]}})
    assert bot.get("/api/intake/match?email=wo@larkfield.example").data[0]["score"] == 1.0
    assert admin.delete(f"/api/fundraising/rows/{row['id']}").status == 200
    assert bot.get("/api/intake/match?q=Larkfield%20Partners").data == []
    assert admin.post(f"/api/fundraising/rows/{row['id']}/restore").status == 200
    assert bot.get("/api/intake/match?q=Larkfield%20Partners").data[0]["investor_id"] == row["id"]


def test_a_commit_with_a_follow_up_makes_its_task_once_in_the_same_transaction(fresh_server):
    """`task` on either commit: a task on the investor, source intake, ref the chat event, owned by
    the CRM account whose username is the Matrix sender's localpart; replayed, no second; a bad
    task writes nothing at all."""
    srv, admin = fresh_server
    bot = bot_for(srv, admin)
    ann = make_user(admin, "member")
    today = admin.get("/api/tasks?limit=1").json["today"]
    made = bot.post("/api/intake/investor", {
        "name": "Follow Up Capital", "note": "Met Jane, follow up in 3 days", "source": "matrix_intake",
        "ref": "$task1:matrix.example", "task": {"title": "Follow up with Follow Up Capital", "in_days": 3,
                                                 "owner_matrix": f"@{ann['username']}:matrix.example"}})
    assert made.status == 201, made
    again = bot.post("/api/intake/investor", {"name": "Follow Up Capital", "source": "matrix_intake",
                                              "ref": "$task1:matrix.example", "task": {"title": "x", "in_days": 3}})
    assert again.status == 200
    tasks = admin.get(f"/api/tasks?owner=all&investor_id={made.data['id']}").data
    assert len(tasks) == 1
    t = tasks[0]
    assert (t["title"], t["source"], t["source_ref"], t["owner"]) == (
        "Follow up with Follow Up Capital", "intake", "$task1:matrix.example", ann["id"])
    assert t["due"] == (date.fromisoformat(today) + timedelta(days=3)).isoformat()
    # a note on an existing investor, with a typed due day; an unknown sender: the team's task
    note = bot.post("/api/fundraising/log-communication", {
        "investor_id": made.data["id"], "kind": "call", "summary": "Call with Jane", "source": "matrix_intake",
        "ref": "$task2:matrix.example", "task": {"title": "Send the deck", "due": "tomorrow",
                                                 "owner_matrix": "@stranger:elsewhere.example"}})
    assert note.status == 201, note
    deck = next(t for t in admin.get(f"/api/tasks?owner=all&investor_id={made.data['id']}").data
                if t["title"] == "Send the deck")
    assert deck["owner"] is None and deck["source_ref"] == "$task2:matrix.example"
    assert deck["due"] == (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    # with people and values too (the grid-edit path), the task rides along
    both = bot.post("/api/fundraising/log-communication", {
        "investor_id": made.data["id"], "summary": "Met Bob", "ref": "$task3:matrix.example",
        "people": [{"name": "Bob Roe"}], "task": {"title": "Intro Bob to the team", "due": "2031-01-02"}})
    assert both.status == 201
    assert "Intro Bob to the team" in [t["title"] for t in admin.get(f"/api/tasks?owner=all&investor_id={made.data['id']}").data]
    # a task the CRM cannot read refuses the whole commit: no investor, no note, no task
    before = len(admin.get("/api/fundraising/grid").data["rows"])
    for task, why in (({"title": "x", "due": "someday"}, "due"), ({"title": ""}, "title"),
                      ({"title": "x", "colour": "red"}, "colour"), ("follow up", "object")):
        bad = bot.post("/api/intake/investor", {"name": "Never Made", "ref": f"$bad-{why}:m", "task": task})
        assert bad.status == 400 and bad.json["field"] == "task" and why in bad.json["error"], (task, bad)
    assert len(admin.get("/api/fundraising/grid").data["rows"]) == before
    bad_note = bot.post("/api/fundraising/log-communication", {
        "investor_id": made.data["id"], "summary": "Nope", "ref": "$bad-note:m", "task": {"title": "x", "in_days": -2}})
    assert bad_note.status == 400 and bad_note.json["field"] == "task"
    entries = admin.get(f"/api/fundraising/rows/{made.data['id']}/interactions").data
    assert "Nope" not in [e["summary"] for e in entries]
