"""Which existing investors a name and an email from a chat note (or any new record) could be:
ranked candidates with a score in 0..1 and the reasons, so a person approving a new investor is
never blind to a near-duplicate. Pure (no database).

Scores: a person's exact email 1.0; the same name once legal suffixes, accents and punctuation
are gone 0.95 ("Acme Capital" = "Acme Capital LLC"); a person's name with nicknames folded 0.9
("Charlie Dunn" = "Charles Dunn"); an email within two edits of a person's 0.85; the same
organisation domain (never free mail) 0.7; otherwise token overlap of the names, up to 0.8.
A score >= LIKELY (0.5) means "likely the same investor"; unrelated names stay below it."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from ..email_integration.matching import FREE_MAIL_DOMAINS, domain_of

LIKELY = 0.5
MAX_CANDIDATES = 5
LEGAL_SUFFIXES = frozenset("""
llc l.l.c lp l.p llp l.l.p lllp inc incorporated ltd limited plc gmbh ag sa s.a sas sarl bv b.v nv
co corp corporation company pte pty kg kgaa ab oy as aps spa srl sl bhd lda ulc
""".split())
# Words that say little about which organisation it is: they count less in the overlap.
WEAK_WORDS = frozenset("""
the and of capital partners partner fund funds family office offices investments investment
management group holdings holding ventures venture advisors advisers associates trust foundation
endowment asset assets wealth global international
fonds fondation patrimoine gestion famille stiftung vermogen verwaltung beteiligungen familie
fondo fondazione famiglia fundacion familia gestao
""".split())
# Letters NFKD does not take apart.
LETTERS = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss",
                         "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ı": "i"})
NICKNAMES = {
    "charlie": "charles", "chuck": "charles", "chas": "charles", "bill": "william", "billy": "william",
    "will": "william", "willy": "william", "liam": "william", "bob": "robert", "bobby": "robert",
    "rob": "robert", "robbie": "robert", "bert": "robert", "liz": "elizabeth", "lizzie": "elizabeth",
    "beth": "elizabeth", "betty": "elizabeth", "eliza": "elizabeth", "libby": "elizabeth",
    "jim": "james", "jimmy": "james", "jamie": "james", "mike": "michael", "mikey": "michael",
    "mick": "michael", "dave": "david", "davy": "david", "tom": "thomas", "tommy": "thomas",
    "dick": "richard", "rick": "richard", "ricky": "richard", "rich": "richard", "rich.": "richard",
    "joe": "joseph", "joey": "joseph", "jo": "josephine", "kate": "katherine", "katie": "katherine",
    "kathy": "katherine", "cathy": "catherine", "kat": "katherine", "sue": "susan", "susie": "susan",
    "jen": "jennifer", "jenny": "jennifer", "jenn": "jennifer", "alex": "alexander", "al": "albert",
    "andy": "andrew", "drew": "andrew", "tony": "anthony", "ben": "benjamin", "benji": "benjamin",
    "dan": "daniel", "danny": "daniel", "ed": "edward", "eddie": "edward", "ted": "edward",
    "ned": "edward", "fred": "frederick", "freddie": "frederick", "greg": "gregory", "hank": "henry",
    "harry": "henry", "jack": "john", "johnny": "john", "jon": "jonathan", "larry": "lawrence",
    "matt": "matthew", "nick": "nicholas", "nicky": "nicholas", "pat": "patrick", "patty": "patricia",
    "peggy": "margaret", "maggie": "margaret", "meg": "margaret", "pete": "peter", "ron": "ronald",
    "ronnie": "ronald", "sam": "samuel", "sammy": "samuel", "steve": "steven", "stephen": "steven",
    "stu": "stuart", "tim": "timothy", "timmy": "timothy", "vicky": "victoria", "vic": "victor",
    "wes": "wesley", "zach": "zachary", "zack": "zachary", "chris": "christopher", "kit": "christopher",
    "abby": "abigail", "becky": "rebecca", "becca": "rebecca", "debbie": "deborah", "deb": "deborah",
    "mandy": "amanda", "nate": "nathan", "nat": "nathaniel", "ollie": "oliver", "phil": "philip",
    "ray": "raymond", "sandy": "alexandra", "sasha": "alexander", "theo": "theodore", "val": "valerie",
}


@dataclass
class Candidate:
    investor_id: str
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"investor_id": self.investor_id, "name": self.name, "score": round(self.score, 3),
                "reasons": self.reasons, "people": [{"name": p.get("name"), "email": p.get("email")}
                                                    for p in self.people]}


@functools.lru_cache(maxsize=1 << 17)  # names recur in every pair a duplicates pass scores
def _fold(text: str) -> str:
    """Lower case, accents gone, '&' as 'and', punctuation as spaces."""
    text = unicodedata.normalize("NFKD", (text or "").translate(LETTERS)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]+", " ", text.replace("&", " and ")).strip()


def name_tokens(text: str) -> list[str]:
    """The words of an organisation's name that identify it: no legal suffixes, no dots."""
    return list(_name_tokens(text))


@functools.lru_cache(maxsize=1 << 17)
def _name_tokens(text: str) -> tuple[str, ...]:
    words = [w.strip(".") for w in _fold(text).split()]
    kept = [w for w in words if w and w not in LEGAL_SUFFIXES and w.replace(".", "") not in LEGAL_SUFFIXES]
    return tuple(w.replace(".", "") for w in kept if w.replace(".", ""))


@functools.lru_cache(maxsize=1 << 17)
def person_key(text: str) -> tuple[str, ...]:
    """A person's name with nicknames folded ("Charlie Dunn" -> ("charles", "dunn")); apostrophes
    go (O'Neil = ONeil)."""
    words = [w.replace(".", "") for w in _fold(re.sub(r"['\u2019]", "", text or "")).split() if w.replace(".", "")]
    return tuple(NICKNAMES.get(w, w) for w in words)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, giving up (limit) once it is certainly above `limit - 1`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)


def within_two_edits(a: str, b: str) -> bool:
    """Whether two strings are within two edits (the matcher's "email close to"), cheaply: the
    shared start and end go first (they leave the distance as it is), and two edits leave one of
    the longer rest's three thirds untouched, so one of them must occur in the other rest before
    the distance is worth computing."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 2:
        return False
    start = 0
    most = min(len(a), len(b))
    while start < most and a[start] == b[start]:
        start += 1
    end = 0
    while end < most - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    if len(a) <= 2:
        return True
    third, two_thirds = len(a) // 3, 2 * len(a) // 3
    if a[:third] not in b and a[third:two_thirds] not in b and a[two_thirds:] not in b:
        return False
    return edit_distance(a, b) <= 2


def _overlap(a: list[str], b: list[str]) -> float:
    """Weighted Jaccard of two names' words: weak words ("Capital") count a quarter."""
    if not a or not b:
        return 0.0
    weight = lambda w: 0.25 if w in WEAK_WORDS else 1.0
    sa, sb = set(a), set(b)
    shared = sum(weight(w) for w in sa & sb)
    total = sum(weight(w) for w in sa | sb)
    strong_shared = any(w not in WEAK_WORDS for w in sa & sb)
    return shared / total if total and strong_shared else 0.0


def score(query: str, email: str, name: str, people: list[dict]) -> tuple[float, list[str]]:
    """How likely `query` (a name: an organisation or a person) and `email` are this investor."""
    reasons: list[tuple[float, str]] = []
    address = (email or "").strip().lower()
    q_tokens, i_tokens = name_tokens(query), name_tokens(name)
    if address:
        for person in people:
            theirs = (person.get("email") or "").strip().lower()
            if not theirs:
                continue
            if theirs == address:
                reasons.append((1.0, f"{person.get('name') or theirs} has this email"))
            elif "@" in address and within_two_edits(theirs, address):
                reasons.append((0.85, f"email close to {theirs}"))
        domain = domain_of(address)
        if "@" in address and domain not in FREE_MAIL_DOMAINS and any(
                domain_of(p.get("email") or "") == domain for p in people):
            reasons.append((0.7, f"same domain as its people ({domain})"))
    if q_tokens and q_tokens == i_tokens:
        reasons.append((0.95, "same name" if _fold(query) == _fold(name) else "same name but for punctuation or legal suffix"))
    elif q_tokens:
        overlap = _overlap(q_tokens, i_tokens)
        if overlap > 0:
            reasons.append((0.8 * overlap, f"shares {', '.join(sorted(set(q_tokens) & set(i_tokens)))}"))
    key = person_key(query)
    if len(key) >= 2:
        for person in people:
            theirs = person_key(person.get("name") or "")
            if len(theirs) >= 2 and theirs[0] == key[0] and theirs[-1] == key[-1]:
                same = _fold(person.get("name") or "") == _fold(query)
                reasons.append((0.95 if same else 0.9, f"{person.get('name')} is one of its people"
                                + ("" if same else " (a nickname)")))
    if not reasons:
        return 0.0, []
    reasons.sort(key=lambda r: -r[0])
    best = reasons[0][0]
    # Two independent signs (a name and an email domain) are stronger than either.
    if len(reasons) > 1 and best < 1.0:
        best = min(0.99, best + 0.1 * reasons[1][0])
    return best, [text for _, text in reasons]


def candidates(query: str, email: str, investors: Iterable[tuple[str, str, list[dict]]],
               limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The best matches among (investor id, name, people), best first, at most `limit`."""
    found = []
    for investor_id, name, people in investors:
        value, reasons = score(query, email, name or "", people or [])
        if value > 0.2:
            found.append(Candidate(investor_id, name or "", value, reasons, list(people or [])))
    found.sort(key=lambda c: (-c.score, c.name.lower()))
    return found[:limit]


class MatchIndex:
    """The investors by the keys a match needs, so a query scores only the few that share one
    (a word of the name, a person, the start or end of an email's local part, its domain) instead
    of the whole grid."""

    def __init__(self, investors: Iterable[tuple[str, str, list[dict]]]):
        self.investors: list[tuple[str, str, list[dict]] | None] = []
        self.keys: dict[str, set[int]] = {}
        self.slots: dict[str, int] = {}
        for investor_id, name, people in investors:
            self.put(investor_id, name, people)

    def put(self, investor_id: str, name: str | None, people: list[dict] | None) -> None:
        """Index an investor as it is now (new, or changed since it was indexed)."""
        self.remove(investor_id)
        slot = self.slots[investor_id] = len(self.investors)
        self.investors.append((investor_id, name or "", list(people or [])))
        for key in self._keys(name or "", "", people or []):
            self.keys.setdefault(key, set()).add(slot)

    def remove(self, investor_id: str) -> None:
        """Forget an investor (archived, merged away); its slot stays empty."""
        slot = self.slots.pop(investor_id, None)
        if slot is None:
            return
        _, name, people = self.investors[slot]
        for key in self._keys(name, "", people):
            self.keys.get(key, set()).discard(slot)
        self.investors[slot] = None

    @staticmethod
    def _keys(name: str, email: str, people: list[dict]) -> set[str]:
        tokens = name_tokens(name)
        strong = [t for t in tokens if t not in WEAK_WORDS]
        keys = {"t:" + t for t in (strong or tokens)}
        for person in people:
            key = person_key(person.get("name") or "")
            if len(key) >= 2:
                keys.add(f"p:{key[0]}:{key[-1]}")
        addresses = [(p.get("email") or "").strip().lower() for p in people] + [email.strip().lower()]
        for address in filter(None, addresses):
            local, _, domain = address.partition("@")
            # A typo of one or two letters keeps the start or the end of the local part.
            keys.update(("lp:" + local[:4], "ls:" + local[-4:]))
            if domain:
                keys.add("d:" + domain)
        return keys

    def candidates(self, query: str, email: str, limit: int = MAX_CANDIDATES) -> list[Candidate]:
        """The same answer as `candidates` over every investor, from the ones sharing a key."""
        keys = self._keys(query, email, [])
        keys |= {f"p:{k[0]}:{k[-1]}" for k in [person_key(query)] if len(k) >= 2}
        picked: set[int] = set()
        for key in keys:
            if key.startswith("d:") and key[2:] in FREE_MAIL_DOMAINS:
                continue  # a free-mail domain is no key (the local part still is)
            picked |= self.keys.get(key, set())
        return candidates(query, email, (self.investors[i] for i in sorted(picked) if self.investors[i]), limit)
