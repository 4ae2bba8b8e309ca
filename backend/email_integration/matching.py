"""Which investors an email is about: a person's exact address (confidence 1.0), else the
organisation's domain (0.6), never a free-mail domain and never the team's own. Built from the
grid's people and website columns; pure (no database), so matching a message costs a few dict
lookups."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

EXACT, DOMAIN = "exact_email", "domain"
CONFIDENCE = {EXACT: 1.0, DOMAIN: 0.6}

# Addresses anyone can have: a shared domain says nothing about which organisation a person is in.
FREE_MAIL_DOMAINS = frozenset("""
gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com msn.com yahoo.com yahoo.co.uk
ymail.com rocketmail.com icloud.com me.com mac.com aol.com proton.me protonmail.com protonmail.ch pm.me
gmx.com gmx.de gmx.net web.de mail.com email.com zoho.com zohomail.com yandex.com yandex.ru mail.ru
inbox.com fastmail.com fastmail.fm hey.com tutanota.com tuta.io qq.com 163.com 126.com sina.com
comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net earthlink.net btinternet.com
orange.fr free.fr laposte.net t-online.de libero.it naver.com hanmail.net rediffmail.com
""".split())

# Local parts of machine senders: linked like any mail, but never proposed as a person or a touch.
AUTOMATED_LOCAL_PARTS = ("noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster",
                         "notifications", "notification", "newsletter", "news", "bounce", "bounces",
                         "updates", "marketing", "info-noreply", "calendar-notification")


@dataclass(frozen=True)
class Match:
    investor_id: str
    kind: str                 # EXACT or DOMAIN
    confidence: float
    address: str              # the counterpart address that matched
    contact_id: str | None    # the person, for an exact match


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def is_automated(address: str) -> bool:
    local = address.partition("@")[0].lower()
    return local in AUTOMATED_LOCAL_PARTS or local.startswith(("noreply", "no-reply", "bounce"))


def website_domain(value) -> str | None:
    """The domain of a website cell ("https://www.acme.vc/team" -> "acme.vc")."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    host = host.lower().removeprefix("www.")
    return host if "." in host else None


class Matcher:
    """An index of the grid's addresses and organisation domains."""

    def __init__(self, investors: Iterable[tuple[str, list[dict], list[str]]], team_domains: Iterable[str] = ()):
        """`investors`: (investor id, people [{id, email}], website domains) for every live investor."""
        self.team_domains = {d.lower() for d in team_domains}
        self.addresses: dict[str, list[tuple[str, str | None]]] = {}
        self.domains: dict[str, set[str]] = {}
        for investor_id, people, websites in investors:
            for person in people or ():
                email = (person.get("email") or "").strip().lower()
                if "@" not in email:
                    continue
                self.addresses.setdefault(email, []).append((investor_id, person.get("id")))
                self._add_domain(domain_of(email), investor_id)
            for domain in websites:
                self._add_domain(domain, investor_id)

    def _add_domain(self, domain: str, investor_id: str) -> None:
        if domain and self.usable_domain(domain):
            self.domains.setdefault(domain, set()).add(investor_id)

    def usable_domain(self, domain: str) -> bool:
        """May a domain stand for an organisation? Not free mail, not ours."""
        return domain not in FREE_MAIL_DOMAINS and not self.is_team_domain(domain)

    def is_team_domain(self, domain: str) -> bool:
        return any(domain == d or domain.endswith("." + d) for d in self.team_domains)

    def is_team(self, address: str, team_addresses: set[str]) -> bool:
        """One of the team's own addresses: an enrolled mailbox, or on a team domain."""
        return address in team_addresses or self.is_team_domain(domain_of(address))

    def _domain_investors(self, domain: str) -> set[str]:
        # A subdomain (us.acme.com) belongs to the organisation of its parent (acme.com).
        labels = domain.split(".")
        for start in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[start:]))
            if found:
                return found
        return set()

    def match(self, addresses: Iterable[str]) -> dict[str, Match]:
        """The best match per investor for a message's counterpart addresses."""
        best: dict[str, Match] = {}
        for address in addresses:
            exact = self.addresses.get(address)
            if exact:
                for investor_id, contact_id in exact:
                    best[investor_id] = Match(investor_id, EXACT, CONFIDENCE[EXACT], address, contact_id)
                continue
            domain = domain_of(address)
            if not self.usable_domain(domain):
                continue
            for investor_id in self._domain_investors(domain):
                if investor_id not in best:
                    best[investor_id] = Match(investor_id, DOMAIN, CONFIDENCE[DOMAIN], address, None)
        return best

    def keys(self) -> dict[str, frozenset]:
        """What the matching depends on, for telling which addresses and domains a grid change
        affected: address/domain -> the investors it points at."""
        out = {a: frozenset(i for i, _ in v) for a, v in self.addresses.items()}
        out.update({"@" + d: frozenset(v) for d, v in self.domains.items()})
        return out


def from_grid(columns: list[dict], live_rows: Iterable[tuple[str, dict]], team_domains: Iterable[str]) -> Matcher:
    """A matcher over the grid as it is: each investor's people, and its website (url) columns."""
    people_col = next((c["id"] for c in columns if c["type"] == "contacts"), None)
    url_cols = [c["id"] for c in columns if c["type"] == "url"]
    email_cols = [c["id"] for c in columns if c["type"] == "email"]

    def investors():
        for investor_id, values in live_rows:
            people = list(values.get(people_col) or []) if people_col else []
            people += [{"id": None, "email": values.get(c)} for c in email_cols if values.get(c)]
            websites = [d for d in (website_domain(values.get(c)) for c in url_cols) if d]
            yield investor_id, people, websites
    return Matcher(investors(), team_domains)
