"""Captured mail through the real server: an mbox import of the generated fixture mailboxes
(dedupe across mailboxes, threading, matching and its exclusions, bodies only when matched,
proposals and their approval), and Gmail sync against the local emulator through the real
googleapiclient giving the same result as the import."""
from __future__ import annotations

import json
import time

import pytest

import mailgen
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import import_mbox, launch, seed_mail_investors, sign_in, wait_idle

TEAM = {"CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN, "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0"}


@pytest.fixture(scope="module")
def fixture():
    return mailgen.generate()


def all_activity(client, **filters) -> list[dict]:
    out, offset = [], 0
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    while True:
        page = client.get(f"/api/email/activity?limit=500&offset={offset}&{query}")
        assert page.status == 200, page
        out += page.data
        offset += 500
        if offset >= page.json["total"]:
            return out


def unique_ids(fixture, mailboxes) -> set[str]:
    return {m.message_id for m in fixture.messages if set(m.mailboxes) & set(mailboxes)}


def test_mbox_import_dedupes_threads_and_matches(start_server, fixture):
    srv = start_server(**TEAM)
    admin = srv.bootstrap()
    investors = seed_mail_investors(admin, fixture)
    ann, ben = mailgen.TEAM_MAILBOXES
    first = import_mbox(admin, fixture, ann)
    assert first.status == 200, first
    ann_ids = unique_ids(fixture, [ann])
    assert first.data["new"] == len(ann_ids) and first.data["messages"] == len(fixture.for_mailbox(ann))
    assert first.data["errors"] == []
    again = import_mbox(admin, fixture, ann)
    assert again.data["new"] == 0 and again.data["duplicates"] == again.data["messages"]
    second = import_mbox(admin, fixture, ben)
    both = [m for m in fixture.messages if len(m.mailboxes) == 2]
    assert both and second.data["new"] == len(unique_ids(fixture, [ben]) - ann_ids)
    assert second.data["duplicates"] >= len(both)

    stored = all_activity(admin)
    assert len(stored) == len(unique_ids(fixture, [ann, ben]))  # one row per email however many saw it
    by_message_id = {m["message_id"]: m for m in stored}
    for fm in both:
        assert set(by_message_id[fm.message_id]["mailboxes"]) == {ann, ben}

    # Threading: the generator's conversations are exactly the stored threads.
    truth: dict[str, set] = {}
    for fm in fixture.messages:
        truth.setdefault(fm.thread_key, set()).add(fm.message_id)
    got: dict[str, set] = {}
    for m in stored:
        got.setdefault(m["thread_id"], set()).add(m["message_id"])
    assert sorted(map(sorted, got.values())) == sorted(map(sorted, truth.values()))

    # Matching rules: exact address 1.0, organisation domain 0.6, never free mail, never the team.
    people = {p["email"].lower(): inv.name for inv in fixture.investors for p in inv.people}
    for fm in fixture.messages:
        m = by_message_id[fm.message_id]
        linked = {i["name"]: i for i in m["investors"]}
        exact = {people[a] for a in fm.counterparts if a in people}
        for name in exact:
            assert linked[name]["match_kind"] == "exact_email" and linked[name]["confidence"] == 1.0
        for name, link in linked.items():
            if link["match_kind"] == "domain":
                domain = link["address"].rpartition("@")[2]
                assert link["confidence"] == 0.6 and domain not in mailgen.FREE_MAIL
                assert domain != mailgen.TEAM_DOMAIN and name not in exact
        if not fm.counterparts:
            assert not linked and m["direction"] == "internal"
        assert m["direction"] == fm.direction, fm.kind
    free_mail_investor = next(inv for inv in fixture.investors
                              if inv.people and all(p["email"].rpartition("@")[2] in mailgen.FREE_MAIL
                                                    for p in inv.people))
    only_exact = all_activity(admin, investor=investors[free_mail_investor.name])
    assert only_exact and all(i["match_kind"] == "exact_email" for m in only_exact for i in m["investors"]
                              if i["name"] == free_mail_investor.name)

    # Bodies only when matched: the unmatched message has metadata but no body or snippet.
    unmatched = all_activity(admin, matched=0)
    assert unmatched
    detail = admin.get(f"/api/email/messages/{unmatched[0]['id']}").data
    assert detail["body_text"] is None and detail["body_html"] is None and detail["snippet"] == ""
    matched = next(m for m in all_activity(admin, matched=1) if m["snippet"])
    shown = admin.get(f"/api/email/messages/{matched['id']}").data
    assert shown["body_text"] and "<script" not in (shown["body_html"] or "")

    # Threads of an investor group all its people's mail; a thread lists its messages in order.
    some = investors[fixture.investors[0].name]
    threads = admin.get(f"/api/email/threads?investor={some}").data
    assert threads
    one = admin.get(f"/api/email/threads/{threads[0]['id']}").data
    assert [m["sent_at"] for m in one["items"]] == sorted(m["sent_at"] for m in one["items"])
    assert any(i["id"] == some for i in one["investors"])


def test_proposals_log_touches_and_add_people(start_server, fixture):
    srv = start_server(**TEAM)
    admin = srv.bootstrap()
    investors = seed_mail_investors(admin, fixture, leave_out_colleagues=True)
    for mailbox in mailgen.TEAM_MAILBOXES:
        assert import_mbox(admin, fixture, mailbox).status == 200
    pending = admin.get("/api/email/proposals?limit=500").data
    touches = [p for p in pending if p["kind"] == "log_touch"]
    persons = [p for p in pending if p["kind"] == "add_person"]
    assert touches and persons
    # One touch per investor and thread; none for newsletters or internal mail.
    assert len({(p["investor"]["id"], p["thread_id"]) for p in touches}) == len(touches)
    touch = touches[0]
    approved = admin.post(f"/api/email/proposals/{touch['id']}/approve")
    assert approved.status == 200 and approved.data["status"] == "approved" and approved.data["interaction_id"]
    log = admin.get(f"/api/fundraising/rows/{touch['investor']['id']}/interactions").data
    assert any(e["id"] == approved.data["interaction_id"] and e["kind"] == "email" and e["source"] == "gmail"
               for e in log)
    twice = admin.post(f"/api/email/proposals/{touch['id']}/approve")
    assert twice.status == 409
    # Adding a person: the grid gets them, and their mail now matches exactly.
    person = persons[0]
    assert admin.post(f"/api/email/proposals/{person['id']}/approve").status == 200
    row = admin.get(f"/api/fundraising/rows/{person['investor']['id']}").data
    people_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["type"] == "contacts")
    assert person["address"] in [p["email"] for p in row["values"][people_col]]
    theirs = [m for m in all_activity(admin, investor=person["investor"]["id"])
              if any(i["address"] == person["address"] for i in m["investors"])]
    assert theirs and all(i["match_kind"] == "exact_email" for m in theirs for i in m["investors"]
                          if i["id"] == person["investor"]["id"] and i["address"] == person["address"])
    # The rest of the touches in one step; people are never approved in bulk.
    bulk = admin.post("/api/email/proposals/approve-touches", {})
    assert bulk.status == 200 and bulk.data["approved"] == len(touches) - 1
    assert admin.post("/api/email/proposals/approve-touches", {"ids": [persons[1]["id"]]}).status == 409
    assert admin.post("/api/email/proposals/approve-touches", {"ids": "all"}).status == 400
    left = admin.get("/api/email/proposals?limit=500").data
    assert left and all(p["kind"] == "add_person" for p in left)
    rejected = admin.post(f"/api/email/proposals/{persons[1]['id']}/reject")
    assert rejected.status == 200 and rejected.data["status"] == "rejected"
    assert investors  # every fixture investor made it into the grid


def test_gmail_sync_backfills_resumes_and_matches_the_import(start_server, fixture, tmp_path):
    with GmailEmulator() as gm:
        for fm in fixture.messages:
            for mailbox in fm.mailboxes:
                gm.add_message(mailbox, fm.raw, thread_id=fm.gmail_thread_ids[mailbox])
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url)
        admin = srv.bootstrap()
        seed_mail_investors(admin, fixture)
        assert admin.get("/api/email/status").data["enabled"] is False
        key = make_service_account_key(gm.token_url)
        saved = admin.request("POST", "/api/admin/email/service-account", raw=json.dumps(key).encode(),
                              headers={"Content-Type": "application/json"})
        assert saved.status == 201 and "private_key" not in json.dumps(saved.json)
        key_file = srv.data_dir / "secrets" / "gmail-service-account.json"
        assert key_file.stat().st_mode & 0o777 == 0o600
        gm.fail("/messages", status=429, times=1, retry_after="1")  # the first backfill waits it out
        for mailbox in mailgen.TEAM_MAILBOXES:  # enrolling starts the backfill
            assert admin.post("/api/email/accounts", {"email": mailbox}).status == 201
        assert admin.post("/api/email/sync", {}).status == 202
        wait_idle(admin)
        runs = admin.get("/api/email/sync/runs").data
        assert {r["status"] for r in runs} == {"ok"}
        assert {r["account"] for r in runs if r["kind"] == "backfill"} == set(mailgen.TEAM_MAILBOXES)
        stored = all_activity(admin)
        assert len(stored) == len(unique_ids(fixture, mailgen.TEAM_MAILBOXES))
        # Incremental: new mail arrives through the History API.
        extra = mailgen.generate(seed=99, threads=2)
        for fm in extra.messages[:3]:
            gm.add_message(mailgen.TEAM_MAILBOXES[0], fm.raw)
        admin.post("/api/email/sync", {"account": mailgen.TEAM_MAILBOXES[0]})
        wait_idle(admin)
        latest = admin.get("/api/email/sync/runs").data[0]
        assert latest["kind"] == "incremental" and latest["new"] == 3, latest
        # An expired cursor (mail arrived, then Google dropped the history): a full re-sync that
        # picks up the new message and stores nothing twice.
        gm.add_message(mailgen.TEAM_MAILBOXES[0], extra.messages[3].raw)
        gm.expire_history(mailgen.TEAM_MAILBOXES[0])
        admin.post("/api/email/sync", {"account": mailgen.TEAM_MAILBOXES[0]})
        wait_idle(admin)
        latest = admin.get("/api/email/sync/runs").data[0]
        assert latest["kind"] == "resync" and latest["new"] == 1 and latest["status"] == "ok", latest
        assert latest["duplicates"] == len(gm.message_ids(mailgen.TEAM_MAILBOXES[0])) - 1
        assert len(all_activity(admin)) == len(stored) + 4

        # The same mail imported into another server gives the same threads and links.
        other = launch(tmp_path / "other", **TEAM)
        try:
            other_admin = other.bootstrap()
            seed_mail_investors(other_admin, fixture)
            for mailbox in mailgen.TEAM_MAILBOXES:
                import_mbox(other_admin, fixture, mailbox)
            shape = lambda items: sorted((m["message_id"], m["direction"], tuple(sorted(
                (i["name"], i["match_kind"]) for i in m["investors"]))) for m in items)
            synced = [m for m in all_activity(admin) if m["message_id"] in unique_ids(fixture, mailgen.TEAM_MAILBOXES)]
            assert shape(synced) == shape(all_activity(other_admin))
        finally:
            other.stop()


def test_a_sync_killed_mid_backfill_resumes_without_duplicates(start_server, fixture):
    import signal
    mailbox = mailgen.TEAM_MAILBOXES[0]
    with GmailEmulator() as gm:
        for fm in fixture.for_mailbox(mailbox):
            gm.add_message(mailbox, fm.raw, thread_id=fm.gmail_thread_ids[mailbox])
        env = {**TEAM, "CRM_GMAIL_API_URL": gm.url, "CRM_GOOGLE_TOKEN_URL": gm.token_url}
        srv = start_server(**env)
        admin = srv.bootstrap()
        seed_mail_investors(admin, fixture)
        admin.request("POST", "/api/admin/email/service-account", raw=json.dumps(
            make_service_account_key(gm.token_url)).encode(), headers={"Content-Type": "application/json"})
        assert admin.post("/api/email/accounts", {"email": mailbox}).status == 201
        gm.stall("/batch/gmail/v1", seconds=0.4, times=1000)  # slow pages: the kill lands mid-backfill
        admin.post("/api/email/sync", {})
        deadline = time.time() + 30
        while time.time() < deadline and not 0 < admin.get("/api/email/accounts").data[0]["messages"]:
            time.sleep(0.1)
        stored_before = admin.get("/api/email/accounts").data[0]["messages"]
        expected = len(fixture.for_mailbox(mailbox))
        assert 0 < stored_before < expected, "the kill did not land mid-backfill"
        srv.stop(signal.SIGKILL)
        srv2 = launch(srv.data_dir, port=srv.port, **env)
        try:
            admin = sign_in(srv2, "admin")
            runs = admin.get("/api/email/sync/runs").data
            assert runs[0]["status"] == "interrupted"
            admin.post("/api/email/sync", {})
            wait_idle(admin)
            runs = admin.get("/api/email/sync/runs").data
            assert runs[0]["status"] == "ok" and runs[0]["kind"] == "backfill", runs[0]
            # It resumed at the committed page cursor: nothing listed or fetched twice.
            assert runs[0]["new"] == expected - stored_before and runs[0]["duplicates"] == 0
            assert len(all_activity(admin)) == len(unique_ids(fixture, [mailbox]))
            assert admin.get("/api/email/accounts").data[0]["messages"] == expected
        finally:
            srv2.stop()


def test_mail_is_matched_again_when_the_grid_gains_a_person(start_server, fixture):
    srv = start_server(**TEAM)
    admin = srv.bootstrap()
    investors = seed_mail_investors(admin, fixture, leave_out_colleagues=True)
    for mailbox in mailgen.TEAM_MAILBOXES:
        import_mbox(admin, fixture, mailbox)
    inv = next(i for i in fixture.investors if len(i.people) > 1
               and any(i.people[1]["email"] in m.counterparts for m in fixture.messages))
    colleague = inv.people[1]["email"]
    row_id = investors[inv.name]
    theirs = lambda: [link for m in all_activity(admin, investor=row_id) for link in m["investors"]
                      if link["id"] == row_id and link["address"] == colleague]
    assert theirs() and all(link["match_kind"] == "domain" for link in theirs())
    people_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["type"] == "contacts")
    current = admin.get(f"/api/fundraising/rows/{row_id}").data["values"][people_col]
    edit = admin.patch(f"/api/fundraising/rows/{row_id}", {"values": {people_col: current + [
        {"name": inv.people[1]["name"], "email": colleague}]}})
    assert edit.status == 200
    deadline = time.time() + 20
    while time.time() < deadline and not all(link["match_kind"] == "exact_email" for link in theirs()):
        time.sleep(0.5)
    assert theirs() and all(link["match_kind"] == "exact_email" and link["confidence"] == 1.0 for link in theirs())
