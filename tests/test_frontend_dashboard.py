"""The dashboard in real headless Chromium (tests/frontend/browser_dashboard.js): the figures the
server computes on a small grid, a chart's bar opening the grid filtered to exactly the investors
it summarised, and the page at desktop, tablet and phone sizes."""
from __future__ import annotations

import json

from helpers import PASSWORD, add_column, run_browser_script


def test_dashboard_in_chromium_opens_the_grid_a_chart_summarises(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    fund = add_column(admin, "Fund III", "fund", {"vintage": 2026, "target": 50_000_000})["id"]
    add_column(admin, "Fund II", "fund", {"vintage": 2022, "target": 20_000_000})
    rows = [("Halcyon Family Office", "main", "Committed", 5_000_000), ("Northgate Endowment", "follow_up", "Diligence", 2_500_000),
            ("Cobalt Pension Trust", "main", "Soft Circle", 1_250_000), ("Arden Family", "graveyard", "Passed", 3_000_000),
            ("Juniper Trust", "longshot", "Contacted", None), ("Tidewater Foundation", "main", "Meeting", None)]
    made = admin.post("/api/fundraising/rows/bulk", {"rows": [
        {"values": {"Name": name, "List": lst, "Status": status, **({fund: amount} if amount else {})}}
        for name, lst, status, amount in rows]})
    assert made.status == 201, made
    ids = [r["id"] for r in made.data]
    for rid, note in zip(ids[:3], ("Call with the CIO", "Sent the LPA", "Reference call")):
        assert admin.post(f"/api/fundraising/rows/{rid}/interactions", {"kind": "note", "summary": note}).status == 201
    assert admin.post("/api/tasks", {"title": "Send the deck", "investor_id": ids[1], "due": "2001-01-01"}).status == 201
    d = admin.get("/api/dashboard").data
    assert d["committed_total"] == 8_750_000  # Arden's 3,000,000 is on the graveyard
    config = tmp_path / "dashboard.json"
    config.write_text(json.dumps({
        "username": "admin", "password": PASSWORD, "fund_id": fund, "fund_name": "Fund III",
        "committed_label": "$8.8M", "fund_committed_label": "$8.8M", "fund_exact": "$8,750,000",
        "fund_investors": 3, "fund_names": ["Halcyon Family Office", "Northgate Endowment", "Cobalt Pension Trust"],
        "live": 6, "graveyard": 1, "overdue": d["overdue_tasks"]}))
    assert d["overdue_tasks"] == 1
    monkeypatch.setenv("DASHBOARD_CONFIG", str(config))
    run_browser_script(srv, "browser_dashboard")
