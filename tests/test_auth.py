"""Bootstrap, sign-in, tokens and their revocation, and admin user management over HTTP."""
from __future__ import annotations

import sqlite3
import time

import jwt

from helpers import PASSWORD, make_user, sign_in


def test_first_user_bootstrap_then_register_disables_itself(start_server):
    fresh = start_server()
    anon = fresh.client()
    assert anon.get("/api/bootstrap/status").data == {"setup_required": True}
    resp = anon.post("/api/auth/register", {"username": "founder", "email": "Founder@Fund.Example",
                                            "password": PASSWORD})
    assert resp.status == 201
    assert set(resp.json) == {"token", "user"}  # auth responses carry no envelope
    user = resp.json["user"]
    assert user["role"] == "admin" and user["email"] == "founder@fund.example"
    assert len(user["id"]) == 36  # a full UUID, never a short prefix
    assert anon.get("/api/bootstrap/status").data == {"setup_required": False}
    again = anon.post("/api/auth/register", {"username": "intruder", "email": "i@x.example", "password": PASSWORD})
    assert again.status == 403 and "invite" in again.json["error"]
    me = fresh.client(resp.json["token"]).get("/api/auth/me")
    assert me.data["username"] == "founder"


def test_register_validates_input(start_server):
    anon = start_server().client()
    for body, field in (({"username": "a", "email": "a@b.co", "password": PASSWORD}, "username"),
                        ({"username": "abc", "email": "nope", "password": PASSWORD}, "email"),
                        ({"username": "abc", "email": "a@b.co", "password": "short"}, "password"),
                        ({"username": "abc", "email": "a@b.co"}, "password")):
        resp = anon.post("/api/auth/register", body)
        assert resp.status == 400 and resp.json["field"] == field, resp
    assert anon.get("/api/bootstrap/status").data == {"setup_required": True}


def test_login_by_username_or_email_and_wrong_password(server, admin):
    user = make_user(admin)
    assert sign_in(server, user["username"]).user["id"] == user["id"]
    assert sign_in(server, user["email"].upper()).user["id"] == user["id"]
    anon = server.client()
    wrong = anon.post("/api/auth/login", {"username": user["username"], "password": "wrong password"})
    nobody = anon.post("/api/auth/login", {"username": "nobody_here", "password": "wrong password"})
    assert wrong.status == nobody.status == 401
    assert wrong.json["error"] == nobody.json["error"]  # does not reveal which accounts exist


def test_passwords_are_bcrypt_hashed(server, admin):
    user = make_user(admin)
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user["id"],)).fetchone()[0]
    assert stored.startswith("$2b$") and PASSWORD not in stored


def test_long_passphrase_counts_in_full(server, admin):
    long_pw = "p" * 100 + "A"
    user = make_user(admin, password=long_pw)
    anon = server.client()
    assert anon.post("/api/auth/login", {"username": user["username"], "password": long_pw}).status == 200
    assert anon.post("/api/auth/login", {"username": user["username"], "password": "p" * 100 + "B"}).status == 401


def test_logout_revokes_every_earlier_token(server, admin):
    user = make_user(admin)
    first, second = sign_in(server, user["username"]), sign_in(server, user["username"])
    assert first.get("/api/auth/me").status == 200
    assert first.post("/api/auth/logout").status == 200
    for client in (first, second):
        resp = client.get("/api/auth/me")
        assert resp.status == 401 and resp.json["code"] == "token_revoked"
    assert sign_in(server, user["username"]).get("/api/auth/me").status == 200


def test_deactivation_is_immediate_and_role_is_reread(server, admin):
    user = make_user(admin)
    client = sign_in(server, user["username"])
    assert client.get("/api/admin/invites").status == 403
    assert admin.patch(f"/api/admin/users/{user['id']}", {"role": "admin"}).data["role"] == "admin"
    assert client.get("/api/admin/invites").status == 200  # same token, new role
    assert admin.patch(f"/api/admin/users/{user['id']}", {"is_active": False}).status == 200
    assert client.get("/api/auth/me").status == 401
    assert server.client().post("/api/auth/login", {"username": user["username"], "password": PASSWORD}).status == 401
    assert admin.patch(f"/api/admin/users/{user['id']}", {"is_active": True}).status == 200
    assert sign_in(server, user["username"]).get("/api/auth/me").status == 200


def test_tampered_expired_and_foreign_tokens_are_rejected(server, admin):
    anon = server.client()
    claims = jwt.decode(admin.token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": claims["sub"]}, "not-the-server-secret-" * 3, algorithm="HS256")
    assert server.client(forged).get("/api/auth/me").json["code"] == "invalid_token"
    none_alg = jwt.encode(claims, None, algorithm="none")
    assert server.client(none_alg).get("/api/auth/me").status == 401
    secret = (server.data_dir / ".secret_key").read_text().strip()
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, secret, algorithm="HS256")
    resp = server.client(expired).get("/api/auth/me")
    assert resp.status == 401 and resp.json["code"] == "token_expired"
    assert anon.get("/api/auth/me", headers={"Authorization": "Basic abc"}).status == 401
    assert anon.get("/api/auth/me", headers={"Authorization": "Bearer"}).status == 401


def test_change_own_password(server, admin):
    user = make_user(admin)
    client = sign_in(server, user["username"])
    bad = client.post("/api/auth/password", {"current_password": "wrong one!", "new_password": "n3w password"})
    assert bad.status == 400 and bad.json["field"] == "current_password"
    resp = client.post("/api/auth/password", {"current_password": PASSWORD, "new_password": "n3w password"})
    assert resp.status == 200 and resp.json["token"]
    assert client.get("/api/auth/me").status == 401  # the old session is gone
    assert server.client(resp.json["token"]).get("/api/auth/me").status == 200
    assert sign_in(server, user["username"], "n3w password")


def test_user_management_is_admin_only_and_audited(server, admin, member):
    assert member.get("/api/users").status == 200  # any user may list colleagues
    assert member.post("/api/admin/users", {"username": "x_y", "email": "x@y.example",
                                            "password": PASSWORD}).status == 403
    created = make_user(admin)
    assert created["role"] == "member" and created["is_active"] is True
    dup = admin.post("/api/admin/users", {"username": created["username"].upper(), "email": "other@fund.example",
                                          "password": PASSWORD})
    assert dup.status == 409 and dup.json["field"] == "username"
    dup = admin.post("/api/admin/users", {"username": "fresh_name", "email": created["email"], "password": PASSWORD})
    assert dup.status == 409 and dup.json["field"] == "email"
    reset = admin.patch(f"/api/admin/users/{created['id']}", {"password": "reset password 1"})
    assert reset.status == 200
    assert sign_in(server, created["username"], "reset password 1")
    assert admin.patch(f"/api/admin/users/{created['id']}", {}).status == 400
    assert admin.patch("/api/admin/users/00000000-0000-0000-0000-000000000000", {"role": "admin"}).status == 404
    log = admin.get(f"/api/audit-log?entity_type=user&entity_id={created['id']}").data
    actions = [e["action"] for e in log]
    assert actions.count("user.updated") == 1 and "user.created" in actions
    updated = next(e for e in log if e["action"] == "user.updated")
    assert updated["details"] == {"password": "reset"}  # never the password itself
    assert updated["actor"]["id"] == admin.user["id"]


def test_last_admin_cannot_be_demoted_or_deactivated(start_server):
    fresh = start_server()
    admin = fresh.bootstrap()
    admin_id = admin.user["id"]
    for change in ({"role": "member"}, {"is_active": False}):
        resp = admin.patch(f"/api/admin/users/{admin_id}", change)
        assert resp.status == 409 and resp.json["code"] == "last_admin"
    second = make_user(admin, "admin")
    assert admin.patch(f"/api/admin/users/{admin_id}", {"role": "member"}).status == 200
    assert admin.get("/api/admin/invites").status == 403  # demoted at once
    assert fresh.client(admin.token).patch(f"/api/admin/users/{second['id']}", {"role": "member"}).status == 403
