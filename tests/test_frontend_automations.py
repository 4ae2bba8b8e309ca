"""The Automations page in real headless Chromium against the real server: default rules as
sentences, a rule built with the FilterBuilder, a manual run, the run log, enable/disable and
delete, with zero CSP violations and zero console errors (tests/frontend/browser_automations.js)."""
from __future__ import annotations

from helpers import run_browser_script


def test_automations_page_in_chromium(start_server):
    # The scheduler's first pass runs 5 s after start-up; a long interval keeps it from running
    # again while the script checks what its own "Run scheduled rules now" did.
    run_browser_script(start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600), "browser_automations", timeout=180)
