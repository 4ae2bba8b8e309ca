"""The Gmail transport of the team outbox (`mailer.Outbox`, `app.outbox`): team mail (invites, the
digest) sent with users.messages.send as an enrolled team mailbox, through the service account's
domain-wide delegation (the gmail.compose scope capture already asks for covers sending). It
never sees mail to anyone outside the team: the Outbox refuses such a recipient before any
transport is asked. Nothing else in backend/ calls GmailClient.send_message (tests/test_mailer.py).

Which mailbox sends: the delegated mailbox whose address is SMTP_FROM when that one is enrolled,
else the delegated mailbox enrolled first. The message goes out From that mailbox (Gmail would
rewrite any other From), with a Message-ID in its domain. Mailboxes connected by a person's own
OAuth consent never send: they are that person's, not the team's.
"""
from __future__ import annotations

import copy
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from . import gmail
from ..mailer import MailError


class GmailTransport:
    """`mailer.Transport` over the Gmail API; available once a service-account key is stored and
    at least one mailbox is enrolled by delegation."""
    name = "gmail"

    def __init__(self, email_service):
        self.email = email_service   # the app's EmailCapture: the key, the mailboxes, client_for()

    def mailbox(self) -> dict | None:
        """The enrolled account that sends, or None while Gmail is not set up."""
        if self.email.service_account() is None:
            return None
        delegated = sorted((a for a in self.email.engine.accounts() if a["auth"] == "delegation"),
                           key=lambda a: (a["created_at"] or "", a["email"]))
        if not delegated:
            return None
        sender = parseaddr(self.email.settings.smtp.sender)[1].lower()
        return next((a for a in delegated if a["email"].lower() == sender), delegated[0])

    def available(self) -> bool:
        return self.mailbox() is not None

    def describe(self) -> str:
        key = self.email.service_account()
        if key is None:
            return "Gmail not set up (upload the service-account key in Settings -> Email)"
        account = self.mailbox()
        if account is None:
            return "Gmail not set up (enrol a team mailbox by domain-wide delegation in Settings -> Email)"
        return f"Gmail API as {account['email']} (service account {key['client_email']}, domain-wide delegation)"

    def send(self, message: EmailMessage) -> None:
        account = self.mailbox()
        if account is None:
            raise MailError(self.describe())
        address = account["email"]
        raw = _as_mailbox(message, address)
        try:
            client = self.email.client_for(account)
        except gmail.GmailError as exc:
            raise MailError(f"Gmail as {address}: {exc}") from None
        try:
            client.send_message(raw)
        except gmail.AuthFailed as exc:
            raise MailError(f"Gmail refused sending as {address}: {exc} (the service account needs domain-wide "
                            "delegation for the gmail.compose scope)") from None
        except gmail.GmailError as exc:
            raise MailError(f"Gmail could not send as {address}: {exc}") from None
        finally:
            client.close()


def _as_mailbox(message: EmailMessage, address: str) -> bytes:
    """The message's bytes From `address` (a copy: the next transport gets the original)."""
    outgoing = copy.deepcopy(message)
    if "From" in outgoing:
        outgoing.replace_header("From", address)
    else:
        outgoing["From"] = address
    domain = address.rpartition("@")[2]
    current = parseaddr(str(outgoing.get("Message-ID", "")))[1]
    if current.rpartition("@")[2].lower() != domain.lower():
        new_id = make_msgid(domain=domain)
        if "Message-ID" in outgoing:
            outgoing.replace_header("Message-ID", new_id)
        else:
            outgoing["Message-ID"] = new_id
    return outgoing.as_bytes(policy=outgoing.policy.clone(linesep="\r\n"))
