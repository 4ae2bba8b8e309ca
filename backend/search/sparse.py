"""The sparse (BM25-style) half of hybrid search, with no vocabulary file.

Text is tokenised (lower case, accents folded, stop words and single letters out, dotted numbers
such as "4.2" one term, single digits kept, a light stemmer for plurals and a few suffixes) and each term becomes a stable id (the first 4 bytes of its blake2b hash, a uint32),
so the same word is the same dimension on every box and after every restart. A document vector
carries BM25's term-frequency part, `tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))`,
with the running average length the encoder keeps; a query vector carries 1.0 per distinct term.
Qdrant applies the IDF part itself (`modifier=Modifier.IDF` on the sparse vector), so a term's
weight follows the collection as it grows. Pure: no I/O.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

K1 = 1.2
B = 0.75
DEFAULT_AVG_LEN = 60.0

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves also re fwd hi hello dear thanks thank regards best let lets us get got
""".split())

# Bump when `tokens` changes what it yields: the indexer keeps it in search_state and rebuilds the
# index when it differs (2: dotted numbers such as "4.2" are one term, single digits are kept).
TOKENIZER_VERSION = 2

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*(?:['’][a-z]+)?")


def fold(text: str) -> str:
    """Lower case with accents removed (Zürich -> zurich)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_in_place(text: str) -> str:
    """`fold` one character for one character, so match offsets are offsets into `text`."""
    out = []
    for ch in text:
        folded = fold(ch)
        out.append(folded if len(folded) == 1 else (ch if len(ch.lower()) != 1 else ch.lower()))
    return "".join(out)


def stem(word: str) -> str:
    """A deliberately small stemmer: plurals and a few common suffixes, never below 3 letters."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if len(word) >= 4 and word[-1] == word[-2] and word[-1] in "bdgmnprt":
                word = word[:-1]  # committed -> commit, planned -> plan
            break
    return word


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, term) for every indexable word of `text`, offsets into the original text."""
    out = []
    for match in _WORD.finditer(_fold_in_place(text)):
        word = match.group().replace("’", "'").split("'")[0]
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        out.append((match.start(), match.end(), stem(word)))
    return out


def tokens(text: str) -> list[str]:
    """The terms of `text`, in order (stop words removed, stemmed)."""
    out = []
    for match in _WORD.finditer(fold(text)):
        word = match.group().replace("’", "'").split("'")[0]
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(stem(word))
    return out


def term_id(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")


class SparseEncoder:
    """Encodes documents (BM25 tf saturation, running average length) and queries (1.0 per term)."""

    def __init__(self, docs: int = 0, total_len: int = 0):
        self.docs, self.total_len = docs, total_len

    @property
    def avg_len(self) -> float:
        return self.total_len / self.docs if self.docs >= 20 else DEFAULT_AVG_LEN

    def document(self, text: str, learn: bool = True) -> tuple[list[int], list[float]]:
        terms = tokens(text)
        if learn and terms:
            self.docs += 1
            self.total_len += len(terms)
        counts = Counter(term_id(t) for t in terms)
        norm = K1 * (1 - B + B * len(terms) / self.avg_len)
        ids = sorted(counts)
        return ids, [round(counts[i] * (K1 + 1) / (counts[i] + norm), 5) for i in ids]

    @staticmethod
    def query(text: str) -> tuple[list[int], list[float]]:
        ids = sorted({term_id(t) for t in tokens(text)})
        return ids, [1.0] * len(ids)
