"""Requests in real headless Chromium (tests/frontend/browser_requests.js): a member files a
request through the form, an admin sets it to Planned with a note, the member sees the decision
and can no longer edit it; at desktop, tablet and phone sizes."""
from __future__ import annotations

import json

from helpers import PASSWORD, make_user, run_browser_script


def test_requests_page_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    member = make_user(admin)
    config = tmp_path / "requests.json"
    config.write_text(json.dumps({"password": PASSWORD, "admin": {"username": "admin"},
                                  "member": {"username": member["username"]}}))
    monkeypatch.setenv("REQUESTS_CONFIG", str(config))
    run_browser_script(srv, "browser_requests")
    # What the browser did is what the server holds: one request, planned, with the admin's note.
    requests = admin.get("/api/feature-requests").data
    assert len(requests) == 1, requests
    assert requests[0]["status"] == "planned" and requests[0]["status_note"]
    assert requests[0]["created_by"]["name"] == member["username"]
