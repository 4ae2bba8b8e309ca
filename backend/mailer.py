"""The one outbound path for mail: `Outbox` (on the app as `app.outbox`) builds a message and hands
it to the first transport that works, SMTP (`SmtpTransport`, the `SMTP_*` settings) or Gmail
(`email_integration.outbound.GmailTransport`).

Only mail to the team leaves the box: `Outbox.send` refuses, before anything is built or sent,
any recipient its `audience` does not vouch for (the app's: an active account's email or a
pending invite's). Nothing here ever writes to an investor; `tests/test_mailer.py` checks that
nothing else in backend/ sends mail at all.
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Callable, Protocol

from .config import SmtpSettings
from .validation import EMAIL_RE

TIMEOUT_SECONDS = 15
log = logging.getLogger("crm.mail")

# Headers build_message writes itself; `headers=` may add others (Reply-To, Auto-Submitted, X-...).
_OWN_HEADERS = {"from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "sender"}
_SECURITY_NAMES = {"starttls": "STARTTLS", "tls": "implicit TLS", "none": "no TLS"}


class MailError(Exception):
    """Sending failed or was refused; the message says why in terms an admin can act on.
    `attempts` lists each transport tried and its error."""

    def __init__(self, message: str, attempts: list[dict] | None = None):
        super().__init__(message)
        self.attempts = attempts or []


def build_message(sender: str, to: list[str], subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """A UTF-8 message from `sender` to `to`: text/plain, or multipart/alternative (text/plain
    then text/html) when `html` is given, with Date and a Message-ID in the sender's domain. An
    empty `sender` leaves From out for the transport to set (Gmail sends as its mailbox)."""
    if isinstance(to, str):
        to = [to]
    try:
        message = EmailMessage()
        if sender:
            message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        domain = parseaddr(sender)[1].rpartition("@")[2] if sender else ""
        message["Message-ID"] = make_msgid(domain=domain or "localhost")
        for name, value in (headers or {}).items():
            if name.lower() in _OWN_HEADERS or name.lower().startswith("content-"):
                raise ValueError(f"header {name} is set by the mailer, not by the caller")
            message[name] = value
        message.set_content(text, charset="utf-8", cte=None if text.isascii() else "quoted-printable")
        if html is not None:
            message.add_alternative(html, subtype="html", charset="utf-8",
                                    cte=None if html.isascii() else "quoted-printable")
    except (ValueError, TypeError) as exc:  # a newline in a header, a non-string body
        raise MailError(f"cannot build the message: {exc}") from None
    return message


def recipients_of(message: EmailMessage) -> list[str]:
    """The addresses of To, Cc and Bcc."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


class Transport(Protocol):
    """A way out for a built message. `send` raises MailError saying what to fix."""
    name: str   # "smtp" | "gmail"

    def available(self) -> bool:
        """Set up enough to try (configured; says nothing about whether it will work)."""

    def describe(self) -> str:
        """One line for the admin: where mail goes and as whom (never a password)."""

    def send(self, message: EmailMessage) -> None:
        ...


class SmtpTransport:
    """SMTP through smtplib: `none` (plain), `starttls` (STARTTLS, required once asked for) or
    `tls` (implicit TLS), AUTH when SMTP_USERNAME is set. Certificates are verified against the
    system trust store (`ssl.create_default_context()`, which honours SSL_CERT_FILE) unless an
    `ssl_context` is given."""
    name = "smtp"

    def __init__(self, smtp: SmtpSettings, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT_SECONDS):
        self.smtp, self.ssl_context, self.timeout = smtp, ssl_context, timeout

    def available(self) -> bool:
        return self.smtp.enabled

    def describe(self) -> str:
        smtp = self.smtp
        if not smtp.enabled:
            return "SMTP not configured (set SMTP_HOST and SMTP_FROM)"
        auth = f"AUTH as {smtp.username}" if smtp.username else "no AUTH"
        return f"SMTP {smtp.host}:{smtp.port} ({_SECURITY_NAMES.get(smtp.security, smtp.security)}, {auth})"

    def send(self, message: EmailMessage) -> None:
        smtp = self.smtp
        where = f"SMTP {smtp.host}:{smtp.port}"
        if not smtp.enabled:
            raise MailError(f"{self.describe()}")
        context = self.ssl_context or ssl.create_default_context()
        try:
            if smtp.security == "tls":
                client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=self.timeout)
            with client:
                if smtp.security == "starttls":
                    client.ehlo()
                    if not client.has_extn("starttls"):
                        raise MailError(f"{where} does not offer STARTTLS (set SMTP_SECURITY=tls if it expects "
                                        "TLS from the first byte, usually port 465)")
                    client.starttls(context=context)
                if smtp.username:
                    self._login(client, where)
                refused = client.send_message(message)
        except MailError:
            raise
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"{where} refused the sender {exc.sender}: {_reply(exc)} (may SMTP_USERNAME send "
                            "as SMTP_FROM?)") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(f"{where} refused every recipient: {_refusals(exc.recipients)}") from None
        except smtplib.SMTPDataError as exc:
            raise MailError(f"{where} refused the message: {_reply(exc)}") from None
        except smtplib.SMTPServerDisconnected as exc:
            raise MailError(f"{where} closed the connection: {exc or 'no reason given'} (does SMTP_SECURITY "
                            "match the port? 465 is usually tls, 587 starttls)") from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"{where} answered {_reply(exc)}") from None
        except smtplib.SMTPException as exc:
            raise MailError(f"{where}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise MailError(f"{where}: its TLS certificate could not be verified ({exc.verify_message}); the "
                            "certificate must be valid for SMTP_HOST and its CA in the system trust store") from None
        except ssl.SSLError as exc:
            raise MailError(f"{where}: TLS failed ({exc.reason or exc}); does SMTP_SECURITY match the port? "
                            "465 is usually tls, 587 starttls") from None
        except ConnectionRefusedError:
            raise MailError(f"{where}: connection refused (check SMTP_HOST and SMTP_PORT)") from None
        except socket.gaierror:
            raise MailError(f"{where}: cannot resolve {smtp.host} (check SMTP_HOST)") from None
        except TimeoutError:
            raise MailError(f"{where}: no answer within {self.timeout:g} s (check SMTP_HOST, SMTP_PORT, "
                            "SMTP_SECURITY and the firewall)") from None
        except OSError as exc:
            raise MailError(f"{where}: {type(exc).__name__}: {exc}") from None
        if refused:
            raise MailError(f"{where} refused {_refusals(refused)} (the other recipients were accepted)")

    def _login(self, client: smtplib.SMTP, where: str) -> None:
        try:
            client.login(self.smtp.username, self.smtp.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"{where} refused AUTH as {self.smtp.username}: {_reply(exc)} (check SMTP_USERNAME "
                            "and SMTP_PASSWORD)") from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(f"{where} offers no AUTH (SMTP_USERNAME is set: does it need SMTP_SECURITY=starttls "
                            "or tls first, or no login at all?)") from None


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def _refusals(refused: dict) -> str:
    parts = []
    for address, (code, text) in refused.items():
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address} ({code} {text})")
    return "; ".join(parts)


class Outbox:
    """Every automatic mail goes through `send`: team addresses only (`audience`), the first
    transport that works, in `order` when given (only the transports it names), else in list order.
    `sender` is the From address (SMTP_FROM); a transport may send as its own mailbox."""

    def __init__(self, transports: list[Transport], audience: Callable[[str], bool], sender: str):
        self.transports = list(transports)
        self.audience, self.sender = audience, sender

    def available(self) -> bool:
        """Whether any transport is set up (else a caller falls back to its manual path)."""
        return any(t.available() for t in self.transports)

    def status(self) -> list[dict]:
        """For the admin UI: [{"name", "available", "description"}] in list order."""
        return [{"name": t.name, "available": t.available(), "description": t.describe()} for t in self.transports]

    def send(self, to: list[str], subject: str, text: str, html: str | None = None,
             order: list[str] | None = None, headers: dict[str, str] | None = None) -> dict:
        """Send one message to `to` (each a team address) -> {"transport", "sent_to", "attempts"}
        (the transports that failed before it). MailError, and nothing sent, for a recipient
        outside the team; MailError listing every transport's error when none could send."""
        recipients = _clean_recipients(to)
        outsiders = [address for address in recipients if not self.audience(address)]
        if outsiders:
            log.warning("refused to send %r to %s: not an active account or a pending invite",
                        subject, ", ".join(outsiders))
            raise MailError(f"refused to send to {', '.join(outsiders)}: the CRM mails only the team (an active "
                            "account or a pending invite)")
        chain = self._chain(order)
        message = build_message(self.sender, recipients, subject, text, html,
                                {"Auto-Submitted": "auto-generated", **(headers or {})})
        attempts: list[dict] = []
        skipped: list[Transport] = []
        for transport in chain:
            if not transport.available():
                skipped.append(transport)
                continue
            try:
                transport.send(message)
            except MailError as exc:
                attempts.append({"transport": transport.name, "error": str(exc)})
                log.warning("mail %r via %s failed: %s", subject, transport.name, exc)
                continue
            log.info("sent %r to %s via %s", subject, ", ".join(recipients), transport.name)
            return {"transport": transport.name, "sent_to": recipients, "attempts": attempts}
        errors = [f"{a['transport']}: {a['error']}" for a in attempts]
        errors += [f"{t.name}: {t.describe()}" for t in skipped]
        if attempts:
            problem = f"could not send mail to {', '.join(recipients)}: {'; '.join(errors)}"
        else:
            problem = f"no way to send mail is set up ({'; '.join(errors) or 'no transports'})"
        log.error("mail %r not sent: %s", subject, problem)
        raise MailError(problem, attempts=attempts)

    def _chain(self, order: list[str] | None) -> list[Transport]:
        if order is None:
            return list(self.transports)
        by_name = {t.name: t for t in self.transports}
        unknown = [name for name in order if name not in by_name]
        if unknown:
            raise MailError(f"unknown mail transport {unknown[0]!r} (known: {', '.join(by_name)})")
        return [by_name[name] for name in dict.fromkeys(order)]


def _clean_recipients(to: list[str]) -> list[str]:
    if isinstance(to, str):
        to = [to]
    out: list[str] = []
    for address in to or []:
        address = address.strip() if isinstance(address, str) else ""
        if not EMAIL_RE.match(address) or len(address) > 254:
            raise MailError(f"{address!r} is not an email address")
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    if not out:
        raise MailError("no recipients")
    return out
