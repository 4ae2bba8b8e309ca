"""Tasks in real headless Chromium (tests/frontend/browser_tasks.js), as a person uses them: a
follow-up made from the grid's row menu (right-click a row), found on the Tasks page under This
week, ticked done (and Undo), a quick-add with an investor picked by typing, a title edited in
place, everyone's tasks, and the investor panel's Tasks section with its own "Follow up in…";
screenshots at desktop, tablet and phone sizes, nothing scrolling sideways on the phone."""
from __future__ import annotations

import json

from helpers import PASSWORD, run_browser_script


def test_tasks_in_chromium(start_server, tmp_path, monkeypatch):
    srv = start_server(CRM_AUTOMATION_INTERVAL_SECONDS=3600)
    admin = srv.bootstrap()
    ben = admin.post("/api/admin/users", {"username": "ben", "email": "ben@fund.example", "password": PASSWORD,
                                          "role": "member"})
    assert ben.status == 201, ben
    ids = {}
    for name in ("Halcyon Family Office", "Northwind Endowment", "Cobalt Pension Trust", "Juniper Capital"):
        row = admin.post("/api/fundraising/rows", {"values": {"Name": name}})
        assert row.status == 201, row
        ids[name] = row.data["id"]
    seeds = [{"title": "Send Halcyon the data room link", "investor_id": ids["Halcyon Family Office"], "due": "-3d"},
             {"title": "Call Juniper about the side letter", "investor_id": ids["Juniper Capital"], "due": "today"},
             {"title": "Draft the Q4 LP update", "due": "+20d"},
             {"title": "Ben's intro to Cobalt", "investor_id": ids["Cobalt Pension Trust"], "due": "+2d",
              "owner": ben.data["id"]}]
    for body in seeds:
        assert admin.post("/api/tasks", body).status == 201
    config = tmp_path / "tasks.json"
    config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "ids": ids}))
    monkeypatch.setenv("TASKS_CONFIG", str(config))
    run_browser_script(srv, "browser_tasks")
