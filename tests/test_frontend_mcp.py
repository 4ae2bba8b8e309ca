"""Admin -> Service tokens -> AI assistants (MCP) in real headless Chromium
(tests/frontend/browser_mcp.js, frontend/app/admin/mcp.jsx): the endpoint, a token made in one
click with the scopes ticked, the configuration to paste holding it, and the token speaking MCP;
at desktop, tablet and phone sizes."""
from __future__ import annotations

import json

from helpers import PASSWORD, run_browser_script


def test_the_mcp_card_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    assert admin.post("/api/fundraising/rows", {"values": {"Name": "Halcyon Family Office"}}).status == 201
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "investor": "Halcyon Family Office"}))
    monkeypatch.setenv("MCP_CONFIG", str(config))
    run_browser_script(srv, "browser_mcp")
