"""The app in real headless Chromium against the real server: setup, invite, accept, roles,
compile cache, sign-out — with zero CSP violations and zero console errors."""
from __future__ import annotations

from helpers import run_browser_script


def test_auth_flow_in_chromium(start_server):
    run_browser_script(start_server(), "browser_auth", timeout=120)
