"""Raw RFC 822 mail to a `ParsedMessage`: the one reading of a message that sync, import,
threading and matching all work from; and `split_mbox`, which streams an mbox (Google Takeout)
into raw messages.

Mail is whatever some sender's software produced, so `parse_message` never raises: every part is
read defensively and whatever was wrong and worked around is named in `problems` instead.
Headers of each MIME entity are held in stdlib `email.message.Message` objects (policy compat32,
which never raises on access, unlike `policy.default` on malformed headers) so Content-Type and
Content-Disposition parameters, RFC 2231 included, are read the stdlib's way; the entities
themselves are split here, by slicing bodies at their boundary lines, because the stdlib's feed
parser walks every body line in Python and was half the time of a parse. Header text is decoded
here too: RFC 2047 words leniently (adjacent words joined before decoding, padding repaired,
unknown charsets guessed), 8-bit header bytes as UTF-8 else windows-1252; a header line without
a colon is dropped when real headers follow it.

Text is decoded with the declared charset, then UTF-8, then (for a charset Python knows) the
declared one with replacement characters, or for an unknown one UTF-8 with replacements when the
bytes mostly are UTF-8 and windows-1252/latin-1 when not; iso-8859-1 is read as its superset
windows-1252, as browsers do. A message without a Message-ID gets one derived from its bytes,
so importing the same bytes twice dedupes.
"""
from __future__ import annotations

import binascii
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_tz
from typing import BinaryIO, Iterator

from .html_clean import html_to_text

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
FORWARD_RULE = "---------- Forwarded message ----------"
GENERATED_ID_DOMAIN = "venture-crm.invalid"
SNIPPET_CHARS = 200
KEPT_HEADERS = ("List-Id", "List-Unsubscribe", "Auto-Submitted", "Precedence")
# Multiparts and forwards nest this deep at most in real mail; deeper parts are skipped (and
# named) rather than recursed into.
MAX_DEPTH = 40
# Address headers longer than this (a mailing list's To:) are cut before parsing them.
MAX_ADDRESS_HEADER = 200_000

_EXTENSIONS = {
    "application/pdf": ".pdf", "text/csv": ".csv", "text/plain": ".txt", "text/html": ".html",
    "text/calendar": ".ics", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
    "image/webp": ".webp", "message/rfc822": ".eml", "application/zip": ".zip",
    "application/pgp-signature": ".asc",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}


@dataclass
class Address:
    name: str   # display name, decoded (RFC 2047), '' when none
    addr: str   # lower-cased, stripped; entries with no usable address are dropped


@dataclass
class Attachment:
    filename: str       # decoded; a made-up name ("attachment-1.bin") when the part has none
    content_type: str   # lower-case, e.g. "application/pdf"
    data: bytes | None  # None when larger than the cap (too_large True)
    size: int           # decoded size in bytes
    too_large: bool
    inline: bool        # has a Content-ID and is not marked attachment: a cid: image
    content_id: str | None


@dataclass
class ParsedMessage:
    message_id: str            # without <> and whitespace; generated_message_id(raw) when missing
    subject: str               # decoded, whitespace collapsed, '' when none
    sender: Address | None     # the first From address
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    sent_at: str | None = None         # Date as "2026-06-14T09:30:00.000Z"; None when missing or unreadable
    in_reply_to: str | None = None     # normalised like message_id
    references: list[str] = field(default_factory=list)  # in header order, duplicates removed
    text: str | None = None    # text/plain, else text from the HTML; forwarded messages below FORWARD_RULE blocks
    html: str | None = None    # the message's own text/html as sent (unsanitised), not forwarded ones
    attachments: list[Attachment] = field(default_factory=list)  # forwarded messages' ones included
    problems: list[str] = field(default_factory=list)  # what was wrong and how it was worked around
    snippet: str = ""          # the first SNIPPET_CHARS of text, whitespace collapsed
    size: int = 0              # len(raw)
    headers: dict[str, str] = field(default_factory=dict)  # KEPT_HEADERS present, decoded


# -- charsets ------------------------------------------------------------------------------

# Labels mail uses that Python does not know by that name.
_CHARSET_ALIASES = {
    "windows-31j": "cp932", "x-sjis": "shift_jis", "sjis": "shift_jis", "ms932": "cp932",
    "iso-8859-8-i": "iso8859-8", "iso-8859-6-i": "iso8859-6", "x-gbk": "gbk", "x-euc-jp": "euc_jp",
    "unicode-1-1-utf-7": "utf-7", "x-unicode20utf8": "utf-8", "utf8mb4": "utf-8", "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic", "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "x-cp1252": "cp1252",
}
# Read these as the superset senders actually meant (what browsers do for iso-8859-1).
_PREFERRED = {"iso8859-1": "cp1252", "iso8859-9": "cp1254", "tis-620": "cp874", "iso8859-11": "cp874"}
# Tried after the declared codec fails: the vendor supersets legacy CJK mail is really written in.
_SUPERSETS = {"shift_jis": "cp932", "euc_jp": "euc_jis_2004", "gb2312": "gb18030", "gbk": "gb18030",
              "euc_kr": "cp949", "big5": "big5hkscs", "iso2022_jp": "iso2022_jp_ext"}
# Python codecs that are no text encoding mail could be in, or cost quadratic time on input.
_REFUSED_CODECS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined",
                             "mbcs", "oem", "uu_codec", "zlib_codec", "bz2_codec", "hex_codec",
                             "base64_codec", "quopri_codec", "rot-13"})
_codec_cache: dict[str, str | None] = {}


def _codec(label: str) -> str | None:
    """The Python codec for a charset label, or None when it names none we will use."""
    try:
        return _codec_cache[label]
    except KeyError:
        pass
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
        codec = info.name if getattr(info, "_is_text_encoding", True) and info.name not in _REFUSED_CODECS else None
    except Exception:  # LookupError, and ValueError/TypeError for labels with NULs and the like
        codec = None
    if len(_codec_cache) < 512:  # fuzzed or hostile mail must not grow it without bound
        _codec_cache[label] = codec
    return codec


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except Exception:
        return None


def decode_bytes(data: bytes, charset: str | None, where: str, problems: list[str]) -> str:
    """Text from bytes in the declared charset, falling back as the module docstring says."""
    label = (charset or "").strip().lower()
    codec = _codec(label) if label else None
    if not label or codec == "ascii":
        for candidate in ("utf-8", "cp1252"):
            text = _try(data, candidate)
            if text is not None:
                if candidate != "utf-8":
                    problems.append(f"8-bit text without a charset read as windows-1252 ({where})")
                elif label and not data.isascii():
                    problems.append(f"text declared '{label}' read as utf-8 ({where})")
                return text
        problems.append(f"8-bit text without a charset read as latin-1 ({where})")
        return data.decode("latin-1")
    if codec is None:
        text = _try(data, "utf-8")
        if text is not None:
            if not data.isascii():
                problems.append(f"unknown charset '{label}' read as utf-8 ({where})")
            return text
        guess = data.decode("utf-8", "replace")
        replaced = guess.count("\ufffd")
        decoded = len(guess) - len(guess.encode("ascii", "ignore")) - replaced
        if decoded >= replaced:  # at least as many good UTF-8 sequences as bad ones: UTF-8 it is
            problems.append(f"undecodable bytes in charset '{label}' replaced ({where})")
            return guess
        problems.append(f"unknown charset '{label}' read as windows-1252 ({where})")
        return _try(data, "cp1252") or data.decode("latin-1")
    order = [_PREFERRED.get(codec, codec), codec, _SUPERSETS.get(codec), "utf-8"]
    seen: set[str] = set()
    for candidate in order:
        if candidate is None or candidate in seen:
            continue
        seen.add(candidate)
        text = _try(data, candidate)
        if text is not None:
            if candidate == "utf-8" and codec != "utf-8":
                problems.append(f"text declared '{label}' read as utf-8 ({where})")
            return text
    problems.append(f"undecodable bytes in charset '{label}' replaced ({where})")
    try:
        return data.decode(_SUPERSETS.get(codec, codec), "replace")
    except Exception:
        return data.decode("latin-1")


# -- headers -------------------------------------------------------------------------------

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?]*)\?=")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_ANGLED = re.compile(r"<([^<>]*)>")
_ADDR_SPEC = r"""[^<>\s,;:"()\\\[\]@]+@[^<>\s,;:"()\\\[\]@]+"""
_SIMPLE_ADDRESS = re.compile(
    rf"""\s*(?:(?:"([^"\\]*)"\s*|([^"<>,;:()\\@\[\]]*?)\s*)<({_ADDR_SPEC})>|({_ADDR_SPEC}))\s*(?:,|\Z)""")
_USABLE_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+\Z")


def _b64(data: bytes) -> tuple[bytes, str | None]:
    """Decoded base64, and what had to be repaired: None, "padding", or "characters" (stray
    characters, a lone trailing one, nothing decodable)."""
    try:
        return binascii.a2b_base64(data), None
    except (binascii.Error, ValueError):
        cleaned = _B64_JUNK.sub(b"", data)
        repair = "padding"
        if len(cleaned) % 4 == 1:  # a lone trailing character encodes no byte
            cleaned, repair = cleaned[:-1], "characters"
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return binascii.a2b_base64(cleaned), repair
        except (binascii.Error, ValueError):
            return b"", "characters"


def _eight_bit(value: str, name: str, problems: list[str]) -> str:
    """Header text with raw 8-bit bytes (surrogate-escaped by the parser) decoded."""
    if value.isascii():
        return value
    raw = value.encode("utf-8", "surrogateescape")
    text = _try(raw, "utf-8")
    if text is None:
        problems.append(f"8-bit bytes in {name} header read as windows-1252")
        text = _try(raw, "cp1252") or raw.decode("latin-1")
    return text


def _unfold(value: str) -> str:
    if "\n" in value or "\r" in value:
        value = _LINE_BREAKS.sub(" ", _FOLD.sub("", value))
    return value


def decode_words(value: str, name: str, problems: list[str]) -> str:
    """Decode RFC 2047 encoded words leniently: whitespace between adjacent words dropped, the
    bytes of adjacent words in one charset joined before decoding (encoders split characters
    across words), broken words left as they are."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0
    after_word = False
    broken = False

    def flush():
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset or None, f"{name} header", problems))
            pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language tag
        encoded = match.group(3)
        if match.group(2) in "bB":
            data, repair = _b64(encoded.encode("ascii", "ignore"))
            bad = bool(encoded) and not data
            broken |= bad or repair == "characters"  # missing padding alone is too common to note
        else:
            data = binascii.a2b_qp(encoded.encode("utf-8", "surrogateescape"), header=True)
            bad = False
        position = match.end()
        if bad:  # shown as it is, with the space before it
            flush()
            out.append(between + match.group(0))
            after_word = False
            continue
        if between and not (after_word and between.isspace()):
            flush()
            out.append(between)
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(data)
        after_word = True
    flush()
    out.append(value[position:])
    if broken:
        problems.append(f"broken encoded word in {name} header")
    return "".join(out)


def _normalise_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _ANGLED.search(value)
    if match:
        found = "".join(match.group(1).split())
    else:
        tokens = value.split()
        found = tokens[0].strip("<>") if tokens else ""
    return found or None


def _id_list(value: str | None) -> list[str]:
    if not value:
        return []
    found = ["".join(item.split()) for item in _ANGLED.findall(value)]
    if not found:
        found = [token.strip("<>") for token in value.split()]
    return list(dict.fromkeys(item for item in found if item))


def _iso_date(value: str) -> str | None:
    try:
        parsed = parsedate_tz(value)
        if not parsed:
            return None
        year, month, day, hour, minute, second = parsed[:6]
        offset = parsed[9] or 0  # "-0000" (zone unknown) is read as UTC
        if not 1970 <= year <= 2200 or abs(offset) > 18 * 3600:
            return None
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
        moment -= timedelta(seconds=offset)
    except Exception:  # out-of-range fields, overflow: the header does not name a moment
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Headers:
    """The headers of one message (or forwarded message), decoded on demand."""

    def __init__(self, message: Message, problems: list[str]):
        self.problems = problems
        self.values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            key = str(name).strip().lower()
            self.values.setdefault(key, []).append(value if isinstance(value, str) else str(value))

    def raw(self, name: str, display: str = "") -> str | None:
        values = self.values.get(name)
        if not values:
            return None
        return _unfold(_eight_bit(values[0], display or name.title(), self.problems))

    def text(self, name: str, display: str) -> str | None:
        value = self.raw(name, display)
        if value is None:
            return None
        return decode_words(value, display, self.problems)

    def addresses(self, name: str, display: str) -> list[Address]:
        found: list[Address] = []
        seen: set[str] = set()
        for value in self.values.get(name, ()):
            value = _unfold(_eight_bit(value, display, self.problems))
            if len(value) > MAX_ADDRESS_HEADER:
                self.problems.append(f"{display} header cut to {MAX_ADDRESS_HEADER} characters")
                value = value[:MAX_ADDRESS_HEADER]
            pairs = _simple_addresses(value)
            if pairs is None:
                try:
                    pairs = getaddresses([value])
                except Exception:
                    self.problems.append(f"unreadable {display} header")
                    continue
            for display_name, addr in pairs:
                shown = (addr or display_name)[:80]
                addr = addr.strip().strip("<>").strip().lower()
                if not _USABLE_ADDRESS.match(addr):
                    if addr or display_name:
                        self.problems.append(f"address without @ dropped from {display}: '{shown}'")
                    continue
                if addr in seen:
                    continue
                seen.add(addr)
                name_text = decode_words(display_name, display, self.problems) if display_name else ""
                name_text = " ".join(name_text.split()).strip("\"' ")
                found.append(Address(name=name_text, addr=addr))
        return found


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """(name, address) pairs of a list in the forms nearly all mail uses (`Name <a@b>`,
    `"Name, Q" <a@b>`, `a@b`), read by one regex; None for anything else (groups, comments,
    escapes, empty entries), which getaddresses reads, at ten times the cost."""
    pairs = []
    position = 0
    while position < len(value):
        match = _SIMPLE_ADDRESS.match(value, position)
        if not match:
            return None if value[position:].strip() else pairs
        quoted, plain, angled, bare = match.groups()
        pairs.append(((quoted if quoted is not None else plain or "").strip(), angled or bare))
        position = match.end()
    return pairs


def _format_address(address: Address) -> str:
    return f"{address.name} <{address.addr}>" if address.name else address.addr


# -- MIME entities -------------------------------------------------------------------------

# What counts as a header line (as the stdlib's feed parser has it); any other line ends the
# headers, unless real headers follow it (then it is junk and dropped).
_HEADER_LINE = re.compile(rb"(?:From |[\x21-\x39\x3b-\x7e]*:|[ \t])")
_HEADER_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_SPACED_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_ODD_HEADER_LINE = re.compile(rb"^(?![\x21-\x39\x3b-\x7e]+:|[ \t]\S)", re.M)
_FIELD_START = re.compile(rb"\n(?![ \t])")
_BLANK_LINE = re.compile(rb"\n\r?\n")


class _Entity:
    """One MIME entity: its headers as a compat32 Message (for the stdlib's reading of
    Content-Type and Content-Disposition parameters, RFC 2231 included) and its body bytes."""
    __slots__ = ("headers", "body")

    def __init__(self, headers: Message, body: bytes):
        self.headers = headers
        self.body = body


def _read_entity(data: bytes, problems: list[str]) -> _Entity:
    """Split headers from body. Bodies are sliced, never walked line by line in Python: that is
    what makes this several times faster than the stdlib's feed parser on real mail."""
    if data.startswith(b"\n"):
        block, body = b"", data[1:]
    elif data.startswith(b"\r\n"):
        block, body = b"", data[2:]
    else:
        blank = _BLANK_LINE.search(data)
        block, body = (data[:blank.start()], data[blank.end():]) if blank else (data, b"")
    if not _ODD_HEADER_LINE.search(block):  # the usual case: every line a field or a fold
        fields = [field for field in _FIELD_START.split(block) if field[:1] not in (b" ", b"\t")
                  and not field.startswith(b"From ")]  # an mbox envelope line left in is no header
        lines = []
    else:
        fields, lines = [], block.split(b"\n")
    offset = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        if line[:1] in (b" ", b"\t"):
            if fields:
                fields[-1] += b"\n" + line
        elif _HEADER_LINE.match(line):
            if not line.startswith(b"From "):  # an mbox envelope line left in is no header
                fields.append(line)
        elif not line.strip():
            pass
        else:
            spaced = _SPACED_NAME.match(line)
            if spaced:
                fields.append(spaced.group(1) + line[spaced.end() - 1:])
                problems.append("header name followed by spaces before its colon")
            else:
                following = index + 1
                while following < len(lines) and lines[following][:1] in (b" ", b"\t"):
                    following += 1
                if following < len(lines) and _HEADER_FIELD.match(lines[following]):
                    problems.append("header line without a colon dropped")
                    offset += sum(len(skipped) + 1 for skipped in lines[index:following])
                    index = following
                    continue
                body = data[offset:]  # no header follows: the body begins on this line
                break
        offset += len(line) + 1
        index += 1
    headers = Message()
    for field_bytes in fields:
        name, _, value = field_bytes.partition(b":")
        if name:
            headers.set_raw(name.decode("ascii", "surrogateescape"),
                            value.lstrip(b" \t").rstrip(b"\r\n").decode("ascii", "surrogateescape"))
    return _Entity(headers, body)


def _split_multipart(body: bytes, boundary: str) -> tuple[list[bytes], bool] | None:
    """The parts of a multipart body and whether its closing delimiter was there; None when no
    delimiter line is found at all. A delimiter is a line "--boundary" or "--boundary--" with
    nothing but spaces after it; the line break before it belongs to it."""
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    marks: list[tuple[int, int]] = []  # (start of the delimiter line, start of what follows it)
    closed = False
    position = 0
    while True:
        found = body.find(delimiter, position)
        if found < 0:
            break
        position = found + 1
        if found and body[found - 1] != 0x0A:
            continue
        after = found + len(delimiter)
        closing = body.startswith(b"--", after)
        line_end = body.find(b"\n", after)
        line_end = len(body) if line_end < 0 else line_end + 1
        if body[after + 2 * closing:line_end].strip(b" \t\r\n"):
            continue
        marks.append((found, line_end))
        position = line_end
        if closing:
            closed = True
            break
    if not marks:
        return None
    parts = []
    for (_, start), (end, _) in zip(marks, marks[1:]):
        if body[end - 2:end] == b"\r\n":
            end -= 2
        elif body[end - 1:end] == b"\n":
            end -= 1
        parts.append(body[start:max(start, end)])
    if not closed:
        parts.append(body[marks[-1][1]:])
    return parts, closed


# -- bodies --------------------------------------------------------------------------------

_EXTRA_NEWLINES = re.compile(r"\r\n?")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: join soft-broken lines (ending in a space) of the same quote depth."""
    out: list[str] = []
    current: str | None = None
    current_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing
        if current is not None and depth == current_depth:
            current += body
        else:
            if current is not None:
                out.append(">" * current_depth + (" " if current_depth else "") + current)
            current, current_depth = body, depth
        if current.endswith(" ") and body != "-- ":
            if delsp:
                current = current[:-1]
            continue
        out.append(">" * current_depth + (" " if current_depth else "") + current)
        current, current_depth = None, -1
    if current is not None:
        out.append(">" * current_depth + (" " if current_depth else "") + current)
    return "\n".join(out)


_SIMPLE_PARAM = re.compile(r"""\s*;\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"\\]*)"|([^;\s"\\]*))\s*""")


def _structured(headers: Message, name: str) -> tuple[str, dict[str, str]]:
    """The main value (lower-case, '' when absent) and the parameters of a Content-Type or
    Content-Disposition header. The plain forms are read here; anything else (RFC 2231
    continuations and charsets, escapes, junk) by the stdlib, once rather than per parameter."""
    value = headers.get(name)
    if value is None:
        return "", {}
    if isinstance(value, str) and "\n" not in value and "*" not in value:
        main, _, rest = value.partition(";")
        found: dict[str, str] = {}
        position = len(main)
        while position < len(value):
            match = _SIMPLE_PARAM.match(value, position)
            if not match:
                break
            key = match.group(1).lower()
            if key not in found:
                quoted = match.group(2)
                found[key] = quoted if quoted is not None else match.group(3)
            position = match.end()
        else:
            return main.strip().lower(), found
    try:
        params = headers.get_params(header=name)
    except Exception:
        return "", {}
    if not params:
        return "", {}
    found = {}
    for key, value in params[1:]:
        if key not in found:
            try:
                found[key] = collapse_rfc2231_value(value) if isinstance(value, tuple) else str(value)
            except Exception:
                continue
    return str(params[0][0]).strip().lower(), found


class _Reader:
    """Walks one message's MIME tree collecting its body, attachments and forwards."""

    def __init__(self, cap: int, problems: list[str]):
        self.cap = cap
        self.problems = problems
        self.attachments: list[Attachment] = []

    def content(self, entity: _Entity, depth: int) -> tuple[str | None, str | None]:
        """(text, html) of a message: text/plain, else text from its HTML; forwards below."""
        text, html, forwards = self.part(entity, depth)
        if text is None and html is not None:
            text = html_to_text(html)
        if forwards:
            head = text.rstrip() + "\n\n" if text and text.strip() else ""
            text = head + "\n\n".join(forwards)
        return text, html

    def part(self, entity: _Entity, depth: int, default: str = "text/plain"):
        """(text, html, forward blocks) of one entity; attachments are collected on the way."""
        if depth > MAX_DEPTH:
            self.problems.append(f"parts nested deeper than {MAX_DEPTH} levels skipped")
            return None, None, []
        ctype = default
        try:
            ctype, params = _structured(entity.headers, "content-type")
            ctype = ctype.split()[0] if ctype.split() else ""  # "text/plain charset=x": a lost ';'
            if ctype.count("/") != 1:
                ctype = default
            if ctype.startswith("multipart/"):
                return self.multipart(entity, ctype, params, depth)
            if ctype in ("message/rfc822", "message/global"):
                return None, None, [self.forward_block(entity, depth)]
            return self.leaf(entity, ctype, params)
        except RecursionError:
            raise
        except Exception as exc:  # one unreadable part must not lose the rest of the message
            self.problems.append(f"unreadable {ctype} part skipped ({type(exc).__name__})")
            return None, None, []

    def multipart(self, entity: _Entity, ctype: str, params: dict[str, str], depth: int):
        boundary = params.get("boundary", "").rstrip()
        split = _split_multipart(entity.body, boundary) if boundary else None
        if split is None:
            self.problems.append(f"{ctype} without {'its boundary' if boundary else 'a boundary'}: read as text")
            return self.leaf(entity, "text/plain", params)
        parts, closed = split
        child_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        if not closed:
            self.problems.append(f"{ctype} not closed: read to the end")
        texts: list[str] = []
        htmls: list[str] = []
        forwards: list[str] = []
        for data in parts:
            text, html, inner = self.part(_read_entity(data, self.problems), depth + 1, child_default)
            if text is not None:
                texts.append(text)
            if html is not None:
                htmls.append(html)
            forwards.extend(inner)
        if ctype == "multipart/alternative":
            # the plain alternative as text; the last (richest) HTML one as html
            return (texts[0] if texts else None), (htmls[-1] if htmls else None), forwards
        return ("\n\n".join(texts) if texts else None), ("\n".join(htmls) if htmls else None), forwards

    def forward_block(self, entity: _Entity, depth: int) -> str:
        problems: list[str] = []
        inner = _read_entity(self.payload(entity), problems)
        headers = _Headers(inner.headers, problems)
        lines = [FORWARD_RULE]
        senders = headers.addresses("from", "From")
        if senders:
            lines.append("From: " + _format_address(senders[0]))
        for key, label in (("date", "Date"), ("subject", "Subject")):
            value = headers.text(key, label)
            if value:
                lines.append(f"{label}: {' '.join(value.split())}")
        recipients = headers.addresses("to", "To")
        if recipients:
            lines.append("To: " + ", ".join(_format_address(item) for item in recipients))
        reader_problems, self.problems = self.problems, problems
        try:
            text, _html = self.content(inner, depth + 1)
        finally:
            self.problems = reader_problems
        self.problems.extend(f"in a forwarded message: {problem}" for problem in problems)
        return "\n".join(lines) + "\n\n" + (text or "").strip("\n")

    def leaf(self, entity: _Entity, ctype: str, params: dict[str, str]):
        headers = entity.headers
        disposition, disposition_params = _structured(headers, "content-disposition")
        disposition = disposition or None
        filename = self.filename(disposition_params.get("filename") or params.get("name"))
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            data = self.payload(entity)
            charset = params.get("charset", "").strip() or None
            if charset is None and ctype == "text/html":
                declared = _META_CHARSET.search(data[:2048])
                charset = declared.group(1).decode("ascii") if declared else None
            text = decode_bytes(data, charset, "plain text" if ctype == "text/plain" else "HTML", self.problems)
            text = _EXTRA_NEWLINES.sub("\n", text).replace("\x00", "")
            if ctype == "text/html":
                return None, text, []
            if params.get("format", "").strip().lower() == "flowed":
                text = _unflow(text, params.get("delsp", "").strip().lower() == "yes")
            return text, None, []
        data = self.payload(entity)
        content_id = _normalise_id(self.header(headers, "content-id"))
        size = len(data)
        too_large = size > self.cap
        if not filename:
            filename = f"attachment-{len(self.attachments) + 1}{_EXTENSIONS.get(ctype, '.bin')}"
        self.attachments.append(Attachment(
            filename=filename, content_type=ctype, data=None if too_large else data, size=size,
            too_large=too_large, inline=content_id is not None and disposition != "attachment",
            content_id=content_id))
        return None, None, []

    # -- part details, each read defensively ----------------------------------------------
    @staticmethod
    def header(headers: Message, name: str) -> str | None:
        for key, value in headers.raw_items():
            if key.lower() == name:
                return _unfold(str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        return None

    def filename(self, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        value = _eight_bit(value.strip(), "filename", self.problems)
        value = decode_words(_unfold(value), "filename", self.problems)
        # a path in a filename is the sender's, not ours: keep its last component
        value = value.replace("\\", "/").rsplit("/", 1)[-1]
        value = "".join(char for char in value if char >= " " and char != "\x7f").strip().strip(".")
        return value[:255] or None

    def payload(self, entity: _Entity) -> bytes:
        data = entity.body
        encoding = str(entity.headers.get("content-transfer-encoding", "")).strip().lower()
        if encoding == "base64":
            data, repair = _b64(data)
            if repair:
                self.problems.append(f"broken base64 ({repair}) repaired")
        elif encoding == "quoted-printable":
            data = binascii.a2b_qp(data)
        elif encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
            data = self.uudecode(data)
        return data

    def uudecode(self, data: bytes) -> bytes:
        out = []
        for line in data.splitlines():
            if line.startswith((b"begin ", b"end")) or not line.strip():
                continue
            try:
                out.append(binascii.a2b_uu(line))
            except (binascii.Error, ValueError):
                self.problems.append("broken uuencoded line skipped")
        return b"".join(out)


# -- the message -------------------------------------------------------------------------

def generated_message_id(raw: bytes) -> str:
    """The Message-ID given to a message that has none: a digest of its bytes (line ends
    normalised), so the same message imported twice, from mbox or Gmail, is one message."""
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:32]
    return f"generated-{digest}@{GENERATED_ID_DOMAIN}"


def _snippet(text: str | None) -> str:
    if not text:
        return ""
    window = 1000
    while True:
        collapsed = " ".join(text[:window].split())
        if len(collapsed) > SNIPPET_CHARS or window >= len(text):
            return collapsed[:SNIPPET_CHARS]
        window *= 4


def _parse(raw: bytes, cap: int) -> ParsedMessage:
    problems: list[str] = []
    data = raw
    if b"\n" not in data and b"\r" in data:  # bare-CR line ends (old Mac mailers)
        data = data.replace(b"\r", b"\n")
        problems.append("bare CR line ends read as line breaks")
    entity = _read_entity(data, problems)
    headers = _Headers(entity.headers, problems)

    message_id = _normalise_id(headers.raw("message-id", "Message-ID"))
    if not message_id:
        problems.append("no Message-ID: generated one")
        message_id = generated_message_id(raw)
    subject = " ".join((headers.text("subject", "Subject") or "").split())
    senders = headers.addresses("from", "From")
    if not senders:
        problems.append("no usable From address")
    date_header = headers.raw("date", "Date")
    sent_at = _iso_date(date_header) if date_header else None
    if date_header is None:
        problems.append("no Date header")
    elif sent_at is None:
        problems.append("malformed Date header")
    if sent_at is None:  # the newest Received line says when it arrived (after its last ';')
        received = headers.raw("received", "Received")
        sent_at = _iso_date(received.rpartition(";")[2]) if received and ";" in received else None
        if sent_at:
            problems.append("dated by its Received header")

    reader = _Reader(cap, problems)
    try:
        text, html = reader.content(entity, 0)
    except RecursionError:
        reader.problems.append("MIME structure nested too deeply to read")
        text, html = None, None

    kept = {}
    for name in KEPT_HEADERS:
        value = headers.text(name.lower(), name)
        if value is not None:
            kept[name] = " ".join(value.split())
    return ParsedMessage(
        message_id=message_id, subject=subject, sender=senders[0] if senders else None,
        to=headers.addresses("to", "To"), cc=headers.addresses("cc", "Cc"),
        bcc=headers.addresses("bcc", "Bcc"), reply_to=headers.addresses("reply-to", "Reply-To"),
        sent_at=sent_at, in_reply_to=_normalise_id(headers.raw("in-reply-to", "In-Reply-To")),
        references=_id_list(headers.raw("references", "References")), text=text, html=html,
        attachments=reader.attachments, problems=list(dict.fromkeys(problems)), snippet=_snippet(text),
        size=len(raw), headers=kept)


def parse_message(raw: bytes, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> ParsedMessage:
    """Parse raw RFC 822 bytes. Never raises for any input bytes (fuzzed): what could not be read
    is named in `problems`."""
    try:
        raw = bytes(raw)
    except Exception:
        raw = b""
    try:
        return _parse(raw, max_attachment_bytes)
    except Exception as exc:  # the last line of defence: a message is never lost to a parser bug
        return ParsedMessage(
            message_id=generated_message_id(raw), subject="", sender=None,
            problems=[f"message could not be parsed ({type(exc).__name__}); kept as raw bytes"], size=len(raw))


# -- mbox ----------------------------------------------------------------------------------

_MBOXRD_ESCAPED = re.compile(rb"^>(>*From )", re.M)
_MBOX_BLOCK = 1 << 20


def _mbox_message(pieces: list[bytes]) -> bytes | None:
    data = b"".join(pieces)
    # the writer ends each message with a blank line before the next separator: not the message's
    if data.endswith(b"\r\n") and data[:-2].endswith(b"\n"):
        data = data[:-2]
    elif data.endswith(b"\n") and data[:-1].endswith(b"\n"):
        data = data[:-1]
    if not data.strip():
        return None
    # the regex looks at every line start; the substring test is a memchr-speed scan
    return _MBOXRD_ESCAPED.sub(rb"\1", data) if b">From " in data else data


def split_mbox(stream: BinaryIO) -> Iterator[bytes]:
    """Stream an mbox (mboxo/mboxrd, as Google Takeout writes) one message at a time without
    reading the whole file: messages start at lines beginning b"From " (the separator line itself
    is not part of the message); a body line matching ^>+From  has one '>' removed. CRLF or LF
    line ends. Text before the first separator is ignored unless the file has no separator at
    all, in which case the whole stream is one message (as it was, unescaped). Memory is bounded
    by the largest message, never the file."""
    pieces: list[bytes] = []   # the current message (or, before any separator, the preamble)
    seen_separator = False
    in_separator = False       # inside a separator line longer than one block
    at_line_start = True
    carry = b""
    while True:
        try:
            block = stream.read(_MBOX_BLOCK)
        except Exception:
            block = b""
        if not isinstance(block, (bytes, bytearray)):
            block = b""
        final = not block
        data = carry + bytes(block)
        if final:
            cut = len(data)
        else:
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < max(_MBOX_BLOCK, 8):
                carry = data  # wait for the rest of this line (at least enough to see "From ")
                continue
            if cut == 0:
                cut = len(data)  # one very long line: hand it on in pieces
        chunk, carry = data[:cut], data[cut:]
        position = 0
        if in_separator:
            newline = chunk.find(b"\n")
            if newline < 0:
                position = len(chunk)
            else:
                position, in_separator = newline + 1, False
        while True:
            # `position` is always at a line start, except 0 when a long line was cut there
            if chunk.startswith(b"From ", position) and (position or at_line_start):
                start = position
            else:
                found = chunk.find(b"\nFrom ", position)
                if found < 0:
                    break
                start = found + 1
            if start > position:
                pieces.append(chunk[position:start])
            if seen_separator:
                message = _mbox_message(pieces)
                if message is not None:
                    yield message
            pieces = []
            seen_separator = True
            newline = chunk.find(b"\n", start)
            if newline < 0:
                position, in_separator = len(chunk), True
                break
            position = newline + 1
        if position < len(chunk):
            pieces.append(chunk[position:])
        at_line_start = chunk.endswith(b"\n") if chunk else at_line_start
        if final:
            break
    if seen_separator:
        message = _mbox_message(pieces)
        if message is not None:
            yield message
    else:
        whole = b"".join(pieces)
        if whole.strip():
            yield whole
