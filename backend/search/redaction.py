"""The redaction boundary: the only way a question reaches a remote model (`CRM_REMOTE_LLM_*`),
and the only module that may construct `llm.RemoteModel` (`tests/test_layout.py` checks).

Before anything is sent, every message (the question, the context, a retry's error note) is
redacted as one text: each live or archived investor name, person name and email address the
box knows, any other email address, any amount (a number with a currency sign or code, or a
magnitude: "$5M", "250k", "1.5 million", "EUR 300,000") and any other capitalised name-like run
of words the vocabulary does not explain are replaced by placeholders (`INVESTOR_1`,
`PERSON_2`, `EMAIL_3`, `AMOUNT_4`, `NAME_5`). The model's answer (a plan) has the placeholders
restored in its values (an amount placeholder standing alone becomes its number) before it is
validated. What may pass: the plan schema, column names, fund names, status choices and list
names: they describe the grid, not an LP (a custom column's select choices are not sent, and the
whole text is swept for known names anyway, so a column named after an investor is redacted too).
Plain numbers (90 days, top 10) and dates pass: on their own they identify no one.
"""
from __future__ import annotations

import re

from ..llm import ModelUnavailable, RemoteModel
from ..config import LLMSettings

PLACEHOLDER = re.compile(r"\b(INVESTOR|PERSON|EMAIL|AMOUNT|NAME)_(\d+)\b")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_MAGNITUDE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
              "billion": 1e9}
_CURRENCY = r"(?:\$|€|£|¥|usd|eur|gbp|chf|jpy|cad|aud)"
AMOUNT = re.compile(
    r"(?<![\w.])(?:" + _CURRENCY + r"\s?(\d[\d,]*(?:\.\d+)?)\s*(k|mm|mn|m|bn|b|thousand|million|billion)?"
    r"|(\d[\d,]*(?:\.\d+)?)\s*(k|mm|mn|m|bn|b|thousand|million|billion)(?:\s?" + _CURRENCY + r")?"
    r"|(\d[\d,]*(?:\.\d+)?)\s?" + _CURRENCY + r")(?![\w])", re.I)
# Capitalised words that are plainly not names: question words and the grid's own vocabulary
# (added per question) are left alone.
COMMON = set("""
a about after all an and any are as at be been had has have having here before between by can could did do does each email emails every
fund funds for from give has have how i if in investor investors is it last list lp lps me meeting meetings
month months most my no not of on or our over past please quarter show since so status than that the their
them these they this those to top total under us we week weeks were what when where which who whom why
with year years yes you committed commitments contacted diligence today yesterday monday tuesday wednesday
like people contacts tell find get thursday friday saturday sunday january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec ii iii iv v vi i
""".split())


def _amount_value(match: re.Match) -> float | None:
    digits, scale = (match.group(1), match.group(2)) if match.group(1) else \
        (match.group(3), match.group(4)) if match.group(3) else (match.group(5), None)
    try:
        number = float(digits.replace(",", ""))
    except (TypeError, ValueError):
        return None
    return number * _MAGNITUDE.get((scale or "").lower(), 1)


NAME_RUN = re.compile(r"(?<![\w@])[A-Z][\w'&.-]*(?:\s+(?:[A-Z][\w'&.-]*|&|of|de|van|von)(?=\s+[A-Z]|\b))*(?![\w@])")


class Redactor:
    """One question's mapping: real text <-> placeholder. `redact` on the way out, `restore` on
    the way back; the same real text always gets the same placeholder within one question."""

    def __init__(self, investors=(), people=(), emails=(), allow=()):
        self.known: list[tuple[str, str]] = []  # (text, kind), longest first
        seen = set()
        for kind, names in (("EMAIL", emails), ("INVESTOR", investors), ("PERSON", people)):
            for name in names:
                clean = re.sub(r"\s+", " ", str(name or "")).strip()
                if len(clean) >= 2 and clean.lower() not in seen:
                    seen.add(clean.lower())
                    self.known.append((clean, kind))
        self.known.sort(key=lambda item: -len(item[0]))
        self.allow = {w.lower() for phrase in allow for w in re.findall(r"[\w'-]+", str(phrase))} | COMMON
        self.forward: dict[tuple[str, str], str] = {}
        self.values: dict[str, object] = {}
        self.count = 0

    def _placeholder(self, kind: str, text: str, value: object = None) -> str:
        key = (kind, text.lower())
        if key not in self.forward:
            self.count += 1
            self.forward[key] = f"{kind}_{self.count}"
            self.values[self.forward[key]] = text if value is None else value
            self.values[self.forward[key] + ":text"] = text
        return self.forward[key]

    def redact(self, text: str, names: bool = True) -> str:
        """`text` with every known identity, email address and amount replaced; with `names`,
        capitalised runs the vocabulary does not explain too (the question, not the prompt)."""
        lowered = text.lower()
        for name, kind in self.known:  # a substring test first: thousands of names stay cheap
            if name.lower() in lowered:
                pattern = re.compile(r"(?<![\w@.])" + re.escape(name) + r"(?![\w@])", re.I)
                text = pattern.sub(lambda m, k=kind: self._placeholder(k, m.group(0)), text)
                lowered = text.lower()
        text = EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        text = AMOUNT.sub(lambda m: self._placeholder("AMOUNT", m.group(0), _amount_value(m)), text)
        return self._names(text) if names else text

    def _names(self, text: str) -> str:
        """Capitalised runs the vocabulary does not explain ("Jane Doe", "Acme Capital")."""
        def replace(m: re.Match) -> str:
            run = m.group(0)
            if PLACEHOLDER.fullmatch(run) or all(w.lower() in self.allow or w.lower().removesuffix("'s") in self.allow
                                                  for w in re.findall(r"[\w'&.-]+", run)):
                return run
            return self._placeholder("NAME", run)
        parts = re.split(r"(\b(?:INVESTOR|PERSON|EMAIL|AMOUNT|NAME)_\d+\b)", text)
        return "".join(part if i % 2 else NAME_RUN.sub(replace, part) for i, part in enumerate(parts))

    def restore(self, value):
        """The plan with its placeholders put back (an amount alone becomes its number)."""
        if isinstance(value, dict):
            return {k: self.restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.restore(v) for v in value]
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value.strip())
            if whole and whole.group(0) in self.values:
                return self.values[whole.group(0)]
            return PLACEHOLDER.sub(lambda m: str(self.values.get(m.group(0) + ":text", m.group(0))), value)
        return value


def known_identities(db) -> tuple[list[str], list[str], list[str]]:
    """(investor names, person names, email addresses) the box holds, archived ones too."""
    with db.read() as conn:
        investors = [r[0] for r in conn.execute("SELECT DISTINCT name FROM investors WHERE name != ''")]
        people, emails = [], []
        for name, email in conn.execute("SELECT name, email FROM contacts"):
            if name:
                people.append(name)
            if email:
                emails.append(email)
    return investors, people, emails


class Boundary:
    """The remote model behind the redaction. `session(db, allow)` gives one question's channel."""

    def __init__(self, settings: LLMSettings):
        self.model = RemoteModel(settings)

    @property
    def enabled(self) -> bool:
        return self.model.enabled

    def session(self, db, allow=()) -> "Session":
        investors, people, emails = known_identities(db)
        return Session(self.model, Redactor(investors, people, emails, allow))


class Session:
    def __init__(self, model: RemoteModel, redactor: Redactor):
        self.model = model
        self.redactor = redactor

    def chat_json(self, messages: list[dict], **kw) -> dict:
        """Redacted messages out; the JSON answer back with its placeholders restored. Known
        identities, addresses and amounts are swept from every message; unknown capitalised
        names from the user's turns (the system prompt is ours, its words are allowed)."""
        if not self.model.enabled:
            raise ModelUnavailable("no remote model is configured (CRM_REMOTE_LLM_BASE_URL)")
        for m in messages:
            if m.get("role") == "system":
                self.redactor.allow |= {w.lower() for w in re.findall(r"[\w'-]+", str(m.get("content") or ""))}
        safe = [{**m, "content": self.redactor.redact(str(m.get("content") or ""), names=m.get("role") == "user")}
                for m in messages]
        return self.redactor.restore(self.model.chat_json(safe, **kw))
