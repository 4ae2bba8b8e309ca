"""The Matrix bot's deterministic reading of a partner's chat note into an intake proposal, used
when no LLM is configured. Stdlib only: the bot imports nothing from backend/ but its own package.

parse() never raises and never invents contact data: every email and phone in a proposal is text
the partner typed (the bot's email-integrity rule checks addresses with emails_in()). Dates are
read as past touches relative to `today`: "last Tuesday" is the most recent Tuesday strictly
before today (a week ago when today is a Tuesday); a bare or "on" weekday is the most recent one
on or before today; a date without a year ("Jan 5", "11/3", US month/day) is its most recent
occurrence on or before today; a date with its year is kept as written; future words
("tomorrow", "next week") give no date.

A follow-up the note asks for becomes `task` ({title, due}): "follow up in 3 days", "follow up
tomorrow", "check in next week", "ping them on Friday", "circle back Dec 15", "remind me to send
the deck next week", "remind me in 2 weeks". Its days look forward: the next such weekday after
today, a date without a year on or after today. The phrase is read before (and hidden from) the
rest, so its day is never taken for the day of the touch."""
from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from typing import Sequence

__all__ = ["EMAIL_RE", "emails_in", "follow_up", "follow_up_due", "parse"]

# The lookbehind lets a match start only where a run of address characters starts, which keeps
# the scan linear on long runs without an "@".
EMAIL_RE = re.compile(r"(?<![\w.%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}"
                      r"(?![\w\-])")


def emails_in(text: str) -> list[str]:
    """Addresses appearing literally in text, lower-cased, in order, each once."""
    return list(dict.fromkeys(m.group(0).lower() for m in EMAIL_RE.finditer(text or "")))


def _words(text: str) -> frozenset:
    return frozenset(text.split())


_MONTHS = {"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
           "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
           "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12}
# No "sat"/"sun"/"wed": "sat down with" is a meeting, not a Saturday.
_WEEKDAYS = {"mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wednesday": 2, "thu": 3, "thur": 3,
             "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "saturday": 5, "sunday": 6}
_NUMBERS = dict(zip("a an one two three four five six seven eight nine ten".split(), (1, 1, *range(1, 11))))
# The first-letter lookaheads let a position fail at one character instead of at every name.
_M = "(?=[adfjmnos])(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_W = "(?=[fmstw])(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + ")"
_DATE_RE = re.compile(rf"""(?<![\w/.\-])(?:
   (?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})
 | (?P<um>\d{{1,2}})/(?P<ud>\d{{1,2}})(?:/(?P<uy>\d{{4}}|\d{{2}}))?
 | (?P<mm>{_M})\.?\s(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s(?P<my>\d{{4}}))?
 | (?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<dm>{_M})\.?(?:,?\s(?P<dy>\d{{4}}))?
 | (?P<today>(?:earlier\s)?today|this\s(?:morning|afternoon|evening)|tonight)
 | (?P<yesterday>yesterday(?:\s(?:morning|afternoon|evening|night))?|last\snight)
 | (?:last|this\spast|past)\s(?P<lw>{_W})
 | (?:on\s|this\s)?(?P<ow>{_W})(?:\s(?:morning|afternoon|evening|night))?
 | (?P<an>\d{{1,3}}|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s(?P<au>days?|weeks?)\sago
 | tomorrow | next\s(?:week|month|{_W})
)(?![\w/])""", re.I | re.X)
_PHONE_RE = re.compile(r"(?<![\w+])\+\d[\d ().\-]{5,22}\d(?!\d)"
                       r"|(?<![\w+.\-/])(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\d)")
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6,
          "b": 1e9, "bn": 1e9, "billion": 1e9}
_AMOUNT_RE = re.compile(r"""(?<![\w.,$€£])
  (?:(?P<cur>[$€£]|usd|eur|gbp|chf)\s?)?
  (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
  (?:\s?(?:-|–|to)\s?[$€£]?\d+(?:\.\d+)?)?
  (?:(?P<sp>\s?)(?P<mag>million|billion|thousand|mil|mm|mn|bn|k|m|b)(?![^\W\d_]))?
  (?:\s(?P<cur2>usd|eur|gbp|chf|dollars|euros|pounds)\b)?""", re.I | re.X)
_FUNDISH_RE = re.compile(r"(?<!\w)fund\s(?:[ivx]{1,5}|\d{1,2})(?!\w)", re.I)  # never an amount, never an org
_AREA = (r"(?:private\s(?:markets|equity|credit)|alternatives|alts|investments|pe|vc|venture(?:\scapital)?"
         r"|real\sassets|research|fund\sinvestments|investor\srelations|ir|external\smanagers|strategy)")
_TITLE_RE = re.compile(rf"""(?<![\w\-])(?=[a-z])(?:
   (?:deputy\s|chief\s)?cio | chief\sinvestment\sofficer | (?:senior\s)?investment\sofficer
 | (?:managing|general|venture|operating|senior)\spartner | partner
 | (?:head|director|vice\spresident|s?vp|evp)\s(?:of|for)\s{_AREA}
 | managing\sdirector | executive\sdirector | associate\sdirector | director | md
 | vice\spresident | s?vp | evp | ceo | cfo | coo | cto | president | chair(?:man|woman)?
 | (?:family\s)?principal | portfolio\smanager | trustee | (?:senior\s)?associate | (?:senior\s)?analyst
 | (?:co-?)?founder
)(?![\w\-])""", re.I | re.X)
_ACRONYMS = _words("cio ceo cfo coo cto md vp svp evp pe vc ir")
_KIND_RE = re.compile(r"""(?<!\w)(?=[a-z])(?:
  (?P<email>e-?mail(?:ed|ing)\b|(?:an|by|via|over)\se-?mail\b|e-?mail\s(?:from|exchange|thread)\b|wrote\sto\b)
| (?P<call>(?<!capital\s)(?<!margin\s)call(?:ed|s|ing)?\b|phoned\b|on\sthe\sphone\b|spoke\b|speaking\swith\b
    |zoom(?:ed)?\b|video\s?call\b|rang\b)
| (?P<meeting>met\b|meetings?\b|mtg\b|coffee\b|lunch\b|dinner\b|breakfast\b|drinks\b|in[\s\-]person\b|sat\sdown\b
    |visit(?:ed)?\b)
| (?P<weak>talked\b|chatted\b|caught\sup\b|catch(?:ing)?[\s\-]?up\b))""", re.I | re.X)
_STATUS_RE = re.compile(r"""(?<!\w)(?=[a-z])(?:
  (?P<soft>soft[\s\-]?(?:circl(?:e|ed|es|ing)|commit(?:ted|ment|s)?)\b)
| (?P<committed>(?<!soft\s)(?<!soft-)commit(?:ted|ting|s)\b
    |signed\s(?:the\s)?sub(?:scription)?\s?(?:docs?|agreement)\b)
| (?P<passed>pass(?:ed|ing|es)?\son\b|(?:hard|a|will|to|ll|gonna)\spass\b|declined\b
    |passed\b(?=\s*(?:$|[.,;:!)\-]|for\snow|this\stime|at\sthis)))
| (?P<diligence>(?:due\s)?diligence\b|dd\b|ddqs?\b))""", re.I | re.X | re.M)
_STATUS = [("committed", "Committed"), ("soft", "Soft Circle"), ("passed", "Passed"), ("diligence", "Diligence")]
# A hint right after one of these ("not committing", "may pass", "hasn't committed") is not clearly said.
_HEDGES = _words("""not no never yet may might could would likely probably maybe possibly considering if hope
hoping expect expects plan plans planning wants want before unless hasnt havent hadnt didnt doesnt dont wont isnt
arent wasnt werent cant couldnt wouldnt shouldnt""")

_MAX_PEOPLE = 20
# The reading looks at a note's first thousand words and spans only (a chat note is short; a pasted
# thread's tail is history): with patterns that scan in linear time, that bounds the work on any input.
_MAX_TOKENS = 1000
# Pasted HTML: tags are not words (an address in angle brackets is not a tag).
_TAG_RE = re.compile(r"</?(?:a|b|i|u|s|em|strong|p|br|div|span|li|ul|ol|font|blockquote|h[1-6]|table|tr|td)\b"
                     r"[^<>]{0,300}>", re.I)
_TOKEN_RE = re.compile(r"[wW]/(?![oO]\b)|(?:[^\W\d_]\.){2,}|[^\W\d_][\w'’\-]*\.?|\d[\w.,]*|\n|\S")
_ABBREV = _words("inc ltd co corp jr sr dr mr mrs ms prof st bros")
_HONORIFICS = _words("mr mrs ms dr prof sir")
_PARTICLES = _words("van von de der den du da di del della la le dos das do bin ibn al el ter ten zu af")
# Never a person's name (lower-cased keys): a capitalised one is a sentence start or a word of the trade.
_STOP = _words("""
met meet meeting meetings call called calls calling coffee lunch dinner breakfast drinks spoke speak talked talk
chat chatted caught catch intro introduced emailed email e-mail mail heard ran bumped sat followed follow followup
follow-up pinged ping phoned phone rang visited hosted saw connected reached zoom zoomed teams interested interest
wants want wanted keen likely looking looks seems said says asked ask told tomorrow today yesterday tonight morning
afternoon evening night week weekend month year next last monday tuesday wednesday thursday friday saturday sunday
tue tues thu thurs fri january february march july september october november december sept oct nov dec feb aug
jun jul apr fyi fwd fw re note notes update updates reminder todo action summary recap also just then so and but
or not no yes ok okay sure thanks thank thx please pls hi hello hey dear cheers best regards i we you he she they
it me us him her them my our your his their its this that these those there here who what which when where why
how the a an some any all both each every another other is was were are be been has have had would could should
can must do does did sent send sending share shared need needs forward forwarded deck memo ppm ddq lpa dataroom
slides materials fund funds lp lps gp ic committed commit committing passed pass passing soft circle circled
diligence dd declined from to subject cc bcc great good nice quick strong warm positive sounds agreed discussed
pitched waiting pending confirmed scheduled via per sir team""")
# Lower-case notes ("met jane doe from acme capital") have no capitals to go by: these words end
# a name or an organisation there.
_LOWER_STOP = _STOP | _PARTICLES | _words("""
in on at of for with by about regarding into onto over under up down out off as if because since while after
before during until than too very really quite more most much many few lot lots new old big small first again
still yet already only even ever never always maybe probably well like likes liked love loved think thinks thought
know get gets got go went come came make made take took see give gave say tell ticket check allocation size amount
million round close closing timing terms fees carry firm he's she's they're we're it's asks asking""")
_ORG_WORDS = _words("""
capital partners llc lp l.p llp inc ltd limited gmbh sa s.a ag nv bv se sarl plc co corp corporation company group
holdings holding office offices endowment endowments foundation foundations trust trusts fund funds fonds ventures
investments investment investors advisors advisers advisory management managers asset assets associates bank
pension pensions retirement system plan university college institute school hospital museum church insurance
equity securities wealth family club society board council trustees regents stiftung kg ab spa fondation
fundación fundacion fondazione stichting""")
_LEGAL = _words("llc lp l.p llp inc ltd limited gmbh sa s.a ag nv bv se sarl plc co corp kg ab spa")
_LEGAL_CASE = {"llc": "LLC", "lp": "LP", "l.p": "L.P.", "llp": "LLP", "gmbh": "GmbH", "sa": "SA", "s.a": "S.A.",
               "ag": "AG", "nv": "NV", "bv": "BV", "plc": "PLC", "kg": "KG", "ab": "AB", "spa": "SpA"}
_CONNECTORS = _words("of and the for de du des la le del y")
_ORG_STOP = (_STOP - _ORG_WORDS - _CONNECTORS) | _words("interested wants")
_ORG_TRIM = _ORG_STOP | _CONNECTORS | {"&", "+"}
_KEEP_LOWER = _PARTICLES | _CONNECTORS
_TRIGGERS: dict[str, list[tuple[str, ...]]] = {}
for _phrase in """met|met with|met up with|meeting with|mtg with|coffee with|lunch with|dinner with|breakfast with|
drinks with|call with|zoom with|call from|spoke with|spoke to|speaking with|talked to|talked with|chatted with|
chat with|caught up with|catch up with|catch-up with|catchup with|intro to|intro'd to|introduced to|introduced us to|
introduced me to|emailed|email from|heard from|heard back from|ran into|bumped into|sat down with|followed up with|
follow up with|follow-up with|pinged|called|phoned|rang|visited|saw|connected with|reached out to|with""".split("|"):
    _TRIGGERS.setdefault(_phrase.split()[0], []).append(tuple(_phrase.split()))
for _list in _TRIGGERS.values():
    _list.sort(key=len, reverse=True)


def _tidy(text: str) -> str:
    out: list[str] = []
    for line in (" ".join(line.split()) for line in text.splitlines()):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def _possessive(text: str) -> bool:
    return len(text) > 2 and text[-2:].lower() in ("'s", "’s")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if c.isalpha() and c.isascii())


def _cap(word: str, particles: bool = True) -> str:
    """Capitalisation for a lower-case note: o'brien -> O'Brien, jean-luc -> Jean-Luc, llc -> LLC."""
    if particles and word in _KEEP_LOWER:
        return word
    if word.rstrip(".") in _LEGAL_CASE:
        return _LEGAL_CASE[word.rstrip(".")]
    word = "-".join(p[:1].upper() + p[1:] for p in word.split("-"))
    head, sep, tail = word.partition("'")
    return head + sep + tail[:1].upper() + tail[1:] if sep and len(head) == 1 and len(tail) > 1 else word


def _title_case(raw: str) -> str:
    words = raw.lower().replace("cofounder", "co-founder").split()
    return " ".join(w.upper() if w in _ACRONYMS else w if w in ("of", "for") and i else _cap(w, False)
                    for i, w in enumerate(words))


def _recent(today: datetime.date, month: int, day: int) -> datetime.date | None:
    for back in range(9):  # Feb 29 may be years back
        try:
            found = datetime.date(today.year - back, month, day)
        except ValueError:
            continue
        if found <= today:
            return found
    return None


def _date_of(m: re.Match, today: datetime.date) -> datetime.date | None:
    g = m.groupdict()
    try:
        if g["iy"]:
            return datetime.date(int(g["iy"]), int(g["im"]), int(g["id"]))
        if g["um"] or g["mm"] or g["dm"]:
            month = int(g["um"]) if g["um"] else _MONTHS[(g["mm"] or g["dm"]).lower()]
            day, year = int(g["ud"] or g["md"] or g["dd"]), g["uy"] or g["my"] or g["dy"]
            if year:
                return datetime.date(int(year) + (2000 if len(year) == 2 else 0), month, day)
            return _recent(today, month, day) if 1 <= month <= 12 else None
        back = (0 if g["today"] else 1 if g["yesterday"]
                else (today.weekday() - _WEEKDAYS[g["lw"].lower()]) % 7 or 7 if g["lw"]
                else (today.weekday() - _WEEKDAYS[g["ow"].lower()]) % 7 if g["ow"]
                else (_NUMBERS.get(g["an"].lower()) or int(g["an"])) * (7 if g["au"][0] in "wW" else 1) if g["an"]
                else None)
        return None if back is None else today - datetime.timedelta(days=back)
    except (ValueError, OverflowError):  # Feb 30, or a day before year 1
        return None


def _amount(m: re.Match) -> float | None:
    cur, mag, num = m.group("cur") or m.group("cur2"), m.group("mag"), m.group("num")
    if mag and m.group("sp") and len(mag) <= 2 and not cur:
        mag = None  # "5 m" alone is too likely something else; "$5 m" and "5m" are amounts
    if not (cur or mag):
        return None
    value = float(num.replace(",", "")) * (_SCALE[mag.lower()] if mag else 1)
    return float(format(value, ".15g")) if value != float("inf") else None


def _phone(text: str) -> str | None:
    text = text.rstrip(" .-(")
    while sum(c.isdigit() for c in text) > 15 and " " in text:
        text = text.rsplit(" ", 1)[0].rstrip(" .-(")
    digits = sum(c.isdigit() for c in text)
    return text if 8 <= digits <= 15 and text.count("(") == text.count(")") and not re.search(r"[ .\-]{2}", text) \
        else None


_ROMAN = "i ii iii iv v vi vii viii ix x".split()
_ARABIC = [str(n) for n in range(1, 11)]


@functools.lru_cache(maxsize=64)
def _fund_re(funds: tuple[str, ...]) -> tuple[re.Pattern, list[str]] | None:
    """One pattern for the fund names, longest first; "Fund III" also matches "Fund 3" and back."""
    names = sorted({f for f in funds if f.strip()}, key=len, reverse=True)
    alts = []
    for name in names:
        words = [re.escape(w) for w in name.split()]
        last = name.split()[-1].lower()
        n = _ROMAN.index(last) if last in _ROMAN else _ARABIC.index(last) if last in _ARABIC else None
        if n is not None and len(words) > 1:
            words[-1] = f"(?:{_ROMAN[n]}|{_ARABIC[n]})"
        alts.append(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")
    return (re.compile("|".join(f"(?P<f{i}>{a})" for i, a in enumerate(alts)), re.I), names) if alts else None


def _org_like(texts: list[str]) -> bool:
    return any(w.lower().rstrip(".").replace("’", "'").removesuffix("'s") in _ORG_WORDS for w in texts)


class _Tok:
    __slots__ = ("kind", "text", "start", "sent", "key", "value")

    def __init__(self, kind: str, text: str, start: int, value=None):
        self.kind, self.text, self.start, self.value, self.sent = kind, text, start, value, 0
        low = text.lower().replace("’", "'")
        self.key = {"w/": "with", "@": "at"}.get(low) or low.rstrip(".")


class _Reading:
    """One note: the spans the patterns claimed (emails, funds, dates, phones, amounts, titles),
    the words between them, and the people and organisations read from those words."""

    def __init__(self, text: str, today: datetime.date, funds: Sequence[str]):
        self.text, self.taken, self.specials = text, bytearray(len(text)), []
        compiled = _fund_re(tuple(f for f in funds if isinstance(f, str)))
        # Each pattern reads the text with the spans before it blanked out; a None value drops a match.
        for pattern, kind, value in (
                (EMAIL_RE, "email", lambda m: m.group(0).lower()),
                (compiled and compiled[0], "fund", lambda m: compiled[1][int(m.lastgroup[1:])]),
                (_FUNDISH_RE, "fund", lambda m: ""), (_DATE_RE, "date", lambda m: _date_of(m, today) or ""),
                (_PHONE_RE, "phone", lambda m: _phone(m.group(0))), (_AMOUNT_RE, "amount", _amount),
                (_TITLE_RE, "title", lambda m: _title_case(m.group(0)))):
            for m in pattern.finditer(self.masked()) if pattern else ():
                if len(self.specials) >= _MAX_TOKENS:
                    break  # past what the reading looks at
                found = value(m)
                if found is not None and 1 not in self.taken[m.start():m.end()] and m.end() > m.start():
                    self.taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
                    self.specials.append(_Tok(kind, m.group(0), m.start(), found))
        self.specials.sort(key=lambda t: t.start)
        values = {k: [t.value for t in self.specials if t.kind == k and t.value] for k in ("fund", "date", "amount")}
        self.funds = list(dict.fromkeys(values["fund"]))  # in the order the note mentions them
        self.occurred, self.amount = (values["date"] or [None])[0], (values["amount"] or [None])[0]
        self.toks, self.end = self.tokenise(), _Tok("p", "", len(text))
        # Lower-case mode: no capital letter beyond each sentence's first word and the pronoun "I".
        self.low, last = True, -1
        for t in self.toks:
            if t.kind == "w" and t.sent == last and t.text != "I" and any(c.isupper() for c in t.text):
                self.low = False
                break
            last = t.sent if t.kind == "w" else last
        self.used: set[int] = set()
        self.people: list[dict] = []
        self.orgs: list[tuple[int, int, str]] = []  # (rank, position, name)

    def masked(self) -> str:
        out, at = [], 0
        for t in sorted(self.specials, key=lambda t: t.start):
            out += [self.text[at:t.start], " " * len(t.text)]
            at = t.start + len(t.text)
        return "".join(out) + self.text[at:]

    def tokenise(self) -> list[_Tok]:
        toks: list[_Tok] = []
        at = 0
        for special in self.specials + [None]:
            for m in _TOKEN_RE.finditer(self.text, at, special.start if special else len(self.text)):
                word = m.group(0)
                if len(toks) >= _MAX_TOKENS:
                    break
                if word[0].isalpha() and word[-1] == "." and not (len(word) == 2 or "." in word[:-1]
                                                                  or word[:-1].lower() in _ABBREV):
                    toks += [_Tok("w", word[:-1], m.start()), _Tok("p", ".", m.end() - 1)]  # a full stop
                    continue
                if word[0].isalpha() and word[-1] in "-'’" and word[-2:-1] not in ("s", "S"):
                    word = word.rstrip("-'’") or word
                kind = "w" if word[0].isalpha() or word == "@" else "n" if word[0].isdigit() else "p"
                toks.append(_Tok(kind, word, m.start()))
            if special and len(toks) < _MAX_TOKENS:
                toks.append(special)
                at = special.start + len(special.text)
        sent = 0
        for t in toks:
            t.sent = sent
            sent += t.kind == "p" and t.text in ".!?;\n"
        return toks

    def tok(self, i: int) -> _Tok:
        return self.toks[i] if 0 <= i < len(self.toks) else self.end

    def namey(self, i: int) -> bool:
        t = self.tok(i)
        if t.kind != "w" or i in self.used or any(c.isdigit() for c in t.text):
            return False
        key = t.key[:-2] if _possessive(t.key) else t.key
        if key in _STOP or (self.low and (key in _LOWER_STOP or len(key) < 2)):
            return False
        letters = [c for c in t.text if c.isalpha()]  # "IC", "LPs" in capitals are not people
        return self.low or t.text[0].isupper() and (len(letters) < 2 or "." in t.text or not t.text.isupper())

    def orgy(self, i: int) -> bool:
        t = self.tok(i)
        if t.kind != "w" or i in self.used:
            return False
        if t.key in _LEGAL or (self.low and t.key in _ORG_WORDS):
            return True
        return t.key not in _LOWER_STOP if self.low else t.text[0].isupper()

    def particle(self, i: int) -> bool:
        return self.tok(i).kind == "w" and self.tok(i).key in _PARTICLES and i not in self.used

    def texts(self, idx: list[int]) -> list[str]:
        return [self.toks[i].text for i in idx]

    def read_name(self, i: int):
        """(end, word indices, capitalised words) of 1-4 names with particles from token i, or None."""
        i += self.tok(i).kind == "w" and self.tok(i).key in _HONORIFICS
        words: list[int] = []
        j = i
        while len(words) < 6 and sum(self.toks[w].key not in _PARTICLES for w in words) < 4:
            if self.namey(j):
                words.append(j)
                j += 1
                if _possessive(self.toks[j - 1].text):
                    break
                continue
            k = j
            while words and k - j < 3 and self.particle(k):
                k += 1
            if k == j or not self.namey(k):
                break
            words.extend(range(j, k))
            j = k
        if not words or _org_like(self.texts(words)):
            return None
        return j, words, sum(self.toks[w].key not in _PARTICLES for w in words)

    def read_org(self, i: int, trim_left: bool = False):
        """(end, token indices) of an organisation's name from token i, or None."""
        i += self.tok(i).kind == "w" and self.tok(i).key == "the"
        parts: list[int] = []
        j = i
        while len(parts) < 10:
            t = self.tok(j)
            if parts and t.key in _ORG_STOP:
                break  # only a first word may be one ("Great Lakes Capital"); later it ends the name
            if self.orgy(j):
                parts.append(j)
                j += 1
                if _possessive(t.text):
                    break
            elif parts and j not in self.used and (t.kind == "w" and t.key in _CONNECTORS or t.text in ("&", "+")) \
                    and self.orgy(j + 1):
                if t.key in ("of", "and") and not _org_like(self.texts(parts)):
                    break  # "Jane Doe of Acme" is a person and an organisation, "Bank of America" one
                parts.append(j)
                j += 1
            else:
                if parts and t.text == "," and self.tok(j + 1).key in _LEGAL and j + 1 not in self.used:
                    parts += [j, j + 1]  # "Acme Capital, L.P."
                break
        while parts and self.toks[parts[-1]].key in _ORG_TRIM:
            parts.pop()
        while trim_left and parts and self.toks[parts[0]].key in _ORG_TRIM:
            parts.pop(0)
        if all(self.toks[i].key in _ORG_WORDS or self.toks[i].key in _ORG_TRIM for i in parts):
            return None  # "LP", "Family Office": words of the trade, not a name
        return (parts[-1] + 1, parts) if parts else None

    def add_person(self, got) -> int:
        end, words, _ = got
        self.used.update(range(words[0], end))
        name = " ".join(self.texts(words))
        name = " ".join(_cap(w) for w in name.split()) if self.low else name
        name = name[:-2] if _possessive(name) else name
        for person in self.people:  # "Linda Park ... Linda: linda@x.com" is one person
            if name.lower() == person["name"].lower() or name.lower() in person["name"].lower().split():
                return end
        if len(self.people) >= _MAX_PEOPLE:
            return end
        first = self.toks[words[0]]
        self.people.append({"name": name, "email": None, "phone": None, "title": None, "at": first.start,
                            "first": words[0], "end": end, "sent": first.sent})
        return end

    def add_org(self, got, rank: int) -> int:
        end, parts = got
        self.used.update(range(parts[0], end))
        out = ""
        for i in parts:
            word = _cap(self.toks[i].text.lower()) if self.low else self.toks[i].text
            out += word if word == "," or not out else " " + word
        self.orgs.append((rank, self.toks[parts[0]].start, out[:-2] if _possessive(out) else out))
        return end

    def org_at(self, i: int, rank: int, like: bool = False) -> int | None:
        org = self.read_org(i)
        if org and (not like or _org_like(self.texts(org[1]))):
            return self.add_org(org, rank)
        return None

    def party(self, j: int) -> None:
        """Who a trigger ("met", "coffee with") names: an organisation, or people and where they work."""
        j += self.tok(j).kind == "title"  # "met CIO Jane Doe"
        org = self.read_org(j)
        if org and _org_like(self.texts(org[1])):
            self.add_org(org, 2)
            return
        if org and _possessive(self.toks[org[1][-1]].text) and self.tok(org[0]).kind == "title":
            j = self.add_org(org, 2) + 1  # "met Acme's CIO Jane Doe"
        got = self.read_name(j)
        if not got:
            return
        k = self.add_person(got)
        while True:
            t = self.tok(k)
            if (t.key == "and" or t.text == "&") and self.read_name(k + 1):
                k = self.add_person(self.read_name(k + 1))
                continue
            if t.text == ",":
                nxt = self.read_name(k + 1)
                if self.read_org(k + 1) and _org_like(self.texts(self.read_org(k + 1)[1])):
                    k = self.org_at(k + 1, 2)
                elif nxt and (nxt[2] >= 2 or self.tok(nxt[0]).key == "and" or self.tok(nxt[0]).text in (",", "&")):
                    k = self.add_person(nxt)
                    continue
                else:  # "met Jane Doe, Acme": one word after a name is where she works
                    k = self.org_at(k + 1, 2) or k
            elif t.text in ("-", "–", "—", "/"):
                k = self.org_at(k + 1, 2) or k
            break
        self.after_person(k)

    def after_person(self, k: int) -> None:
        t = self.tok(k)
        if t.kind == "w" and t.key in ("from", "at", "of", "with") and k not in self.used:
            self.org_at(k + 1, 2, like=t.key == "with")  # "with Bob Smith" is another person
        elif t.text == "(":
            k += 1
            while self.tok(k).kind in ("title", "email", "phone") or self.tok(k).text == "," \
                    or self.tok(k).key in ("at", "of", "from"):
                k += 1
            self.org_at(k, 2)

    def name_before(self, k: int):
        """A name ending just before token k, read backwards (a few words) then checked forwards."""
        s = k
        while s > 0 and k - s < 6 and (self.namey(s - 1) or self.particle(s - 1)):
            s -= 1
        while s < k and not self.namey(s):
            s += 1
        got = self.read_name(s) if s < k else None
        return got if got and got[0] == k else None

    def read(self) -> None:
        toks = self.toks
        keys = [t.key if t.kind == "w" else None for t in toks]
        for i, t in enumerate(toks):  # after a trigger
            if t.kind == "w" and i not in self.used:
                phrase = next((p for p in _TRIGGERS.get(t.key, ()) if tuple(keys[i:i + len(p)]) == p), None)
                if phrase and (phrase != ("with",) or self.tok(i - 1).kind != "title"):
                    self.used.update(range(i, i + len(phrase)))
                    self.party(i + len(phrase))
        for i, t in enumerate(toks):  # "<Name> from/at/of <Org>", "<Name> (<Org>)", "<Name>, CIO", "<Name> <email>"
            if i in self.used:
                continue
            if t.kind == "w" and t.key in ("from", "at", "of") or t.text == "(":
                got = self.name_before(i)
                if got:
                    self.after_person(self.add_person(got))
            elif t.kind == "title" and _possessive(self.tok(i - 1).text):  # "Acme's CIO"
                s = i - 1
                while s > 0 and i - s < 6 and self.orgy(s - 1):
                    s -= 1
                org = self.read_org(s)
                if org and org[0] == i:
                    self.add_org(org, 2)
            elif t.kind in ("title", "email"):
                got = self.name_before(i - 1 if self.tok(i - 1).text in (",", "-", "–", "(", "<", ":") else i)
                if got:
                    self.add_person(got)
        for i, t in enumerate(toks):  # "CIO of <Org>", "CIO Jane Doe", "who runs <Org>"
            nxt = self.tok(i + 1)
            if t.kind == "title":
                if nxt.kind == "w" and nxt.key in ("at", "of", "with", "from", "for") or nxt.text == ",":
                    self.org_at(i + 2, 3)  # says where someone works more surely than "met her at X"
                elif self.read_name(i + 1):
                    self.after_person(self.add_person(self.read_name(i + 1)))
            elif t.kind == "w" and i not in self.used and t.key in ("runs", "heads", "manages", "leads", "founded"):
                self.org_at(i + 1, 2)
            elif t.kind == "w" and i not in self.used and nxt.key in ("at", "for", "from") and t.key in (
                    "works", "working", "team", "folks", "people", "guys"):
                self.org_at(i + 2, 2)  # "works at Acme", "met the team at Acme"
        for i, t in enumerate(toks):  # a sentence that opens with a full name: "Jane Doe wants the deck"
            before = self.tok(i - 1)
            lead = before.text in (":", "-") and self.tok(i - 2).key in ("fyi", "fwd", "fw", "re", "note", "ps")
            if not self.low and t.kind == "w" and (i == 0 or before.sent != t.sent or lead):
                got = self.read_name(i)
                after = self.tok(got[0]) if got else None
                if got and got[2] >= 2 and (after.kind == "w" and after.text[0].islower() or after.text in (":", "-")):
                    self.after_person(self.add_person(got))
        for i in range(len(toks)):  # anything that says it is an organisation: "... Family Office", "... LLC"
            if self.orgy(i) and not self.orgy(i - 1):
                org = self.read_org(i, trim_left=True)
                if org and _org_like(self.texts(org[1])):
                    self.add_org(org, 1)
        for i, t in enumerate(toks):  # last resort: "heard back from Acme"
            if t.kind == "w" and t.key == "from" and i not in self.used:
                self.org_at(i + 1, 0)

    def attach(self) -> list[dict]:
        """Titles, emails and phones to the person they belong to (emails and phones to a person
        with no name when nobody can take them)."""
        people = sorted(self.people, key=lambda p: p["at"])
        for i, t in enumerate(self.toks):
            if t.kind == "title":
                after = [p for p in people if p["first"] == i + 1 and not p["title"]]
                near = {self.tok(k).key for k in range(i - 3, i)}  # "Luca is MD at ..."
                named = [p for p in people if p["name"] and not p["title"] and near & set(p["name"].lower().split())]
                before = [p for p in people if p["end"] <= i and p["sent"] == t.sent]
                target = (after or named or [None])[0] or (before[-1] if before and not before[-1]["title"] else None)
                if target:
                    target["title"] = t.value
            elif t.kind in ("email", "phone") and all(p[t.kind] != t.value for p in people):
                field = t.kind
                local = _fold(t.value.split("@")[0]) if field == "email" else ""
                label = self.tok(i - 2 if self.tok(i - 1).kind == "p" else i - 1).key  # "Tom: +1 ..."
                free = [p for p in people if not p[field]]
                named = [p for p in free if p["name"] and (label in p["name"].lower().split() or any(
                    len(part) >= 3 and part in local for part in map(_fold, p["name"].split())))]
                preceding = [p for p in people if p["at"] < t.start][-1:]
                with_names = [p for p in people if p["name"]]
                following = [p for p in free if p["at"] > t.start and p["sent"] == t.sent]
                target = next((c[0] for c in (named, preceding, with_names if len(with_names) == 1 else [], following)
                               if c and not c[0][field]), None)
                if target is None and len(people) < _MAX_PEOPLE:
                    target = {"name": None, "email": None, "phone": None, "title": None, "at": t.start,
                              "first": i, "end": i + 1, "sent": t.sent}
                    people = sorted(people + [target], key=lambda p: p["at"])
                if target is not None:
                    target[field] = t.value
        return [{k: p[k] for k in ("name", "email", "phone", "title")} for p in people[:_MAX_PEOPLE]]


def _kind(text: str) -> str:
    weak = False
    for m in _KIND_RE.finditer(text):
        if m.lastgroup != "weak":
            return m.lastgroup
        weak = True  # "talked", "caught up": a call unless a meeting word says otherwise
    return "call" if weak else "note"


def _status(text: str) -> str | None:
    found = set()
    for m in _STATUS_RE.finditer(text):
        before = re.sub(r"[^\w\s]", "", text[max(0, m.start() - 40):m.start()].lower()).split()[-3:]
        if not any(w in _HEDGES for w in before) and not text[m.end():m.end() + 2].strip().startswith("?"):
            found.add(m.lastgroup)
    return next((label for group, label in _STATUS if group in found), None)  # the furthest stage said


def _money(value: float) -> str:
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def _summary(kind: str, people: list[dict], investor: str | None, funds: list[str], status, amount) -> str:
    names = [p["name"] or p["email"] or p["phone"] for p in people]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
    who = f"{who} ({investor})" if who and investor else who or investor
    label = {"meeting": "Meeting", "call": "Call", "email": "Email", "note": "Note"}[kind]
    line = f"{label} {'about' if kind == 'note' else 'with'} {who}" if who else label
    line += " re " + ", ".join(funds) if funds else ""
    extras = [x for x in (status, _money(amount) if amount else None) if x]
    line += " — " + ", ".join(extras) if extras else ""
    return line if len(line) <= 140 else line[:139].rstrip() + "…"


# --- follow-ups ("follow up in 3 days", "remind me to send the deck next week") -----------------------

_FEW = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s)?couple(?:\sof)?|(?:a\s)?few)"
_WHEN_RE = re.compile(rf"""(?<![\w/+])(?:
   in\s(?P<n>{_FEW})\s?(?P<u>days?|d|weeks?|wks?|w|months?|mos?)
 | (?P<tom>tomorrow|tmrw|tmr)
 | (?P<early>early\snext\sweek|beginning\sof\snext\sweek)
 | (?P<eow>(?:by\s)?(?:the\s)?end\sof\s(?:the\s|this\s)?week|eow|later\sthis\sweek)
 | (?P<nw>next\sweek)
 | (?P<nm>next\smonth)
 | (?:(?:next|on|by|this|coming)\s)?(?P<wd>{_W})
 | (?:(?:on|by)\s)?(?P<mm>{_M})\.?\s(?P<md>\d{{1,2}})(?:st|nd|rd|th)?
 | (?:(?:on|by)\s)?(?P<um>\d{{1,2}})/(?P<ud>\d{{1,2}})
 | \+(?P<pn>\d{{1,3}})\s?(?P<pu>d|w)
)(?![\w/])""", re.I | re.X)
_FOLLOW_RE = re.compile(r"(?<![\w\-])(?:follow[\s\-]?up|f/u|check[\s\-]in|check\sback|circle\sback|touch\sbase|ping|chase|nudge"
                        r"|reach\sout)(?![\w\-])", re.I)
_REMIND_RE = re.compile(r"(?<![\w\-])(?:remind\s(?:me|us)|reminder\s*:|todo\s*:|to-do\s*:)\s*", re.I)
_SENTENCE_END = re.compile(r"[.;!?\n]")
_FOLLOW_REACH = 80   # characters after "follow up" its day may be in ("follow up with Jane Doe at Acme next week")


def _when(m: re.Match, today: datetime.date) -> datetime.date | None:
    g = m.groupdict()
    try:
        if g["n"]:
            word = g["n"].lower()
            count = int(word) if word.isdigit() else 2 if "couple" in word else 3 if "few" in word else _NUMBERS[word]
            unit = g["u"].lower()[0]
            if unit == "m":
                month = today.month - 1 + count
                year, month = today.year + month // 12, month % 12 + 1
                last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
                return datetime.date(year, month, min(today.day, last))
            return today + datetime.timedelta(days=count * (7 if unit == "w" else 1))
        if g["pn"]:
            return today + datetime.timedelta(days=int(g["pn"]) * (7 if g["pu"].lower() == "w" else 1))
        if g["tom"]:
            return today + datetime.timedelta(days=1)
        if g["early"]:
            return today + datetime.timedelta(days=7 - today.weekday())
        if g["eow"]:
            return today + datetime.timedelta(days=(4 - today.weekday()) % 7)
        if g["nw"]:
            return today + datetime.timedelta(days=7)
        if g["nm"]:
            month = today.month % 12 + 1
            year = today.year + (today.month == 12)
            last = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)).day
            return datetime.date(year, month, min(today.day, last))
        if g["wd"]:
            return today + datetime.timedelta(days=(_WEEKDAYS[g["wd"].lower()] - today.weekday() - 1) % 7 + 1)
        month, day = (_MONTHS[g["mm"].lower()], int(g["md"])) if g["mm"] else (int(g["um"]), int(g["ud"]))
        found = datetime.date(today.year, month, day)
        return found if found >= today else datetime.date(today.year + 1, month, day)
    except (ValueError, KeyError, OverflowError):
        return None


def follow_up_due(text: str, today: datetime.date) -> str | None:
    """The day a follow-up phrase names ("in 3 days", "next week", "friday", "Dec 15"), or None."""
    low = " ".join(str(text or "").split())[:200]
    m = _WHEN_RE.fullmatch(low) or _WHEN_RE.fullmatch("in " + low)
    found = _when(m, today) if m else None
    return found.isoformat() if found else None


def follow_up(text: str, today: datetime.date) -> tuple[dict | None, tuple[int, int] | None]:
    """(the task a note asks for, {title, due}, and its span in the text) or (None, None)."""
    for m in _REMIND_RE.finditer(text):
        end = _SENTENCE_END.search(text, m.end())
        stop = end.start() if end else len(text)
        sentence = text[m.end():stop][:300]
        whens = [w for w in _WHEN_RE.finditer(sentence) if _when(w, today)]
        when = whens[0] if whens and whens[0].start() == 0 else (whens[-1] if whens else None)
        what = sentence
        if when is not None:
            what = sentence[:when.start()] + " " + sentence[when.end():]
        what = re.sub(r"^\s*(?:to|that|about|:)\s+", "", " ".join(what.split()), flags=re.I).strip(" ,:-")
        title = (what[0].upper() + what[1:]) if what else "Follow up"
        due = _when(when, today) if when is not None else None
        return {"title": title[:300], "due": due.isoformat() if due else None}, (m.start(), stop)
    for m in _FOLLOW_RE.finditer(text):
        end = _SENTENCE_END.search(text, m.end())
        reach = text[m.end():min(end.start() if end else len(text), m.end() + _FOLLOW_REACH)]
        for w in _WHEN_RE.finditer(reach):
            due = _when(w, today)
            if due is not None:
                return {"title": "Follow up", "due": due.isoformat()}, (m.start(), m.end() + w.end())
    return None, None


def parse(text: str, today: datetime.date, funds: Sequence[str] = ()) -> dict:
    """A proposal read from a partner's note; see the module docstring for the date rules."""
    note = _tidy(text if isinstance(text, str) else "" if text is None else str(text))
    analysed = _TAG_RE.sub(lambda m: " " * len(m.group(0)), note)
    if not any(c.islower() for c in analysed):
        analysed = analysed.lower()  # a note typed in capitals is read as one typed in lower case
    task, span = follow_up(analysed, today)
    if span:  # the follow-up's words are not the touch's (its day is not the meeting's)
        analysed = analysed[:span[0]] + " " * (span[1] - span[0]) + analysed[span[1]:]
    reading = _Reading(analysed, today, funds or ())
    reading.read()
    people = reading.attach()
    names = {p["name"].lower() for p in people if p["name"]}
    orgs = sorted((o for o in reading.orgs if o[2].lower() not in names), key=lambda o: (-o[0], o[1]))
    investor = orgs[0][2] if orgs else None
    plain = EMAIL_RE.sub(" ", reading.text)
    kind, status = _kind(plain), _status(plain)
    return {"investor": investor, "people": people, "funds": reading.funds, "amount": reading.amount, "kind": kind,
            "occurred_at": reading.occurred.isoformat() if reading.occurred else None, "status": status,
            "note": note, "summary": _summary(kind, people, investor, reading.funds, status, reading.amount),
            "task": task}
