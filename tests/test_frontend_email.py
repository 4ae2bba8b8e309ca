"""Captured mail in real headless Chromium against the real server (tests/frontend/browser_email.js):
the generated fixture mailboxes are imported over HTTP first, then a person signs in and uses
Communications (investor filter, a conversation, a message's text and its sandboxed HTML frame,
the text filter), People, the investor panel's Email section and Settings -> Email (the Google
key uploaded and a mailbox enrolled against the local Gmail emulator, Sync now, a proposal
approved, an .mbox uploaded with its progress and counts), at desktop, tablet and phone sizes."""
from __future__ import annotations

import json

import mailgen
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import PASSWORD, import_mbox, run_browser_script, seed_mail_investors

TEAM = {"CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN, "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0"}
INVESTOR = "Brightwater College Endowment"   # has the HTML-only quarterly letter and a reply
THREAD = "Brightwater quarterly letter"


def test_email_screens_in_chromium(start_server, tmp_path, monkeypatch):
    fixture = mailgen.generate()
    with GmailEmulator() as gm:  # ben's Gmail, for the key upload, the enrolment and Sync now
        ben = mailgen.TEAM_MAILBOXES[1]
        for fm in fixture.for_mailbox(ben):
            gm.add_message(ben, fm.raw, thread_id=fm.gmail_thread_ids[ben])
        key = make_service_account_key(gm.token_url)
        key_file = tmp_path / "service-account.json"
        key_file.write_text(json.dumps(key))
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url)
        config = prepare(srv, fixture, tmp_path)
        config.update(keyFile=str(key_file), clientEmail=key["client_email"], enrol=ben)
        path = tmp_path / "email-browser.json"
        path.write_text(json.dumps(config))
        monkeypatch.setenv("EMAIL_BROWSER_CONFIG", str(path))
        run_browser_script(srv, "browser_email")


def prepare(srv, fixture, tmp_path) -> dict:
    """The first admin, the grid's investors and both team mailboxes imported; what the script
    looks for."""
    admin = srv.bootstrap()
    investors = seed_mail_investors(admin, fixture, leave_out_colleagues=True)
    for mailbox in mailgen.TEAM_MAILBOXES:
        imported = import_mbox(admin, fixture, mailbox)
        assert imported.status == 200 and not imported.data["errors"], imported
    letter = [m for m in fixture.messages if m.thread_key == next(
        f.thread_key for f in fixture.messages if f.subject == THREAD)]
    person = fixture.investor(INVESTOR).people[0]
    # Another mailbox's export for the upload: mail none of the above holds.
    extra = mailgen.generate(seed=99, threads=8)
    upload = [m for m in extra.for_mailbox(mailgen.TEAM_MAILBOXES[0])]
    mbox = tmp_path / "ann-takeout.mbox"
    mbox.write_bytes(extra.to_mbox(upload))
    return {
        "username": "admin", "password": PASSWORD, "investor": INVESTOR, "investorId": investors[INVESTOR],
        "thread": THREAD, "threadMessages": len(letter), "htmlText": "Our allocation for 2026 is confirmed",
        "replyText": "Wonderful to hear the allocation is confirmed.", "word": "wonderful",
        "person": person["name"], "personEmail": person["email"],
        "mbox": str(mbox), "mboxMessages": len(upload), "mboxNew": len({m.message_id for m in upload}),
    }
