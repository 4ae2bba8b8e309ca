"""Entering data as an Airtable user does, in real headless Chromium against the real server:
dates typed straight into cells in every accepted form with their preview, implausible years
refused, and a paste following typing's rules (tests/frontend/browser_entry.js)."""
from __future__ import annotations

from helpers import run_browser_script


def test_entry_in_chromium(start_server):
    run_browser_script(start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600), "browser_entry")
