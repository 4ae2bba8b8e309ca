"""The fundraising grid in real headless Chromium against the real server: keyboard entry, a TSV
paste and its undo, saved views checked against the server's evaluation, live edits and a
conflict between two users, the side panel and the formula editor, at desktop and tablet sizes,
with zero CSP violations and zero console errors (tests/frontend/browser_grid.js)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from test_frontend_browser import require_browser

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "frontend" / "out"


def test_grid_in_chromium(start_server):
    require_browser()
    # No scheduled automation pass during the run: the test owns every change it checks.
    srv = start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    proc = subprocess.run(["node", "tests/frontend/browser_grid.js", srv.base_url, str(OUT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and "browser_grid: PASS" in proc.stdout, output
