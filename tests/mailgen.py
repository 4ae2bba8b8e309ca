"""A deterministic fixture mailbox for the email capture tests (sync, import, threading, matching,
the browser): `generate(seed, threads)` builds ~30 investors and ~600 raw messages between them
and the team's two Gmail mailboxes, with the ground truth known from construction (which
conversation a message belongs to, which mailboxes hold it, its direction, its counterparts,
the investor it should match, its attachments and text).

What is in it, on purpose:
- investors on corporate domains (1-3 people each); one person on a subdomain of their investor's
  domain (s.laurent@geneva.silverline-mfo.example); one investor whose only person uses a
  gmail.com address (only exact-address matching finds it); two investors with no mail at all
  (Ironwood, Quarry Hill); unknown senders on domains no investor has, one on outlook.com;
  a newsletter; internal mail between ann and ben only; an auto-reply;
- threads of 1-8 messages with In-Reply-To/References chains, replies in both directions,
  June 2025 to 2026-11-30, some with ann and ben both on them (the same raw bytes in both
  mailboxes: duplicate sightings), some where a reply changed the subject (Gmail starts a new
  Gmail thread there, as Gmail does; thread_key stays the conversation);
- a forward (message/rfc822 attached) and a forward of that forward, each carrying the
  original's attachment; the same deck PDF on five messages and the same CSV on two (SHA-256
  dedupe); a ~300 KB attachment (small caps); RFC 2231 and encoded-word filenames; a cid: image;
- iso-8859-1, windows-1252, shift_jis, koi8-r and a declared-but-unknown charset with invalid
  bytes; quoted-printable and base64 bodies, one with broken base64 padding; HTML-only mail with
  a remote image, a <script> and a javascript: link; a message with a malformed Date, a broken
  encoded-word subject, 8-bit header bytes, a header line without colon and addresses without @;
  one without Message-ID; one whose body has lines starting "From " and ">From " (mbox escaping).

Raw messages use CRLF line ends, as the Gmail API returns them. `Fixture.to_mbox` writes mboxrd.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape

TEAM_DOMAIN = "fund.example"
TEAM_MAILBOXES = ("ann@fund.example", "ben@fund.example")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me")
TEAM_NAMES = {"ann@fund.example": "Ann Whitaker", "ben@fund.example": "Ben Okafor"}
TEAM_TZ = "-0700"
FUND_NAME = "Example Ventures"
START = datetime(2025, 6, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)
NEWSLETTER = ("LP Weekly", "digest@lpweekly.example")
PORTAL = ("Kestrel Investor Portal", "no-reply@portal.kestrelcap.example")
SILENT_INVESTORS = ("Ironwood Family Office", "Quarry Hill Endowment")


@dataclass
class FixtureInvestor:
    name: str
    domain: str | None
    people: list[dict]  # {name, email, title}
    category: str = ""  # "family office", "endowment", "fund of funds", ...


@dataclass
class FixtureMessage:
    raw: bytes
    message_id: str
    mailboxes: list[str]               # team mailboxes holding it (both: a duplicate sighting)
    gmail_ids: dict[str, str]          # mailbox -> that mailbox's Gmail message id
    gmail_thread_ids: dict[str, str]
    thread_key: str                    # the conversation it belongs to (threading ground truth)
    sent_at: str                       # when it was really sent (also for a malformed Date header)
    direction: str                     # "inbound" | "outbound" | "internal" for the team
    counterparts: list[str]            # non-team addresses on it
    kind: str
    subject: str = ""                  # as meant (decoded)
    sender: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)  # {filename, content_type, size, sha256, inline}
    expect_text: list[str] = field(default_factory=list)   # must appear in the parsed text
    investor: str | None = None        # the investor its counterparts belong to, if any


@dataclass
class Fixture:
    investors: list[FixtureInvestor]
    messages: list[FixtureMessage]  # in sending order

    def for_mailbox(self, mailbox: str) -> list[FixtureMessage]:
        return [message for message in self.messages if mailbox in message.mailboxes]

    def of_kind(self, kind: str) -> list[FixtureMessage]:
        return [message for message in self.messages if message.kind == kind]

    def investor(self, name: str) -> FixtureInvestor:
        return next(investor for investor in self.investors if investor.name == name)

    def to_mbox(self, messages: list[FixtureMessage] | None = None) -> bytes:
        """mboxrd: a "From sender date" separator line before each message, body lines matching
        ^>*From  escaped with one more '>', a blank line after each message."""
        out = []
        for message in self.messages if messages is None else messages:
            when = datetime.strptime(message.sent_at, "%Y-%m-%dT%H:%M:%S.%fZ")
            out.append(f"From {message.sender or 'MAILER-DAEMON'} {when:%a %b %d %H:%M:%S %Y}\n".encode())
            body = _MBOX_FROM.sub(rb">\1", message.raw)
            out.append(body if body.endswith(b"\n") else body + b"\r\n")
            out.append(b"\n")
        return b"".join(out)


_MBOX_FROM = re.compile(rb"^(>*From )", re.M)
_SUBJECT_PREFIXES = re.compile(r"^((re|fwd?|aw|wg|automatic reply):\s*)+", re.I)

# name, category, domain, time zone, people (name, mailbox local part, title)
_INVESTORS = [
    ("Halvorsen Family Office", "family office", "halvorsen-fo.example", "+0100",
     [("Ingrid Halvorsen", "ingrid", "Chief Investment Officer"), ("Lars Berg", "lars.berg", "Investment Director")]),
    ("Northbridge University Endowment", "endowment", "northbridge-endowment.example", "-0500",
     [("Sarah Whitfield", "swhitfield", "Managing Director, Private Markets"),
      ("Tom Avery", "tavery", "Senior Associate"), ("Dana Price", "dprice", "Analyst")]),
    ("Alder Creek Partners", "fund of funds", "aldercreek.example", "-0800",
     [("Michael Chen", "michael", "Partner"), ("Jessica Ortiz", "jessica", "Principal")]),
    ("Meridian Foundation", "foundation", "meridian-foundation.example", "-0500",
     [("Robert Klein", "rklein", "Chief Investment Officer")]),
    ("Kestrel Capital", "fund of funds", "kestrelcap.example", "+0000",
     [("Oliver Grant", "oliver.grant", "Managing Partner"), ("Amelia Shaw", "amelia.shaw", "Investment Manager")]),
    ("Hofmann Familienholding", "family office", "hofmann-holding.example", "+0100",
     [("Jürgen Hofmann", "j.hofmann", "Geschäftsführer"), ("Katrin Weiß", "k.weiss", "Investment Manager")]),
    ("Lefèvre Patrimoine", "family office", "lefevre-patrimoine.example", "+0100",
     [("François Lefèvre", "francois", "Associé gérant")]),
    ("Sakura Pension Trust", "pension", "sakura-pension.example", "+0900",
     [("Yuki Tanaka", "y.tanaka", "Senior Investment Officer"), ("Hiroshi Sato", "h.sato", "Director")]),
    ("Volkov Family Office", "family office", "volkov-fo.example", "+0300",
     [("Dmitri Volkov", "dv", "Principal")]),
    ("Brightwater College Endowment", "endowment", "brightwater-college.example", "-0500",
     [("Emily Foster", "efoster", "Director of Investments"), ("Mark Reyes", "mreyes", "Investment Analyst")]),
    ("Granite Peak Capital", "fund of funds", "granitepeak.example", "-0700",
     [("David Lin", "dlin", "Managing Director")]),
    ("Harbor Point Family Office", "family office", "harborpoint.example", "-0500",
     [("Caroline Webb", "caroline", "Principal"), ("James Webb", "james", "Chairman")]),
    ("Eastlake Insurance Investments", "insurance", "eastlake-ins.example", "-0600",
     [("Priya Nair", "priya.nair", "Head of Alternatives")]),
    ("Cedar & Finch Wealth", "multi-family office", "cedarfinch.example", "+0000",
     [("Hannah Cole", "hcole", "Partner"), ("Sam Patel", "spatel", "Associate")]),
    ("Rivera Family Trust", "family office", "riverafamily.example", "-0600",
     [("Luis Rivera", "luis", "Trustee")]),
    ("Oakhaven Endowment Fund", "endowment", "oakhaven.example", "-0500",
     [("Grace Kim", "gkim", "Chief Investment Officer"), ("Peter Novak", "pnovak", "Portfolio Manager")]),
    ("Summit Ridge Fund of Funds", "fund of funds", "summitridge.example", "-0700",
     [("Andrew Moss", "amoss", "Partner")]),
    ("Lakeside Health Foundation", "foundation", "lakeside-health.example", "-0600",
     [("Nora Evans", "nevans", "VP, Investments")]),
    ("Blue Heron Capital", "family office", "blueheron.example", "-0800",
     [("William Hart", "whart", "Principal"), ("Zoe Hart", "zhart", "Investment Associate")]),
    ("Thornbury Family Office", "family office", "thornbury.example", "+0000",
     [("Charles Thornbury", "charles", "Founder"), ("Alice Moreau", "alice.moreau", "Chief Investment Officer")]),
    ("Pinecrest Pension Plan", "pension", "pinecrest-pension.example", "-0500",
     [("Kevin Walsh", "kwalsh", "Director, Private Equity")]),
    ("Aurora Growth Partners", "fund of funds", "aurora-gp.example", "+0400",
     [("Omar Haddad", "omar", "Managing Director"), ("Layla Aziz", "layla", "Associate")]),
    ("Whitman Foundation", "foundation", "whitman-foundation.example", "-0500",
     [("Ruth Whitman", "ruth", "Executive Director")]),
    ("Silverline Multi-Family Office", "multi-family office", "silverline-mfo.example", "+0100",
     [("Sophie Laurent", "s.laurent@geneva", "Partner"), ("Max Keller", "m.keller", "Analyst")]),
    ("Crescent Bay Capital", "fund of funds", "crescentbay.example", "-0800",
     [("Ethan Brooks", "ebrooks", "Principal")]),
    ("Maplewood University Endowment", "endowment", "maplewood-endowment.example", "-0500",
     [("Isabel Young", "iyoung", "Managing Director"), ("Chris Dunn", "cdunn", "Analyst")]),
    ("Margaret Chen (private investor)", "family office", None, "-0800",
     [("Margaret Chen", "margaret.chen.family@gmail.com", "Principal")]),
    ("Ironwood Family Office", "family office", "ironwood-fo.example", "-0500",
     [("Victor Stone", "vstone", "Principal")]),
    ("Quarry Hill Endowment", "endowment", "quarryhill.example", "-0500",
     [("Paula Grey", "pgrey", "Chief Investment Officer")]),
    ("Dubois Capital", "family office", "dubois-capital.example", "+0100",
     [("René Dubois", "rene", "Managing Partner")]),
]

# people on domains no investor has: mail that matches nobody
_UNKNOWN = [
    ("Priya Raman", "priya@tidalwave-robotics.example", "+0530"),
    ("Marco Bellini", "marco@lumenbio.example", "+0100"),
    ("Kate Sullivan", "kate@harbor-legal.example", "-0500"),
    ("Alex Kim", "alex@kimrecruiting.example", "-0800"),
    ("Sam Okoye", "sam.okoye.founder@outlook.com", "+0000"),
    ("Lena Fischer", "lena@quantaflow.example", "+0100"),
    ("Ravi Shah", "ravi@fundadmin-services.example", "-0500"),
]

_SUBJECTS = [
    "Fund III \u2014 first close timing", "Intro call follow-up", "Q3 LP update", "Data room access",
    "Side letter comments", "Diligence questions", "Re-up for Fund III", "Annual meeting logistics",
    "Co-investment: Tidalwave Robotics", "Reference calls", "Track record questions",
    "Capital call notice \u2014 Fund II", "Term sheet feedback", "Catching up", "Portfolio review",
    "Fees and carry \u2014 a few questions", "ESG questionnaire", "Coffee next week?",
    "Fund II distribution", "IC memo draft", "Pipeline for 2026", "Operational due diligence",
]
_NEW_SUBJECTS = ["Updated deck", "Revised timeline", "Next steps", "Documents for signature",
                 "Follow-up on reserves"]
_OUTBOUND = [
    "Thanks for taking the time to speak with us last week.",
    "Following up on our conversation about Fund III.",
    "I wanted to share a quick update on our fundraise.",
    "We are targeting a first close at the end of the quarter.",
    "The updated deck and track record are in the data room.",
    "Happy to set up a call with the partners whenever suits you.",
    "Fund II is now at 2.1x net TVPI with three exits this year.",
    "Let me know which diligence materials would be most helpful.",
    "We have reserved 50% of the fund for follow-on investments.",
    "Our annual meeting is in Boston on October 14th.",
    "I have attached the latest quarterly letter for reference.",
    "We would love to have you in the first close.",
    "The management fee steps down to 1.5% after the investment period.",
]
_INBOUND = [
    "Thanks for the update.", "Our investment committee meets on the 15th.",
    "Could you send over the latest quarterly report?",
    "We would like to understand the reserve strategy better.",
    "We are likely to come in at $5m, subject to IC approval.",
    "Can we schedule a reference call with one of your founders?",
    "Our legal team has a few comments on the side letter.",
    "We are at our allocation for venture this year, but keep us posted.",
    "Please add Tom to the data room as well.",
    "Congratulations on the recent exit.",
    "What is the expected timing of the final close?",
    "We will need the ODD questionnaire completed before IC.",
]
_INTERNAL = [
    "Can you take the first pass on the DDQ?", "I moved the Halvorsen call to Thursday.",
    "Pipeline review is at 3pm in the big room.", "Notes from today's LP call are in the drive.",
    "Let's prioritise the endowments for the first close.", "I updated the commitments tracker.",
    "Who is covering the Boston meetings?", "Draft of the Q3 letter attached for comments.",
]
_PITCH = [
    "I'm the founder of a seed-stage company and would love 20 minutes of your time.",
    "We are raising a $3m seed round and think it fits your thesis.",
    "Our revenue grew 4x this year and we have two design partners.",
    "Happy to send the deck if this is of interest.",
]


def _encoded_words(text: str, charset: str = "utf-8", method: str = "Q", limit: int = 60) -> str:
    """RFC 2047 words for text, split on character boundaries and folded as mailers do."""
    words, chunk = [], b""
    for char in text:
        encoded = char.encode(charset)
        if chunk and len(chunk) + len(encoded) > limit * 3 // 4:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk)
    rendered = []
    for piece in words:
        if method == "B":
            rendered.append(f"=?{charset}?B?{base64.b64encode(piece).decode()}?=")
        else:
            body = "".join(chr(byte) if chr(byte).isalnum() and byte < 128 else "_" if byte == 32
                           else f"={byte:02X}" for byte in piece)
            rendered.append(f"=?{charset}?Q?{body}?=")
    return "\r\n ".join(rendered)


def _header_text(text: str) -> str:
    return text if text.isascii() else _encoded_words(text)


def _format_address(name: str, addr: str, charset: str = "utf-8", method: str = "Q") -> str:
    if not name:
        return addr
    if not name.isascii():
        return f"{_encoded_words(name, charset, method)} <{addr}>"
    if re.search(r"[^\w .'-]", name):
        return f'"{name}" <{addr}>'
    return f"{name} <{addr}>"


def _date_header(when: datetime, tz: str) -> str:
    sign = 1 if tz[0] == "+" else -1
    local = when + sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5]))
    return f"{local:%a, %d %b %Y %H:%M:%S} {tz}"


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _b64_lines(data: bytes) -> bytes:
    return _crlf(base64.encodebytes(data))


def _qp(data: bytes) -> bytes:
    return _crlf(binascii.b2a_qp(data.replace(b"\r\n", b"\n"), istext=True))


@dataclass
class _File:
    filename: str
    content_type: str
    data: bytes

    def meta(self, inline: bool = False) -> dict:
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data),
                "sha256": hashlib.sha256(self.data).hexdigest(), "inline": inline}


@dataclass
class _Person:
    name: str
    addr: str
    tz: str
    title: str = ""
    investor: str | None = None


class _Builder:
    """Holds the people, the shared attachment files and the messages added so far; everything
    random comes from one seeded generator (files from their own, so adding a message elsewhere
    does not change their bytes)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.entries: list[tuple[datetime, int, FixtureMessage, str]] = []  # (when, seq, message, gmail group)
        self.investors: list[FixtureInvestor] = []
        self.people: dict[str, list[_Person]] = {}
        self.id_style: dict[str, str] = {}
        for name, category, domain, tz, people in _INVESTORS:
            listed = []
            for person_name, local, title in people:
                if "@" not in local:
                    addr = f"{local}@{domain}"
                elif local.endswith(FREE_MAIL):
                    addr = local
                else:  # "name@office" is a mailbox on a subdomain of the investor's domain
                    addr = f"{local}.{domain}"
                listed.append(_Person(person_name, addr, tz, title, name))
            self.people[name] = listed
            self.investors.append(FixtureInvestor(
                name=name, domain=domain, category=category,
                people=[{"name": p.name, "email": p.addr, "title": p.title} for p in listed]))
            self.id_style[name] = self.rng.choice(("outlook", "own", "own"))
        self.unknown = [_Person(name, addr, tz) for name, addr, tz in _UNKNOWN]
        self.team = {addr: _Person(name, addr, TEAM_TZ, "Partner") for addr, name in TEAM_NAMES.items()}
        files = random.Random(f"{seed}-files")
        self.deck = _File("Example Ventures Fund III deck.pdf", "application/pdf", self._pdf(files, 60_000))
        self.big = _File("LPA draft v3.pdf", "application/pdf", self._pdf(files, 300_000))
        self.ic_questions = _File("IC questions.pdf", "application/pdf", self._pdf(files, 12_000))
        self.presentation = _File("Präsentation Q3.pdf", "application/pdf", self._pdf(files, 20_000))
        self.engagement = _File("Lettre d’engagement – Fund III.pdf", "application/pdf", self._pdf(files, 9_000))
        rows = ["investor,commitment_usd,close"] + [
            f"{name.replace(',', '')},{files.randrange(1, 20) * 500_000},{files.choice(('first', 'second'))}"
            for name, *_ in _INVESTORS[:26]]
        self.csv = _File("commitments.csv", "text/csv", ("\r\n".join(rows) + "\r\n").encode())
        self.notes = _File("call notes.txt", "text/plain", b"Halvorsen call\r\n- wants MFN\r\n- IC on the 15th\r\n")
        self.logo = _File("logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + files.randbytes(900))
        self.seq = 0

    # -- raw material ------------------------------------------------------------------------
    @staticmethod
    def _pdf(rng: random.Random, size: int) -> bytes:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\nstream\n"
        tail = b"\nendstream\n%%EOF\n"
        return head + rng.randbytes(size - len(head) - len(tail)) + tail

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def _message_id(self, sender: _Person) -> str:
        if sender.addr in self.team or sender.addr.endswith(FREE_MAIL):
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_-"
            tail = "".join(self.rng.choice(alphabet) for _ in range(38))
            return f"CA{tail}=w@mail.gmail.com"
        domain = sender.addr.rsplit("@", 1)[1]
        if self.id_style.get(sender.investor or "") == "outlook":
            box = f"{self.rng.choice(('BN8PR', 'DM6PR', 'SA1PR', 'PH0PR'))}{self.rng.randint(10, 19)}MB{self.rng.randint(1000, 9999)}"
            return f"{box}{self._hex(12).upper()}@{box}.namprd{self.rng.randint(10, 19)}.prod.outlook.com"
        return f"{self._hex(16)}.{self._hex(8)}@{domain}"

    def _boundary(self) -> str:
        return "000000000000" + self._hex(16)

    def _text_part(self, text: str, charset: str = "utf-8", encoding: str | None = None,
                   subtype: str = "plain", broken_padding: bool = False) -> bytes:
        data = text.replace("\r\n", "\n").encode(charset)
        if encoding is None:
            encoding = "7bit" if data.isascii() else self.rng.choice(("quoted-printable", "base64"))
        if encoding == "base64":
            body = _b64_lines(_crlf(data))
            if broken_padding:
                body = body.rstrip(b"\r\n").rstrip(b"=") + b"\r\n"
        elif encoding == "quoted-printable":
            body = _qp(data)
        else:
            body = _crlf(data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        head = f'Content-Type: text/{subtype}; charset="{charset}"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
        return head.encode() + body

    def _multipart(self, subtype: str, parts: list[bytes]) -> bytes:
        boundary = self._boundary()
        out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()]
        for part in parts:
            out.append(f"--{boundary}\r\n".encode() + part)
        out.append(f"--{boundary}--\r\n".encode())
        return b"".join(out)

    def _file_part(self, file: _File, style: str = "plain", inline_cid: str | None = None) -> bytes:
        if style == "rfc2231":
            quoted = "".join(chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in ".-_") else f"%{b:02X}"
                             for b in file.filename.encode())
            names = f'; name="{file.filename.encode("ascii", "replace").decode()}"', f"; filename*=utf-8''{quoted}"
        elif style == "encoded":
            word = _encoded_words(file.filename, "utf-8", "B", limit=200)
            names = f'; name="{word}"', f'; filename="{word}"'
        else:
            names = f'; name="{file.filename}"', f'; filename="{file.filename}"'
        disposition = "inline" if inline_cid else "attachment"
        cid = inline_cid or f"f_{self._hex(9)}"
        head = (f"Content-Type: {file.content_type}{names[0]}\r\nContent-Disposition: {disposition}{names[1]}\r\n"
                f"Content-Transfer-Encoding: base64\r\nContent-ID: <{cid}>\r\nX-Attachment-Id: {cid}\r\n\r\n")
        return head.encode() + _b64_lines(file.data)

    @staticmethod
    def _html_of(text: str) -> str:
        paragraphs = []
        quote: list[str] = []
        for line in text.split("\n"):
            if line.startswith(">"):
                quote.append(escape(line.lstrip("> ")))
                continue
            paragraphs.append(escape(line))
        html = '<div dir="ltr">' + "<br>".join(paragraphs) + "</div>"
        if quote:
            html += ('<div class="gmail_quote"><blockquote class="gmail_quote" style="margin:0 0 0 .8ex">'
                     + "<br>".join(quote) + "</blockquote></div>")
        return html + "\r\n"

    # -- one message ---------------------------------------------------------------------------
    def add(self, *, when: datetime, sender: _Person, to: list[_Person], cc: list[_Person] = (),
            bcc: list[_Person] = (), subject: str, entity: bytes, thread_key: str, kind: str,
            parent: FixtureMessage | None = None, message_id: str | None | bool = None,
            header_overrides: dict[str, bytes] | None = None, extra_headers: list[str] = (),
            attachments: list[dict] = (), expect_text: list[str] = (), investor: str | None = None
            ) -> FixtureMessage:
        """One message: headers written from the arguments, `entity` (the Content-* headers and
        body) after them. message_id None draws one; False leaves the header out, and the id
        recorded is the one the parser derives from the bytes. header_overrides replace a
        header line (with raw bytes, for malformed ones)."""
        if message_id is None:
            message_id = self._message_id(sender)
        references = (parent.references + [parent.message_id])[-12:] if parent else []
        lines = ["MIME-Version: 1.0", f"Date: {_date_header(when, sender.tz)}"]
        if message_id:
            lines.append(f"Message-ID: <{message_id}>")
        if parent:
            lines.append(f"In-Reply-To: <{parent.message_id}>")
            lines.append("References: " + "\r\n ".join(f"<{ref}>" for ref in references))
        lines.append(f"Subject: {_header_text(subject)}")
        lines.append(f"From: {_format_address(sender.name, sender.addr)}")
        for label, people in (("To", to), ("Cc", cc), ("Bcc", bcc)):
            if people:
                lines.append(f"{label}: " + ",\r\n ".join(_format_address(p.name, p.addr) for p in people))
        lines.extend(extra_headers)
        head = ("\r\n".join(lines) + "\r\n").encode()
        for name, value in (header_overrides or {}).items():
            head = re.sub(rb"(?m)^" + name.encode() + rb": .*(\r\n[ \t].*)*\r\n", lambda _: value, head, count=1)
        raw = head + entity
        if not message_id:
            message_id = "generated-" + hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:32] + \
                "@venture-crm.invalid"
        everyone = [sender, *to, *cc, *bcc]
        team_on = [addr for addr in TEAM_MAILBOXES if any(p.addr == addr for p in [sender, *to, *cc])]
        counterparts = list(dict.fromkeys(p.addr for p in everyone if p.addr not in self.team))
        if not counterparts:
            direction = "internal"
        elif sender.addr in self.team:
            direction = "outbound"
        else:
            direction = "inbound"
        if investor is None:
            investor = next((p.investor for p in everyone if p.investor), None)
        message = FixtureMessage(
            raw=raw, message_id=message_id, mailboxes=team_on, gmail_ids={}, gmail_thread_ids={},
            thread_key=thread_key, sent_at=_iso(when), direction=direction, counterparts=counterparts,
            kind=kind, subject=subject, sender=sender.addr, to=[p.addr for p in to], cc=[p.addr for p in cc],
            in_reply_to=parent.message_id if parent else None, references=references,
            attachments=list(attachments), expect_text=list(expect_text), investor=investor)
        self.seq += 1
        # Gmail keeps a conversation together only while the subject (bar Re:/Fwd:) stays the same
        group = f"{thread_key}:" + _SUBJECT_PREFIXES.sub("", subject).lower()
        self.entries.append((when, self.seq, message, group))
        return message

    # -- bodies ------------------------------------------------------------------------------
    def _signature(self, person: _Person) -> str:
        if person.addr in self.team:
            return f"Best,\n{person.name.split()[0]}\n\n{person.name}\nPartner, {FUND_NAME}"
        title = f"\n{person.title}" if person.title else ""
        return f"Best regards,\n{person.name}{title}"

    def _body(self, sender: _Person, recipients: list[_Person], pool: list[str]) -> tuple[str, str]:
        greeting = f"Hi {recipients[0].name.split()[0]}," if recipients else "Hi,"
        sentences = self.rng.sample(pool, k=min(len(pool), self.rng.randint(2, 4)))
        first = sentences[0]
        return f"{greeting}\n\n{' '.join(sentences)}\n\n{self._signature(sender)}", first

    @staticmethod
    def _quote(parent_text: str, parent: FixtureMessage, when_text: str, name: str) -> str:
        lines = parent_text.split("\n")[:30]
        return f"\n\nOn {when_text} {name} <{parent.sender}> wrote:\n" + "\n".join(
            "> " + line if line else ">" for line in lines)

    def _entity(self, text: str, html: bool) -> bytes:
        if not html:
            return self._text_part(text)
        return self._multipart("alternative", [self._text_part(text),
                                               self._text_part(self._html_of(text), subtype="html")])

    # -- conversations ---------------------------------------------------------------------------
    def conversation(self, key: str, team: list[str], others: list[_Person], subject: str, start: datetime,
                     length: int, inbound_first: bool, specials: dict[int, str] | None = None,
                     files: dict[int, list[_File]] | None = None, pool_out: list[str] = _OUTBOUND,
                     pool_in: list[str] = _INBOUND) -> list[FixtureMessage]:
        specials, files = specials or {}, files or {}
        team_people = [self.team[addr] for addr in team]
        messages: list[FixtureMessage] = []
        texts: list[str] = []
        when = start
        current = subject
        team_side = not inbound_first
        parent = None
        for index in range(length):
            if index:
                when += timedelta(seconds=self.rng.randint(1200, 4 * 86400))
                team_side = not team_side if self.rng.random() < 0.85 else team_side
            if when > END:
                break
            if not others:  # internal: ann and ben take turns
                sender = team_people[index % len(team_people)]
            elif team_side:
                sender = self.rng.choice(team_people)
            else:
                sender = self.rng.choice(others)
            everyone = team_people + others
            recipients = [p for p in everyone if p.addr != sender.addr]
            if parent and parent.sender != sender.addr:
                first = next(p for p in everyone if p.addr == parent.sender)
                recipients = [first] + [p for p in recipients if p is not first]
            to, cc = recipients[:1], recipients[1:]
            kind = specials.get(index, "plain" if index == 0 else "reply")
            if kind == "subject_change":
                current = self.rng.choice(_NEW_SUBJECTS)
                this_subject = current
            else:
                this_subject = current if index == 0 else "Re: " + current
            pool = pool_out if sender.addr in self.team else pool_in
            if not others:
                pool = _INTERNAL
            text, first_sentence = self._body(sender, to, pool)
            if parent:
                text += self._quote(texts[-1], parent, _date_header(when - timedelta(hours=3), TEAM_TZ)[:-6],
                                    next(p.name for p in everyone if p.addr == parent.sender))
            entity = self._entity(text, html=self.rng.random() < 0.55)
            attached = files.get(index, [])
            if attached:
                kind = "attachment" if kind in ("plain", "reply") else kind
                entity = self._multipart("mixed", [entity] + [self._file_part(f) for f in attached])
            message = self.add(when=when, sender=sender, to=to, cc=cc, subject=this_subject, entity=entity,
                               thread_key=key, kind=kind, parent=parent,
                               attachments=[f.meta() for f in attached], expect_text=[first_sentence])
            messages.append(message)
            texts.append(text)
            parent = message
        return messages

    def when(self, earliest: datetime = START, latest: datetime = END - timedelta(days=25)) -> datetime:
        span = int((latest - earliest).total_seconds())
        return (earliest + timedelta(seconds=self.rng.randrange(span))).replace(microsecond=0)

    def reply_to(self, parent: FixtureMessage, sender: _Person, to: _Person, key: str, when: datetime,
                 subject: str, text: str) -> FixtureMessage:
        return self.add(when=when, sender=sender, to=[to], subject=subject, entity=self._text_part(text),
                        thread_key=key, kind="reply", parent=parent, expect_text=[text.split("\n")[2]])


# -- the special conversations -------------------------------------------------------------------

def _charset_threads(b: _Builder, keys) -> None:
    cases = [
        ("Hofmann Familienholding", 0, "iso-8859-1", "quoted-printable", "Q", "Zeichnung für Fonds III",
         "Sehr geehrte Frau Whitaker,\n\nvielen Dank für die Unterlagen. Wir können eine Zeichnung über "
         "3 Mio. EUR bestätigen.\nDie Unterschriften folgen nächste Woche.\n\nMit freundlichen Grüßen\n"
         "Jürgen Hofmann\nGeschäftsführer",
         ["vielen Dank für die Unterlagen", "Grüßen", "Geschäftsführer"]),
        ("Lefèvre Patrimoine", 0, "windows-1252", "quoted-printable", "Q", "Fund III – our commitment",
         "Dear Ann,\n\nWe’re pleased to confirm a commitment of €5m – subject to the side letter “MFN” "
         "clause.\n\nBien cordialement,\nFrançois Lefèvre",
         ["We’re pleased", "€5m –", "“MFN”", "François Lefèvre"]),
        ("Sakura Pension Trust", 0, "shift_jis", "base64", "B", "ファンドIIIのご案内について",
         "ホイテカー様\n\nいつもお世話になっております。\nファンドIIIの資料をありがとうございました。\n"
         "投資委員会で検討いたします。\n\nよろしくお願いいたします。\n田中",
         ["いつもお世話になっております", "投資委員会で検討いたします", "よろしくお願いいたします"]),
        ("Volkov Family Office", 0, "koi8-r", "8bit", "B", "Инвестиции в фонд III",
         "Здравствуйте, Анна!\n\nСпасибо за презентацию. Мы рассматриваем инвестицию в размере "
         "2 млн долларов.\n\nС уважением,\nДмитрий Волков",
         ["Здравствуйте", "Спасибо за презентацию", "С уважением"]),
    ]
    for investor, person_index, charset, encoding, method, subject, text, expect in cases:
        key = next(keys)
        person = b.people[investor][person_index]
        when = b.when()
        display = {"Sakura Pension Trust": "田中 雄紀", "Volkov Family Office": "Дмитрий Волков"}.get(investor, person.name)
        entity = b._text_part(text, charset=charset, encoding=encoding)
        message = b.add(when=when, sender=person, to=[b.team["ann@fund.example"]], subject=subject, entity=entity,
                        thread_key=key, kind="charset", expect_text=expect, header_overrides={
                            "Subject": f"Subject: {_encoded_words(subject, charset, method)}\r\n".encode(),
                            "From": f"From: {_format_address(display, person.addr, charset, method)}\r\n".encode()})
        b.reply_to(message, b.team["ann@fund.example"], person, key, when + timedelta(hours=5), "Re: " + subject,
                   f"Dear {person.name.split()[0]},\n\nThank you, that is great news. We will send the "
                   f"subscription documents.\n\n> {text.splitlines()[2]}\n\nBest,\nAnn")
    # a charset nobody knows, with bytes that are not valid in anything
    key = next(keys)
    person = b.people["Silverline Multi-Family Office"][0]
    body = ("Dear Ann,\n\nGreetings from Zürich — we reviewed the materials and will revert after our "
            "committee.\n").encode() + b"\xff\xfe\n" + b"Best regards,\nSophie Laurent\n"
    entity = b'Content-Type: text/plain; charset="x-unknown"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + _crlf(body)
    b.add(when=b.when(), sender=person, to=[b.team["ann@fund.example"]], subject="Materials received",
          entity=entity, thread_key=key, kind="charset",
          expect_text=["Greetings from Zürich", "Best regards,\nSophie Laurent"])


def _html_threads(b: _Builder, keys) -> None:
    emily = b.people["Brightwater College Endowment"][0]
    html = ("<html><head><style>p { color: red }</style><script>alert('tracking')</script></head>"
            "<body><p onclick=\"steal()\">Dear Ann,</p><p>Please find our <b>Quarterly letter</b> below. "
            "Our allocation for 2026 is confirmed.</p><p><a href=\"https://brightwater-college.example/portal\">"
            "Investor portal</a> | <a href=\"javascript:alert(1)\">Unsubscribe</a></p>"
            "<img src=\"https://track.brightwater-college.example/open.gif?id=123\" width=\"1\" height=\"1\" alt=\"\">"
            "<p>Best,<br>Emily Foster<br>Director of Investments</p></body></html>")
    key = next(keys)
    first = b.add(when=b.when(), sender=emily, to=[b.team["ann@fund.example"]], subject="Brightwater quarterly letter",
                  entity=b._text_part(html, subtype="html", encoding="quoted-printable"), thread_key=key,
                  kind="html_only", expect_text=["Quarterly letter", "Our allocation for 2026 is confirmed",
                                                 "Investor portal"])
    b.reply_to(first, b.team["ann@fund.example"], emily, key, datetime.strptime(first.sent_at, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=timezone.utc) + timedelta(hours=2), "Re: Brightwater quarterly letter",
               "Hi Emily,\n\nWonderful to hear the allocation is confirmed.\n\nBest,\nAnn")
    caroline = b.people["Harbor Point Family Office"][0]
    html = ("<div dir=\"ltr\"><p>Ann, Ben —</p><p>Caroline’s notes from the AGM:</p>"
            "<table><tr><th>Topic</th><th>Outcome</th></tr><tr><td>Re-up</td><td>Approved</td></tr>"
            "<tr><td>Co-invest</td><td>Case by case</td></tr></table>"
            "<ul><li>Next review in March</li><li>Reporting quarterly</li></ul>"
            "<img src=\"http://harborpoint.example/img/banner.png\" alt=\"Harbor Point\"></div>")
    b.add(when=b.when(), sender=caroline, to=[b.team["ann@fund.example"], b.team["ben@fund.example"]],
          subject="Notes from the AGM", entity=b._text_part(html, subtype="html", encoding="base64"),
          thread_key=next(keys), kind="html_only",
          expect_text=["Caroline’s notes from the AGM", "Re-up", "Approved", "- Next review in March"])


def _attachment_threads(b: _Builder, keys) -> None:
    ann, ben = b.team["ann@fund.example"], b.team["ben@fund.example"]
    targets = ["Northbridge University Endowment", "Alder Creek Partners", "Meridian Foundation",
               "Granite Peak Capital", "Eastlake Insurance Investments"]
    for index, investor in enumerate(targets):
        key = next(keys)
        person = b.people[investor][0]
        messages = b.conversation(key, ["ann@fund.example"], [person], "Example Ventures Fund III", b.when(),
                                  b.rng.randint(2, 4) if index else 1, inbound_first=False, files={0: [b.deck]})
        if index == 0:  # an out-of-office answers the deck, then the person does
            first = messages[0]
            sent = datetime.strptime(first.sent_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            text = f"I am out of the office until Monday with limited access to email.\n\n{person.name}"
            b.add(when=sent + timedelta(minutes=1), sender=person, to=[ann], subject="Automatic reply: Example Ventures Fund III",
                  entity=b._text_part(text), thread_key=key, kind="auto_reply", parent=first,
                  extra_headers=["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"],
                  expect_text=["I am out of the office until Monday"])
            b.reply_to(first, person, ann, key, sent + timedelta(days=3), "Re: Example Ventures Fund III",
                       f"Hi Ann,\n\nBack in the office: thanks for the deck, we will review it at IC.\n\n{person.name}")
    # the same CSV twice: to an investor and internally
    for sender, to, investor in ((ann, [b.people["Kestrel Capital"][0]], "Kestrel Capital"), (ben, [ann], None)):
        text = f"Hi {to[0].name.split()[0]},\n\nThe commitment schedule is attached.\n\n{b._signature(sender)}"
        entity = b._multipart("mixed", [b._text_part(text), b._file_part(b.csv)])
        b.add(when=b.when(), sender=sender, to=to, subject="Commitment schedule", entity=entity,
              thread_key=next(keys), kind="attachment", attachments=[b.csv.meta()],
              expect_text=["The commitment schedule is attached."])
    # one big attachment, for tests with a small cap
    person = b.people["Whitman Foundation"][0]
    text = f"Hi Ruth,\n\nPlease find the LPA draft attached.\n\n{b._signature(ben)}"
    b.add(when=b.when(), sender=ben, to=[person], subject="LPA draft v3",
          entity=b._multipart("mixed", [b._text_part(text), b._file_part(b.big)]), thread_key=next(keys),
          kind="attachment", attachments=[b.big.meta()], expect_text=["Please find the LPA draft attached."])
    # non-ASCII filenames, RFC 2231 and Outlook's encoded words
    katrin = b.people["Hofmann Familienholding"][1]
    text = "Liebe Ann,\n\nanbei unsere Präsentation.\n\nViele Grüße\nKatrin Weiß"
    b.add(when=b.when(), sender=katrin, to=[ann], subject="Präsentation Q3",
          entity=b._multipart("mixed", [b._text_part(text), b._file_part(b.presentation, style="rfc2231")]),
          thread_key=next(keys), kind="attachment", attachments=[b.presentation.meta()],
          expect_text=["anbei unsere Präsentation."])
    francois = b.people["Lefèvre Patrimoine"][0]
    text = "Ann,\n\nVoici notre lettre d’engagement signée.\n\nFrançois"
    b.add(when=b.when(), sender=francois, to=[ann], subject="Lettre d’engagement",
          entity=b._multipart("mixed", [b._text_part(text), b._file_part(b.engagement, style="encoded")]),
          thread_key=next(keys), kind="attachment", attachments=[b.engagement.meta()],
          expect_text=["Voici notre lettre d’engagement signée."])
    # a text file attached is an attachment, not a second body
    text = "Notes from the Halvorsen call attached.\n\nBen"
    b.add(when=b.when(), sender=ben, to=[ann], subject="Halvorsen call notes",
          entity=b._multipart("mixed", [b._text_part(text), b._file_part(b.notes)]), thread_key=next(keys),
          kind="attachment", attachments=[b.notes.meta()], expect_text=["Notes from the Halvorsen call attached."])
    # a signature logo shown inline from a cid: reference
    andrew = b.people["Summit Ridge Fund of Funds"][0]
    text = f"Hi Andrew,\n\nGreat to meet you at the conference.\n\n{b._signature(ben)}"
    html = ('<div dir="ltr"><p>Hi Andrew,</p><p>Great to meet you at the conference.</p>'
            '<p>Ben Okafor<br><img src="cid:logo-ben@fund.example" alt="Example Ventures"></p></div>')
    related = b._multipart("related", [b._text_part(html, subtype="html"),
                                       b._file_part(b.logo, inline_cid="logo-ben@fund.example")])
    b.add(when=b.when(), sender=ben, to=[andrew], subject="Great to meet you",
          entity=b._multipart("alternative", [b._text_part(text), related]), thread_key=next(keys),
          kind="inline_image", attachments=[b.logo.meta(inline=True)],
          expect_text=["Great to meet you at the conference."])
    # Bcc: only the sender's copy carries the header, so only ann's mailbox has these bytes
    investor = b.people["Blue Heron Capital"]
    text = f"Hi William,\n\nIntroducing our Fund III; Zoe is copied blind.\n\n{b._signature(ann)}"
    b.add(when=b.when(), sender=ann, to=[investor[0]], bcc=[investor[1]], subject="Introducing Fund III",
          entity=b._text_part(text), thread_key=next(keys), kind="bcc",
          expect_text=["Introducing our Fund III; Zoe is copied blind."])


def _forward_threads(b: _Builder, keys) -> None:
    ann, ben = b.team["ann@fund.example"], b.team["ben@fund.example"]
    kate = b.unknown[2]
    grace = b.people["Oakhaven Endowment Fund"][0]
    start = b.when(latest=END - timedelta(days=60))
    text = ("Hi Ann,\n\nOur IC had a few questions about Fund III, attached.\n\n"
            f"{b._signature(grace)}")
    original = b.add(when=start, sender=grace, to=[ann], subject="Fund III: our IC questions",
                     entity=b._multipart("mixed", [b._text_part(text), b._file_part(b.ic_questions)]),
                     thread_key=next(keys), kind="attachment", attachments=[b.ic_questions.meta()],
                     expect_text=["Our IC had a few questions about Fund III, attached."])
    key = next(keys)
    note = "Ben, can you take these? Forwarding Grace's questions.\n\nAnn"
    forward_entity = b._multipart("mixed", [b._text_part(note),
                                            b"Content-Type: message/rfc822\r\n\r\n" + original.raw])
    forward = b.add(when=start + timedelta(hours=6), sender=ann, to=[ben], subject="Fwd: Fund III: our IC questions",
                    entity=forward_entity, thread_key=key, kind="forward", attachments=[b.ic_questions.meta()],
                    expect_text=["Forwarding Grace's questions.", "---------- Forwarded message ----------",
                                 "Our IC had a few questions about Fund III, attached."])
    b.reply_to(forward, ben, ann, key, start + timedelta(hours=8), "Re: Fwd: Fund III: our IC questions",
               "Ann,\n\nOn it. I will draft answers by Friday.\n\nBen")
    key = next(keys)
    note = "Kate, could you look at question 4 (the side letter)? Thread below.\n\nBen"
    nested_entity = b._multipart("mixed", [b._text_part(note), b"Content-Type: message/rfc822\r\n\r\n" + forward.raw])
    nested = b.add(when=start + timedelta(days=1), sender=ben, to=[kate], subject="Fwd: Fwd: Fund III: our IC questions",
                   entity=nested_entity, thread_key=key, kind="forward", attachments=[b.ic_questions.meta()],
                   expect_text=["could you look at question 4", "Forwarding Grace's questions.",
                                "Our IC had a few questions about Fund III, attached."])
    b.reply_to(nested, kate, ben, key, start + timedelta(days=2), "Re: Fwd: Fwd: Fund III: our IC questions",
               "Ben,\n\nQuestion 4 is fine as drafted; MFN carve-outs are standard.\n\nKate")


def _odd_messages(b: _Builder, keys) -> None:
    ann = b.team["ann@fund.example"]
    rene = b.people["Dubois Capital"][0]
    key = next(keys)
    text = "Ann,\n\nOur comments on the side letter are below. Nothing controversial.\n\nRené"
    broken = (b"Date: Thursday, the 31st of Smarch 2026\r\n")
    when = b.when()
    message = b.add(
        when=when, sender=rene, to=[ann], subject="Side letter comments déjà vu",
        entity=b._text_part(text, encoding="8bit"), thread_key=key, kind="malformed",
        # What a receiving server stamps: the only readable date on this message.
        extra_headers=[f"Received: from mx.dubois-capital.example by mx.fund.example; {_date_header(when, '+0000')}"],
        header_overrides={
            "Date": broken,
            "Subject": b"Subject: =?UTF-8?B?U2lkZSBsZXR0ZXIgY29tbWVudHMg?= =?x-bogus?Q?d=E9j=E0_vu?= "
                       b"=?utf-8?B?###?=\r\n",
            "From": b"From: Ren\xe9 Dubois <rene@dubois-capital.example>\r\n"
                    b"This header line has no colon\r\n"
                    b"Cc: undisclosed-recipients:;, Bob Smith\r\n"},
        expect_text=["Our comments on the side letter are below."])
    sent = datetime.strptime(message.sent_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    b.reply_to(message, ann, rene, key, sent + timedelta(hours=20), "Re: Side letter comments",
               "René,\n\nThanks, these all look fine to us.\n\nAnn")
    kevin = b.people["Pinecrest Pension Plan"][0]
    text = "Hi Ann — thanks for the reference list. We’ll call two of them this week.\n\nKevin"
    while len(_crlf(text.encode())) % 3 == 0:  # make sure there is padding to lose
        text += "."
    b.add(when=b.when(), sender=kevin, to=[ann], subject="References",
          entity=b._text_part(text, encoding="base64", broken_padding=True), thread_key=next(keys), kind="base64",
          expect_text=["thanks for the reference list. We’ll call two of them"])
    portal = _Person(PORTAL[0], PORTAL[1], "+0000", investor="Kestrel Capital")
    text = "A new document is available: Q3 capital account statement.\r\nSign in to the portal to view it."
    b.add(when=b.when(), sender=portal, to=[ann], subject="Document available: Q3 capital account statement",
          entity=b._text_part(text), thread_key=next(keys), kind="no_message_id", message_id=False,
          expect_text=["A new document is available"])
    caroline = b.people["Harbor Point Family Office"][0]
    text = ("Ann,\n\nQuick notes on the call:\nFrom our side, the re-up is approved.\n>From the minutes: the IC "
            "asked about reserves.\n>>From an earlier thread: fees unchanged.\nFrom here we move to legal review.\n\n"
            "Caroline")
    b.add(when=b.when(), sender=caroline, to=[ann], subject="Call notes", entity=b._text_part(text),
          thread_key=next(keys), kind="from_line",
          expect_text=["From our side, the re-up is approved.", ">From the minutes", ">>From an earlier thread",
                       "From here we move to legal review."])


def _newsletters(b: _Builder, keys) -> None:
    sender = _Person(NEWSLETTER[0], NEWSLETTER[1], "+0000")
    ann = b.team["ann@fund.example"]
    when = START + timedelta(days=9, hours=14)
    for issue in range(1, 9):
        text = (f"LP Weekly, issue {issue}\n\nThis week: secondaries pricing, endowment allocations and "
                f"the state of venture fundraising.\n\nUnsubscribe: https://lpweekly.example/u/{issue}")
        html = (f'<html><body><img src="https://cdn.lpweekly.example/header-{issue}.png" alt="LP Weekly">'
                f"<h1>LP Weekly, issue {issue}</h1><p>This week: secondaries pricing, endowment allocations and "
                f"the state of venture fundraising.</p><p><a href=\"https://lpweekly.example/u/{issue}\">"
                "Unsubscribe</a></p></body></html>")
        entity = b._multipart("alternative", [b._text_part(text), b._text_part(html, subtype="html")])
        b.add(when=when, sender=sender, to=[ann], subject=f"LP Weekly #{issue}: the week in LP land", entity=entity,
              thread_key=next(keys), kind="newsletter", investor=None,
              extra_headers=["List-Id: LP Weekly <weekly.lpweekly.example>",
                             f"List-Unsubscribe: <https://lpweekly.example/u/{issue}>", "Precedence: bulk"],
              expect_text=[f"LP Weekly, issue {issue}"])
        when += timedelta(days=b.rng.randint(45, 70))


def generate(seed: int = 7, threads: int = 180) -> Fixture:
    """The fixture: all special conversations (about 60) plus regular ones up to `threads`."""
    b = _Builder(seed)
    numbers = itertools.count()
    keys = (f"t{number:03d}" for number in numbers)
    _charset_threads(b, keys)
    _html_threads(b, keys)
    _attachment_threads(b, keys)
    _forward_threads(b, keys)
    _odd_messages(b, keys)
    _newsletters(b, keys)
    ann, ben = "ann@fund.example", "ben@fund.example"
    for index in range(10):  # internal only
        b.conversation(next(keys), [ann, ben], [], b.rng.choice(["Pipeline review", "LP call notes", "Q3 letter draft",
                                                                 "Boston trip", "DDQ first pass"]),
                       b.when(), b.rng.randint(1, 5), inbound_first=False)
    for index in range(12):  # unknown senders: founders, a recruiter, counsel, the fund admin
        person = b.unknown[index % len(b.unknown)]
        b.conversation(next(keys), [b.rng.choice((ann, ben))], [person],
                       b.rng.choice(["Seed round: intro", "Quick intro", "Following up", "Partnership idea"]),
                       b.when(), b.rng.randint(1, 3), inbound_first=True, pool_in=_PITCH)
    margaret = b.people["Margaret Chen (private investor)"]
    for subject in ("Catching up", "Fund III allocation"):
        b.conversation(next(keys), [ann], margaret, subject, b.when(), b.rng.randint(2, 4),
                       inbound_first=subject == "Catching up")
    active = [name for name, *_ in _INVESTORS if name not in SILENT_INVESTORS]
    regular = max(0, threads - next(numbers))  # the special conversations count towards `threads`
    changed = 0
    for index in range(regular):
        investor = b.rng.choice(active)
        people = b.people[investor]
        others = b.rng.sample(people, k=1 if len(people) == 1 or b.rng.random() < 0.7 else 2)
        team = [ann, ben] if b.rng.random() < 0.25 else [b.rng.choice((ann, ben))]
        length = b.rng.choices(range(1, 9), weights=(8, 16, 19, 18, 14, 11, 8, 6))[0]
        specials = {}
        if changed < 5 and length >= 4:
            specials[2] = "subject_change"
            changed += 1
        b.conversation(next(keys), team, others, b.rng.choice(_SUBJECTS), b.when(), length,
                       inbound_first=b.rng.random() < 0.4, specials=specials)
    b.entries.sort(key=lambda entry: (entry[0], entry[1]))
    counters = {ann: 0, ben: 0x80000}
    threads_seen: dict[tuple[str, str], str] = {}
    messages = []
    for when, _seq, message, group in b.entries:
        millis = int(when.timestamp() * 1000)
        for mailbox in message.mailboxes:
            counters[mailbox] += b.rng.randint(1, 40)
            gmail_id = f"{(millis << 20) + counters[mailbox]:x}"
            message.gmail_ids[mailbox] = gmail_id
            message.gmail_thread_ids[mailbox] = threads_seen.setdefault((mailbox, group), gmail_id)
        messages.append(message)
    return Fixture(investors=b.investors, messages=messages)
