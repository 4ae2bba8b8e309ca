"""The pipeline board and the grid in real headless Chromium, two people at once
(tests/frontend/browser_pipeline.js): a drag on the board shows in the other person's grid, a
stage typed in the grid moves the card, Shift+Right to Committed writes the commitment, the grid's
row menu puts an investor on the board; at desktop, tablet and phone sizes."""
from __future__ import annotations

import json

from helpers import PASSWORD, add_column, make_user, run_browser_script


def test_pipeline_board_and_grid_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server()
    admin = srv.bootstrap()
    member = make_user(admin)
    fund = add_column(admin, "Fund III", "fund", {"target": 50_000_000})
    investors = {name: admin.post("/api/fundraising/rows", {"values": {"Name": name}}).data["id"]
                 for name in ("Acme Capital", "Halcyon Family Office", "Northwind Endowment", "Juniper Ventures")}
    card = admin.post("/api/pipeline/opportunities", {"investor_id": investors["Acme Capital"], "fund_id": fund["id"],
                                                      "stage": "Pitch", "expected_amount": 2_500_000})
    assert card.status == 201, card
    assert admin.post("/api/pipeline/opportunities", {"investor_id": investors["Northwind Endowment"],
                                                      "fund_id": fund["id"], "stage": "Intro",
                                                      "expected_amount": 1_000_000}).status == 201
    config = tmp_path / "pipeline.json"
    config.write_text(json.dumps({"admin": {"username": "admin"}, "member": {"username": member["username"]},
                                  "password": PASSWORD, "fund_id": fund["id"], "fund_name": "Fund III",
                                  "column_id": card.data["column_id"], "investors": investors}))
    monkeypatch.setenv("PIPELINE_CONFIG", str(config))
    run_browser_script(srv, "browser_pipeline")
