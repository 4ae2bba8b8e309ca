"""Settings -> Search in real headless Chromium (tests/frontend/browser_search_admin.js): the index's
state as the server reports it, and a rebuild from the button that runs in the background and
ends up to date; at desktop, tablet and phone sizes."""
from __future__ import annotations

import json
import time

from helpers import PASSWORD, run_browser_script


def test_search_index_settings_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    for name, note in (("Halcyon Family Office", "Talked through the zephyrine co-invest terms"),
                       ("Northwind Endowment", "Wants the quarterly letter before the close")):
        row = admin.post("/api/fundraising/rows", {"values": {"Name": name}}).data
        assert admin.post(f"/api/fundraising/rows/{row['id']}/interactions", {"kind": "note", "summary": note}).status == 201
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = admin.get("/api/admin/search/status").data
        if status["chunks"] and status["pending"] == 0 and not status["running"]:
            break
        time.sleep(0.2)
    config = tmp_path / "search-admin.json"
    config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "chunks": status["chunks"],
                                  "written": status["written"]}))
    monkeypatch.setenv("SEARCH_ADMIN_CONFIG", str(config))
    run_browser_script(srv, "browser_search_admin")
