"""What gets indexed, cut into chunks: pure functions from a source's text to `Chunk`s.

Sources and their chunk types:
- an investor's Notes cell -> "note": every line that starts with a date ("2026-11-03: ...",
  "3 Nov: ...", "Nov 3, 2026 - ...") is its own chunk dated that day; the rest of the cell is cut
  into ~800-character chunks dated when the cell was last changed;
- a long-text cell and the investor's name -> "investor";
- an interaction-log entry -> "interaction" (dated when it happened, `occurred_at`);
- a matched email's body -> "email" (dated when it was sent), with quoted replies ("On ... wrote:",
  "> ..." lines, Outlook's "-----Original Message-----") and signatures ("-- ", "Sent from my
  iPhone", a closing "Best regards,\nName" block) cut off first.

A chunk's key names its place (type, source, part) and becomes its Qdrant point id, so indexing
the same chunk again replaces it; its content hash (text plus payload identity) tells the indexer
whether anything changed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

CHUNK_CHARS = 800
OVERLAP_CHARS = 120
TYPES = ("email", "note", "interaction", "investor")


@dataclass
class Chunk:
    key: str
    type: str                    # one of TYPES
    source_id: str               # message id, interaction id, or investor id (notes, cells, name)
    investor_id: str | None
    text: str
    date: str | None = None      # ISO date or time of when it happened
    author: str | None = None
    investor_name: str = ""
    column_id: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        # the investor's name is encoded with every chunk (sparse and dense), so a rename re-indexes
        identity = "\x1f".join([self.type, self.source_id, self.investor_id or "", self.investor_name, self.column_id or "",
                                self.date or "", self.text])  # not the author: a note's last editor moves
        return hashlib.sha256(identity.encode()).hexdigest()

    def payload(self) -> dict:
        return {"key": self.key, "type": self.type, "source_id": self.source_id,
                "investor_id": self.investor_id, "investor_name": self.investor_name,
                "column_id": self.column_id, "date": self.date, "ts": timestamp(self.date),
                "author": self.author}


def timestamp(value: str | None) -> float | None:
    """Seconds since the epoch of an ISO date or time (for Qdrant range filters), or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        from datetime import timezone
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def split_text(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """`text` cut into pieces of about `size` characters at paragraph, sentence or word ends, each
    repeating the last ~`overlap` characters of the one before."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            cut = max(window.rfind("\n\n"), window.rfind(". "), window.rfind("\n"))
            if cut < size // 2:
                cut = window.rfind(" ")
            if cut >= size // 2:
                end = start + cut + 1
        pieces.append(text[start:end].strip())
        if end >= len(text):
            break
        back = text.find(" ", max(start + 1, end - overlap), max(start + 1, end - 1))
        start = back + 1 if back > start else end
    return [p for p in pieces if p]


# --- email bodies ---------------------------------------------------------------------------------

_QUOTE_HEADER = re.compile(r"^\s*(On\b.{0,300}\bwrote:\s*$|Le\b.{0,300}\ba écrit\s*:\s*$|Am\b.{0,300}\bschrieb.{0,80}:\s*$"
                           r"|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Forwarded message\s*-{2,}|_{5,}\s*$"
                           r"|From:\s.*$|wrote:\s*$)", re.I)
_SENT_FROM = re.compile(r"^\s*(Sent from my \w+|Get Outlook for \w+|Sent from (Mail|Outlook|Gmail)\b)", re.I)
_SIGN_OFF = re.compile(r"^\s*(best|best regards|kind regards|warm regards|regards|many thanks|thanks|thank you|"
                       r"cheers|sincerely|all the best|yours|talk soon|speak soon|warmly|br)\s*[,.!]?\s*$", re.I)


def clean_email(text: str) -> str:
    """An email body without its quoted replies, forwarded history and signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines:
        if line.rstrip() == "--" or line == "-- ":
            break
        if _SENT_FROM.match(line):
            break
        if _QUOTE_HEADER.match(line):
            # "On Tue, ... Ann <a@b> wrote:" may wrap over two lines: drop the dangling first half too
            if kept and kept[-1].strip().lower().startswith("on ") and not line.strip().lower().startswith("on "):
                kept.pop()
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    # a closing "Best regards,\nName\nTitle" block: the last sign-off line in the final few lines
    tail_from = max(0, len(kept) - 8)
    for j in range(len(kept) - 1, tail_from - 1, -1):
        if _SIGN_OFF.match(kept[j]):
            kept = kept[:j]
            break
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def html_text(html: str) -> str:
    """Readable text of (already sanitised) HTML: tags out, block ends as line breaks."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d|blockquote)>", "\n", text)
    text = re.sub(r"(?s)<[^>]+>", "", text)
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def email_chunks(message_id: str, investor_id: str, investor_name: str, subject: str, body_text: str | None,
                 body_html: str | None, sent_at: str | None, author: str | None) -> list[Chunk]:
    body = body_text if body_text and body_text.strip() else html_text(body_html or "")
    text = clean_email(body)
    subject = (subject or "").strip()
    pieces = split_text(f"{subject}\n\n{text}" if subject else text)
    return [Chunk(f"email:{message_id}:{investor_id}:{n}", "email", message_id, investor_id, piece, sent_at, author,
                  investor_name, extra={"subject": subject}) for n, piece in enumerate(pieces)]


# --- interaction log ------------------------------------------------------------------------------

def interaction_chunks(entry_id: str, investor_id: str, investor_name: str, summary: str, body: str | None,
                       occurred_at: str | None, author: str | None, kind: str = "note") -> list[Chunk]:
    summary, body = (summary or "").strip(), (body or "").strip()
    text = summary if not body or body == summary else f"{summary}\n\n{body}"
    return [Chunk(f"interaction:{entry_id}:{n}", "interaction", entry_id, investor_id, piece, occurred_at, author,
                  investor_name, extra={"summary": summary, "kind": kind})
            for n, piece in enumerate(split_text(text))]


# --- the Notes cell -------------------------------------------------------------------------------

_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_SEP = r"\s*(?:[:\-–—]|\s)\s*"
_DATED = (
    re.compile(rf"^\s*(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_SEP}(?P<rest>.+)$", re.I),
    re.compile(rf"^\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH})(?:\s+(?P<y>\d{{4}}))?\s*[:\-–—]\s*(?P<rest>.+)$", re.I),
    re.compile(rf"^\s*(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?\s*[:\-–—]\s*(?P<rest>.+)$", re.I),
)


def dated_line(line: str, reference: date) -> tuple[str, str] | None:
    """(ISO date, the rest of the line) when `line` starts with a date; a date without a year
    is the latest such day not far after `reference` (when the note was written)."""
    for pattern in _DATED:
        match = pattern.match(line)
        if not match:
            continue
        parts = match.groupdict()
        month = int(parts["m"]) if parts.get("m") else _MONTHS.get((parts.get("mon") or "")[:3].lower())
        if not month:
            continue
        try:
            day = int(parts["d"])
            if parts.get("y"):
                when = date(int(parts["y"]), month, day)
            else:
                when = date(reference.year, month, day)
                if (when - reference).days > 31:
                    when = date(reference.year - 1, month, day)
        except ValueError:
            continue
        if not 1900 <= when.year <= 2200:
            continue
        return when.isoformat(), parts["rest"].strip()
    return None


def note_chunks(investor_id: str, investor_name: str, notes: str | None, updated_at: str | None,
                author: str | None = None, since: str | None = None) -> list[Chunk]:
    """The Notes cell: one chunk per dated line (keyed by its content, so editing one line
    re-indexes only that line), the undated rest in ~800-character chunks dated `since` (when
    the investor was added: stable, so an edit elsewhere in the cell leaves them alone)."""
    if not notes or not notes.strip():
        return []
    reference = _reference_day(updated_at)
    chunks, undated, seen = [], [], {}
    for line in notes.replace("\r\n", "\n").split("\n"):
        found = dated_line(line, reference)
        if found is None:
            undated.append(line)
            continue
        day, _rest = found
        digest = hashlib.sha1(line.strip().encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        suffix = "" if seen[digest] == 1 else f".{seen[digest]}"
        chunks.append(Chunk(f"note:{investor_id}:d{digest}{suffix}", "note", investor_id, investor_id,
                            line.strip(), day, author, investor_name))
    for n, piece in enumerate(split_text("\n".join(undated))):
        chunks.append(Chunk(f"note:{investor_id}:u{n}", "note", investor_id, investor_id, piece,
                            since or updated_at, author, investor_name))
    return chunks


def _reference_day(updated_at: str | None) -> date:
    try:
        return datetime.fromisoformat((updated_at or "").replace("Z", "+00:00")).date()
    except ValueError:
        return date.today()


# --- long-text cells and the name -----------------------------------------------------------------

def cell_chunks(investor_id: str, investor_name: str, column_id: str, column_name: str, text: str | None,
                updated_at: str | None, author: str | None = None) -> list[Chunk]:
    if not isinstance(text, str) or not text.strip():
        return []
    return [Chunk(f"cell:{investor_id}:{column_id}:{n}", "investor", investor_id, investor_id, piece, updated_at,
                  author, investor_name, column_id, extra={"column": column_name})
            for n, piece in enumerate(split_text(text))]


def name_chunk(investor_id: str, name: str, lead_source: str | None, created_at: str | None) -> list[Chunk]:
    text = " · ".join(p for p in ((name or "").strip(), (lead_source or "").strip()) if p)
    if not text:
        return []
    return [Chunk(f"investor:{investor_id}", "investor", investor_id, investor_id, text, created_at, None,
                  name or "")]
