"""Tests of backend/email_integration/mime.py (parse_message, split_mbox),
backend/email_integration/html_clean.py (sanitize_html, html_to_text) and of the fixture mailbox
in tests/mailgen.py that later email tests share: every fixture message parses to what the
generator built, each awkward category by itself, and fuzzing (hypothesis) that nothing raises."""
from __future__ import annotations

import binascii
import functools
import hashlib
import io
import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import mailgen
from backend.email_integration import mime
from backend.email_integration.html_clean import VOID_TAGS, html_to_text, sanitize_html
from backend.email_integration.mime import ParsedMessage, generated_message_id, parse_message, split_mbox


@functools.lru_cache(maxsize=None)
def fixture() -> mailgen.Fixture:
    return mailgen.generate()


def one(kind: str, **match) -> mailgen.FixtureMessage:
    found = [m for m in fixture().of_kind(kind) if all(getattr(m, k) == v for k, v in match.items())]
    assert found, (kind, match)
    return found[0]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def message(*headers: str, body: bytes | str = b"Hello\n") -> bytes:
    """A raw message from header lines and a body (str bodies are UTF-8)."""
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


# ------------------------------------------------------------------ the fixture mailbox

def test_fixture_is_deterministic_fast_and_has_every_category():
    started = time.process_time()  # CPU time: other processes on the box do not count
    fx = mailgen.generate()
    elapsed = time.process_time() - started
    assert elapsed < 0.5, f"generate() took {elapsed:.2f} s"
    assert [m.raw for m in fx.messages] == [m.raw for m in fixture().messages]
    assert [m.raw for m in mailgen.generate(seed=8).messages] != [m.raw for m in fx.messages]
    assert len(fx.messages) >= 500
    assert 28 <= len(fx.investors) <= 32
    assert len({m.thread_key for m in fx.messages}) == 180
    kinds = {m.kind for m in fx.messages}
    assert {"plain", "reply", "forward", "html_only", "attachment", "charset", "malformed", "no_message_id",
            "newsletter", "from_line", "base64", "auto_reply", "inline_image", "subject_change", "bcc"} <= kinds
    assert [m.sent_at for m in fx.messages] == sorted(m.sent_at for m in fx.messages)
    assert "2025-05-31" < fx.messages[0].sent_at and fx.messages[-1].sent_at <= "2026-11-30T23:59:59.999Z"
    assert all(m.raw.endswith(b"\r\n") and b"\r\n" in m.raw for m in fx.messages)


def test_fixture_ground_truth_is_consistent():
    fx = fixture()
    team = set(mailgen.TEAM_MAILBOXES)
    for m in fx.messages:
        assert m.mailboxes and set(m.mailboxes) <= team
        assert set(m.gmail_ids) == set(m.mailboxes) == set(m.gmail_thread_ids)
        assert not set(m.counterparts) & team
        assert m.direction == ("internal" if not m.counterparts else "outbound" if m.sender in team else "inbound")
    for mailbox in mailgen.TEAM_MAILBOXES:
        ids = [m.gmail_ids[mailbox] for m in fx.for_mailbox(mailbox)]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[0-9a-f]{15,16}", i) for i in ids)
    both = [m for m in fx.messages if len(m.mailboxes) == 2]
    assert len(both) >= 40 and all(m.gmail_ids[mailgen.TEAM_MAILBOXES[0]] != m.gmail_ids[mailgen.TEAM_MAILBOXES[1]]
                                   for m in both)
    internal = [m for m in fx.messages if m.direction == "internal"]
    assert internal and all(m.counterparts == [] and len(m.mailboxes) == 2 for m in internal)
    assert {m.direction for m in fx.messages if m.kind == "reply"} >= {"inbound", "outbound"}
    ids = [m.message_id for m in fx.messages]
    assert len(ids) == len(set(ids))
    # who matches what
    by_name = {i.name: i for i in fx.investors}
    for name in mailgen.SILENT_INVESTORS:
        addresses = {p["email"] for p in by_name[name].people}
        assert not any(addresses & set(m.counterparts) for m in fx.messages)
        assert not any(m.investor == name for m in fx.messages)
    gmail_only = [i for i in fx.investors if i.domain is None]
    assert len(gmail_only) == 1 and gmail_only[0].people[0]["email"].endswith("@gmail.com")
    assert any(m.investor == gmail_only[0].name for m in fx.messages)
    domains = {i.domain for i in fx.investors if i.domain}
    unmatched = [m for m in fx.messages if m.counterparts and m.investor is None]
    assert any(m.kind == "newsletter" for m in unmatched)
    assert any(not any(c.endswith(d) for d in domains) and m.kind != "newsletter" for m in unmatched
               for c in m.counterparts)
    assert all(p["email"].endswith("." + i.domain) or p["email"].endswith("@" + i.domain)
               for i in fx.investors if i.domain for p in i.people)
    # threads: a subject change keeps the conversation but starts a new Gmail thread
    changed = fx.of_kind("subject_change")
    assert len(changed) == 5
    for m in changed:
        earlier = [e for e in fx.messages if e.thread_key == m.thread_key and e.sent_at < m.sent_at]
        assert earlier and m.in_reply_to in {e.message_id for e in earlier}
        mailbox = m.mailboxes[0]
        assert m.gmail_thread_ids[mailbox] not in {e.gmail_thread_ids.get(mailbox) for e in earlier}
    # shared attachment bytes, for SHA-256 dedupe
    deck = [a["sha256"] for m in fx.messages for a in m.attachments if a["filename"].endswith("deck.pdf")]
    assert len(deck) == 5 and len(set(deck)) == 1
    csv = [a["sha256"] for m in fx.messages for a in m.attachments if a["content_type"] == "text/csv"]
    assert len(csv) == 2 and len(set(csv)) == 1
    assert any(250_000 <= a["size"] <= 350_000 for m in fx.messages for a in m.attachments)


def test_every_fixture_message_parses_as_it_was_built():
    for m in fixture().messages:
        p = parse_message(m.raw)
        where = (m.kind, m.thread_key, m.subject)
        assert p.message_id == m.message_id, where
        assert p.size == len(m.raw)
        assert p.sender is not None and p.sender.addr == m.sender, where
        assert [a.addr for a in p.to] == m.to, where
        assert [a.addr for a in p.cc] == m.cc, where
        assert p.in_reply_to == m.in_reply_to and p.references == m.references, where
        if m.kind != "malformed":
            assert p.subject == m.subject, where
            assert p.sent_at == m.sent_at, where
        for expected in m.expect_text:
            assert expected in (p.text or ""), (where, expected, p.text)
        got = [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                "sha256": sha(a.data), "inline": a.inline} for a in p.attachments]
        assert got == m.attachments, where
        assert p.snippet == " ".join((p.text or "").split())[:200]
        if m.kind in ("plain", "reply", "attachment", "forward", "newsletter", "subject_change", "html_only"):
            assert p.problems == [], (where, p.problems)


# ------------------------------------------------------------------ categories

def test_addresses_are_decoded_lower_cased_and_junk_dropped():
    hofmann = parse_message(one("charset", subject="Zeichnung für Fonds III").raw)
    assert hofmann.sender.name == "Jürgen Hofmann" and hofmann.sender.addr == "j.hofmann@hofmann-holding.example"
    assert parse_message(one("charset", subject="ファンドIIIのご案内について").raw).sender.name == "田中 雄紀"
    assert parse_message(one("charset", subject="Инвестиции в фонд III").raw).sender.name == "Дмитрий Волков"
    raw = message('From: "Doe, Jane" <Jane.Doe@Example.COM>', "To: ann@fund.example, Bob Smith, <>, "
                  "undisclosed-recipients:;", "Cc: =?utf-8?Q?Ren=C3=A9?= <RENE@x.example>, rene@x.example",
                  "Reply-To: Group: a@b.example, c@d.example;", "Subject: x")
    p = parse_message(raw)
    assert p.sender == mime.Address("Doe, Jane", "jane.doe@example.com")
    assert p.to == [mime.Address("", "ann@fund.example")]
    assert p.cc == [mime.Address("René", "rene@x.example")]  # the same address twice is listed once
    assert [a.addr for a in p.reply_to] == ["a@b.example", "c@d.example"]
    assert any("address without @" in problem and "Bob" in problem for problem in p.problems)


def test_subjects_decode_across_charsets_and_folded_words():
    for subject in ("Zeichnung für Fonds III", "Fund III – our commitment", "ファンドIIIのご案内について",
                    "Инвестиции в фонд III"):
        assert parse_message(one("charset", subject=subject).raw).subject == subject
    long = "Fund III — " + "é" * 80 + " done"
    raw = message("From: a@b.example", f"Subject: {mailgen._encoded_words(long)}")
    assert b"\r\n =?utf-8?Q?" in raw  # folded into several words
    assert parse_message(raw).subject == long
    # a character split across two B words still decodes
    data = "größer".encode()
    words = [binascii.b2a_base64(data[:3], newline=False), binascii.b2a_base64(data[3:], newline=False)]
    raw = message("From: a@b.example", "Subject: =?utf-8?B?%s?= =?utf-8?B?%s?=" % (words[0].decode(), words[1].decode()))
    assert parse_message(raw).subject == "größer"
    assert parse_message(message("From: a@b.example", "Subject:   Re:   spaced\r\n\tout  ")).subject == "Re: spaced out"


def test_charset_bodies_round_trip():
    japanese = parse_message(one("charset", subject="ファンドIIIのご案内について").raw)
    assert "投資委員会で検討いたします" in japanese.text and japanese.problems == []
    russian = parse_message(one("charset", subject="Инвестиции в фонд III").raw)
    assert "Здравствуйте, Анна!" in russian.text and "С уважением" in russian.text
    french = parse_message(one("charset", subject="Fund III – our commitment").raw)
    assert "We’re pleased to confirm a commitment of €5m – subject" in french.text  # windows-1252 bytes
    unknown = parse_message(one("charset", subject="Materials received").raw)
    assert "Greetings from Zürich — we reviewed" in unknown.text and "\ufffd" in unknown.text
    assert any("undecodable bytes in charset 'x-unknown' replaced" in problem for problem in unknown.problems)
    # the fall-backs, one by one
    cases = [
        ("utf-8", "caf\xe9 ok".encode("latin-1"), "caf\ufffd ok", "undecodable bytes in charset 'utf-8'"),
        ("us-ascii", "café".encode(), "café", "read as utf-8"),
        ("iso-8859-1", b"\x93quoted\x94", "\u201cquoted\u201d", None),   # read as windows-1252
        (None, b"caf\xe9", "café", "windows-1252"),
        ("x-klingon", "Zürich".encode("latin-1"), "Zürich", "x-klingon"),
        ("base64", "café".encode(), "café", "unknown charset 'base64' read as utf-8"),  # a codec, not a text one
        ("shift_jis", "①".encode("cp932"), "①", None),                    # Windows' superset
        ("'utf-8'", "é".encode(), "é", None),
    ]
    for charset, body, expected, problem in cases:
        content_type = f"Content-Type: text/plain; charset={charset}" if charset else "Content-Type: text/plain"
        p = parse_message(message("From: a@b.example", content_type, "Content-Transfer-Encoding: 8bit", body=body))
        assert p.text == expected, (charset, p.text)
        body_problems = [item for item in p.problems if "(plain text)" in item]
        if problem:
            assert any(problem in item for item in body_problems), (charset, p.problems)
        else:
            assert body_problems == [], (charset, p.problems)


def test_attachments_sizes_dedupe_and_cap():
    fx = fixture()
    decks = [a for m in fx.messages if m.attachments and m.attachments[0]["filename"].endswith("deck.pdf")
             for a in parse_message(m.raw).attachments]
    assert len(decks) == 5 and len({sha(a.data) for a in decks}) == 1
    assert all(a.content_type == "application/pdf" and a.data.startswith(b"%PDF-") and not a.inline for a in decks)
    big = one("attachment", subject="LPA draft v3")
    kept = parse_message(big.raw).attachments[0]
    assert kept.size == big.attachments[0]["size"] and not kept.too_large and len(kept.data) == kept.size
    capped = parse_message(big.raw, max_attachment_bytes=100_000).attachments[0]
    assert capped.too_large and capped.data is None and capped.size == big.attachments[0]["size"]
    assert capped.filename == "LPA draft v3.pdf"
    names = {a.filename for m in fx.of_kind("attachment") for a in parse_message(m.raw).attachments}
    assert {"Präsentation Q3.pdf", "Lettre d’engagement – Fund III.pdf", "commitments.csv", "call notes.txt"} <= names
    notes = parse_message(one("attachment", subject="Halvorsen call notes").raw)
    assert notes.text.startswith("Notes from the Halvorsen call") and "wants MFN" not in notes.text
    logo = parse_message(one("inline_image").raw)
    assert logo.attachments[0].inline and logo.attachments[0].content_id == "logo-ben@fund.example"
    assert 'src="cid:logo-ben@fund.example"' in logo.html
    assert 'data-cid="logo-ben@fund.example"' in sanitize_html(logo.html)
    unnamed = parse_message(message(
        "From: a@b.example", 'Content-Type: multipart/mixed; boundary="b"', body=(
            "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: image/png\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b\r\nContent-Type: application/x-thing\r\n\r\n"
            "xyz\r\n--b\r\nContent-Type: application/pdf; name=\"C:\\\\Users\\\\ann\\\\q3.pdf\"\r\n\r\n%PDF\r\n--b--\r\n")))
    assert [a.filename for a in unnamed.attachments] == ["attachment-1.png", "attachment-2.bin", "q3.pdf"]
    assert unnamed.attachments[0].data == b"\x89PNG\r\n\x1a\n" and unnamed.text == "see attached"


def test_forwards_nested_with_their_attachments():
    outer = parse_message(one("forward", subject="Fwd: Fwd: Fund III: our IC questions").raw)
    assert outer.text.count(mime.FORWARD_RULE) == 2
    first_block = outer.text.split(mime.FORWARD_RULE)[1]
    assert "From: Ann Whitaker <ann@fund.example>" in first_block
    assert "Subject: Fwd: Fund III: our IC questions" in first_block
    assert "To: Ben Okafor <ben@fund.example>" in first_block and "Date: " in first_block
    assert "From: Grace Kim <gkim@oakhaven.example>" in outer.text.split(mime.FORWARD_RULE)[2]
    assert outer.text.index("could you look at question 4") < outer.text.index("Forwarding Grace's questions")
    assert [a.filename for a in outer.attachments] == ["IC questions.pdf"]
    assert outer.html is None  # forwarded HTML is not the message's own
    # a message/rfc822 part sent base64-encoded (not allowed, but sent)
    inner = b"From: Old <old@x.example>\r\nSubject: inner one\r\n\r\nthe inner text\r\n"
    raw = message("From: a@b.example", 'Content-Type: multipart/mixed; boundary="b"', body=(
        b"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + binascii.b2a_base64(inner) + b"--b--\r\n"))
    p = parse_message(raw)
    assert "Subject: inner one" in p.text and "the inner text" in p.text


def test_html_only_text_comes_from_html_and_html_is_kept_raw():
    p = parse_message(one("html_only", subject="Brightwater quarterly letter").raw)
    assert "<script>" in p.html and "Our allocation for 2026 is confirmed." in p.text
    assert "alert" not in p.text and "color: red" not in p.text
    assert "Investor portal (https://brightwater-college.example/portal)" in p.text
    clean = sanitize_html(p.html)
    assert "<script" not in clean and "onclick" not in clean and "javascript:" not in clean
    assert 'data-blocked-src="https://track.brightwater-college.example/open.gif?id=123"' in clean
    table = parse_message(one("html_only", subject="Notes from the AGM").raw)
    assert "Re-up Approved" in table.text and "- Next review in March" in table.text


def test_malformed_message_still_parses_with_problems_named():
    m = one("malformed")
    p = parse_message(m.raw)
    assert p.message_id == m.message_id and p.sent_at == m.sent_at  # dated by its Received header
    assert p.subject.startswith("Side letter comments déjà vu")
    assert p.sender == mime.Address("René Dubois", "rene@dubois-capital.example")
    assert p.to == [mime.Address("Ann Whitaker", "ann@fund.example")]
    assert p.cc == [] and "side letter are below" in p.text
    problems = " | ".join(p.problems)
    for expected in ("malformed Date header", "broken encoded word in Subject", "8-bit bytes in From header",
                     "header line without a colon dropped", "address without @ dropped from Cc"):
        assert expected in problems, (expected, p.problems)
    # headers after the junk line survived
    assert "Content-Type" not in (p.text or "")
    broken_b64 = parse_message(one("base64").raw)
    assert "We’ll call two of them this week." in broken_b64.text
    assert any("broken base64" in problem for problem in broken_b64.problems)


def test_missing_message_id_is_generated_and_stable():
    m = one("no_message_id")
    first, second = parse_message(m.raw), parse_message(m.raw)
    assert first.message_id == second.message_id == m.message_id
    assert re.fullmatch(r"generated-[0-9a-f]{32}@venture-crm\.invalid", first.message_id)
    assert "no Message-ID: generated one" in first.problems
    assert parse_message(m.raw.replace(b"\r\n", b"\n")).message_id == first.message_id  # LF copy: same mail
    assert parse_message(m.raw + b"x").message_id != first.message_id
    for header in ("Message-ID:", "Message-ID:    ", "Message-ID: <>"):
        raw = message("From: a@b.example", header, "Subject: s")
        assert parse_message(raw).message_id == generated_message_id(raw)
    assert parse_message(message("Message-ID: <  abc@x  >")).message_id == "abc@x"
    assert parse_message(message("Message-ID: abc@x (comment)")).message_id == "abc@x"
    assert parse_message(message("Message-ID:\r\n <folded@x>")).message_id == "folded@x"


def test_dates_references_and_kept_headers():
    raw = message("Date: Sun, 14 Jun 2026 09:30:00 +0200 (CEST)", "In-Reply-To: Your note <p@x> of Monday",
                  "References: <a@x> <b@x>\r\n <a@x>\r\n\t<c@x>", "Subject: s")
    p = parse_message(raw)
    assert p.sent_at == "2026-06-14T07:30:00.000Z"
    assert p.in_reply_to == "p@x" and p.references == ["a@x", "b@x", "c@x"]
    assert "no usable From address" in p.problems and p.sender is None
    assert parse_message(message("Date: 14 Jun 26 09:30 -0000")).sent_at == "2026-06-14T09:30:00.000Z"
    for bad in ("Date: yesterday", "Date: 30 Feb 2026 10:00:00 +0000", "Date: Mon, 14 Jun 1800 10:00:00 +0000",
                "Date: Mon, 14 Jun 2026 10:00:00 +9999"):
        p = parse_message(message(bad))
        assert p.sent_at is None and "malformed Date header" in p.problems, bad
    assert "no Date header" in parse_message(message("Subject: x")).problems
    newsletter = parse_message(one("newsletter").raw)
    assert newsletter.headers["Precedence"] == "bulk" and newsletter.headers["List-Id"].startswith("LP Weekly")
    assert newsletter.headers["List-Unsubscribe"].startswith("<https://lpweekly.example/u/")
    assert parse_message(one("auto_reply").raw).headers == {"Auto-Submitted": "auto-replied"}
    bcc = parse_message(one("bcc").raw)
    assert [a.addr for a in bcc.bcc] == ["zhart@blueheron.example"]


def test_mime_structure_edge_cases():
    def body_message(content_type: str, body: bytes | str, *extra: str) -> ParsedMessage:
        return parse_message(message("From: a@b.example", f"Content-Type: {content_type}", *extra, body=body))

    alternative = body_message('multipart/alternative; boundary="x"',
                               "--x\r\nContent-Type: text/html\r\n\r\n<p>H</p>\r\n--x\r\n"
                               "Content-Type: text/plain\r\n\r\nplain one\r\n--x--\r\n")
    assert alternative.text == "plain one" and alternative.html == "<p>H</p>"
    no_boundary = body_message("multipart/mixed", "just text")
    assert no_boundary.text == "just text" and any("boundary" in item for item in no_boundary.problems)
    unclosed = body_message('multipart/mixed; boundary="x"', "preamble\r\n--x\r\n\r\npart one\r\n--x\r\n\r\npart two")
    assert unclosed.text == "part one\n\npart two" and any("not closed" in item for item in unclosed.problems)
    prefix = body_message('multipart/mixed; boundary="x"', "--x\r\n\r\nkeep --x-not a line\r\n--xy\r\n--x--\r\n")
    assert prefix.text == "keep --x-not a line\n--xy"
    flowed = body_message('text/plain; format=flowed; delsp=no', "This is one \r\nline.\r\n> quoted \r\n> too\r\n")
    assert flowed.text == "This is one line.\n> quoted too\n"
    digest = body_message('multipart/digest; boundary="d"', "--d\r\n\r\nFrom: x@y.example\r\nSubject: one\r\n\r\n"
                          "first\r\n--d--\r\n")
    assert "Subject: one" in digest.text and "first" in digest.text
    quoted = body_message("text/plain; charset=utf-8", "caf=C3=A9 =\r\nsoft break", "Content-Transfer-Encoding: QUOTED-PRINTABLE")
    assert quoted.text == "café soft break"
    deep = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
                    for level in range(200)) + b"\r\ninner\r\n"
    p = parse_message(b"From: a@b.example\r\n" + deep)
    assert any("nested deeper" in item for item in p.problems)
    headerless = parse_message(b"Just a body line\nand another\n\nmore")
    assert headerless.text == "Just a body line\nand another\n\nmore" and headerless.sender is None
    spaced = parse_message(b"Subject : spaced\r\nFrom: a@b.example\r\n\r\nbody")
    assert spaced.subject == "spaced" and spaced.sender.addr == "a@b.example"
    bare_cr = parse_message(b"From: a@b.example\rSubject: old mac\r\rbody")
    assert bare_cr.subject == "old mac" and bare_cr.text == "body"
    empty = parse_message(b"")
    assert empty.message_id == generated_message_id(b"") and empty.text == "" and empty.size == 0


# ------------------------------------------------------------------ mbox

class TrickleStream(io.RawIOBase):
    """A stream handing out at most `step` bytes per read and counting what was read."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.position = data, step, 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = self.step if size is None or size < 0 else min(size, self.step)
        chunk = self.data[self.position:self.position + size]
        self.position += len(chunk)
        return chunk


def test_mbox_round_trip_gives_back_the_raw_messages(monkeypatch):
    fx = fixture()
    mbox = fx.to_mbox()
    assert b"\n>From our side" in mbox and b"\n>>From the minutes" in mbox and b"\n>>>From an earlier" in mbox
    assert list(split_mbox(io.BytesIO(mbox))) == [m.raw for m in fx.messages]
    ann = fx.for_mailbox("ann@fund.example")
    assert list(split_mbox(io.BytesIO(fx.to_mbox(ann)))) == [m.raw for m in ann]
    # lines and separators straddling read blocks
    sample = fx.messages[:40] + fx.of_kind("from_line")
    for block in (5, 64, 4093):
        monkeypatch.setattr(mime, "_MBOX_BLOCK", block)
        assert list(split_mbox(TrickleStream(fx.to_mbox(sample), block // 2 + 1))) == [m.raw for m in sample]


def test_mbox_variants():
    one_message = b"Subject: a\n\nbody\n"
    assert list(split_mbox(io.BytesIO(one_message))) == [one_message]  # no separator: an .eml
    assert list(split_mbox(io.BytesIO(b""))) == []
    crlf = b"junk before\r\nFrom a@b Sat Jun 14 09:30:00 2026\r\nSubject: 1\r\n\r\n>From x\r\n\r\n" \
           b"From b@c Sat Jun 14 09:31:00 2026\r\nSubject: 2\r\n\r\n>>From y\r\nFrom z\r\n"
    messages = list(split_mbox(io.BytesIO(crlf)))
    assert messages[0] == b"Subject: 1\r\n\r\nFrom x\r\n"
    assert messages[1] == b"Subject: 2\r\n\r\n>From y\r\n"
    assert len(messages) == 2  # "From z" is a separator of an empty message, which is skipped
    takeout = b"From 1781234567890@xxx Sun Jun 14 09:30:00 +0000 2026\nX-GM-THRID: 1\nSubject: t\n\nbody\n"
    assert list(split_mbox(io.BytesIO(takeout))) == [b"X-GM-THRID: 1\nSubject: t\n\nbody\n"]


def test_mbox_streams_without_reading_ahead():
    message_bytes = b"Subject: s\n\n" + b"line of text\n" * 2000
    count = 300
    stream = TrickleStream(b"".join(b"From x@y Mon Jan 1 00:00:00 2026\n" + message_bytes + b"\n"
                                    for _ in range(count)), 1 << 16)
    messages = split_mbox(stream)
    assert next(messages) == message_bytes
    assert stream.position <= 2 * mime._MBOX_BLOCK  # ~8 MB in all; only a block or two read
    assert sum(1 for _ in messages) == count - 1


# ------------------------------------------------------------------ HTML

class BalanceChecker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check_sanitized(out: str) -> list:
    checker = BalanceChecker()
    checker.feed(out)
    checker.close()
    assert not checker.errors and not checker.stack, (out, checker.errors, checker.stack)
    assert not re.search(r"<\s*/?\s*(script|style|iframe|object|embed|svg|math|form|base|meta|link)\b", out, re.I), out
    for tag, attrs in checker.tags:
        assert not any(name.startswith("on") or name == "style" for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            if name in attrs:
                assert re.match(r"(https?:|mailto:|data:image/)", attrs[name], re.I), (tag, attrs)
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer" and attrs["target"] == "_blank"
    return checker.tags


def test_sanitize_html_cases():
    out = sanitize_html('<div><script>alert("x")</script><p onclick="evil()" style="color:red">Hi &amp; '
                        '<b>bold</b></p><a href="javascript:alert(1)">bad</a><a href=" JaVa\tScript:x">b2</a>'
                        '<a href="https://ok.example/?a=1&amp;b=2" onmouseover="x">ok</a>'
                        '<a href="mailto:ann@fund.example">mail</a><a href="data:text/html,x">d</a>'
                        '<a href="//evil.example">rel</a><img src="https://t.example/p.gif" alt="pixel">'
                        '<img src="cid:logo@x"><img src="data:image/png;base64,AAAA"><img src="data:image/svg+xml,x">'
                        '<iframe src="https://x"><p>inside</p></iframe><style>p{}</style><form><input>f</form>'
                        '<svg><a href="https://x">s</a></svg><unknown>kept text</unknown><table><tr><td>a<td>b'
                        '</table><ul><li>one<li>two</ul><p>x<p>y')
    tags = check_sanitized(out)
    assert "alert" not in out and "evil" not in out and "inside" not in out and "p{}" not in out
    assert "Hi &amp; <b>bold</b>" in out and "kept text" in out
    hrefs = [attrs.get("href") for tag, attrs in tags if tag == "a"]
    assert hrefs == [None, None, "https://ok.example/?a=1&b=2", "mailto:ann@fund.example", None, None]
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert images[0] == {"data-blocked-src": "https://t.example/p.gif", "alt": "pixel"}
    assert images[1] == {"data-cid": "logo@x"} and images[2] == {"src": "data:image/png;base64,AAAA"}
    assert images[3] == {}
    assert "<td>a</td><td>b</td>" in out and "<li>one</li><li>two</li>" in out and "<p>x</p><p>y</p>" in out
    # unbalanced and hostile structure still comes out balanced
    for html in ("<b><i>x</b></i>", "</div></p>text<div>", "<p><table><tr><td>x</p></td></tr>",
                 "<script>never closed", "<a href='https://x'>unclosed <b>", "<scr<script>ipt>alert(1)</script>",
                 "<<p>>", "<!-- <script>x</script> -->ok", "<img src=x onerror=alert(1)//", "<p>\x00nul</p>",
                 "<script/>hidden</script>shown", "<svg/>after"):
        check_sanitized(sanitize_html(html))
    assert sanitize_html("<script/>hidden</script>shown") == "shown"
    assert sanitize_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert sanitize_html('<a title="x&quot;y" href="https://x/">t</a>') == (
        '<a title="x&quot;y" href="https://x/" rel="noopener noreferrer" target="_blank">t</a>')


def test_html_to_text_cases():
    html = ("<html><head><title>T</title><style>p{}</style></head><body><h1>Title</h1><p>First &amp; one"
            "<br>second line</p><script>var x</script><ul><li>one</li><li>two <a href='https://x.example/y'>link"
            "</a></li></ul><p><a href='https://same.example'>https://same.example</a> <a href='mailto:a@b.c'>a@b.c"
            "</a></p><blockquote>quoted<br>lines</blockquote><pre>  keep\n    this</pre><table><tr><td>a</td>"
            "<td>b</td></tr></table><p></p><p></p><p>\u200c\u00a0last&nbsp;one</p></body></html>")
    assert html_to_text(html) == (
        "Title\n\nFirst & one\nsecond line\n\n- one\n- two link (https://x.example/y)\n\n"
        "https://same.example a@b.c\n\n> quoted\n> lines\n\n  keep\n    this\n\na b\n\nlast one")
    assert html_to_text("") == "" and html_to_text("plain") == "plain"
    assert html_to_text("<html><head><title>T</title><body><p>unclosed head") == "unclosed head"
    assert html_to_text("<noscript>shown</noscript><script>hidden") == "shown"
    assert html_to_text("ok <p>x</p> <!-- never closed <p>y") == "ok\n\nx"  # as browsers show it
    assert html_to_text("if a<b then x") == "if a"  # "<b then x" is an unclosed tag to browsers too
    assert html_to_text("1 < 2 &amp;&amp; 3 > 2") == "1 < 2 && 3 > 2"
    assert html_to_text("<p>a</p>\n\n\n\n<p>b</p>") == "a\n\nb"


# ------------------------------------------------------------------ fuzzing

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MIME_PIECES = [
    b"From: ", b"To: ", b"Cc: ", b"Subject: ", b"Date: ", b"Message-ID: ", b"References: ", b"In-Reply-To: ",
    b"Content-Type: ", b"Content-Transfer-Encoding: ", b"Content-Disposition: ", b"multipart/mixed",
    b"multipart/alternative", b"message/rfc822", b"text/plain", b"text/html", b"application/pdf", b"; boundary=b",
    b'; boundary="b"', b"; charset=", b"utf-8", b"x-unknown", b"shift_jis", b"koi8-r", b"utf-16", b"punycode",
    b"; filename*=utf-8''a%E9", b"; name*0*=utf-8''a; name*1=b", b"base64", b"quoted-printable", b"8bit",
    b"\r\n", b"\n", b"\r\n\r\n", b"\n\n", b"--b\r\n", b"--b--\r\n", b"--b", b" ", b"\t", b"=?utf-8?B?w6k=?=",
    b"=?utf-8?Q?caf=E9?=", b"=?x?B?###?=", b"=?", b"?=", b"<a@b>", b"a@b.example", b'"x, y" <c@d>', b"\xff\xfe",
    b"\xe9", b"=C3=A9", b"=\r\n", b"AAAA", b"A", b"====", b"<p onclick=x>", b"<script>", b"From x\n", b">From ",
    b"Mon, 14 Jun 2026 10:00:00 +0200", b"group: a@b, c@d;", b"(comment)", b"\\", b'"', b";", b":", b"\x00",
]


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_parse_arbitrary_bytes_never_raises(data):
    p = parse_message(data)
    assert isinstance(p, ParsedMessage) and p.message_id and p.size == len(data)
    assert "message could not be parsed" not in " ".join(p.problems), p.problems


@FUZZ
@given(st.lists(st.sampled_from(MIME_PIECES), max_size=80))
def test_fuzz_parse_mime_shaped_bytes_never_raises(pieces):
    data = b"".join(pieces)
    p = parse_message(data, max_attachment_bytes=64)
    assert p.message_id and all(a.data is None or len(a.data) <= 64 for a in p.attachments)
    assert "message could not be parsed" not in " ".join(p.problems), p.problems


@settings(FUZZ, max_examples=300)
@given(st.data())
def test_fuzz_parse_mutated_fixture_messages_never_raises(data):
    messages = fixture().messages
    raw = bytearray(messages[data.draw(st.integers(0, len(messages) - 1))].raw)
    for _ in range(data.draw(st.integers(1, 8))):
        operation = data.draw(st.sampled_from(("flip", "cut", "insert", "drop")))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if operation == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif operation == "cut":
            del raw[at:]
        elif operation == "insert":
            raw[at:at] = data.draw(st.sampled_from(MIME_PIECES))
        elif raw:
            del raw[at:at + data.draw(st.integers(1, 200))]
    p = parse_message(bytes(raw))
    assert p.message_id and p.size == len(raw)
    assert "message could not be parsed" not in " ".join(p.problems), p.problems


HTML_PIECES = ["<p>", "</p>", "<div>", "</div>", "<script>", "</script>", "<style>", "</style>", "<a href='",
               "javascript:", "https://x/", "'>", "</a>", "<img src=", "cid:x", "data:image/png,x", " onerror=",
               "alert(1)", "<svg>", "</svg>", "<iframe>", "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#x6a;",
               "&lt;", "<br/>", "<li>", "<table><tr><td>", "</td>", "text", " ", "\n", "<", ">", "\"", "'", "=",
               "<b>", "</i>", "<pre>", "</pre>", "<blockquote>", "<form>", "<textarea>", "<title>", "<?xml?>",
               "<!DOCTYPE html>", "<p style='x' onclick='y'>", "\x00"]


@FUZZ
@given(st.one_of(st.text(max_size=2000), st.lists(st.sampled_from(HTML_PIECES), max_size=60).map("".join)))
def test_fuzz_html_never_raises_and_stays_safe(html):
    check_sanitized(sanitize_html(html))
    assert isinstance(html_to_text(html), str)


def reference_split(data: bytes) -> list[bytes]:
    """split_mbox's rules, the slow obvious way: the whole input, line by line."""
    lines = re.findall(rb"[^\n]*\n|[^\n]+\Z", data)
    messages, current = [], None
    for line in lines:
        if line.startswith(b"From "):
            if current is not None:
                messages.append(b"".join(current))
            current = []
        elif current is not None:
            current.append(line)
    if current is None:
        return [data] if data.strip() else []
    messages.append(b"".join(current))
    out = []
    for item in messages:
        if item.endswith(b"\r\n") and item[:-2].endswith(b"\n"):
            item = item[:-2]
        elif item.endswith(b"\n") and item[:-1].endswith(b"\n"):
            item = item[:-1]
        if item.strip():
            out.append(re.sub(rb"(?m)^>(>*From )", rb"\1", item))
    return out


MBOX_PIECES = [b"From ", b"From x Mon Jan 1 00:00:00 2026\n", b">From ", b">>From ", b"\n", b"\r\n", b"\n\n",
               b"Subject: s\n", b"body", b" ", b"F", b"rom ", b">", b"\r"]


@FUZZ
@given(st.one_of(st.binary(max_size=2000), st.lists(st.sampled_from(MBOX_PIECES), max_size=60).map(b"".join)),
       st.integers(1, 40), st.integers(1, 50))
def test_fuzz_split_mbox_matches_the_obvious_reading(data, block, step):
    saved = mime._MBOX_BLOCK
    mime._MBOX_BLOCK = block  # tiny blocks put lines and separators across block edges
    try:
        messages = list(split_mbox(TrickleStream(data, step)))
    finally:
        mime._MBOX_BLOCK = saved
    assert messages == reference_split(data)


@pytest.mark.parametrize("html", ["<p>" * 5000 + "deep", "<div>" * 3000, "x" * 200_000, "<a href='https://x'>" * 2000])
def test_html_large_inputs(html):
    started = time.process_time()
    check_sanitized(sanitize_html(html))
    html_to_text(html)
    assert time.process_time() - started < 3


def test_a_message_with_an_unreadable_date_is_dated_by_its_received_header():
    fixture = mailgen.generate()
    broken = next(m for m in fixture.messages if m.kind == "malformed")
    parsed = mime.parse_message(broken.raw)
    assert "malformed Date header" in parsed.problems and "dated by its Received header" in parsed.problems
    assert parsed.sent_at == broken.sent_at
