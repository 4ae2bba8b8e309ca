"""Outbound mail over SMTP (STARTTLS, implicit TLS or plain), configured by the `SMTP_*` settings.

Used only for mail to the team (invites, digests). Nothing here ever writes to an investor.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from .config import SmtpSettings

TIMEOUT_SECONDS = 15


class MailError(Exception):
    """Sending failed; the message says why in terms an admin can act on."""


def send_mail(smtp: SmtpSettings, to: str, subject: str, text: str) -> None:
    if not smtp.enabled:
        raise MailError("outbound mail is not configured (set SMTP_HOST and SMTP_FROM)")
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    context = ssl.create_default_context()
    try:
        if smtp.security == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail via {smtp.host}:{smtp.port}: {exc}") from exc
