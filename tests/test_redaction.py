"""The redaction boundary (`backend/search/redaction.py`): what a remote model may see of a
question. Unit checks of the redactor, then the round trip through a real server with
CRM_REMOTE_LLM_BASE_URL at a stub and no local model: the stub's recorded requests hold none of
the fixture's investor names, person names, addresses or amounts, and the answer comes back with
the real names."""
from __future__ import annotations

import json
import re

import pytest

from backend.search.redaction import Redactor
from llm_stub import LLMStub

INVESTORS = ["Acme Capital", "Blue Harbor Partners", "Cedar Family Office"]
PEOPLE = ["Jane Doe", "Bob Stone", "Carol Reyes"]
EMAILS = ["jane@acme.example", "bob@blueharbor.example", "carol@cedar.example"]
AMOUNTS = {"Acme Capital": {"Fund I": 1_000_000, "Fund II": 2_000_000}, "Blue Harbor Partners": {"Fund I": 500_000},
           "Cedar Family Office": {"Fund II": 250_000}}


def test_known_names_addresses_and_amounts_become_placeholders_and_come_back():
    r = Redactor(INVESTORS, PEOPLE, EMAILS, allow=["Fund II", "Diligence", "Status"])
    question = ("Did Jane Doe at acme capital (jane@acme.example, cc x@y.org) commit over $1.5M or EUR 300,000 "
                "or 250k to Fund II while in Diligence?")
    out = r.redact(question)
    for secret in ("Jane", "Doe", "acme capital", "jane@acme.example", "x@y.org", "1.5M", "300,000", "250k"):
        assert secret.lower() not in out.lower(), (secret, out)
    assert "Fund II" in out and "Diligence" in out
    assert re.search(r"\bPERSON_\d+\b", out) and re.search(r"\bINVESTOR_\d+\b", out) and re.search(r"\bEMAIL_\d+\b", out)
    assert r.restore(out) == question
    amounts = re.findall(r"\bAMOUNT_\d+\b", out)
    assert [r.restore(a) for a in amounts] == [1_500_000, 300_000, 250_000]
    # the same text keeps its placeholder within a question
    assert r.redact("and Jane Doe again") == f"and {re.search(r'PERSON_[0-9]+', out).group(0)} again"


def test_unknown_capitalised_names_are_redacted_but_the_grid_vocabulary_passes():
    r = Redactor([], [], [], allow=["Fund III", "Soft Circle", "Last Contact"])
    out = r.redact("Has Zed Quincy of Northwind Labs soft circled Fund III? Last Contact before March?")
    assert "Zed" not in out and "Northwind" not in out and "Quincy" not in out
    assert "Fund III" in out and "Last Contact" in out and "March" in out
    assert r.restore(out).startswith("Has Zed Quincy of Northwind Labs")
    # plain numbers and dates identify no one: they pass
    assert r.redact("not emailed in 90 days, top 10, since 2026-03-01") == "not emailed in 90 days, top 10, since 2026-03-01"
    # the prompt is swept for known names but not for capitalised words
    r2 = Redactor(["Acme Capital"], [], [])
    assert r2.redact("You turn a Question into JSON about Acme Capital", names=False) == \
        "You turn a Question into JSON about INVESTOR_1"


def test_restore_walks_a_plan():
    r = Redactor(["Acme Capital"], ["Jane Doe"], [])
    r.redact("Acme Capital, Jane Doe, over $2m")
    plan = {"entity": "commitments", "fields": ["amount"],
            "filters": [{"field": "investor_name", "op": "in", "value": ["INVESTOR_1", "x"]},
                        {"field": "amount", "op": "gt", "value": "AMOUNT_3"},
                        {"field": "name", "op": "contains", "value": "PERSON_2 and NAME_99"}]}
    back = r.restore(plan)
    assert back["filters"][0]["value"] == ["Acme Capital", "x"]
    assert back["filters"][1]["value"] == 2_000_000
    assert back["filters"][2]["value"] == "Jane Doe and NAME_99"


# --- the round trip through a real server ---------------------------------------------------------

@pytest.fixture
def remote_only(start_server):
    with LLMStub() as remote:
        srv = start_server(CRM_REMOTE_LLM_BASE_URL=remote.url, CRM_REMOTE_LLM_MODEL="remote-model",
                           CRM_REMOTE_LLM_API_KEY="remote-key")
        admin = srv.bootstrap()
        for fund in ("Fund I", "Fund II"):
            assert admin.post("/api/fundraising/columns", {"name": fund, "type": "fund"}).status == 201
        rows = [{"values": {"Name": name, "Status": "Committed", **AMOUNTS[name],
                            "Contacts": [{"name": person, "email": email}]}}
                for name, person, email in zip(INVESTORS, PEOPLE, EMAILS)]
        assert admin.post("/api/fundraising/rows/bulk", {"rows": rows}).status == 201
        remote.reset()
        yield srv, admin, remote


def placeholder(request, kind):
    """The first `kind` placeholder in the user's turns of a request to the remote stub."""
    found = re.findall(rf"\b{kind}_\d+\b", " ".join(m["content"] for m in request["messages"] if m["role"] == "user"))
    return found[0] if found else "missing"


def sent_text(remote) -> str:
    return json.dumps([r["body"] for r in remote.received]).lower()


def assert_nothing_identifying(remote):
    text = sent_text(remote)
    assert remote.received, "the remote model was not asked"
    for secret in INVESTORS + PEOPLE + EMAILS + [p.split()[0] for p in PEOPLE]:
        assert secret.lower() not in text, f"{secret!r} reached the remote model"
    for money in AMOUNTS.values():
        for amount in money.values():
            for form in (str(amount), f"{amount:,}"):
                assert form not in text, f"{form} reached the remote model"
    for form in ("1.5m", "$1.5", "1,500,000", "1500000"):
        assert form not in text, f"{form} reached the remote model"


def test_a_remote_model_sees_placeholders_and_the_answer_has_real_names(remote_only):
    _, admin, remote = remote_only
    remote.reply = lambda request: json.dumps({
        "entity": "people", "fields": ["name", "investor_name", "email"],
        "filters": [{"field": "investor_name", "op": "eq", "value": placeholder(request, "INVESTOR")}]})
    resp = admin.post("/api/ask", {"question": "Which people work at Acme Capital, and is Jane Doe "
                                               "(jane@acme.example) still the one to write to?"})
    assert resp.status == 200, resp
    assert resp.data["model"] == "llm"
    assert resp.data["answer"]["rows"] == [["Jane Doe", "Acme Capital", "jane@acme.example"]]
    assert resp.data["plan"]["filters"][0]["value"] == "Acme Capital"
    assert_nothing_identifying(remote)
    assert remote.requests[0]["model"] == "remote-model"
    assert "Fund II" in remote.requests[0]["messages"][0]["content"]  # the vocabulary may pass


def test_amounts_come_back_as_numbers_and_a_retry_is_redacted_too(remote_only):
    _, admin, remote = remote_only
    calls = []

    def reply(request):
        calls.append(request)
        amount = placeholder(request, "AMOUNT")
        if len(calls) == 1:  # an invalid plan carrying a real name once restored: the error names it
            return json.dumps({"entity": "investors", "fields": ["name"],
                               "filters": [{"field": "list", "op": "eq", "value": placeholder(request, "INVESTOR")}]})
        return json.dumps({"entity": "commitments", "fields": ["investor_name", "amount"],
                           "filters": [{"field": "fund", "op": "eq", "value": "Fund II"},
                                       {"field": "amount", "op": "gt", "value": amount}]})

    remote.reply = reply
    resp = admin.post("/api/ask", {"question": "Like Blue Harbor Partners, who put more than $1.5M into Fund II?"})
    assert resp.status == 200, resp
    assert len(calls) == 2
    assert resp.data["plan"]["filters"][1]["value"] == 1_500_000
    assert resp.data["answer"]["rows"] == [["Acme Capital", 2_000_000]]
    assert "is not one of" in calls[1]["messages"][-1]["content"]
    assert_nothing_identifying(remote)


def test_no_remote_model_answers_when_it_fails_and_the_local_one_comes_first(remote_only, start_server):
    _, admin, remote = remote_only
    remote.reply = {"status": 503}
    resp = admin.post("/api/ask", {"question": "Which people work at Acme Capital?"})
    assert resp.status == 422 and resp.json["examples"], resp
    with LLMStub() as local, LLMStub() as far:
        srv = start_server(CRM_LLM_BASE_URL=local.url, CRM_REMOTE_LLM_BASE_URL=far.url, CRM_REMOTE_LLM_MODEL="m")
        client = srv.bootstrap()
        local.reply = lambda request: json.dumps({"entity": "funds", "fields": ["name"]})
        resp = client.post("/api/ask", {"question": "Which people work at Acme Capital?"})
        assert resp.status == 200 and resp.data["model"] == "llm", resp
        assert "Acme Capital" in local.requests[0]["messages"][-1]["content"]  # the local model sees real data
        assert far.received == []
