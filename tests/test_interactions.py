"""The interaction log: notes over HTTP, automation touches, append-only in the database."""
from __future__ import annotations

import sqlite3

import pytest


def test_notes_and_automation_touches(server, admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Touchy LP"}}).data
    note = admin.post(f"/api/fundraising/rows/{row['id']}/interactions",
                      {"kind": "meeting", "summary": "Met at the AGM", "body": "Wants co-invest rights",
                       "occurred_at": "2026-11-01"})
    assert note.status == 201 and note.data["source"] == "ui" and note.data["by"]["name"] == admin.user["username"]
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})  # default rule fires
    log = admin.get(f"/api/fundraising/rows/{row['id']}/interactions").data
    kinds = [e["kind"] for e in log]
    assert "automation" in kinds and "meeting" in kinds
    auto = next(e for e in log if e["kind"] == "automation")
    assert auto["source"] == "automation" and "graveyard" in auto["body"]
    for bad in ({"summary": ""}, {"summary": "x", "kind": "gossip"}, {"summary": "x", "occurred_at": "someday"}):
        assert admin.post(f"/api/fundraising/rows/{row['id']}/interactions", bad).status == 400
    assert admin.post("/api/fundraising/rows/00000000-0000-0000-0000-000000000000/interactions",
                      {"summary": "x"}).status == 404


def test_bots_log_with_provenance(server, admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Bot Noted"}}).data
    token = admin.post("/api/admin/service-tokens", {"name": "intake", "scopes": ["intake:write"]}).data["token"]
    bot = server.client(api_key=token)
    resp = bot.post(f"/api/fundraising/rows/{row['id']}/interactions",
                    {"kind": "intake", "source": "matrix_intake", "summary": "Coffee with the CIO"})
    assert resp.status == 201 and resp.data["by"]["type"] == "service" and resp.data["source"] == "matrix_intake"


def test_interactions_are_append_only(server, admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Immutable"}}).data
    admin.post(f"/api/fundraising/rows/{row['id']}/interactions", {"summary": "first"})
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE interactions SET summary = 'rewritten'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM interactions")
