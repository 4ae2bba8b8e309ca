"""Built-in question templates: deterministic readings of the questions a fundraising team asks
most, each building a query plan (`search/plans.py` validates and runs it). No model is needed.

A question is read as a shape (a list of investors, a total, a breakdown by fund, a ranking) plus
the constraints it names: a status or a list of the live grid, a fund column ("committed to Fund
II"), commitments across funds ("in more than one fund", "existing investors"), and recency ("not
contacted in 90 days", "haven't emailed since March 1"). Fund names, statuses and list names are
matched against the live grid (`vocabulary`), tolerant of case and word endings ("soft circled"
finds "Soft Circle").

`match` answers a `Match` whose `confident` is False when words of the question were left
unexplained ("investors in diligence based in London": the location is not understood); the
caller then prefers a model and uses the partial reading only as a last resort, saying what it
ignored. Windows: "this week" is the last 7 days, "this month" 30, "this quarter" 90, "this year"
365; a month in a recency question is 30 days.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

LIST_LABELS = {"main": "Main", "follow_up": "Follow-up", "graveyard": "Graveyard", "longshot": "Longshot"}
LIST_WORDS = {"main": ("main",), "follow_up": ("follow up", "follow-up", "followup", "follow ups", "follow-ups"),
              "graveyard": ("graveyard", "graveyarded", "dead"), "longshot": ("longshot", "longshots", "long shot", "long shots")}
INVESTOR_FIELDS = ["name", "status", "list", "last_contact"]
DEFAULT_LIMIT = 100

EXAMPLES = [
    "Who haven't we contacted in 90 days?",
    "Which investors haven't we emailed in 3 months?",
    "Not contacted since 2026-03-01",
    "How much is committed to Fund II?",
    "Commitments by fund",
    "Who committed to Fund II?",
    "Most active investors this quarter",
    "Top 10 investors by emails",
    "Investors in diligence",
    "Soft circled investors",
    "Investors on the follow-up list",
    "Investors in more than one fund",
    "Existing investors who committed across our funds and that we haven't emailed in 90 days",
]

# Words that carry no constraint of their own: what is left after these and the recognised
# phrases decides whether a reading is confident.
FILLER = set("""
a all an and any are as at be been being by can current currently did do does done each ever every
find for from get give has have having how i in including investor investors is it its just let
list lp lps limited partner partners me much my of on one ones or our ours please show so still tell
that the their them there these they this those to us want was we were what whats which who whom whose
with would you named called ve re s yet
""".split())

NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
           "thirty": 30, "sixty": 60, "ninety": 90}
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
WINDOWS = {"today": 1, "this week": 7, "past week": 7, "last week": 7, "this month": 30, "past month": 30,
           "last month": 30, "this quarter": 90, "past quarter": 90, "last quarter": 90, "this year": 365,
           "past year": 365, "last year": 365, "recently": 30, "lately": 30}
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                           "august", "september", "october", "november", "december"))}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9

_NUM = r"(\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_PERIOD = _NUM + r"\s*(day|week|month|quarter|year)s?"
_NEG = r"(?:haven'?t|have\s+not|not|never|no\s+one|nobody|hasn'?t|has\s+not|didn'?t|did\s+not|without)"
_CONTACT = (r"(contact(?:ed)?|reach(?:ed)?\s+out(?:\s+to)?|talk(?:ed)?\s+to|spok(?:en|e)\s+(?:to|with)|touch(?:ed)?(?:\s+base)?"
            r"|email(?:ed)?|e-mail(?:ed)?|mail(?:ed)?|wr(?:itten|ote)\s+to|heard\s+from|met(?:\s+with)?|call(?:ed)?)")
_RECENCY = re.compile(_NEG + r"\s+(?:\w+\s+){0,3}?" + _CONTACT + r"(?:\s+(?:them|us|with))?\s+"
                      r"(?:(?:in|for|over|within|during)\s+)?(?:(?:the\s+)?(?:last|past)\s+)?" + _PERIOD)
_SINCE = re.compile(_NEG + r"\s+(?:\w+\s+){0,3}?" + _CONTACT + r"(?:\s+(?:them|us|with))?\s+(?:since|after)\s+(.+?)"
                    r"(?=$|\s+(?:and|who|that|which|but)\b|[?.!,;])")
_RECENCY_FOR = re.compile(r"(?:no|without)\s+(contact|emails?|e-mails?|touch(?:es)?|meetings?|calls?)\s+"
                          r"(?:(?:in|for|over|within)\s+)?(?:(?:the\s+)?(?:last|past)\s+)?" + _PERIOD)


@dataclass(frozen=True)
class Vocabulary:
    """What the live grid calls things: its fund columns, the Status column's choices, the lists,
    and every live column name (for the model's context and the redaction allowlist)."""
    funds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    lists: dict = field(default_factory=lambda: dict(LIST_LABELS))
    columns: tuple[str, ...] = ()


def vocabulary(db) -> Vocabulary:
    with db.read() as conn:
        rows = conn.execute("SELECT name, type, options FROM grid_columns WHERE archived_at IS NULL"
                            " ORDER BY position").fetchall()
    funds, statuses = [], []
    for name, kind, options in rows:
        if kind == "fund":
            funds.append(name)
        elif kind == "single_select" and name.lower() == "status":
            try:
                choices = json.loads(options or "{}").get("choices") or []
            except ValueError:
                choices = []
            statuses = [c["name"] if isinstance(c, dict) else str(c) for c in choices
                        if (c.get("name") if isinstance(c, dict) else c)]
    return Vocabulary(tuple(funds), tuple(statuses), dict(LIST_LABELS), tuple(r[0] for r in rows))


@dataclass
class Match:
    plan: dict
    template: str
    confident: bool = True
    ignored: list = field(default_factory=list)  # words of the question the reading did not explain


def stem(word: str) -> str:
    """A crude, stable stem: "circled"/"circle" -> "circl", "committed"/"commit" -> "commit"."""
    w = word.lower()
    for _ in range(2):
        for suffix in ("ing", "ed", "es", "s", "e", "d"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]
    return w


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBERS.get(token, 1)


def _days(count: str, unit: str) -> int:
    return max(1, _number(count) * UNIT_DAYS[unit])


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """'2026-03-01', '3/1/2026', '3/1', 'March 1', '1 March 2026', 'March' (its first day; the
    latest one not after today), 'last month' style words are not dates."""
    t = text.strip().lower().rstrip("?.!")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", t)
        if m:
            year = int(m[3]) if m[3] else today.year
            year += 2000 if year < 100 else 0
            day = dt.date(year, int(m[1]), int(m[2]))
            return day if m[3] or day <= today else day.replace(year=year - 1)
        m = (re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", t)
             or re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?(?:,?\s+(\d{4}))?", t))
        if m:
            month, dayn = (m[1], m[2]) if not m[1].isdigit() else (m[2], m[1])
            if month in MONTHS:
                day = dt.date(int(m[3]) if m[3] else today.year, MONTHS[month], int(dayn))
                return day if m[3] or day <= today else day.replace(year=day.year - 1)
        m = re.fullmatch(r"([a-z]+)(?:\s+(\d{4}))?", t)
        if m and m[1] in MONTHS:
            day = dt.date(int(m[2]) if m[2] else today.year, MONTHS[m[1]], 1)
            return day if m[2] or day <= today else day.replace(year=day.year - 1)
    except ValueError:
        return None
    return None


class _Reading:
    """The question with the spans that were recognised blanked out, and what they meant."""

    def __init__(self, question: str):
        self.text = " " + re.sub(r"\s+", " ", question.lower().replace("’", "'")).strip() + " "

    def take(self, pattern, flags=0):
        m = re.search(pattern, self.text, flags) if isinstance(pattern, str) else pattern.search(self.text)
        if m:
            self.text = self.text[: m.start()] + " " + self.text[m.end():]
        return m

    def left(self) -> list[str]:
        return [w for w in _words(self.text) if w not in FILLER and not w.isdigit()]


def _phrase(name: str) -> str:
    """A regex for a vocabulary name in a question: each word by its stem, any ending."""
    parts = [re.escape(stem(w)) + r"[a-z]*" for w in _words(name)]
    return r"(?<![a-z0-9])" + r"[\s\-]+".join(parts) + r"(?![a-z0-9])" if parts else r"(?!x)x"


def _fund_pattern(name: str) -> str:
    words = _words(name)
    if not words:
        return r"(?!x)x"
    body = r"[\s\-]+".join(re.escape(w) for w in words)
    return r"(?<![a-z0-9])" + body + r"(?![a-z0-9])"


def _find_fund(reading: _Reading, vocab: Vocabulary) -> str | None:
    for name in sorted(vocab.funds, key=len, reverse=True):
        if reading.take(_fund_pattern(name)):
            return name
    return None


def _investors(filters=None, computed=None, fields=None, sort=None, limit=DEFAULT_LIMIT) -> dict:
    plan = {"entity": "investors", "fields": list(fields or INVESTOR_FIELDS), "filters": list(filters or []),
            "sort": list(sort or [{"field": "name", "dir": "asc"}]), "limit": limit}
    if computed:
        plan["computed"] = list(computed)
    return plan


def _contact_kind(verb: str) -> str:
    v = verb.replace("-", "")
    if v.startswith(("email", "mail", "wr")):
        return "emailed"
    if v.startswith("heard"):
        return "heard_from"
    if v.startswith("met") or v.startswith("meeting"):
        return "met"
    if v.startswith("call"):
        return "called"
    return "contacted"


def _recency(kind: str, days: int | None = None, since: dt.date | None = None):
    """(filters, computed, fields, sort) for "not <kind> in <days>" / "since <day>"."""
    if kind == "contacted":
        if since is not None:
            return [{"field": "last_contact", "op": "before", "value": since.isoformat()}], [], None
        return [{"field": "last_contact", "op": "older_than_days", "value": days}], [], None
    of, when, where = {"emailed": ("emails", "sent_at", [{"field": "direction", "op": "eq", "value": "outbound"}]),
                       "heard_from": ("emails", "sent_at", [{"field": "direction", "op": "eq", "value": "inbound"}]),
                       "met": ("interactions", "occurred_at", [{"field": "kind", "op": "eq", "value": "meeting"}]),
                       "called": ("interactions", "occurred_at", [{"field": "kind", "op": "eq", "value": "call"}]),
                       }[kind]
    name = {"emailed": "emails_sent", "heard_from": "emails_received", "met": "meetings", "called": "calls"}[kind]
    last = {"emailed": "last_emailed", "heard_from": "last_heard_from", "met": "last_met", "called": "last_called"}[kind]
    latest = {"as": last, "fn": "max", "of": f"{of}.{when}", "where": where}
    if since is None:  # older_than_days on a computed latest date also matches "never"
        return [{"field": last, "op": "older_than_days", "value": days}], [latest], last
    computed = [{"as": name, "fn": "count", "of": of, "where": where + [{"field": when, "op": "after",
                                                                         "value": since.isoformat()}]}, latest]
    return [{"field": name, "op": "eq", "value": 0}], computed, last


def match(question: str, vocab: Vocabulary, today: dt.date | None = None) -> Match | None:
    """The template reading of `question`, or None when no template recognises it at all."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    for shape in (_total, _by_fund, _ranking, _investor_list):
        found = shape(question, vocab, today)
        if found is not None:
            return found
    return None


def _finish(reading: _Reading, plan: dict, template: str) -> Match:
    ignored = reading.left()
    return Match(plan, template, confident=not ignored, ignored=ignored)


def _total(question: str, vocab: Vocabulary, today: dt.date) -> Match | None:
    """'How much is committed to Fund III?', 'total raised in Fund II', 'Fund II total'."""
    r = _Reading(question)
    asks = (r.take(r"\bhow much\b(?:\s+(?:money|capital))?") or r.take(r"\b(?:total|sum)(?:\s+(?:amount|of))?\b")
            or r.take(r"\bwhat(?:'s|\s+is)\s+the\s+(?:total|sum)\b"))
    if not asks:
        return None
    fund = _find_fund(r, vocab)
    if r.take(r"\b(?:by|per|for each|in each|to each|across each|for every)\s+funds?\b|\beach\s+fund\b"):
        return None  # a breakdown: _by_fund
    r.take(r"\b(?:committed|commitments?|raised|pledged|invested|in commitments)\b")
    r.take(r"\b(?:so far|to date|overall|in total|altogether|total|across(?: all)?(?: our)? funds)\b")
    r.take(r"\b(?:fund|funds)\b")
    filters = [{"field": "amount", "op": "gt", "value": 0}]
    if fund:
        filters.insert(0, {"field": "fund", "op": "eq", "value": fund})
    plan = {"entity": "commitments", "fields": ["total", "investors"], "filters": filters,
            "aggregates": [{"as": "total", "fn": "sum", "field": "amount"},
                           {"as": "investors", "fn": "count_distinct", "field": "investor_id"}]}
    return _finish(r, plan, "total_committed")


def _by_fund(question: str, vocab: Vocabulary, today: dt.date) -> Match | None:
    """'Commitments by fund', 'how much is committed to each fund', 'total per fund'."""
    r = _Reading(question)
    if not r.take(r"\b(?:by|per|for each|in each|to each|across each|for every|each)\s+funds?\b"):
        return None
    r.take(r"\b(?:how much|total|sum|amount)\b")
    r.take(r"\b(?:committed|commitments?|raised|pledged|invested|breakdown|split)\b")
    plan = {"entity": "commitments", "fields": ["fund", "total", "investors"],
            "filters": [{"field": "amount", "op": "gt", "value": 0}], "group_by": ["fund"],
            "aggregates": [{"as": "total", "fn": "sum", "field": "amount"},
                           {"as": "investors", "fn": "count_distinct", "field": "investor_id"}],
            "sort": [{"field": "fund", "dir": "asc"}]}
    return _finish(r, plan, "commitments_by_fund")


def _ranking(question: str, vocab: Vocabulary, today: dt.date) -> Match | None:
    """'Most active investors this month', 'top 10 investors by emails', 'who have we emailed most'."""
    r = _Reading(question)
    top = r.take(r"\b(?:top|most active|most engaged|busiest|most)\s*" + _NUM + r"?\b")
    if not top and not r.take(r"\b(?:the\s+)?most\b"):
        return None
    limit = max(1, min(_number(top.group(1)), 1000)) if top and top.group(1) else 10
    measure = r.take(r"\b(?:by|with the most|by number of|by count of|in)?\s*(emails?|e-mails?|mail|"
                     r"meetings?|calls?|notes?|interactions?|touch(?:es)?|touchpoints?|activity)\b")
    verb = r.take(r"\b(emailed|e-mailed|mailed|met|called|contacted|talked to|heard from)\b")
    word = (measure.group(1) if measure else verb.group(1) if verb else "activity").replace("-", "")
    window = None
    for phrase, days in WINDOWS.items():
        if r.take(r"\b" + phrase + r"\b"):
            window = days
            break
    if window is None:
        m = r.take(r"\b(?:in|over|during|within)?\s*(?:the\s+)?(?:last|past)\s+" + _PERIOD)
        window = _days(m.group(1), m.group(2)) if m else None
    r.take(r"\bactive\b")
    if word.startswith(("email", "mail")) or word in ("emailed", "mailed"):
        of, when, where, name = "emails", "sent_at", [], "emails"
        if word in ("emailed", "mailed"):
            where, name = [{"field": "direction", "op": "eq", "value": "outbound"}], "emails_sent"
    elif word.startswith("heard"):
        of, when, where, name = "emails", "sent_at", [{"field": "direction", "op": "eq", "value": "inbound"}], "emails_received"
    elif word.startswith(("meeting", "met")):
        of, when, where, name = "interactions", "occurred_at", [{"field": "kind", "op": "eq", "value": "meeting"}], "meetings"
    elif word.startswith("call"):
        of, when, where, name = "interactions", "occurred_at", [{"field": "kind", "op": "eq", "value": "call"}], "calls"
    elif word.startswith("note"):
        of, when, where, name = "interactions", "occurred_at", [{"field": "kind", "op": "eq", "value": "note"}], "notes"
    else:
        of, when, name = "interactions", "occurred_at", "interactions"
        where = [{"field": "kind", "op": "ne", "value": "automation"}]
    if window:
        where = where + [{"field": when, "op": "within_days", "value": window}]
    computed = [{"as": name, "fn": "count", "of": of, **({"where": where} if where else {})}]
    plan = _investors(filters=[{"field": name, "op": "gt", "value": 0}], computed=computed,
                      fields=["name", "status", name], sort=[{"field": name, "dir": "desc"}, {"field": "name", "dir": "asc"}],
                      limit=limit)
    return _finish(r, plan, "most_active")


def _investor_list(question: str, vocab: Vocabulary, today: dt.date) -> Match | None:
    """Investors by status, list, fund, funds committed across, and recency, in any combination."""
    r = _Reading(question)
    filters, computed, fields, used = [], [], list(INVESTOR_FIELDS), []
    counting = bool(r.take(r"\bhow many\b|\bnumber of\b|\bcount(?: of)?\b"))

    m = r.take(_RECENCY)
    if m:
        kind = _contact_kind(m.group(1))
        f, c, extra = _recency(kind, days=_days(m.group(2), m.group(3)))
        filters += f
        computed += c
        fields += [extra] if extra else []
        used.append("recency")
    else:
        m = r.take(_RECENCY_FOR)
        if m:
            word = m.group(1)
            kind = "emailed" if word.startswith(("email", "e-mail")) else "met" if word.startswith("meeting") \
                else "called" if word.startswith("call") else "contacted"
            f, c, extra = _recency(kind, days=_days(m.group(2), m.group(3)))
            filters, computed = filters + f, computed + c
            fields += [extra] if extra else []
            used.append("recency")
    if "recency" not in used:
        m = r.take(_SINCE)
        if m:
            day = parse_day(m.group(2), today)
            if day is None:
                return None
            f, c, extra = _recency(_contact_kind(m.group(1)), since=day)
            filters, computed = filters + f, computed + c
            fields += [extra] if extra else []
            used.append("since")

    across = r.take(r"\b(?:more than|over)\s+(one|1|two|2|three|3)\s+funds?\b|\b(?:multiple|several|many|two or more|2\+?|"
                    r"at least (?:two|2))\s+(?:of (?:our|the) )?funds\b|\bacross\s+(?:(?:all|both|several|multiple)\s+)?"
                    r"(?:of\s+)?(?:our|the)?\s*funds\b|\b(?:in|to)\s+(?:both|all)\s+(?:of\s+)?(?:our\s+|the\s+)?funds\b|\brepeat\b|\bre-?ups?\b")
    existing = r.take(r"\b(?:existing|current|prior|previous|past)\s+(?:lps?|investors?|backers?|limited partners?)\b"
                      r"|\balready\s+(?:invested|committed)\b")
    if across or existing:
        least = 2
        if across and across.group(1):
            least = _number(across.group(1)) + 1
        elif not across:
            least = 1
        computed.append({"as": "funds_committed", "fn": "count_distinct", "of": "commitments.fund",
                         "where": [{"field": "amount", "op": "gt", "value": 0}]})
        filters.append({"field": "funds_committed", "op": "gte", "value": least})
        fields.append("funds_committed")
        used.append("funds")
        r.take(r"\b(?:who|that|which)?\s*(?:have|has)?\s*(?:committed|invested|commitments?)\b(?:\s+(?:to|in))?")

    if "funds" not in used:
        while True:
            before = r.text
            fund = _find_fund(r, vocab)
            if not fund:
                break
            at = next((i for i, (a, b) in enumerate(zip(before, r.text)) if a != b), len(before))
            negated = re.search(r"(?:\bnot|n't|\bnever|\byet to)\s+(?:\w+\s+){0,3}$", before[:at])
            slug = re.sub(r"[^a-z0-9]+", "_", fund.lower()).strip("_")[:40]
            slug = slug if re.match(r"[a-z]", slug or "") and slug not in ("id", "name", "list", "status") else \
                ("fund_" + slug)[:40].rstrip("_")
            computed.append({"as": slug, "fn": "sum", "of": "commitments.amount",
                             "where": [{"field": "fund", "op": "eq", "value": fund}]})
            filters.append({"field": slug, "op": "eq" if negated else "gt", "value": 0})
            if not negated:
                fields.append(slug)
            used += [] if "fund" in used else ["fund"]
            for _ in range(3):
                r.take(r"\b(?:haven't|hasn't|not|never|yet to|committed|invested|commit|commitments?|into)\b")

    for status in sorted(vocab.statuses, key=len, reverse=True):
        if r.take(_phrase(status)):
            filters.append({"field": "status", "op": "eq", "value": status})
            used.append("status")
            break

    for value, words in LIST_WORDS.items():
        pattern = r"\b(?:on|in)?\s*(?:the\s+)?(?:" + "|".join(re.escape(w) for w in words) + r")(?:\s+list)?\b"
        if re.search(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", r.text) and (
                re.search(r"\blist\b", r.text) or value != "main"):
            r.take(pattern)
            filters.append({"field": "list", "op": "eq", "value": value})
            used.append("list")
            break
    r.take(r"\blist\b|\bstage\b|\bstatus\b|\bcircled\b")

    if not used:
        return None
    sort = [{"field": "name", "dir": "asc"}]
    if "recency" in used or "since" in used:
        last = next((f for f in fields if f.startswith("last_") and f != "last_contact"), "last_contact")
        sort = [{"field": last, "dir": "asc"}, {"field": "name", "dir": "asc"}]
    plan = _investors(filters, computed, fields, sort)
    if counting:
        plan = {k: v for k, v in plan.items() if k not in ("sort", "limit")}
        plan["fields"], plan["aggregates"] = ["investors"], [{"as": "investors", "fn": "count"}]
    return _finish(r, plan, "investors_" + "_".join(used))
