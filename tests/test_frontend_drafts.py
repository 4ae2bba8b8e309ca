"""Follow-up drafts in real headless Chromium against the real server
(tests/frontend/browser_drafts.js), with the Gmail emulator as ann's mailbox (delegation, synced)
and the LLM stub as the box's local model: ann opens an investor's panel, asks for a follow-up,
sees the model's suggestion (after a loading state), edits it and saves it as a Gmail draft; the
success state links to Gmail and the draft is listed in the panel; a conversation in
Communications drafts a threaded reply. Ben, whose mailbox is not connected, gets the text to copy
and a mailto: link instead. Desktop, tablet and phone (a bottom sheet). Afterwards: the drafts are
in ann's Gmail (the reply in its Gmail thread), none in ben's, and nothing was ever sent."""
from __future__ import annotations

import email
import email.policy
import json
import threading
import time

import mailgen
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import PASSWORD, import_mbox, run_browser_script, seed_mail_investors

TEAM = {"CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN, "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0"}
INVESTOR = "Brightwater College Endowment"
THREAD = "Brightwater quarterly letter"
EDIT = "P.S. I can bring the Fund III materials to the committee meeting."
SUGGESTION = {"subject": "Fund III and your allocation",
              "body": "Hi Emily,\n\nThank you again for the quarterly letter, and congratulations on confirming the 2026"
                      " allocation. Would a short call in the coming weeks help, so we can walk your committee through"
                      " Fund III and answer any questions?\n\nBest regards,\nAnn Whitaker"}


def model_reply():
    """The local model's answer: the first one slowly, so the dialog's loading state shows; for
    ben an outage (503), so his dialog shows the template."""
    calls = {"n": 0}
    lock = threading.Lock()

    def reply(request):
        if "Sender: Ben" in request["messages"][-1]["content"]:
            return {"status": 503}  # ben's turn: the model is down, the template stands in
        with lock:
            calls["n"] += 1
            first = calls["n"] == 1
        if first:
            time.sleep(1.5)
        return json.dumps(SUGGESTION)
    return reply


def test_followup_drafts_in_chromium(start_server, tmp_path, monkeypatch, llm_stub):
    fixture = mailgen.generate()
    ann, ben = mailgen.TEAM_MAILBOXES
    with GmailEmulator() as gm:
        for fm in fixture.for_mailbox(ann):
            gm.add_message(ann, fm.raw, thread_id=fm.gmail_thread_ids[ann])
        llm_stub.reply = model_reply()
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url,
                           CRM_LLM_BASE_URL=llm_stub.url)
        admin = srv.bootstrap(email=ann)
        investors = seed_mail_investors(admin, fixture)
        assert admin.request("POST", "/api/admin/email/service-account",
                             raw=json.dumps(make_service_account_key(gm.token_url)).encode(),
                             headers={"Content-Type": "application/json"}).status == 201
        assert admin.post("/api/email/accounts", {"email": ann}).status == 201
        assert import_mbox(admin, fixture, ben).status == 200  # ben's mail, imported: not a connected mailbox
        made = admin.post("/api/admin/users", {"username": "ben", "email": ben, "password": PASSWORD, "role": "member"})
        assert made.status == 201, made
        deadline = time.time() + 60
        while time.time() < deadline and not any(r["status"] == "ok" and r["kind"] == "backfill"
                                                 for r in admin.get("/api/email/sync/runs").data):
            time.sleep(0.3)
        person = fixture.investor(INVESTOR).people[0]
        config = {"username": "admin", "member": "ben", "password": PASSWORD, "investor": INVESTOR,
                  "investorId": investors[INVESTOR], "thread": THREAD, "person": person["name"],
                  "personEmail": person["email"], "mailbox": ann, "edit": EDIT, "suggestion": SUGGESTION}
        path = tmp_path / "drafts-browser.json"
        path.write_text(json.dumps(config))
        monkeypatch.setenv("DRAFTS_BROWSER_CONFIG", str(path))
        run_browser_script(srv, "browser_drafts")

        # What Gmail holds: ann's two drafts (the edited follow-up, and the reply in its thread).
        drafts = [email.message_from_bytes(raw, policy=email.policy.default) for raw in gm.drafts.get(ann, [])]
        assert len(drafts) == 2 and not gm.drafts.get(ben), {k: len(v) for k, v in gm.drafts.items()}
        edited = next(d for d in drafts if not d["In-Reply-To"])
        assert EDIT in edited.get_content() and edited["To"].addresses[0].addr_spec == person["email"]
        reply = next(d for d in drafts if d["In-Reply-To"])
        assert reply["Subject"] == "Re: " + THREAD and reply["References"]
        created = [json.loads(body) for method, p, _, body in gm.requests if method == "POST" and p.split("?")[0].endswith("/drafts")]
        letter_thread = next(fm.gmail_thread_ids[ann] for fm in fixture.for_mailbox(ann) if fm.subject == THREAD)
        assert [c["message"].get("threadId") for c in created] == [None, letter_thread]
        assert gm.sent == {} and not [p for _, p, _, _ in gm.requests if "messages/send" in p]
        listed = admin.get(f"/api/email/drafts?investor={investors[INVESTOR]}").data
        assert [(d["model"], d["mailbox"]) for d in listed] == [("llm", ann), ("llm", ann)]
        assert len(llm_stub.requests) >= 4
