"""The bot's proposal rules without a homeserver: the reply grammar, `edit field=value`, a model's
answer checked against the schema (and the email-integrity rule), what `yes` sends, the card, and
the settings; fuzzed where they parse chat text."""
from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from backend.matrix_intake import config, proposal as proposals
from backend.matrix_intake.conversation import read_reply

TODAY = date(2026, 12, 1)
VOCAB = {"name_column": "Name", "funds": ["Fund I", "Fund II", "Fund III"],
         "statuses": ["Not Contacted", "Contacted", "Meeting", "Diligence", "Soft Circle", "Committed", "Passed"],
         "columns": [{"name": "Name", "type": "text"}, {"name": "Status", "type": "single_select"},
                     {"name": "Last Contact", "type": "date"}, {"name": "Lead Source", "type": "text"},
                     {"name": "Fund III", "type": "fund"}]}


@pytest.mark.parametrize("text, expected", [
    ("yes", ("yes", "")), ("Yes!", ("yes", "")), ("  ok ", ("yes", "")), ("👍", ("yes", "")), ("LGTM", ("yes", "")),
    ("no", ("no", "")), ("Cancel.", ("no", "")), ("new", ("new", "")), ("none of them", ("new", "")),
    ("pick 2", ("pick", "2")), ("Pick #1", ("pick", "1")), ("use 3", ("pick", "3")), ("help", ("help", "")),
    ("edit title=CIO", ("edit", "title=CIO")), ("Edit Email = Jane@Acme.com", ("edit", "Email = Jane@Acme.com")),
    ("set status=Diligence", ("edit", "status=Diligence")),
    ("> <@alice:localhost> Met Jane\n\nyes", ("yes", "")),
    ("yes but change the fund", ("text", "yes but change the fund")),
    ("pick one", ("text", "pick one")),
])
def test_the_reply_grammar(text, expected):
    assert read_reply(text) == expected


def draft(**fields):
    base = {"investor": "Acme Ventures", "people": [{"name": "Jane Doe", "email": "jane@acme.com", "phone": None,
                                                     "title": None}],
            "funds": [], "amount": None, "kind": "meeting", "occurred_at": None, "status": None,
            "note": "Met Jane Doe at Acme Ventures", "summary": "Meeting with Jane Doe"}
    return {**base, **fields}


@pytest.mark.parametrize("assignment, check", [
    ("title=CIO", lambda d: d["people"][0]["title"] == "CIO"),
    ("Email = Jane.Doe@Acme.com", lambda d: d["people"][0]["email"] == "jane.doe@acme.com"),
    ("name2=Bob Smith", lambda d: d["people"][1]["name"] == "Bob Smith"),
    ("org=Acme Ventures LP", lambda d: d["investor"] == "Acme Ventures LP"),
    ("fund=fund iii", lambda d: d["funds"] == ["Fund III"]),
    ("funds=Fund I, Fund II", lambda d: d["funds"] == ["Fund I", "Fund II"]),
    ("amount=2.5m", lambda d: d["amount"] == 2_500_000),
    ("amount=$250,000", lambda d: d["amount"] == 250_000),
    ("status=diligence", lambda d: d["status"] == "Diligence"),
    ("date=2026-11-24", lambda d: d["occurred_at"] == "2026-11-24"),
    ("date=yesterday", lambda d: d["occurred_at"] == "2026-11-30"),
    ("kind=call", lambda d: d["kind"] == "call"),
    ("Lead Source=Conference", lambda d: d["values"] == {"Lead Source": "Conference"}),
    ("phone=", lambda d: d["people"][0]["phone"] is None),
])
def test_edits_change_one_field(assignment, check):
    d = draft()
    proposals.apply_edit(d, assignment, VOCAB, TODAY)
    assert check(d), d


@pytest.mark.parametrize("assignment, message", [
    ("shoe size=9", "no field"), ("email=not-an-address", "not an email"), ("fund=Fund IX", "no fund"),
    ("amount=lots", "not an amount"), ("status=Maybe", "status is one of"), ("date=someday", "not a date"),
    ("kind=dinner", "kind is one of"), ("name5=Z", "no person 5"), ("just words", "edit field=value"),
])
def test_bad_edits_name_the_problem(assignment, message):
    d = draft()
    with pytest.raises(proposals.Invalid, match=message):
        proposals.apply_edit(d, assignment, VOCAB, TODAY)


def model_answer(**fields):
    base = {"investor": "Acme Ventures", "people": [{"name": "Jane Doe", "email": "jane@acme.com"}],
            "funds": ["Fund III"], "amount": 5_000_000, "kind": "meeting", "occurred_at": "2026-11-30",
            "status": None, "summary": "Jane at Acme"}
    return {**base, **fields}


def test_a_model_answer_becomes_a_proposal_and_invented_emails_are_left_out():
    said = ["Met Jane Doe of Acme Ventures yesterday, JANE@acme.com, 5m into Fund III"]
    answer = model_answer(people=[{"name": "Jane Doe", "email": "jane@acme.com"},
                                  {"name": "Bob Roe", "email": "bob@acme.com"}],
                          funds=["Fund III", "Fund 9"], status="committed")
    read = proposals.from_model(answer, said, VOCAB, TODAY)
    assert read["funds"] == ["Fund III"] and read["status"] == "Committed" and read["amount"] == 5e6
    assert [p["email"] for p in read["people"]] == ["jane@acme.com", None]
    assert read["warnings"] == ["left out bob@acme.com: it is not in what you wrote"]
    assert proposals.from_model(model_answer(occurred_at="2027-01-05"), said, VOCAB, TODAY)["occurred_at"] is None


@pytest.mark.parametrize("answer, message", [
    ([], "JSON object"), ({"investor": "x"}, "missing keys"),
    (model_answer(people="Jane"), "people must be a list"), (model_answer(people=[1]), "each person"),
    (model_answer(people=[{"email": "nope"}]), "not an email"), (model_answer(amount=-1), "amount"),
    (model_answer(amount=True), "amount"), (model_answer(kind="lunch"), "kind"),
    (model_answer(occurred_at="last week"), "YYYY-MM-DD"), (model_answer(funds="Fund III"), "funds"),
    (model_answer(investor={"name": "x"}), "expected text"),
])
def test_a_model_answer_that_is_not_a_proposal_is_refused(answer, message):
    with pytest.raises(proposals.Invalid, match=message):
        proposals.from_model(answer, ["Met Jane"], VOCAB, TODAY)


def test_what_yes_sends_for_a_new_investor_and_for_a_note():
    d = draft(funds=["Fund III"], amount=2e6, occurred_at="2026-11-30")
    call, sent = proposals.commit_request(d, d["note"], "$event", VOCAB)
    assert call == "create_investor" and sent["ref"] == "$event" and sent["source"] == "matrix_intake"
    assert sent["name"] == "Acme Ventures" and sent["people"] == [{"name": "Jane Doe", "email": "jane@acme.com"}]
    assert sent["values"] == {"Fund III": 2e6, "Status": "Meeting", "Last Contact": "2026-11-30"}

    d = draft(target={"investor_id": "inv1", "name": "Acme Ventures LLC"}, funds=["Fund II"])
    call, sent = proposals.commit_request(d, d["note"], "$event", VOCAB)
    assert call == "log_communication" and sent["investor_id"] == "inv1" and sent["kind"] == "meeting"
    assert sent["values"] == {}, "a note never moves an existing investor's stage unless it says so"
    assert sent["body"].endswith("Interested in: Fund II")


def test_an_individual_is_named_after_the_person():
    d = draft(investor=None)
    assert proposals.commit_request(d, d["note"], "r", VOCAB)[1]["name"] == "Jane Doe"


def test_the_card_shows_candidates_and_the_grammar():
    d = draft(candidates=[{"investor_id": "a", "name": "Acme Ventures LLC", "score": 0.95,
                           "reasons": ["same name apart from the legal suffix"]}], funds=["Fund III"], amount=5e6)
    plain, markup = proposals.card(d, d["note"])
    assert plain.startswith("🆕 New investor: Acme Ventures")
    assert "Did you mean an existing investor?" in plain and "1. Acme Ventures LLC (95%)" in plain
    assert "Fund III · $5M" in plain and "pick N" in plain
    assert "<b>Acme Ventures LLC</b>" in markup
    d["target"] = {"investor_id": "a", "name": "Acme Ventures LLC"}
    assert proposals.card(d, d["note"])[0].startswith("🗒 Note on Acme Ventures LLC")
    hostile = draft(investor="<script>x</script>")
    assert "<script>" not in proposals.card(hostile, "")[1]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_chat_text_never_breaks_the_grammar_or_edits(text):
    command, _ = read_reply(text)
    assert command in ("yes", "no", "new", "help", "pick", "edit", "text")
    d = draft()
    try:
        proposals.apply_edit(d, text, VOCAB, TODAY)
    except proposals.Invalid:
        pass
    proposals.card(d, text)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(proposals.MODEL_SCHEMA["required"]) + ["x", "task"]),
                       st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(), st.booleans(),
                                 st.lists(st.one_of(st.text(max_size=10), st.dictionaries(st.text(max_size=5),
                                                                                          st.text(max_size=10))),
                                          max_size=3))))
def test_any_model_answer_is_a_proposal_or_refused(answer):
    try:
        read = proposals.from_model(answer, ["hello"], VOCAB, TODAY)
    except proposals.Invalid:
        return
    assert all(p["email"] is None for p in read["people"]), "no address was in what was said"


def test_settings_name_what_is_wrong(tmp_path):
    good = {"MATRIX_HOMESERVER_URL": "http://127.0.0.1:8008", "MATRIX_USER_ID": "@intake:localhost",
            "MATRIX_PASSWORD": "pw", "MATRIX_ROOM_ID": "!room:localhost", "CRM_URL": "http://127.0.0.1:8080/",
            "CRM_SERVICE_TOKEN": "vcrm_x", "INTAKE_STATE_DIR": str(tmp_path)}
    s = config.from_env(good)
    assert s.crm_url == "http://127.0.0.1:8080" and s.proposal_ttl_hours == 72 and s.llm_base_url is None
    assert config.from_env({**good, "MATRIX_ALLOWED_SENDERS": "@a:x, @b:x"}).allowed_senders == {"@a:x", "@b:x"}
    for change, message in (({"MATRIX_USER_ID": "intake"}, "MATRIX_USER_ID"),
                            ({"MATRIX_ROOM_ID": "room"}, "MATRIX_ROOM_ID"),
                            ({"MATRIX_PASSWORD": ""}, "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN"),
                            ({"CRM_URL": "localhost:8080"}, "CRM_URL"),
                            ({"CRM_SERVICE_TOKEN": ""}, "CRM_SERVICE_TOKEN"),
                            ({"INTAKE_PROPOSAL_TTL_HOURS": "soon"}, "INTAKE_PROPOSAL_TTL_HOURS"),
                            ({"MATRIX_ALLOWED_SENDERS": "alice"}, "MATRIX_ALLOWED_SENDERS"),
                            ({"CRM_LLM_BASE_URL": "ftp://x"}, "CRM_LLM_BASE_URL")):
        with pytest.raises(config.ConfigError, match=message):
            config.from_env({**good, **change})


def test_the_process_stops_at_once_on_a_bad_setting(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MATRIX_USER_ID": "@intake:localhost", "MATRIX_ROOM_ID": "!r",
           "MATRIX_PASSWORD": "pw", "CRM_URL": "http://127.0.0.1:9", "CRM_SERVICE_TOKEN": "t",
           "INTAKE_STATE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "backend.matrix_intake"], env=env, capture_output=True, text=True,
                          timeout=30, cwd=str(config.__file__).rsplit("/backend/", 1)[0])
    assert done.returncode == 2 and "MATRIX_HOMESERVER_URL is not set" in done.stderr


# --- a follow-up task: read, edited, shown, sent ------------------------------------------------------------

def test_a_follow_up_is_on_the_card_and_yes_sends_it_owned_by_the_author():
    d = draft(task={"title": "Follow up", "due": "2026-12-04"})
    plain, markup = proposals.card(d, d["note"])
    assert "⏰ Task: Follow up · due Fri Dec 4" in plain and "<b>Task:</b> Follow up" in markup
    call, sent = proposals.commit_request(d, d["note"], "$event", VOCAB, author="@ann:fund.example")
    assert call == "create_investor" and sent["task"] == {
        "title": "Follow up with Acme Ventures", "due": "2026-12-04", "owner_matrix": "@ann:fund.example"}
    d = draft(target={"investor_id": "inv1", "name": "Acme Ventures LLC"}, task={"title": "Send the deck", "due": None})
    call, sent = proposals.commit_request(d, d["note"], "$event", VOCAB, author="@ann:fund.example")
    assert call == "log_communication" and sent["task"]["title"] == "Send the deck" and sent["task"]["due"] is None
    assert "⏰ Task: Send the deck · no date" in proposals.card(d, d["note"])[0]
    assert "task" not in proposals.commit_request(draft(), "x", "$e", VOCAB)[1]  # no follow-up asked: none sent
    hostile = draft(task={"title": "<img src=x onerror=alert(1)>", "due": None})
    assert "<img" not in proposals.card(hostile, "")[1]


@pytest.mark.parametrize("assignment, task", [
    ("due=next week", {"title": "Follow up", "due": "2026-12-08"}),
    ("due=in 3 days", {"title": "Follow up", "due": "2026-12-04"}),
    ("follow up=friday", {"title": "Follow up", "due": "2026-12-04"}),
    ("due=2026-12-24", {"title": "Follow up", "due": "2026-12-24"}),
    ("task=Send the deck", {"title": "Send the deck", "due": None}),
    ("task=", None),
])
def test_edits_set_or_drop_the_follow_up(assignment, task):
    d = draft()
    proposals.apply_edit(d, assignment, VOCAB, TODAY)
    assert d.get("task") == task


def test_editing_the_due_day_keeps_the_title_and_a_bad_day_is_refused():
    d = draft(task={"title": "Send the deck", "due": "2026-12-04"})
    assert proposals.apply_edit(d, "due=tomorrow", VOCAB, TODAY) == "due = 2026-12-02"
    assert d["task"] == {"title": "Send the deck", "due": "2026-12-02"}
    with pytest.raises(proposals.Invalid, match="not a day I can read"):
        proposals.apply_edit(d, "due=whenever", VOCAB, TODAY)
    proposals.apply_edit(d, "due=", VOCAB, TODAY)
    assert d["task"] == {"title": "Send the deck", "due": None}


def test_a_models_follow_up_is_checked():
    said = ["Met Jane Doe of Acme Ventures yesterday, follow up in 3 days"]
    read = proposals.from_model(model_answer(task={"title": "Follow up with Jane", "due": "2026-12-04"}), said, VOCAB, TODAY)
    assert read["task"] == {"title": "Follow up with Jane", "due": "2026-12-04"}
    assert proposals.from_model(model_answer(), said, VOCAB, TODAY)["task"] is None  # optional: older answers hold
    past = proposals.from_model(model_answer(task={"title": "x", "due": "2026-11-01"}), said, VOCAB, TODAY)
    assert past["task"] == {"title": "x", "due": None}, "a follow-up before today is a misreading"
    assert proposals.from_model(model_answer(task={"due": None}), said, VOCAB, TODAY)["task"]["title"] == "Follow up"
    for bad, message in (("soon", "task must be an object"), ({"title": "x", "due": "next week"}, "YYYY-MM-DD")):
        with pytest.raises(proposals.Invalid, match=message):
            proposals.from_model(model_answer(task=bad), said, VOCAB, TODAY)
    assert "task" in proposals.MODEL_SCHEMA["properties"] and "task" not in proposals.MODEL_SCHEMA["required"]
