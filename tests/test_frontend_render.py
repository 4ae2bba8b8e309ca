"""Runs the jsdom render check of the single-page app (tests/frontend/render_check.js).

It loads the page as the running server serves it (the shell assembled with frontend/app/) with
the vendored React/Babel from disk and a stubbed API, and checks
that the first-run setup and login screens really render, that a second load uses the compile
cache instead of Babel, and that every SRI hash matches the vendored files.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "frontend" / "render_check.js"


def test_frontend_renders_in_jsdom(server):
    node = shutil.which("node")
    missing = None if node else "node is not installed; the jsdom render check needs Node.js 20+"
    if node and not (ROOT / "node_modules" / "jsdom").is_dir():
        missing = "node_modules/jsdom is missing; run `npm ci` (or `npm install`) at the repository root"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI must never pass by skipping the render check
        pytest.skip(missing)
    proc = subprocess.run([node, str(SCRIPT), server.base_url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0, f"render_check.js exited {proc.returncode}:\n{output}"
    assert "render_check: PASS" in proc.stdout, output
