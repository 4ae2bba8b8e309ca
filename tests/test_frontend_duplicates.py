"""Duplicates in real headless Chromium (tests/frontend/browser_duplicates.js): the pairs list,
Dismiss, the side-by-side review with a commitment conflict, Merge and Undo; at desktop, tablet
and phone sizes."""
from __future__ import annotations

import json

from helpers import PASSWORD, add_column, run_browser_script


def test_duplicates_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    fund = add_column(admin, "Fund III", "fund", {"vintage": 2026})
    a = admin.post("/api/fundraising/rows", {"values": {
        "Name": "Acme Capital LLC", "Fund III": 100000, "Notes": "from the import",
        "Contacts": [{"name": "Ann Lee", "email": "ann@acme.example"}]}}).data
    b = admin.post("/api/fundraising/rows", {"values": {
        "Name": "Acme Capital", "Fund III": 250000, "Contacts": [{"name": "Bob Roe", "email": "bob@acme.example"}]}}).data
    for name in ("Orchard Trust", "Orchard Trust Ltd"):
        admin.post("/api/fundraising/rows", {"values": {"Name": name}})
    config = tmp_path / "duplicates.json"
    config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "a": a["id"], "b": b["id"],
                                  "fund": fund["id"]}))
    monkeypatch.setenv("DUPLICATES_CONFIG", str(config))
    run_browser_script(srv, "browser_duplicates")
