"""The audit log: written in the mutation's transaction, append-only, readable by admins."""
from __future__ import annotations

import sqlite3

import pytest

from helpers import PASSWORD


def test_audit_is_append_only_in_the_database(server, admin):
    admin.post("/api/admin/invites", {"email": "audit-me@fund.example"})
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET action = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")


def test_failed_mutation_writes_no_audit_entry(server, admin):
    before = admin.get("/api/audit-log?limit=1").json["total"]
    resp = admin.post("/api/admin/users", {"username": "admin", "email": "dupe@fund.example", "password": PASSWORD})
    assert resp.status == 409
    assert admin.get("/api/audit-log?limit=1").json["total"] == before


def test_audit_log_paging_and_filters(server, admin, member):
    assert member.get("/api/audit-log").status == 403
    for i in range(3):
        admin.post("/api/admin/invites", {"email": f"page{i}@fund.example"})
    page = admin.get("/api/audit-log?limit=2&offset=0&action=invite.created")
    assert page.status == 200 and len(page.data) == 2 and page.json["limit"] == 2 and page.json["offset"] == 0
    assert page.json["total"] >= 3
    assert all(e["action"] == "invite.created" and e["actor"]["type"] == "user" for e in page.data)
    nxt = admin.get("/api/audit-log?limit=2&offset=2&action=invite.created").data
    assert {e["id"] for e in nxt}.isdisjoint({e["id"] for e in page.data})
    assert page.data[0]["id"] > page.data[1]["id"]  # newest first
    assert admin.get("/api/audit-log?limit=0").status == 400
    assert admin.get("/api/audit-log?limit=abc").status == 400
