"""Mailboxes and credentials through the real server: the service-account key (validated, stored
0600, never returned, admins only), enrolment refused with a clear message when Google refuses
delegation, per-user OAuth consent round trip (signed state, sealed refresh token) and a sync of
the OAuth mailbox, status and run records, bad uploads answered 4xx."""
from __future__ import annotations

import json
import sqlite3
from urllib.parse import parse_qs, urlsplit

import mailgen
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import make_user, sign_in, upload_key, wait_idle

TEAM = {"CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN, "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0"}


def test_service_account_key_and_enrolment(start_server):
    with GmailEmulator() as gm:
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url)
        admin = srv.bootstrap()
        member = sign_in(srv, make_user(admin, "member")["username"])
        off = admin.post("/api/email/accounts", {"email": "ann@fund.example"})
        assert off.status == 409 and "service-account key" in off.json["error"]
        assert admin.post("/api/email/sync", {}).status == 409
        bad = upload_key(admin, {"type": "service_account", "client_email": "x@y.iam.gserviceaccount.com"})
        assert bad.status == 400 and "private_key" in bad.json["error"]
        assert admin.request("POST", "/api/admin/email/service-account", raw=b"{not json",
                             headers={"Content-Type": "application/json"}).status == 400
        key = make_service_account_key(gm.token_url)
        assert upload_key(member, key).status == 403
        saved = upload_key(admin, key)
        assert saved.status == 201 and saved.data["client_email"] == key["client_email"]
        status = admin.get("/api/email/status").data
        assert status["enabled"] and status["service_account"]["client_email"] == key["client_email"]
        assert key["private_key"] not in json.dumps(status)
        assert (srv.data_dir / "secrets" / "gmail-service-account.json").stat().st_mode & 0o777 == 0o600
        gm.deny_delegation("ben@fund.example")
        refused = admin.post("/api/email/accounts", {"email": "ben@fund.example"})
        assert refused.status == 422 and "delegation" in refused.json["error"] and "ben@fund.example" in refused.json["error"]
        assert admin.post("/api/email/accounts", {"email": "not an address"}).status == 400
        assert member.post("/api/email/accounts", {"email": "ann@fund.example"}).status == 403
        made = admin.post("/api/email/accounts", {"email": "Ann@Fund.example"})
        assert made.status == 201 and made.data["email"] == "ann@fund.example" and made.data["auth"] == "delegation"
        assert admin.post("/api/email/accounts", {"email": "ann@fund.example"}).status == 409
        gm.add_message("ann@fund.example", mailgen.generate().for_mailbox("ann@fund.example")[0].raw)
        admin.post("/api/email/sync", {})
        wait_idle(admin)
        accounts = {a["email"]: a for a in admin.get("/api/email/status").data["accounts"]}
        assert accounts["ann@fund.example"]["messages"] == 1 and accounts["ann@fund.example"]["last_sync_at"]
        archived = admin.delete(f"/api/email/accounts/{accounts['ann@fund.example']['id']}")
        assert archived.status == 200
        assert admin.get("/api/email/accounts").data == []
        assert len(admin.get("/api/email/activity").data) == 1  # its mail is kept
        entries = [e["action"] for e in admin.get("/api/audit-log?limit=100").data]
        assert {"email.service_account_saved", "email.account_enrolled", "email.account_archived"} <= set(entries)


def test_oauth_consent_round_trip_and_sync(start_server):
    with GmailEmulator() as gm:
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url,
                           CRM_GOOGLE_AUTH_URL=gm.url + "/o/oauth2/auth",
                           CRM_GMAIL_OAUTH_CLIENT_ID="client-1", CRM_GMAIL_OAUTH_CLIENT_SECRET="secret-1")
        admin = srv.bootstrap()
        started = admin.post("/api/email/oauth/start")
        assert started.status == 200
        query = parse_qs(urlsplit(started.data["url"]).query)
        assert query["access_type"] == ["offline"] and "gmail.readonly" in query["scope"][0]
        state = query["state"][0]
        gm.add_oauth_code("code-123", "ben@fund.example", "refresh-abc")
        for fm in mailgen.generate().for_mailbox("ben@fund.example")[:5]:
            gm.add_message("ben@fund.example", fm.raw)
        anon = srv.client()
        forged = anon.get("/api/email/oauth/callback?code=code-123&state=" + state[:-4] + "AAAA")
        assert forged.status == 302 and "error=" in forged.headers["Location"]
        back = anon.get(f"/api/email/oauth/callback?code=code-123&state={state}")
        assert back.status == 302 and back.headers["Location"].endswith("connected=ben%40fund.example")
        accounts = admin.get("/api/email/accounts").data
        assert [(a["email"], a["auth"]) for a in accounts] == [("ben@fund.example", "oauth")]
        with sqlite3.connect(srv.data_dir / "crm.db") as conn:  # sealed at rest, never the token itself
            sealed = conn.execute("SELECT refresh_token FROM email_accounts").fetchone()[0]
        assert sealed.startswith("v1:") and "refresh-abc" not in sealed
        assert "refresh" not in json.dumps(admin.get("/api/email/status").json)
        admin.post("/api/email/sync", {})
        wait_idle(admin)
        run = admin.get("/api/email/sync/runs").data[0]
        assert run["status"] == "ok" and run["new"] == 5 and run["account"] == "ben@fund.example", run
        gm.revoke_refresh_token("refresh-abc")
        admin.post("/api/email/sync", {})
        wait_idle(admin)
        run = admin.get("/api/email/sync/runs").data[0]
        assert run["status"] == "error" and "ben@fund.example" in run["error"], run
        assert admin.get("/api/email/status").data["accounts"][0]["last_error"]


def test_bad_mail_uploads_are_4xx_and_write_nothing(start_server):
    srv = start_server(**TEAM)
    admin = srv.bootstrap()
    empty = admin.request("POST", "/api/email/import", raw=b"", headers={"Content-Type": "application/mbox"})
    assert empty.status == 400
    wrong = admin.request("POST", "/api/email/import", raw=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert wrong.status == 415
    junk = admin.request("POST", "/api/email/import", raw=b"\n\n   \n", headers={"Content-Type": "application/mbox"})
    assert junk.status == 400 and "no email" in junk.json["error"]
    bad_box = admin.request("POST", "/api/email/import?mailbox=nobody", raw=b"From x\nSubject: a\n\nb\n",
                            headers={"Content-Type": "application/mbox"})
    assert bad_box.status == 400 and bad_box.json["field"] == "mailbox"
    one = mailgen.generate().messages[0].raw
    eml = admin.request("POST", "/api/email/import", raw=one, headers={"Content-Type": "message/rfc822"})
    assert eml.status == 200 and eml.data["new"] == 1
    assert admin.get("/api/email/messages/no-such-id").status == 404
    assert admin.get("/api/email/threads/no-such-id").status == 404
    assert admin.post("/api/email/proposals/no-such-id/approve").status == 404
    assert admin.get("/api/email/activity?direction=sideways").status == 400
