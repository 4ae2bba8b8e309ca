"""Tests of backend/mailer.py (the outbox, its SMTP transport, messages) and
backend/email_integration/outbound.py (its Gmail transport), against real servers: aiosmtpd in
each security mode (tests/smtp_server.py) and the real googleapiclient against the Gmail
emulator. The outbox mails only the team, falls back between transports in the order asked, and
says what failed; `test_nothing_but_the_outbox_sends_mail` keeps it the only way mail leaves."""
from __future__ import annotations

import ast
import json
import logging
import threading
import time
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from backend import mailer
from backend.config import SmtpSettings, load_settings
from backend.email_integration.outbound import GmailTransport
from backend.principal import Principal
from backend.server import App
from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import PASSWORD, free_port
from smtp_server import SmtpServer

BACKEND = Path(__file__).resolve().parent.parent / "backend"
ADMIN, ANN = "admin@fund.example", "ann@fund.example"
TEXT = "Five investors moved today.\nCafé Capital: soft circle — €2.5m.\n"
HTML = "<p>Five investors moved today.</p><p>Café Capital: <b>soft circle</b> — €2.5m.</p>"


# --- set-up -------------------------------------------------------------------------------------

def smtp_transport(smtp: SmtpServer, **overrides) -> mailer.SmtpTransport:
    return mailer.SmtpTransport(smtp.settings(**overrides), ssl_context=smtp.client_context() if smtp.tls else None,
                                timeout=5)


def team_only(*addresses):
    team = {a.lower() for a in addresses}
    return lambda address: address.lower() in team


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def assert_alternative(message, text=TEXT, html=HTML):
    """Valid multipart/alternative MIME with both parts, decoded back to what was sent."""
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = message.get_payload()
    assert (plain.get_content_type(), rich.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == rich.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == text.rstrip("\n")
    assert rich.get_content().strip() == html
    for part in (message, plain, rich):
        assert not part.defects, part.defects
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Auto-Submitted"] == "auto-generated"


class Crm:
    """An App in this process (no HTTP) whose Gmail is the emulator, with one active admin."""

    def __init__(self, tmp_path: Path, gm: GmailEmulator, **env):
        settings = load_settings({
            "CRM_DATA_DIR": str(tmp_path / "data"), "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
            "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0", "CRM_TEAM_DOMAINS": "fund.example",
            "CRM_GMAIL_API_URL": gm.url, "CRM_GOOGLE_TOKEN_URL": gm.token_url, **env})
        self.gm = gm
        self.app = App(settings)
        self.app.start(background=False)
        user = self.app.accounts.register_first("admin", ADMIN, PASSWORD, None)["user"]
        self.admin = Principal("user", id=user["id"], name="admin", role="admin")

    def enrol(self, *mailboxes: str) -> None:
        """Store a service-account key (once) and enrol each mailbox by delegation."""
        if self.app.email.service_account() is None:
            self.app.email.save_service_account_key(self.admin, json.dumps(make_service_account_key(self.gm.token_url))
                                                    .encode())
        for mailbox in mailboxes:
            self.app.email.enrol(self.admin, mailbox)
            time.sleep(0.01)  # distinct enrolment times: "the first enrolled" is well defined
        for thread in threading.enumerate():  # enrolling starts a backfill; let it finish
            if thread.name == "email-sync-now":
                thread.join(10)

    def gmail(self) -> GmailTransport:
        return GmailTransport(self.app.email)

    def outbox(self, *transports, sender="crm@fund.example") -> mailer.Outbox:
        """An outbox with the app's own team check (an active account or a pending invite)."""
        return mailer.Outbox(list(transports), audience=self.app.outbox.audience, sender=sender)

    def close(self) -> None:
        self.app.db.close()


@pytest.fixture
def gm():
    with GmailEmulator() as emulator:
        yield emulator


@pytest.fixture
def crm(tmp_path, gm):
    made = Crm(tmp_path, gm, SMTP_FROM="crm@fund.example")
    yield made
    made.close()


def sends(gm) -> list[str]:
    return [path for method, path, _, _ in gm.requests if method == "POST" and "/messages/send" in path]


# --- messages -----------------------------------------------------------------------------------

def test_build_message_text_only_and_alternative():
    plain = mailer.build_message("CRM <crm@fund.example>", [ADMIN], "Ready", "ascii only\n")
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert plain["Message-ID"].endswith("@fund.example>") and plain["From"] == "CRM <crm@fund.example>"
    rich = parse(mailer.build_message("crm@fund.example", [ADMIN, ANN], "Digest — Café", TEXT, HTML,
                                      {"Reply-To": ANN, "Auto-Submitted": "auto-generated"}).as_bytes())
    assert_alternative(rich)
    assert rich["Subject"] == "Digest — Café" and rich["To"] == f"{ADMIN}, {ANN}" and rich["Reply-To"] == ANN
    assert mailer.recipients_of(rich) == [ADMIN, ANN]


@pytest.mark.parametrize("subject, headers", [
    ("two\nlines", None),                      # header injection
    ("fine", {"Bcc": "lp@bigpension.example"}),  # recipients come only from `to`
    ("fine", {"Content-Type": "text/html"}),
    ("fine", {"X-Note": "a\r\nBcc: lp@bigpension.example"}),
])
def test_build_message_refuses_injected_headers(subject, headers):
    with pytest.raises(mailer.MailError, match="cannot build the message"):
        mailer.build_message("crm@fund.example", [ADMIN], subject, "text", headers=headers)


# --- SMTP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_each_smtp_mode_delivers_a_multipart_alternative_message(mode):
    with SmtpServer(mode) as smtp:
        outbox = mailer.Outbox([smtp_transport(smtp)], audience=team_only(ADMIN, ANN), sender=smtp.sender)
        result = outbox.send([ADMIN, ANN], "Daily digest — Café", TEXT, HTML)
        assert result == {"transport": "smtp", "sent_to": [ADMIN, ANN], "attempts": []}
        (got,) = smtp.messages
        assert got.envelope_from == "crm@fund.example" and got.envelope_to == [ADMIN, ANN]
        message = got.message
        assert_alternative(message)
        assert message["From"] == "crm@fund.example" and message["Subject"] == "Daily digest — Café"
        assert message["Message-ID"].endswith("@fund.example>")
        assert (got.tls, got.authenticated) == ((False, False) if mode == "plain" else (True, True))
        if mode != "plain":
            assert got.login == smtp.username and smtp.auth_attempts == [(smtp.username, True)]


def test_describe_names_the_server_and_never_the_password():
    with SmtpServer("starttls") as smtp:
        transport = smtp_transport(smtp)
        assert transport.describe() == f"SMTP 127.0.0.1:{smtp.port} (STARTTLS, AUTH as crm-mailer)"
        assert smtp.password not in transport.describe()
    implicit = mailer.SmtpTransport(SmtpSettings("smtp.fund.example", 465, "tls", "", "", "crm@fund.example"))
    assert implicit.available() and implicit.describe() == "SMTP smtp.fund.example:465 (implicit TLS, no AUTH)"
    off = mailer.SmtpTransport(SmtpSettings("", 587, "starttls", "", "", ""))
    assert not off.available() and "SMTP_HOST" in off.describe()


def test_certificates_are_verified_by_default():
    """Without a context trusting it, the self-signed certificate is refused (and nothing sent)."""
    with SmtpServer("starttls") as smtp:
        transport = mailer.SmtpTransport(smtp.settings(), timeout=5)  # the system trust store
        with pytest.raises(mailer.MailError, match="certificate could not be verified"):
            transport.send(mailer.build_message(smtp.sender, [ADMIN], "x", "y"))
        assert smtp.messages == [] and smtp.auth_attempts == []


def test_a_wrong_password_is_a_mail_error_naming_auth(caplog):
    caplog.set_level(logging.DEBUG)
    with SmtpServer("starttls") as smtp:
        outbox = mailer.Outbox([smtp_transport(smtp, SMTP_PASSWORD="not-the-password")],
                               audience=team_only(ADMIN), sender=smtp.sender)
        with pytest.raises(mailer.MailError) as caught:
            outbox.send([ADMIN], "Digest", TEXT)
        error = str(caught.value)
        assert "refused AUTH as crm-mailer" in error and "535" in error and "SMTP_PASSWORD" in error
        assert caught.value.attempts == [{"transport": "smtp", "error": caught.value.attempts[0]["error"]}]
        assert smtp.messages == [] and smtp.auth_attempts and all(
            attempt == ("crm-mailer", False) for attempt in smtp.auth_attempts)  # PLAIN, then LOGIN
        assert "not-the-password" not in error and "not-the-password" not in caplog.text


def test_connection_failures_name_what_to_check():
    closed = mailer.SmtpTransport(SmtpSettings("127.0.0.1", free_port(), "none", "", "", "crm@fund.example"))
    with pytest.raises(mailer.MailError, match="connection refused .check SMTP_HOST and SMTP_PORT"):
        closed.send(mailer.build_message("crm@fund.example", [ADMIN], "x", "y"))
    with SmtpServer("plain") as smtp:  # asked for STARTTLS, the server offers none
        with pytest.raises(mailer.MailError, match="does not offer STARTTLS"):
            smtp_transport(smtp, SMTP_SECURITY="starttls").send(mailer.build_message(smtp.sender, [ADMIN], "x", "y"))
        assert smtp.messages == []


# --- fallback and order -------------------------------------------------------------------------

def test_a_refusing_smtp_server_falls_back_to_gmail(crm, gm):
    crm.enrol(ANN)
    with SmtpServer("refuse") as smtp:
        outbox = crm.outbox(smtp_transport(smtp), crm.gmail())
        result = outbox.send([ADMIN], "Daily digest", TEXT, HTML)
    assert result["transport"] == "gmail" and result["sent_to"] == [ADMIN]
    (attempt,) = result["attempts"]
    assert attempt["transport"] == "smtp" and "refused every recipient" in attempt["error"] and "550" in attempt["error"]
    (raw,) = gm.sent[ANN]
    message = parse(raw)
    assert_alternative(message)
    assert message["From"] == ANN and message["To"] == ADMIN  # the sending mailbox, whatever SMTP_FROM says
    assert message["Message-ID"].endswith("@fund.example>")
    assert len(sends(gm)) == 1


def test_gmail_first_then_smtp_when_order_says_so(crm, gm):
    crm.enrol(ANN)
    with SmtpServer("plain") as smtp:
        outbox = crm.outbox(smtp_transport(smtp), crm.gmail())
        first = outbox.send([ADMIN], "One", TEXT, order=["gmail", "smtp"])
        assert (first["transport"], first["attempts"]) == ("gmail", []) and smtp.messages == []
        assert len(gm.sent[ANN]) == 1
        gm.deny_delegation(ANN)  # Gmail now refuses: SMTP takes over, with the message as built
        second = outbox.send([ADMIN], "Two", TEXT, HTML, order=["gmail", "smtp"])
        assert second["transport"] == "smtp"
        (attempt,) = second["attempts"]
        assert attempt["transport"] == "gmail" and ANN in attempt["error"] and "delegation" in attempt["error"]
        (got,) = smtp.messages
        assert got.message["From"] == "crm@fund.example" and got.message["Subject"] == "Two"
        assert_alternative(got.message)
        only = outbox.send([ADMIN], "Three", TEXT, order=["smtp"])  # only what `order` names is tried
        assert only["transport"] == "smtp" and len(smtp.messages) == 2
        with pytest.raises(mailer.MailError, match="unknown mail transport 'fax'"):
            outbox.send([ADMIN], "Four", TEXT, order=["fax"])
    assert len(gm.sent[ANN]) == 1


def test_both_failing_lists_both_and_logs_it(crm, gm, caplog):
    caplog.set_level(logging.INFO, logger="crm.mail")
    crm.enrol(ANN)
    gm.deny_delegation(ANN)
    with SmtpServer("refuse") as smtp:
        outbox = crm.outbox(smtp_transport(smtp), crm.gmail())
        with pytest.raises(mailer.MailError) as caught:
            outbox.send([ADMIN], "Daily digest", TEXT)
    error = str(caught.value)
    assert error.startswith(f"could not send mail to {ADMIN}: smtp: ") and "; gmail: " in error
    assert "550" in error and "delegation" in error
    assert [a["transport"] for a in caught.value.attempts] == ["smtp", "gmail"]
    failures = [r for r in caplog.records if r.name == "crm.mail" and r.levelno == logging.ERROR]
    assert len(failures) == 1 and "Daily digest" in failures[0].getMessage() and error in failures[0].getMessage()
    assert gm.sent == {}


def test_nothing_set_up_is_said_so(crm):
    outbox = crm.outbox(mailer.SmtpTransport(SmtpSettings("", 587, "starttls", "", "", "")), crm.gmail())
    assert not outbox.available()
    assert [(s["name"], s["available"]) for s in outbox.status()] == [("smtp", False), ("gmail", False)]
    assert "service-account key" in outbox.status()[1]["description"]
    with pytest.raises(mailer.MailError, match="no way to send mail is set up .smtp: SMTP not configured"):
        outbox.send([ADMIN], "x", "y")
    crm.app.email.save_service_account_key(crm.admin, json.dumps(make_service_account_key(crm.gm.token_url)).encode())
    assert "enrol a team mailbox" in crm.gmail().describe() and not crm.gmail().available()


def test_gmail_sends_as_smtp_from_when_enrolled_else_the_first_enrolled(tmp_path, gm):
    for sender, expected in (("digest@fund.example", "digest@fund.example"), ("crm@fund.example", ANN)):
        made = Crm(tmp_path / sender, gm, SMTP_FROM=sender)
        try:
            made.enrol(ANN, "digest@fund.example")
            gmail = made.gmail()
            assert gmail.available() and gmail.mailbox()["email"] == expected
            assert gmail.describe().startswith(f"Gmail API as {expected} (service account crm-sync@")
            made.outbox(gmail, sender=sender).send([ADMIN], f"From {sender}", TEXT)
            assert parse(gm.sent[expected][-1])["From"] == expected
        finally:
            made.close()


# --- the team only ------------------------------------------------------------------------------

def test_the_audience_guard_refuses_anyone_outside_the_team(crm, gm, caplog):
    caplog.set_level(logging.INFO, logger="crm.mail")
    app = crm.app
    app.grid.create_row(crm.admin, {"Name": "Big Pension", "Contacts": [{"name": "Lee Chen",
                                                                          "email": "lee@bigpension.example"}]})
    gone = app.accounts.create(crm.admin, "gone", "gone@fund.example", PASSWORD, "member")
    app.accounts.update(crm.admin, gone["id"], {"is_active": False})
    invited = app.invites.create_and_send(crm.admin, "new@fund.example", "member", "http://crm")
    revoked = app.invites.create_and_send(crm.admin, "late@fund.example", "member", "http://crm")
    app.invites.revoke(crm.admin, revoked["id"])
    assert not invited["email_sent"] and not revoked["email_sent"]  # no transport was set up yet
    crm.enrol(ANN)
    with SmtpServer("plain") as smtp:
        outbox = crm.outbox(smtp_transport(smtp), crm.gmail())
        for outsider in ("lee@bigpension.example", "gone@fund.example", "someone@random.example",
                         "late@fund.example"):
            for to in ([outsider], [ADMIN, outsider]):
                with pytest.raises(mailer.MailError, match=f"refused to send to {outsider}: the CRM mails only"):
                    outbox.send(to, "Daily digest", TEXT, HTML)
        assert smtp.messages == [] and gm.sent == {} and sends(gm) == []
        refusals = [r for r in caplog.records if r.name == "crm.mail" and "refused to send" in r.getMessage()]
        assert len(refusals) == 8
        with pytest.raises(mailer.MailError, match="not an email address"):
            outbox.send(["Lee <lee@bigpension.example>"], "x", "y")
        with pytest.raises(mailer.MailError, match="no recipients"):
            outbox.send([], "x", "y")
        assert smtp.messages == []
        # The team passes: an active account (any case) and a pending invite.
        assert outbox.send(["Admin@Fund.example", "new@fund.example"], "Hello", TEXT)["transport"] == "smtp"
        assert smtp.messages[-1].envelope_to == ["Admin@Fund.example", "new@fund.example"]
    assert invited["status"] == "pending"


def test_the_app_outbox_is_smtp_then_gmail(crm):
    app = crm.app
    assert [t.name for t in app.outbox.transports] == ["smtp", "gmail"]
    assert app.outbox.sender == "crm@fund.example"
    assert app.outbox.audience(ADMIN) and not app.outbox.audience("lee@bigpension.example")


# --- invites over HTTP --------------------------------------------------------------------------

def test_an_invite_goes_through_the_outbox_over_starttls(start_server):
    """A CRM server process trusting the test certificate through SSL_CERT_FILE (smtp.env())."""
    with SmtpServer("starttls") as smtp:
        srv = start_server(**smtp.env(), CRM_PUBLIC_URL="https://crm.fund.example")
        admin = srv.bootstrap()
        invite = admin.post("/api/admin/invites", {"email": "mailme@fund.example"}).data
        assert invite["email_sent"] is True and invite["email_error"] is None
        (got,) = smtp.messages
        assert got.envelope_to == ["mailme@fund.example"] and got.tls and got.login == smtp.username
        message = got.message
        assert message["From"] == "crm@fund.example" and message["Auto-Submitted"] == "auto-generated"
        assert invite["url"] in message.get_content() and not message.defects
        assert smtp.password not in srv.output()


def test_an_invite_falls_back_to_gmail_over_http(start_server, gm):
    with SmtpServer("refuse") as smtp:
        srv = start_server(**smtp.env(), CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url,
                           CRM_TEAM_DOMAINS="fund.example", CRM_EMAIL_SYNC_INTERVAL_SECONDS="0")
        admin = srv.bootstrap()
        key = make_service_account_key(gm.token_url)
        assert admin.request("POST", "/api/admin/email/service-account", raw=json.dumps(key).encode(),
                             headers={"Content-Type": "application/json"}).status == 201
        assert admin.post("/api/email/accounts", {"email": ANN}).status == 201
        invite = admin.post("/api/admin/invites", {"email": "newbie@fund.example", "role": "admin"}).data
        assert invite["email_sent"] is True and invite["email_error"] is None
        assert smtp.messages == []
    (raw,) = gm.sent[ANN]
    message = parse(raw)
    assert message["From"] == ANN and message["To"] == "newbie@fund.example"
    assert invite["url"] in message.get_content() and "as an admin" in message.get_content()


# --- nothing else sends -------------------------------------------------------------------------

# Every place that hands mail to the outbox, and why it may: the recipients are the team by
# construction (the outbox checks again). A new sender is a deliberate line here.
OUTBOX_SENDERS = {
    ("auth/invites.py", "send_invite_email"): "the invitee of a pending invite",
    ("digest/service.py", "Digests._deliver"): "the digest, to the active admins",
    ("digest/service.py", "Digests.test_email"): "the digest's test email, to an active admin",
}
# Where the outbox itself may be held and handed on (not sent with).
OUTBOX_WIRING = {("server.py", "App.__init__"), ("auth/invites.py", "Invites.create_and_send")}
OUTBOX_READS = {"send", "status", "available"}


def _sites(tree: ast.AST):
    """(node, qualified name of the enclosing function, parent) for every node."""
    def walk(node, scope, parent):
        yield node, ".".join(scope), parent
        for child in ast.iter_child_nodes(node):
            inner = scope + [node.name] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                              ast.ClassDef)) else scope
            yield from walk(child, inner, node)
    yield from walk(tree, [], None)


def mail_problems(root: Path) -> tuple[list[str], set]:
    """What test_nothing_but_the_outbox_sends_mail finds under `root`: (problems, outbox call sites)."""
    problems = []
    outbox_calls = set()
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        source = path.read_text()
        for needle in ("messages/send", "drafts/send", "smtp.gmail.com"):
            if needle in source:
                problems.append(f"{rel} names {needle!r}")
        for node, where, parent in _sites(ast.parse(source)):
            site = (rel, where)
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "smtplib" for a in node.names) \
                    or isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "smtplib":
                if rel != "mailer.py":
                    problems.append(f"{rel} imports smtplib: send through app.outbox")
            if not isinstance(node, ast.Call):
                if isinstance(node, ast.Attribute) and node.attr == "outbox" and isinstance(node.ctx, ast.Load):
                    read = isinstance(parent, ast.Attribute) and parent.attr in OUTBOX_READS
                    if not read and site not in OUTBOX_WIRING:
                        problems.append(f"{rel} ({where}) hands the outbox on: list it in OUTBOX_WIRING")
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "send" and isinstance(func, ast.Attribute):
                target = func.value
                if isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute) \
                        and target.func.attr in ("messages", "drafts"):
                    if site != ("email_integration/gmail.py", "GmailClient.send_message") \
                            or target.func.attr == "drafts":
                        problems.append(f"{rel} ({where}) calls {target.func.attr}().send")
                if isinstance(target, ast.Attribute) and target.attr == "outbox" \
                        or isinstance(target, ast.Name) and target.id in ("outbox", "Outbox"):
                    outbox_calls.add(site)
                    if site not in OUTBOX_SENDERS:
                        problems.append(f"{rel} ({where}) sends through the outbox: add {site!r} to OUTBOX_SENDERS")
            if name == "send_message" and site not in {("mailer.py", "SmtpTransport.send"),
                                                       ("email_integration/outbound.py", "GmailTransport.send")}:
                problems.append(f"{rel} ({where}) calls send_message: only the outbox's transports send")
            if name == "create_draft" and not path.stem.startswith("drafts"):
                problems.append(f"{rel} ({where}) makes a Gmail draft outside a drafts module")
            if name in ("Outbox", "SmtpTransport", "GmailTransport") and site != ("server.py", "App.__init__"):
                problems.append(f"{rel} ({where}) builds a {name}: the app has the one outbox")
    return problems, outbox_calls


def test_nothing_but_the_outbox_sends_mail():
    """No route or code path sends mail but the outbox, and the outbox only from known places: only
    mailer.py speaks SMTP; only the Gmail transport sends through Gmail (GmailClient.send_message
    is the one messages().send); drafts are made only by a drafts module and never sent; outboxes and
    transports are built only by the server."""
    problems, outbox_calls = mail_problems(BACKEND)
    assert not problems, "\n".join(problems)
    assert ("auth/invites.py", "send_invite_email") in outbox_calls  # the walk sees real call sites


def test_the_mail_walk_catches_each_way_around_it(tmp_path):
    (tmp_path / "grid").mkdir()
    (tmp_path / "grid" / "nudge.py").write_text(
        "import smtplib\n"
        "from ..mailer import Outbox\n"
        "def remind(app, client, row):\n"
        "    app.outbox.send([row['email']], 'Follow up', 'hi')\n"
        "    box = app.outbox\n"
        "    client._service.users().messages().send(userId='me', body={}).execute()\n"
        "    client._service.users().drafts().send(userId='me', body={}).execute()\n"
        "    client.send_message(b'raw')\n"
        "    client.create_draft(b'raw')\n"
        "    Outbox([], audience=lambda a: True, sender='x').send(['lp@x.example'], 's', 't')\n"
        "    url = 'https://gmail.googleapis.com/gmail/v1/users/me/messages/send'\n")
    problems, calls = mail_problems(tmp_path)
    assert calls == {("grid/nudge.py", "remind")}
    found = "\n".join(problems)
    for expected in ("imports smtplib", "sends through the outbox: add ('grid/nudge.py', 'remind')",
                     "hands the outbox on", "calls messages().send", "calls drafts().send", "calls send_message",
                     "makes a Gmail draft outside a drafts module", "builds a Outbox", "names 'messages/send'"):
        assert expected in found, expected
