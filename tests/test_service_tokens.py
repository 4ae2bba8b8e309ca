"""Service tokens: shown once, hashed at rest, scoped, revocable, audited."""
from __future__ import annotations

import sqlite3


def test_create_list_use_and_revoke(server, admin):
    resp = admin.post("/api/admin/service-tokens", {"name": "matrix bot", "scopes": ["intake:match", "intake:write"]})
    assert resp.status == 201
    created = resp.data
    assert created["token"].startswith("vcrm_") and created["scopes"] == ["intake:match", "intake:write"]
    listed = {t["id"]: t for t in admin.get("/api/admin/service-tokens").data}
    assert "token" not in listed[created["id"]]
    assert created["token"].startswith(listed[created["id"]]["prefix"])
    bot = server.client(api_key=created["token"])
    me = bot.get("/api/auth/me")
    assert me.status == 200 and me.data == {"kind": "service", "id": created["id"], "name": "matrix bot",
                                            "scopes": ["intake:match", "intake:write"]}
    listed = {t["id"]: t for t in admin.get("/api/admin/service-tokens").data}
    assert listed[created["id"]]["last_used_at"] is not None
    assert bot.get("/api/users").status == 403  # a user route without a scope
    assert bot.get("/api/audit-log").status == 403  # admin routes never
    revoked = admin.delete(f"/api/admin/service-tokens/{created['id']}")
    assert revoked.status == 200 and revoked.data["active"] is False
    resp = bot.get("/api/auth/me")
    assert resp.status == 401 and resp.json["code"] == "token_revoked"
    assert admin.delete(f"/api/admin/service-tokens/{created['id']}").status == 409
    actions = [e["action"] for e in admin.get(f"/api/audit-log?entity_id={created['id']}").data]
    assert actions == ["service_token.revoked", "service_token.created"]


def test_tokens_hashed_at_rest(server, admin):
    created = admin.post("/api/admin/service-tokens", {"name": "hash check", "scopes": ["grid:read"]}).data
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert created["token"] not in dump


def test_unknown_and_empty_scopes_rejected(admin):
    assert admin.post("/api/admin/service-tokens", {"name": "x", "scopes": []}).status == 400
    assert admin.post("/api/admin/service-tokens", {"name": "x", "scopes": ["admin"]}).status == 400
    assert admin.post("/api/admin/service-tokens", {"name": "", "scopes": ["grid:read"]}).status == 400
    assert admin.post("/api/admin/service-tokens", {"name": "x", "scopes": "grid:read"}).status == 400


def test_bad_api_key_is_401(server):
    resp = server.client(api_key="vcrm_not-a-real-token").get("/api/auth/me")
    assert resp.status == 401 and resp.json["code"] == "invalid_token"


def test_service_token_cannot_manage_tokens(server, admin):
    token = admin.post("/api/admin/service-tokens", {"name": "greedy", "scopes": list(
        ["intake:match", "intake:write", "grid:read", "grid:write"])}).data["token"]
    bot = server.client(api_key=token)
    assert bot.post("/api/admin/service-tokens", {"name": "more", "scopes": ["grid:read"]}).status == 403
    assert bot.get("/api/admin/service-tokens").status == 403
