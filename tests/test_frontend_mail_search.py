"""Communications -> Search content in real headless Chromium over real imported mail
(tests/frontend/browser_mail_search.js): the hits the API finds for a word of a matched message's
body appear grouped by investor, and opening one shows the message."""
from __future__ import annotations

import json
import time
from urllib.parse import quote

import mailgen
from helpers import PASSWORD, import_mbox, run_browser_script, seed_mail_investors


def test_mail_content_search_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server(CRM_TEAM_DOMAINS=mailgen.TEAM_DOMAIN)
    admin = srv.bootstrap()
    fixture = mailgen.generate(7, threads=25)
    seed_mail_investors(admin, fixture)
    assert import_mbox(admin, fixture, mailgen.TEAM_MAILBOXES[0]).status in (200, 201)
    word, found = "allocation", []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not found:
        found = admin.get(f"/api/search?q={quote(word)}&type=email&limit=50").data
        time.sleep(0.3)
    assert found, "the indexer never found the word in the imported mail"
    time.sleep(2)  # let the indexer settle, so the page sees what the API saw
    found = admin.get(f"/api/search?q={quote(word)}&type=email&limit=50").data
    config = tmp_path / "mail-search.json"
    config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "word": word, "hits": len(found),
                                  "investors": sorted({h["investor"]["name"] for h in found if h["investor"]})}))
    monkeypatch.setenv("MAIL_SEARCH_CONFIG", str(config))
    run_browser_script(srv, "browser_mail_search")
