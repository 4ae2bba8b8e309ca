"""Schemathesis against the real server's own /api/openapi.json, signed in as an admin: the
coverage and fuzzing phases over every route, with the `not_a_server_error` check (no 5xx, ever).

Real ids are seeded first and bound to path, query and body parameters, so generated requests
reach the handlers instead of stopping at 404. Destructive routes (reset, restore, logout) are
left out, and the static schema document; everything else, writes included, runs against a
private server. Bounded in time
(FUZZ_SECONDS, about a minute)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

# Destructive routes would end the run rather than test it; the schema document itself is static.
EXCLUDED = ("/api/admin/reset-all-data", "/api/fundraising/restore", "/api/auth/logout", "/api/openapi.json")
FUZZ_SECONDS = int(os.environ.get("CRM_FUZZ_SECONDS", "60"))


def seed(admin) -> dict:
    """A small grid with one of everything a path or body parameter can name."""
    def make(path, body):
        resp = admin.post(path, body)
        assert resp.status == 201, resp
        return resp.data

    fund = make("/api/fundraising/columns", {"name": "Fund I", "type": "fund"})
    stage = make("/api/fundraising/columns", {"name": "Stage", "type": "single_select",
                                              "options": {"choices": ["Intro", "Pitch"]}})
    spare = make("/api/fundraising/columns", {"name": "Spare", "type": "number"})
    make("/api/fundraising/columns", {"name": "Doubled", "type": "formula", "options": {"formula": "{Fund I} * 2"}})
    rows = [make("/api/fundraising/rows", {"values": {"Name": name, "Fund I": amount, "Stage": "Intro"}})
            for name, amount in (("Acme Capital", 250_000), ("Birch Family Office", 1_000_000), ("Cedar LP", None))]
    condition = {"op": "and", "conditions": [{"column_id": fund["id"], "operator": ">", "value": 100}]}
    view = make("/api/fundraising/views", {"name": "Big tickets", "filter": condition})
    spare_view = make("/api/fundraising/views", {"name": "Spare view"})
    rule = make("/api/fundraising/automations", {"name": "Tag big", "trigger": "edit", "condition": condition,
                                                 "action": {"type": "set_value", "column_id": stage["id"],
                                                            "value": "Pitch"}})
    spare_rule = make("/api/fundraising/automations", {"name": "Spare rule", "trigger": "schedule",
                                                       "condition": condition,
                                                       "action": {"type": "move_to_list", "list": "follow_up"}})
    make(f"/api/fundraising/rows/{rows[0]['id']}/interactions", {"summary": "Intro call"})
    backup = make("/api/fundraising/backup", {"note": "fuzz seed"})
    invite = make("/api/admin/invites", {"email": "invitee@fund.example"})
    token = make("/api/admin/service-tokens", {"name": "fuzz bot", "scopes": ["grid:read"]})
    victim = make("/api/admin/users", {"username": "fuzz-victim", "email": "victim@fund.example",
                                       "password": "correct horse battery", "role": "member"})
    card = make("/api/pipeline/opportunities", {"investor_id": rows[0]["id"], "fund_id": fund["id"], "stage": "Pitch"})
    spare_card = make("/api/pipeline/opportunities", {"investor_id": rows[1]["id"], "fund_id": fund["id"]})
    task = make("/api/tasks", {"title": "Send the deck", "investor_id": rows[0]["id"], "due": "+3d"})
    spare_task = make("/api/tasks", {"title": "Spare task"})
    request = make("/api/feature-requests", {"title": "Dark mode", "details": "For late nights"})
    spare_request = make("/api/feature-requests", {"title": "Spare request"})
    return {"rows": [r["id"] for r in rows], "columns": [fund["id"], stage["id"], spare["id"]],
            "fund": fund["id"], "stage": stage["id"], "spare": spare["id"], "view": view["id"],
            "spare_view": spare_view["id"], "rule": rule["id"], "spare_rule": spare_rule["id"],
            "backup": backup["id"], "invite": invite["id"], "invite_token": invite["token"],
            "token": token["id"], "victim": victim["id"], "card": card["id"], "spare_card": spare_card["id"],
            "task": task["id"], "spare_task": spare_task["id"], "request": request["id"],
            "spare_request": spare_request["id"]}


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def config(ids: dict, token: str) -> str:
    """schemathesis.toml: credentials, dictionaries of real ids, and per-operation parameters."""
    row, archived_row, plain_row = ids["rows"]
    operations = [
        # (method, path, parameters)
        ("PATCH", "/api/admin/users/{id}", {"path.id": ids["victim"]}),  # never the admin's own account
        ("DELETE", "/api/admin/invites/{id}", {"path.id": ids["invite"]}),
        ("DELETE", "/api/admin/service-tokens/{id}", {"path.id": ids["token"]}),
        ("GET", "/api/fundraising/rows/{id}", {"path.id": row}),
        ("PATCH", "/api/fundraising/rows/{id}", {"path.id": row}),
        ("GET", "/api/fundraising/rows/{id}/history", {"path.id": row}),
        ("POST", "/api/fundraising/rows/{id}/merge-preview", {"path.id": row}),  # merge/unmerge: random ids only
        ("GET", "/api/fundraising/rows/{id}/interactions", {"path.id": row}),
        ("POST", "/api/fundraising/rows/{id}/interactions", {"path.id": plain_row}),
        ("DELETE", "/api/fundraising/rows/{id}", {"path.id": archived_row}),
        ("POST", "/api/fundraising/rows/{id}/restore", {"path.id": archived_row}),
        ("PATCH", "/api/fundraising/columns/{id}", {"path.id": ids["stage"]}),
        ("DELETE", "/api/fundraising/columns/{id}", {"path.id": ids["spare"]}),
        ("POST", "/api/fundraising/columns/{id}/restore", {"path.id": ids["spare"]}),
        ("PATCH", "/api/fundraising/views/{id}", {"path.id": ids["view"]}),
        ("GET", "/api/fundraising/views/{id}/rows", {"path.id": ids["view"]}),
        ("DELETE", "/api/fundraising/views/{id}", {"path.id": ids["spare_view"]}),
        ("POST", "/api/fundraising/views/{id}/restore", {"path.id": ids["spare_view"]}),
        ("PATCH", "/api/fundraising/automations/{id}", {"path.id": ids["rule"]}),
        ("DELETE", "/api/fundraising/automations/{id}", {"path.id": ids["spare_rule"]}),
        ("POST", "/api/fundraising/automations/{id}/restore", {"path.id": ids["spare_rule"]}),
        ("GET", "/api/fundraising/backups/{id}/download", {"path.id": ids["backup"]}),
        ("GET", "/api/fundraising/export.csv", {"query.view": ids["view"]}),
        ("GET", "/api/fundraising/automation-runs", {"query.rule_id": ids["rule"]}),
        ("GET", "/api/fundraising/changes", {"query.wait": 0}),  # a long-poll would only spend the budget
        ("GET", "/api/auth/invite", {"query.token": ids["invite_token"]}),
        ("POST", "/api/auth/accept-invite", {"body.token": {"dictionary": "invites", "probability": 0.8}}),
        ("GET", "/api/pipeline", {"query.fund": ids["fund"]}),
        ("POST", "/api/pipeline/opportunities", {"body.investor_id": plain_row, "body.fund_id": ids["fund"]}),
        ("PATCH", "/api/pipeline/opportunities/{id}", {"path.id": ids["card"]}),
        ("DELETE", "/api/pipeline/opportunities/{id}", {"path.id": ids["spare_card"]}),
        ("PATCH", "/api/tasks/{id}", {"path.id": ids["task"]}),
        ("DELETE", "/api/tasks/{id}", {"path.id": ids["spare_task"]}),
        ("POST", "/api/tasks/{id}/restore", {"path.id": ids["spare_task"]}),
        ("PATCH", "/api/feature-requests/{id}", {"path.id": ids["request"]}),
        ("POST", "/api/feature-requests/{id}/archive", {"path.id": ids["spare_request"]}),
        ("POST", "/api/feature-requests/{id}/restore", {"path.id": ids["spare_request"]}),
    ]
    column_fields = ("body.filter.conditions[*].column_id", "body.condition.conditions[*].column_id",
                     "body.sort[*].column_id", "body.action.column_id", "body.hidden[*]", "body.order[*]")
    lines = [f"headers = {_toml({'Authorization': 'Bearer ' + token})}",
             "[dictionaries]",
             f"columns = {_toml({'values': ids['columns']})}",
             f"rows = {_toml({'values': ids['rows']})}",
             f"backups = {_toml({'values': [ids['backup']]})}",
             f"invites = {_toml({'values': [ids['invite_token']]})}",
             "[parameters]"]
    lines += [f"{json.dumps(key)} = {_toml({'dictionary': 'columns', 'probability': 0.8})}" for key in column_fields]
    lines += [f"{json.dumps('body.rows[*].id')} = {_toml({'dictionary': 'rows', 'probability': 0.8})}",
              f"{json.dumps('body.row_id')} = {_toml({'dictionary': 'rows', 'probability': 0.8})}",
              f"{json.dumps('body.id')} = {_toml({'dictionary': 'backups', 'probability': 0.8})}"]
    for method, path, parameters in operations:
        # include-name selects exactly one operation (include-method and include-path would be OR-ed).
        lines += ["[[operations]]", f"include-name = {json.dumps(f'{method} {path}')}",
                  f"parameters = {_toml(parameters)}"]
    return "\n".join(lines) + "\n"


def test_schemathesis_finds_no_server_error_on_any_route(start_server, tmp_path):
    srv = start_server()
    admin = srv.bootstrap()
    ids = seed(admin)
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(ids, srv.admin_token))
    report = tmp_path / "report.json"
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config_file), "run",
               f"{srv.base_url}/api/openapi.json", "--phases", "coverage,fuzzing", "--checks", "not_a_server_error",
               "--max-time", str(FUZZ_SECONDS), "--workers", "1", "--request-timeout", "20",
               "--report", "json", "--report-json-path", str(report), "--seed", os.environ.get("CRM_FUZZ_SEED", "20261201")]
    for path in EXCLUDED:
        command += ["--exclude-path", path]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=FUZZ_SECONDS + 240, cwd=tmp_path,
                          env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    output = proc.stdout + proc.stderr
    tested = re.search(r"Tested:\s+(\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    print(f"\n[fuzz] schemathesis: {tested.group(1) if tested else '?'} operations, "
          f"{cases.group(1) if cases else '?'} test cases, exit {proc.returncode}")
    if os.environ.get("CRM_FUZZ_VERBOSE"):
        print(output)
    server_log = srv.output()
    assert "Traceback" not in server_log, server_log[-5000:]
    assert proc.returncode == 0, output[-8000:]
    api_routes = sum(1 for r in __import__("backend.server", fromlist=["ROUTES"]).ROUTES if r.path.startswith("/api/"))
    assert tested and int(tested.group(1)) == api_routes - len(EXCLUDED)
    assert cases and int(cases.group(1)) >= 1000
    # Still signed in (nothing revoked the admin) and the seeded grid still answers: the run was real.
    assert admin.get("/api/auth/me").status == 200
    assert admin.get(f"/api/fundraising/rows/{ids['rows'][0]}").status == 200
