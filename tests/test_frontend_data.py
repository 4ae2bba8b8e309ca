"""The data pages in real headless Chromium against the real server: the Airtable CSV through
#/import (preview, mapping, progress, result, an idempotent re-import), CSV export, Settings ->
Backups (back up, verify, restore with its preview), Admin -> Archive, Activity and the audit
log's filters, with zero CSP violations and zero console errors (tests/frontend/browser_data.js
reads the fixture ../shared/fixtures/airtable_investors.csv)."""
from __future__ import annotations

from helpers import run_browser_script


def test_data_pages_in_chromium(start_server):
    run_browser_script(start_server(), "browser_data", timeout=240)
