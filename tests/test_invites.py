"""Invites: the only way in after bootstrap — create, mail, accept once, expire, revoke."""
from __future__ import annotations

import sqlite3
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from helpers import PASSWORD, free_port


def token_of(invite: dict) -> str:
    return invite["url"].split("token=")[1]


def test_invite_flow_end_to_end(server, admin):
    resp = admin.post("/api/admin/invites", {"email": "New.Partner@Fund.Example", "role": "member"})
    assert resp.status == 201
    invite = resp.data
    assert invite["email"] == "new.partner@fund.example" and invite["status"] == "pending"
    assert invite["url"].startswith(f"http://127.0.0.1:{server.port}/#/accept-invite?token=")
    assert invite["token"] == token_of(invite) and invite["email_sent"] is False
    anon = server.client()
    info = anon.get(f"/api/auth/invite?token={invite['token']}")
    assert info.data == {"email": "new.partner@fund.example", "role": "member",
                         "expires_at": invite["expires_at"], "status": "pending"}
    accepted = anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "new_partner",
                                                     "password": PASSWORD})
    assert accepted.status == 201 and set(accepted.json) == {"token", "user"}
    assert accepted.json["user"]["email"] == "new.partner@fund.example"
    assert accepted.json["user"]["role"] == "member"
    assert server.client(accepted.json["token"]).get("/api/auth/me").data["username"] == "new_partner"
    reuse = anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "someone_else",
                                                  "password": PASSWORD})
    assert reuse.status == 410 and "accepted" in reuse.json["error"]
    listed = {i["id"]: i for i in admin.get("/api/admin/invites").data}
    assert listed[invite["id"]]["status"] == "accepted" and "token" not in listed[invite["id"]]


def test_invite_tokens_stored_hashed(server, admin):
    invite = admin.post("/api/admin/invites", {"email": "hashed@fund.example"}).data
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        stored = conn.execute("SELECT token_hash FROM invites WHERE id = ?", (invite["id"],)).fetchone()[0]
    assert invite["token"] not in stored and len(stored) == 64


def test_invite_as_admin_and_bad_inputs(server, admin):
    invite = admin.post("/api/admin/invites", {"email": "boss@fund.example", "role": "admin"}).data
    anon = server.client()
    user = anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "boss",
                                                 "password": PASSWORD}).json["user"]
    assert user["role"] == "admin"
    assert admin.post("/api/admin/invites", {"email": "boss@fund.example"}).status == 409  # already a user
    assert admin.post("/api/admin/invites", {"email": "x@fund.example", "role": "owner"}).status == 400
    bogus = anon.post("/api/auth/accept-invite", {"token": "nope", "username": "abc", "password": PASSWORD})
    assert bogus.status == 404 and bogus.json["code"] == "invalid_invite"
    assert anon.get("/api/auth/invite?token=nope").status == 404
    assert anon.get("/api/auth/invite").status == 400


def test_username_clash_leaves_invite_usable(server, admin):
    invite = admin.post("/api/admin/invites", {"email": "clash@fund.example"}).data
    anon = server.client()
    clash = anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "admin", "password": PASSWORD})
    assert clash.status == 409
    assert anon.get(f"/api/auth/invite?token={invite['token']}").data["status"] == "pending"
    assert anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "clash_ok",
                                                 "password": PASSWORD}).status == 201


def test_revoke_and_supersede(server, admin):
    first = admin.post("/api/admin/invites", {"email": "twice@fund.example"}).data
    second = admin.post("/api/admin/invites", {"email": "twice@fund.example"}).data
    anon = server.client()
    assert anon.get(f"/api/auth/invite?token={first['token']}").data["status"] == "revoked"
    assert admin.delete(f"/api/admin/invites/{second['id']}").data["status"] == "revoked"
    assert admin.delete(f"/api/admin/invites/{second['id']}").status == 409
    resp = anon.post("/api/auth/accept-invite", {"token": second["token"], "username": "late", "password": PASSWORD})
    assert resp.status == 410 and resp.json["code"] == "invite_revoked"
    actions = [e["action"] for e in admin.get(f"/api/audit-log?entity_id={first['id']}").data]
    assert actions == ["invite.revoked", "invite.created"]


def test_invite_expires(start_server):
    fresh = start_server(CRM_INVITE_TTL_HOURS="0.0003")  # about one second
    admin = fresh.bootstrap()
    invite = admin.post("/api/admin/invites", {"email": "slow@fund.example"}).data
    time.sleep(1.3)
    anon = fresh.client()
    assert anon.get(f"/api/auth/invite?token={invite['token']}").data["status"] == "expired"
    resp = anon.post("/api/auth/accept-invite", {"token": invite["token"], "username": "slow", "password": PASSWORD})
    assert resp.status == 410 and resp.json["code"] == "invite_expired"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    port = free_port()  # aiosmtpd cannot start on port 0
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_invite_is_mailed_through_real_smtp(start_server, smtp_inbox):
    port, inbox = smtp_inbox
    fresh = start_server(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none",
                         SMTP_FROM="crm@fund.example", CRM_PUBLIC_URL="https://crm.fund.example")
    admin = fresh.bootstrap()
    invite = admin.post("/api/admin/invites", {"email": "mailme@fund.example"}).data
    assert invite["email_sent"] is True and invite["email_error"] is None
    assert invite["url"].startswith("https://crm.fund.example/#/accept-invite?token=")
    (rcpts, msg), = inbox.messages
    assert rcpts == ["mailme@fund.example"] and msg["From"] == "crm@fund.example"
    assert invite["url"] in msg.get_content()


def test_invite_survives_mail_failure(start_server):
    fresh = start_server(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none",
                         SMTP_FROM="crm@fund.example")
    admin = fresh.bootstrap()
    resp = admin.post("/api/admin/invites", {"email": "offline@fund.example"})
    assert resp.status == 201
    assert resp.data["email_sent"] is False and "could not send mail" in resp.data["email_error"]
    assert fresh.client().get(f"/api/auth/invite?token={resp.data['token']}").data["status"] == "pending"
