"""Questions (`backend/search/ask.py`, `templates.py`): POST /api/ask, POST /api/query and
GET /api/query/schema against a real server. Templates answer with no model at all; a local model
stub answers what templates cannot (one retry on an invalid plan); a plan that writes is refused;
an answer's view saves through the views API and shows the same investors."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from helpers import launch
from llm_stub import LLMStub

TODAY = dt.datetime.now(dt.timezone.utc).date()
TEAM = "ourfund.example"


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


# name, status, list, last contact (days ago), commitments, person
INVESTORS = [
    ("Acme Capital", "Committed", "main", 10, {"Fund I": 1_000_000, "Fund II": 2_000_000}, ("Jane Doe", "jane@acme.example")),
    ("Blue Harbor Partners", "Committed", "main", 120, {"Fund I": 500_000, "Fund III": 750_000}, ("Bob Stone", "bob@blueharbor.example")),
    ("Cedar Family Office", "Diligence", "main", 40, {"Fund II": 250_000}, ("Carol Reyes", "carol@cedar.example")),
    ("Delta Endowment", "Soft Circle", "follow_up", 200, {}, ("Dan Wu", "dan@delta.example")),
    ("Evergreen Trust", "Diligence", "follow_up", None, {}, ("Eve Lind", "eve@evergreen.example")),
    ("Foxglove Ventures", "Passed", "graveyard", 400, {"Fund I": 100_000, "Fund II": 100_000, "Fund III": 100_000},
     ("Frank Ode", "frank@foxglove.example")),
]
# (to or from, days ago, direction)
MAIL = [("jane@acme.example", 5, "out"), ("jane@acme.example", 20, "out"), ("bob@blueharbor.example", 100, "out"),
        ("frank@foxglove.example", 30, "out"), ("carol@cedar.example", 3, "in")]
# (investor, kind, days ago)
TOUCHES = [("Acme Capital", "meeting", 2), ("Acme Capital", "meeting", 8), ("Cedar Family Office", "meeting", 5),
           ("Delta Endowment", "call", 60)]


def mbox() -> bytes:
    out = []
    for i, (addr, days, way) in enumerate(MAIL):
        when = dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(12, 0), dt.timezone.utc)
        sender, to = (f"partner@{TEAM}", addr) if way == "out" else (addr, f"partner@{TEAM}")
        out.append(f"From {sender} {when:%a %b %d %H:%M:%S %Y}\nFrom: {sender}\nTo: {to}\nSubject: Catch up {i}\n"
                   f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\nMessage-ID: <ask-{i}@{TEAM}>\n\nHello {i}\n\n")
    return "".join(out).encode()


def seed(admin) -> dict:
    for fund in ("Fund I", "Fund II", "Fund III"):
        assert admin.post("/api/fundraising/columns", {"name": fund, "type": "fund"}).status == 201
    rows = [{"values": {"Name": name, "Status": status, "List": lst,
                        "Last Contact": ago(days) if days is not None else None, **money,
                        "Contacts": [{"name": person[0], "email": person[1]}]}}
            for name, status, lst, days, money, person in INVESTORS]
    made = admin.post("/api/fundraising/rows/bulk", {"rows": rows})
    assert made.status == 201, made
    name_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["name"] == "Name")
    ids = {r["values"][name_col]: r["id"] for r in made.data}
    for name, kind, days in TOUCHES:
        resp = admin.post(f"/api/fundraising/rows/{ids[name]}/interactions",
                          {"kind": kind, "summary": f"{kind} with {name}", "occurred_at": ago(days)})
        assert resp.status == 201, resp
    resp = admin.request("POST", f"/api/email/import?mailbox=partner@{TEAM}", raw=mbox(),
                         headers={"Content-Type": "application/mbox"})
    assert resp.status == 200, resp
    return ids


@pytest.fixture(scope="module")
def seeded():
    srv = launch(CRM_TEAM_DOMAINS=TEAM)
    admin = srv.bootstrap()
    ids = seed(admin)
    yield srv, admin, ids
    admin.close()
    srv.stop()


def ask(client, question):
    return client.post("/api/ask", {"question": question})


def names(answer, column="name"):
    return [row[answer["answer"]["columns"].index(column)] for row in answer["answer"]["rows"]]


# question -> (column to read, the exact rows expected, in order)
TEMPLATE_CASES = [
    ("Who haven't we contacted in 90 days?", "name", ["Foxglove Ventures", "Delta Endowment", "Blue Harbor Partners"]),
    ("which investors have we not contacted in the last 3 months", "name",
     ["Foxglove Ventures", "Delta Endowment", "Blue Harbor Partners"]),
    ("No contact in 60 days", "name", ["Foxglove Ventures", "Delta Endowment", "Blue Harbor Partners"]),
    ("Which investors haven't we emailed in 3 months?", "name",
     ["Blue Harbor Partners", "Cedar Family Office", "Delta Endowment", "Evergreen Trust"]),
    (f"Not contacted since {ago(150)}", "name", ["Foxglove Ventures", "Delta Endowment"]),
    ("Who committed to Fund III?", "name", ["Blue Harbor Partners", "Foxglove Ventures"]),
    ("who hasn't committed to Fund I", "name", ["Cedar Family Office", "Delta Endowment", "Evergreen Trust"]),
    ("Most active investors this month", "name", ["Acme Capital", "Cedar Family Office"]),
    ("top 10 investors by emails", "name", ["Acme Capital", "Blue Harbor Partners", "Cedar Family Office",
                                            "Foxglove Ventures"]),
    ("Investors in diligence", "name", ["Cedar Family Office", "Evergreen Trust"]),
    ("soft circled", "name", ["Delta Endowment"]),
    ("Soft-circled investors?", "name", ["Delta Endowment"]),
    ("investors on the follow-up list", "name", ["Delta Endowment", "Evergreen Trust"]),
    ("Who is in the graveyard", "name", ["Foxglove Ventures"]),
    ("Investors in more than one fund", "name", ["Acme Capital", "Blue Harbor Partners", "Foxglove Ventures"]),
    ("Existing investors who committed across our funds and that we haven't emailed in 90 days", "name",
     ["Blue Harbor Partners"]),
    ("Committed investors we haven't contacted in 90 days", "name", ["Blue Harbor Partners"]),
]


@pytest.mark.parametrize("question,column,expected", TEMPLATE_CASES, ids=[c[0][:40] for c in TEMPLATE_CASES])
def test_templates_answer_without_a_model(seeded, question, column, expected):
    _, admin, _ = seeded
    resp = ask(admin, question)
    assert resp.status == 200, resp
    data = resp.data
    assert data["model"] == "template", data
    assert set(data) >= {"answer", "plan", "explanation", "model", "view"}
    assert names(data, column) == expected, (question, data["plan"], data["answer"])
    assert isinstance(data["explanation"], str) and data["explanation"]


def test_template_totals_and_breakdowns(seeded):
    _, admin, _ = seeded
    total = ask(admin, "How much is committed to Fund II?").data
    assert total["model"] == "template"
    assert total["answer"] == {"columns": ["total", "investors"], "rows": [[2_350_000, 3]], "truncated": False}
    assert total["view"] is None
    by_fund = ask(admin, "commitments by fund").data
    assert by_fund["answer"]["rows"] == [["Fund I", 1_600_000, 3], ["Fund II", 2_350_000, 3], ["Fund III", 850_000, 2]]
    assert ask(admin, "how much is committed to each fund").data["answer"]["rows"] == by_fund["answer"]["rows"]
    assert ask(admin, "How many investors are in diligence?").data["answer"]["rows"] == [[2]]
    assert ask(admin, "total raised so far").data["answer"]["rows"] == [[4_800_000, 4]]


def test_the_answers_view_saves_and_shows_the_same_investors(seeded):
    _, admin, ids = seeded
    data = ask(admin, "investors in diligence").data
    assert data["view"] is not None
    made = admin.post("/api/fundraising/views", {"name": "Diligence (asked)", **data["view"]})
    assert made.status == 201, made
    rows = admin.get(f"/api/fundraising/views/{made.data['id']}/rows").data
    shown = {r["id"] for r in (rows["rows"] if isinstance(rows, dict) else rows)}
    assert shown == {ids["Cedar Family Office"], ids["Evergreen Trust"]}


def test_an_unanswerable_question_is_422_with_examples(seeded):
    _, admin, _ = seeded
    resp = ask(admin, "what is the weather like on Mars")
    assert resp.status == 422, resp
    assert resp.json["examples"] and all(isinstance(q, str) for q in resp.json["examples"])
    assert ask(admin, "   ").status in (400, 422)


def test_a_partial_reading_says_what_it_ignored(seeded):
    _, admin, _ = seeded
    data = ask(admin, "investors in diligence based in London").data
    assert data["model"] == "template" and names(data) == ["Cedar Family Office", "Evergreen Trust"]
    assert data["ignored"] == ["based", "london"] and "london" in data["explanation"]


def test_query_runs_a_plan_and_names_the_problem_of_a_bad_one(seeded):
    _, admin, _ = seeded
    plan = {"entity": "commitments", "fields": ["investor_name", "amount"],
            "filters": [{"field": "fund", "op": "eq", "value": "Fund III"}], "sort": [{"field": "amount", "dir": "desc"}]}
    resp = admin.post("/api/query", {"plan": plan})
    assert resp.status == 200, resp
    assert resp.data["answer"]["rows"] == [["Blue Harbor Partners", 750_000], ["Foxglove Ventures", 100_000]]
    assert resp.data["explanation"] and resp.data["plan"]["limit"] == 100
    bad = admin.post("/api/query", {"plan": {**plan, "filters": [{"field": "fund", "op": "explode", "value": 1}]}})
    assert bad.status == 422 and bad.json["field"] == "filters[0].op" and "explode" in bad.json["error"], bad
    writes = admin.post("/api/query", {"plan": {"entity": "investors", "fields": ["name"], "sql": "DELETE FROM investors"}})
    assert writes.status == 422, writes
    assert admin.post("/api/query", {"plan": "nope"}).status in (400, 422)
    schema = admin.get("/api/query/schema")
    assert schema.status == 200 and "investors" in schema.data["entities"]
    assert schema.data["vocabulary"]["funds"] == ["Fund I", "Fund II", "Fund III"]
    assert "Diligence" in schema.data["vocabulary"]["statuses"] and schema.data["example_questions"]


def test_question_latency_without_a_model(seeded):
    _, admin, _ = seeded
    figures = {}
    for question in ("Who haven't we contacted in 90 days?", "commitments by fund", "top 10 investors by emails",
                     "Existing investors who committed across our funds and that we haven't emailed in 90 days"):
        best = min(_timed(admin, question) for _ in range(5))
        figures[question[:40]] = round(best * 1000, 1)
    print("\nquestion latency at", len(INVESTORS), "investors (best of 5, ms):", figures)
    assert max(figures.values()) < 500, figures


def _timed(admin, question) -> float:
    started = time.perf_counter()
    resp = ask(admin, question)
    assert resp.status == 200, resp
    return time.perf_counter() - started


# --- the local model ------------------------------------------------------------------------------

MODEL_PLAN = {"entity": "people", "fields": ["name", "investor_name"],
              "filters": [{"field": "email", "op": "contains", "value": "acme"}]}


@pytest.fixture
def with_model(start_server):
    with LLMStub() as stub:
        srv = start_server(CRM_LLM_BASE_URL=stub.url)
        admin = srv.bootstrap()
        seed(admin)
        stub.reset()
        yield srv, admin, stub


def test_the_local_model_answers_what_templates_cannot(with_model):
    _, admin, stub = with_model
    stub.reply = lambda request: json.dumps(MODEL_PLAN)
    resp = ask(admin, "Who works at Acme?")
    assert resp.status == 200, resp
    assert resp.data["model"] == "llm" and resp.data["answer"]["rows"] == [["Jane Doe", "Acme Capital"]]
    body = stub.requests[-1]
    assert body["temperature"] == 0 and body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert "Fund II" in system and "Soft Circle" in system and "Who works at Acme?" == body["messages"][-1]["content"]
    # a template that reads the question confidently wins without asking the model
    stub.reset()
    assert ask(admin, "investors in diligence").data["model"] == "template"
    assert stub.requests == []


def test_an_invalid_plan_is_retried_once_with_the_problem(with_model):
    _, admin, stub = with_model
    answers = iter([json.dumps({"entity": "people", "fields": ["shoe_size"]}), json.dumps(MODEL_PLAN)])
    stub.reply = lambda request: next(answers)
    resp = ask(admin, "Who works at Acme?")
    assert resp.status == 200 and resp.data["model"] == "llm", resp
    assert len(stub.requests) == 2
    assert "shoe_size" in stub.requests[1]["messages"][-1]["content"]


def test_twice_invalid_falls_back_to_a_template_or_422(with_model):
    _, admin, stub = with_model
    stub.reply = lambda request: json.dumps({"entity": "investors", "fields": ["name"], "update": {"list": "graveyard"}})
    refused = ask(admin, "Move everyone at Acme to the graveyard please")
    assert len(stub.requests) == 2
    # a partial template reading ("graveyard") or a 422; never a write
    assert refused.status in (200, 422), refused
    if refused.status == 200:
        assert refused.data["model"] == "template" and refused.data["ignored"]
    stub.reset()
    stub.reply = lambda request: json.dumps({"sql": "DELETE FROM investors"})
    resp = ask(admin, "Who works at Acme?")
    assert resp.status == 422 and resp.json["examples"], resp
    assert len(stub.requests) == 2
    stub.reset()
    stub.reply = {"status": 500}
    assert ask(admin, "Who works at Acme?").status == 422
    grid = admin.get("/api/fundraising/grid").data
    assert len(grid["rows"]) == len(INVESTORS)


def test_bulk_latency_at_5000_investors(start_server):
    srv = start_server()
    admin = srv.bootstrap()
    for fund in ("Fund I", "Fund II"):
        admin.post("/api/fundraising/columns", {"name": fund, "type": "fund"})
    statuses = ["Contacted", "Meeting", "Diligence", "Soft Circle", "Committed"]
    rows = [{"values": {"Name": f"Investor {i:05d}", "Status": statuses[i % 5], "Last Contact": ago(i % 365),
                        "Fund I": (i % 7) * 100_000 or None, "Fund II": (i % 3) * 50_000 or None}} for i in range(5000)]
    assert admin.post("/api/fundraising/rows/bulk", {"rows": rows}).status == 201
    figures = {}
    for question in ("Who haven't we contacted in 90 days?", "commitments by fund", "investors in more than one fund",
                     "Investors in diligence", "most active investors this quarter"):
        figures[question[:36]] = round(min(_timed(admin, question) for _ in range(3)) * 1000, 1)
    print("\nquestion latency at 5,000 investors (best of 3, ms):", figures)
    assert max(figures.values()) < 2000, figures
