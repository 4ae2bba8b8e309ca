"""The Automations page in real headless Chromium against the real server: default rules as
sentences, a rule built with the FilterBuilder, a manual run, the run log, enable/disable and
delete, with zero CSP violations and zero console errors (tests/frontend/browser_automations.js)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from test_frontend_browser import require_browser

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "frontend" / "out"


def test_automations_page_in_chromium(start_server):
    require_browser()
    # The scheduler's first pass runs 5 s after start-up; a long interval keeps it from running
    # again while the script checks what its own "Run scheduled rules now" did.
    srv = start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    proc = subprocess.run(["node", "tests/frontend/browser_automations.js", srv.base_url, str(OUT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and "browser_automations: PASS" in proc.stdout, output
