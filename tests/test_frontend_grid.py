"""The fundraising grid in real headless Chromium against the real server: keyboard entry, a TSV
paste and its undo, saved views checked against the server's evaluation, live edits and a
conflict between two users, the side panel and the formula editor, at desktop and tablet sizes,
with zero CSP violations and zero console errors (tests/frontend/browser_grid.js)."""
from __future__ import annotations

from helpers import run_browser_script


def test_grid_in_chromium(start_server):
    # No scheduled automation pass during the run: the test owns every change it checks.
    run_browser_script(start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600), "browser_grid")
