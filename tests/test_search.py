"""Search over real HTTP (backend/search/service.py, indexer.py, chunking.py, routes.py): notes, dated
note lines, long-text cells, interactions and matched mail are found; edits re-index only what
changed; archiving hides at once and leaves the index; restarts and kills resume from the cursors;
rebuild; filters; sparse mode without a model and hybrid with the local stub."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from helpers import ROOT, add_column, columns_by_name, import_mbox, seed_mail_investors, sign_in
import mailgen
from backend.search import chunking, sparse
from backend.search.service import snippet


def wait_indexed(admin, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = admin.get("/api/admin/search/status").data
        if st["pending"] == 0 and not st["running"] and st["rebuild"] is None:
            return st
        time.sleep(0.2)
    raise AssertionError(f"index did not catch up: {st}")


def hits(client, q, **params):
    query = urlencode({"q": q, **params})
    resp = client.get(f"/api/search?{query}")
    assert resp.status == 200, resp
    return resp.json


def make_rows(admin, rows):
    made = admin.post("/api/fundraising/rows/bulk", {"rows": [{"values": v} for v in rows]})
    assert made.status == 201, made
    return [r["id"] for r in made.data]


NOTES = ("Family office in Geneva, keen on climate infrastructure.\n"
         "2026-11-03: met Sophie at the Zurich office about the mining deal\n"
         "12 Oct: asked for the quarterly letter and a data room invite")


# --- pure pieces -----------------------------------------------------------------------------------

def test_email_cleaning_strips_quotes_and_signatures():
    body = ("Hi Ann,\n\nWe would like to discuss the lithium royalty allocation.\n\nBest regards,\nSophie Laurent\n"
            "CIO\n\nOn Tue, 3 Nov 2026 at 10:00, Ann Whitaker <ann@fund.example> wrote:\n> the deck is attached\n> thanks")
    assert chunking.clean_email(body) == "Hi Ann,\n\nWe would like to discuss the lithium royalty allocation."
    assert chunking.clean_email("Yes, fine.\n\nSent from my iPhone\n> older") == "Yes, fine."
    assert chunking.clean_email("Agreed.\n-- \nJohn\nAcme LP") == "Agreed."


def test_dated_note_lines_become_chunks_with_their_dates():
    chunks = chunking.note_chunks("inv", "Acme", NOTES, "2026-11-20T09:00:00Z")
    dated = {c.date: c.text for c in chunks if c.key.startswith("note:inv:d")}
    assert dated == {"2026-11-03": "2026-11-03: met Sophie at the Zurich office about the mining deal",
                     "2026-10-12": "12 Oct: asked for the quarterly letter and a data room invite"}
    assert [c.text for c in chunks if ":u" in c.key] == ["Family office in Geneva, keen on climate infrastructure."]
    assert chunking.dated_line("Jan 5: call", chunking.date(2026, 12, 20)) == ("2026-01-05", "call")
    assert chunking.dated_line("5 Dec: call", chunking.date(2026, 1, 2)) == ("2025-12-05", "call")


def test_long_text_is_cut_with_overlap():
    text = " ".join(f"word{i}" for i in range(600))
    pieces = chunking.split_text(text)
    assert len(pieces) > 3 and all(len(p) <= chunking.CHUNK_CHARS for p in pieces)
    assert pieces[0].split()[-1] in pieces[1]  # a little overlap


def test_sparse_terms_are_stable_and_folded():
    assert sparse.tokens("The Zürich LPs committed to funds") == ["zurich", "lps", "commit", "fund"]
    assert sparse.term_id("fund") == sparse.term_id("fund") and 0 <= sparse.term_id("fund") < 2 ** 32
    ids, values = sparse.SparseEncoder().document("fund fund deal")
    assert len(ids) == 2 and max(values) < sparse.K1 + 1
    text, marks = snippet("we met at the Zurich office about the mining deal", {"zurich", "mining"})
    assert [text[s:e] for s, e in marks] == ["Zurich", "mining"]


def test_tokenizer_keeps_section_numbers_and_single_digits():
    assert sparse.tokens("LPA section 4.2.") == ["lpa", "section", "4.2"]
    assert sparse.tokens("Fund 3 and Fund 4.1.3") == ["fund", "3", "fund", "4.1.3"]
    assert sparse.tokens("a b c x 7") == ["7"]  # single letters still dropped, single digits kept
    assert sparse.tokens("the LP’s view, don't") == ["lp", "view", "don"]
    assert sparse.term_id("4.2") != sparse.term_id("4.1")
    text = "see LPA section 4.2 of Fund 3"
    assert [text[s:e] for s, e, _ in sparse.spans(text)] == ["see", "LPA", "section", "4.2", "Fund", "3"]
    text, marks = snippet(text, set(sparse.tokens("section 4.2 fund 3")))
    assert [text[s:e] for s, e in marks] == ["section", "4.2", "Fund", "3"]


# --- over HTTP -------------------------------------------------------------------------------------

def test_everything_is_found_and_edits_reindex_one_chunk(fresh_server):
    srv, admin = fresh_server
    cols = columns_by_name(admin)
    thesis = add_column(admin, "Thesis", "long_text")
    acme, other = make_rows(admin, [{"Name": "Acme Family Office", "Notes": NOTES},
                                    {"Name": "Borealis Pension", "Notes": "Prefers buyout funds only."}])
    assert admin.patch(f"/api/fundraising/rows/{other}", {"values": {thesis["id"]: "Deep interest in fusion energy startups"}}).status == 200
    added = admin.post(f"/api/fundraising/rows/{acme}/interactions",
                       {"kind": "meeting", "source": "ui", "summary": "Lunch with the CIO",
                        "body": "Discussed co-investment rights in the semiconductor deal", "occurred_at": "2026-09-14T12:00:00Z"})
    assert added.status == 201, added
    st = wait_indexed(admin)
    assert st["mode"] == "sparse" and st["chunks"] == st["indexed"] > 0 and st["enabled"]

    found = hits(admin, "mining deal")
    assert found["mode"] == "sparse"
    top = found["data"][0]
    assert (top["type"], top["id"], top["date"]) == ("note", acme, "2026-11-03")
    assert top["investor"] == {"id": acme, "name": "Acme Family Office"}
    assert "<mark>" not in top["snippet"] and [top["snippet"][s:e].lower() for s, e in top["highlights"]] == ["mining", "deal"]
    assert hits(admin, "quarterly letter")["data"][0]["date"] == "2026-10-12"
    fusion = hits(admin, "fusion energy")["data"][0]
    assert (fusion["type"], fusion["investor"]["id"], fusion["column_id"]) == ("investor", other, thesis["id"])
    semi = hits(admin, "semiconductor co-investment")["data"][0]
    assert (semi["type"], semi["id"], semi["date"], semi["title"]) == ("interaction", added.data["id"],
                                                                      "2026-09-14T12:00:00Z", "Lunch with the CIO")
    # filters
    assert hits(admin, "deal", type="interaction")["data"][0]["type"] == "interaction"
    assert {h["investor"]["id"] for h in hits(admin, "funds fusion buyout", investor=other)["data"]} == {other}
    assert [h["date"] for h in hits(admin, "mining", **{"from": "2026-11-01", "to": "2026-11-05"})["data"]] == ["2026-11-03"]
    assert hits(admin, "mining", **{"from": "2026-11-04"})["data"] == []

    # an edit of one dated line re-indexes that line only
    written = st["written"]
    edited = NOTES.replace("the quarterly letter", "the annual report")
    assert admin.patch(f"/api/fundraising/rows/{acme}", {"values": {cols["Notes"]["id"]: edited}}).status == 200
    st = wait_indexed(admin)
    assert st["written"] - written == 1, st
    assert hits(admin, "quarterly letter")["data"] == []
    assert hits(admin, "annual report")["data"][0]["id"] == acme


def test_bad_input_names_the_field(server, admin):
    for query, field in (("", "q"), ("q=", "q"), ("q=%20%20", "q"), ("q=x&type=memo", "type"), ("q=x&limit=0", "limit"),
                         ("q=x&from=yesterday", "from"), ("q=x&to=2026-13-01", "to"),
                         ("q=x&from=2026-02-01&to=2026-01-01", "from")):
        resp = admin.get(f"/api/search?{query}")
        assert resp.status == 400, (query, resp)
        assert resp.json.get("field") == field or field in resp.json["error"], (query, resp.json)
    assert server.client().get("/api/search?q=x").status == 401


def test_service_token_needs_search_scope(server, admin):
    ok_token = admin.post("/api/admin/service-tokens", {"name": "s", "scopes": ["search:read"]}).data["token"]
    no_token = admin.post("/api/admin/service-tokens", {"name": "g", "scopes": ["grid:read"]}).data["token"]
    assert server.client(api_key=ok_token).get("/api/search?q=fund").status == 200
    assert server.client(api_key=no_token).get("/api/search?q=fund").status == 403


def test_archiving_hides_at_once_and_leaves_the_index(fresh_server):
    srv, admin = fresh_server
    keep, gone = make_rows(admin, [{"Name": "Cobalt Trust", "Notes": "Interested in the orbital launch deal"},
                                   {"Name": "Drift Capital", "Notes": "Also circling the orbital launch deal"}])
    wait_indexed(admin)
    assert {h["investor"]["id"] for h in hits(admin, "orbital launch")["data"]} == {keep, gone}
    chunks_before = admin.get("/api/admin/search/status").data["chunks"]
    assert admin.delete(f"/api/fundraising/rows/{gone}").status == 200
    assert {h["investor"]["id"] for h in hits(admin, "orbital launch")["data"]} == {keep}  # hydration, before the indexer
    st = wait_indexed(admin)
    assert st["chunks"] == st["indexed"] < chunks_before
    assert admin.post(f"/api/fundraising/rows/{gone}/restore").status == 200
    st = wait_indexed(admin)
    assert st["chunks"] == st["indexed"] == chunks_before
    assert {h["investor"]["id"] for h in hits(admin, "orbital launch")["data"]} == {keep, gone}


def test_matched_mail_is_found_without_quotes(fresh_server):
    srv, admin = fresh_server
    fixture = mailgen.generate(7, threads=25)
    seed_mail_investors(admin, fixture)
    assert import_mbox(admin, fixture, "ann@fund.example").status in (200, 201)
    st = wait_indexed(admin, 120)
    assert st["chunks"] == st["indexed"] > 0
    emails = hits(admin, "the", type="email")  # stop words only: nothing to look for
    assert emails["data"] == []
    mails = hits(admin, "allocation commitment deck", type="email", limit=50)["data"]
    assert mails and all(h["type"] == "email" and h["investor"] for h in mails)
    assert all("wrote:" not in h["snippet"] and "> " not in h["snippet"] and "Best regards" not in h["snippet"] for h in mails)


def test_restart_resumes_and_kill_mid_index_is_consistent(start_server):
    srv = start_server()
    admin = srv.bootstrap()
    rows = [{"Name": f"Investor {i}", "Notes": f"Topic {i % 7} about sector {i % 13} fund\n" * 40} for i in range(400)]
    for start in range(0, len(rows), 200):
        make_rows(admin, rows[start:start + 200])
    deadline = time.monotonic() + 60
    while admin.get("/api/admin/search/status").data["chunks"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.stop(signal.SIGKILL)  # mid-index (most likely): whatever was upserted but not recorded is replayed
    again = start_server(data_dir=srv.data_dir)
    admin = sign_in(again, "admin")
    st = wait_indexed(admin, 120)
    assert st["chunks"] == st["indexed"], st
    assert hits(admin, "topic sector", limit=5)["data"]
    # a clean restart resumes from the cursors: nothing to do again
    again.stop()
    third = start_server(data_dir=srv.data_dir)
    admin = sign_in(third, "admin")
    st = wait_indexed(admin)
    assert st["written"] == 0 and st["chunks"] == st["indexed"]
    # rebuild: drops and indexes everything again, with progress
    asked = admin.post("/api/admin/search/rebuild")
    # running from the request on (or, on a tiny index, already done): a screen polling after it
    # never reads "up to date" for a rebuild that has not begun
    assert asked.status == 202 and (asked.data["running"] or asked.data["written"] > 0), asked.data
    st = wait_indexed(admin, 120)
    assert st["written"] == st["chunks"] == st["indexed"] > 0
    # the rebuild command, while the server runs: its indexer picks the request up by itself
    done = subprocess.run([sys.executable, "-m", "backend.search", "rebuild", "--data-dir", str(srv.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "rebuild requested" in done.stdout, done
    deadline = time.monotonic() + 60
    while admin.get("/api/admin/search/status").data["written"] < 2 * st["written"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert wait_indexed(admin, 120)["written"] == 2 * st["written"]
    assert [e["details"] for e in admin.get("/api/audit-log?action=search.rebuild").data][0] == {
        "via": "python -m backend.search rebuild"}
    missing = subprocess.run([sys.executable, "-m", "backend.search", "rebuild", "--data-dir", str(srv.data_dir / "nope")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no database" in missing.stderr
    # an index made by an older tokenizer is rebuilt by itself at start
    third.stop()
    with sqlite3.connect(srv.data_dir / "crm.db") as conn:
        assert conn.execute("SELECT value FROM search_state WHERE key = 'tokenizer'").fetchone() == (
            str(sparse.TOKENIZER_VERSION),)
        conn.execute("UPDATE search_state SET value = '1' WHERE key = 'tokenizer'")
    fourth = start_server(data_dir=srv.data_dir)
    admin = sign_in(fourth, "admin")
    st = wait_indexed(admin, 120)
    assert st["written"] == st["chunks"] == st["indexed"] > 0
    assert hits(admin, "topic sector", limit=5)["data"]


def test_hybrid_with_the_local_embedding_model(start_server, llm_stub):
    srv = start_server(CRM_LLM_BASE_URL=llm_stub.url)
    admin = srv.bootstrap()
    (row,) = make_rows(admin, [{"Name": "Evergreen Endowment", "Notes": "Wants exposure to the mining deal"}])
    st = wait_indexed(admin)
    assert st["mode"] == "hybrid" and st["chunks"] == st["indexed"] > 0
    found = hits(admin, "mining deal")
    assert found["mode"] == "hybrid" and found["data"][0]["investor"]["id"] == row
    assert llm_stub.embedding_requests


@pytest.mark.parametrize("q", ["%00", "a" * 501])
def test_never_500(server, admin, q):
    assert admin.get(f"/api/search?q={q}").status == 400
