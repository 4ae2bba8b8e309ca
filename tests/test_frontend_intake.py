"""Settings -> Intake in real headless Chromium against the real server
(tests/frontend/browser_intake.js): an admin creates the Matrix bot's token from the screen (shown
once, with the bot's environment block and run command; the server holds it with exactly the two
intake scopes), the bot's commits made with that token appear in the intake history (paged with
Load more), an investor's name opens the investor panel whose timeline shows the note came via
Matrix, as the admin activity feed does; at desktop, tablet and phone sizes, nothing scrolling
sideways on the phone."""
from __future__ import annotations

import json

from helpers import PASSWORD, run_browser_script


def test_intake_settings_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    existing = admin.post("/api/fundraising/rows", {"values": {
        "Name": "Dunn Family Office", "Contacts": [{"name": "Charles Dunn", "email": "cd@dunnfo.com"}]}})
    assert existing.status == 201, existing
    path = tmp_path / "intake-browser.json"
    path.write_text(json.dumps({"username": "admin", "password": PASSWORD, "existingId": existing.data["id"],
                                "existing": "Dunn Family Office"}))
    monkeypatch.setenv("INTAKE_BROWSER_CONFIG", str(path))
    run_browser_script(srv, "browser_intake")
