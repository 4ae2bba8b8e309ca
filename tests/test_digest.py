"""The digest's policy, preview, Send now, test email, log and daily schedule, against a real SMTP
server (aiosmtpd on 127.0.0.1): over HTTP with the real server, and the scheduler's decisions
in process with an injected clock (the same service the server runs)."""
from __future__ import annotations

import email
import email.policy
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpers import make_user, sign_in
from smtp_server import SmtpServer


@pytest.fixture
def smtp():
    with SmtpServer(mode="plain") as server:
        yield server


def crm_env(smtp) -> dict:
    return {**smtp.env(), "CRM_DIGEST_CHECK_SECONDS": 1, "CRM_PUBLIC_URL": "https://crm.fund.example"}


@pytest.fixture
def mail_server(start_server, smtp):
    """A private CRM that mails through the real SMTP server, with an admin signed in."""
    srv = start_server(**crm_env(smtp))
    admin = srv.bootstrap()
    return srv, admin


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def wait_for(predicate, timeout=15.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_the_policy_starts_off_at_six_pm_box_time_and_is_validated(mail_server):
    srv, admin = mail_server
    policy = admin.get("/api/admin/digest/policy").data
    assert (policy["enabled"], policy["hour"], policy["transport"], policy["timezone_is_box"]) == (False, 18, "smtp", True)
    assert policy["recipients"] == ["admin@fund.example"] and policy["next_send_at"] is None
    assert {t["name"]: t["available"] for t in policy["transports"]} == {"smtp": True, "gmail": False}
    for body, field in (({"hour": 24}, "hour"), ({"timezone": "Mars/Olympus"}, "timezone"), ({"transport": "fax"}, "transport"),
                        ({"enabled": "yes please"}, "enabled")):
        bad = admin.patch("/api/admin/digest/policy", body)
        assert bad.status == 400 and bad.json.get("field") == field, bad
    changed = admin.patch("/api/admin/digest/policy", {"hour": 7, "timezone": "Europe/Berlin", "transport": "gmail"}).data
    assert (changed["hour"], changed["timezone"], changed["transport"], changed["timezone_is_box"]) == (7, "Europe/Berlin", "gmail", False)
    audit = admin.get("/api/audit-log?action=digest.policy_updated").data
    assert audit[0]["details"]["hour"] == {"old": 18, "new": 7}
    member = sign_in(srv, make_user(admin)["username"])
    assert member.get("/api/admin/digest/policy").status == 403
    assert member.post("/api/admin/digest/send-now", {}).status == 403


def test_preview_sends_nothing_and_send_now_reaches_active_admins_only(mail_server, smtp):
    srv, admin = mail_server
    admin.post("/api/fundraising/rows", {"values": {"Name": "Halcyon Family Office"}})
    second = make_user(admin, role="admin")
    gone = make_user(admin, role="admin")
    make_user(admin, role="member")
    assert admin.patch(f"/api/admin/users/{gone['id']}", {"is_active": False}).status == 200

    preview = admin.post("/api/admin/digest/preview", {}).data
    assert preview["subject"] and preview["text"] and "<html" in preview["html"].lower()
    assert preview["narrative"] == "fallback" and preview["window"]["since"] < preview["window"]["until"]
    time.sleep(0.3)
    assert smtp.messages == [], "a preview sends nothing"

    sent = admin.post("/api/admin/digest/send-now", {})
    assert sent.status == 200, sent
    assert sorted(sent.data["sent_to"]) == sorted(["admin@fund.example", second["email"]]) and sent.data["transport"] == "smtp"
    [message] = wait_for(lambda: smtp.messages)
    assert sorted(message.envelope_to) == sorted(["admin@fund.example", second["email"]])
    mail = parsed(message.raw)
    assert mail["Subject"] == preview["subject"]
    kinds = [part.get_content_type() for part in mail.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "text/html"]
    assert "https://crm.fund.example/#/" in mail.get_body(("html",)).get_content()

    [entry] = admin.get("/api/admin/digest/log").data
    assert (entry["kind"], entry["status"], entry["transport"], entry["narrative"]) == ("now", "sent", "smtp", "fallback")
    assert sorted(entry["recipients"]) == sorted(sent.data["sent_to"]) and entry["size_bytes"] > 500
    assert admin.post("/api/admin/digest/preview", {"since": "2026-11-02", "until": "2026-11-01"}).status == 400
    assert admin.post("/api/admin/digest/preview", {"since": "2026-01-01", "until": "2026-11-01"}).status == 400
    assert admin.post("/api/admin/digest/preview", {"since": "last week"}).json["field"] == "since"


def test_the_test_email_goes_only_to_an_active_admin(mail_server, smtp):
    srv, admin = mail_server
    member = make_user(admin, role="member")
    for address in (member["email"], "lp@investor.example", "ADMIN@fund.example.evil.com"):
        refused = admin.post("/api/admin/digest/test-email", {"to": address})
        assert refused.status == 400 and refused.json["field"] == "to", refused
    ok = admin.post("/api/admin/digest/test-email", {"to": "Admin@Fund.example"})
    assert ok.status == 200 and ok.data["transport"] == "smtp"
    [message] = wait_for(lambda: smtp.messages)
    assert [a.lower() for a in message.envelope_to] == ["admin@fund.example"]
    assert len(smtp.messages) == 1
    assert [e["kind"] for e in admin.get("/api/admin/digest/log").data] == ["test"]


def _zone_with_local_hour_between(low: int, high: int) -> tuple[str, int]:
    """A fixed-offset zone in which it is now between `low` and `high` o'clock, and that hour."""
    now = datetime.now(timezone.utc)
    for offset in range(-12, 15):
        name = f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}" if offset else "UTC"
        hour = now.astimezone(ZoneInfo(name)).hour
        if low <= hour <= high and now.astimezone(ZoneInfo(name)).minute < 58:
            return name, hour
    pytest.skip("no zone fits this minute")


def test_the_schedule_sends_once_the_hour_has_come_and_once_across_a_restart(mail_server, smtp, start_server):
    srv, admin = mail_server
    zone, hour = _zone_with_local_hour_between(2, 21)
    admin.patch("/api/admin/digest/policy", {"enabled": True, "timezone": zone, "hour": hour + 1})
    time.sleep(2.5)
    assert smtp.messages == [], "not before its hour"
    policy = admin.patch("/api/admin/digest/policy", {"hour": hour}).data
    assert policy["next_send_at"] is not None
    [message] = wait_for(lambda: smtp.messages, timeout=10)
    assert parsed(message.raw)["Subject"].startswith("Venture CRM digest")
    srv.stop()
    again = start_server(data_dir=srv.data_dir, port=srv.port, **crm_env(smtp))  # a restart must not send the day again
    time.sleep(3)
    assert len(smtp.messages) == 1
    log = again.client(srv.admin_token).get("/api/admin/digest/log").data
    assert [(e["kind"], e["status"]) for e in log] == [("daily", "sent")]


# --- the scheduler's decisions, in process with an injected clock ---------------------------------

class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def digests(tmp_path, smtp):
    from backend.config import load_settings
    from backend.digest.service import Digests
    from backend.principal import system
    from backend.server import App
    app = App(load_settings({"CRM_DATA_DIR": str(tmp_path), "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4", **smtp.env()}))
    app.start(background=False)
    app.accounts.register_first("boss", "boss@fund.example", "correct horse battery", None)
    clock = Clock(datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    service = Digests(app.db, app.settings, app.llm, app.outbox, clock=clock)
    service.update_policy(system("test"), {"enabled": True, "hour": 18, "timezone": "Europe/Berlin"})
    yield service, clock, app
    app.db.close()


def test_due_at_the_hour_once_per_day(digests, smtp):
    service, clock, _ = digests
    assert service.due() is None and service.send_daily() is None
    clock.moment = clock.moment.replace(hour=18, minute=0, second=30)
    assert service.due() == "2026-12-01"
    first = service.send_daily()
    assert first["day"] == "2026-12-01" and first["sent_to"] == ["boss@fund.example"]
    clock.moment += timedelta(minutes=1)
    assert service.due() is None and service.send_daily() is None
    assert len(smtp.messages) == 1
    # The next day: its window starts where yesterday's ended (the cursor).
    clock.moment += timedelta(days=1)
    second = service.send_daily()
    log, _ = service.log(10, 0)
    assert second["day"] == "2026-12-02" and log[0]["since"] == log[1]["until"]


def test_after_downtime_one_digest_catches_up(digests, smtp):
    service, clock, _ = digests
    clock.moment = clock.moment.replace(hour=18)
    service.send_daily()
    clock.moment += timedelta(days=3, hours=3)  # down for three days, back at 21:00
    caught = service.send_daily()
    assert caught["day"] == "2026-12-04"
    assert service.send_daily() is None and len(smtp.messages) == 2
    log, _ = service.log(10, 0)
    assert log[0]["since"] == log[1]["until"], "it covers everything since the last digest"


def test_a_send_cut_short_is_never_repeated(digests, smtp):
    service, clock, _ = digests
    from backend.digest.service import SCHEDULER
    clock.moment = clock.moment.replace(hour=19)
    service._claim(SCHEDULER, "daily", "2026-12-01", clock.moment - timedelta(hours=2), clock.moment)  # then killed
    assert service.interrupt_stale() == 1
    assert service.send_daily() is None and smtp.messages == []
    log, _ = service.log(10, 0)
    assert log[0]["status"] == "interrupted" and "not sent again" in log[0]["error"]


def test_a_refusing_server_is_retried_later_not_every_minute(digests):
    from backend import mailer
    from backend.digest.service import Digests
    service, clock, app = digests
    with SmtpServer(mode="refuse") as refusing:
        gmail = next(t for t in app.outbox.transports if t.name == "gmail")  # not set up: skipped
        outbox = mailer.Outbox([mailer.SmtpTransport(refusing.settings()), gmail], audience=app.outbox.audience,
                               sender=refusing.sender)
        failing = Digests(app.db, app.settings, app.llm, outbox, clock=clock)
        clock.moment = clock.moment.replace(hour=18)
        failed = failing.send_daily()
        assert "refused" in failed["error"] or "550" in failed["error"], failed
        clock.moment += timedelta(minutes=5)
        assert failing.due() is None, "not again within 15 minutes"
        clock.moment += timedelta(minutes=11)
        assert failing.due() == "2026-12-01"
        log, _ = failing.log(10, 0)
        assert log[0]["status"] == "failed" and log[0]["error"]
