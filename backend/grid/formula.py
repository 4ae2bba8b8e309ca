"""Airtable-compatible formula engine: parse once, evaluate many, never raise while evaluating.

Pipeline: `_tokenize` -> `_Parser` (precedence climbing; a run of same-precedence operators is one
flat `_Chain`, so `1+1+...+1` nests no deeper than `1+1`) -> `_compile`, which turns the tree into
nested Python closures `fn(record, context)` (constant sub-trees are folded once). `parse` caches
the result by source text. Nothing in a formula can reach Python: there is no eval/exec, names
resolve only to record fields or to entries of `_SPECS`, and user regular expressions run on RE2
(linear time).

Values inside the engine: None (blank), bool, int/float, str, datetime (always timezone-aware; UTC
unless SET_TIMEZONE gave it another zone), list (array) and `FormulaErrorValue`. Errors are values:
every operator and most functions hand the first error argument back unchanged; `ISERROR` tests
for one; an error is falsy in IF/AND/OR/XOR. `to_json` maps a value to the grid's JSON shapes.

Where Airtable's behaviour is undocumented the choice made here is written in docs/formulas.md
("Guesses").
"""
from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
import math
import operator
import re
import urllib.parse
from calendar import monthrange
from collections import abc
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import (ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, ROUND_UP,
                     Decimal, localcontext)
from functools import lru_cache
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

import re2

from ..errors import Unprocessable

MAX_LENGTH = 20_000          # characters of formula source
MAX_DEPTH = 200              # nesting of parentheses, calls and unary operators
MAX_TEXT = 1_000_000         # longest text a formula may build (REPT, SUBSTITUTE, &, ...)
MAX_REGEX_INPUT = 100_000    # longest text a regular expression runs over
MAX_PATTERN = 5_000          # longest regular expression
MAX_WORKDAYS = 1_000_000     # |numDays| in WORKDAY
UTC = timezone.utc
_BIG = 2 ** 53               # beyond this an int is shown/serialised as a JS double would be

__all__ = ["FormulaError", "FormulaErrorValue", "Formula", "EvalContext", "parse", "evaluate",
           "to_json", "rename_reference", "FUNCTIONS"]


# =============================================================== errors
class FormulaError(Unprocessable):
    """A formula that does not parse (HTTP 422); `position` is the 0-based character index."""

    code = "formula_syntax"

    def __init__(self, message: str, position: int):
        super().__init__(message, position=position)
        self.position = position


class FormulaErrorValue:
    """An error *value* (`#DIV/0!`, ...): the result of a formula that parsed but cannot compute."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str = ""):
        self.code = code
        self.message = message

    def as_json(self) -> dict:
        return {"error": self.code, "message": self.message}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FormulaErrorValue) and other.code == self.code
                and other.message == self.message)

    def __hash__(self) -> int:
        return hash((self.code, self.message))

    def __repr__(self) -> str:
        return f"FormulaErrorValue({self.code!r}, {self.message!r})"


_Err = FormulaErrorValue


def _error(message: str) -> FormulaErrorValue:
    return _Err("#ERROR!", message)


def _value_error(message: str) -> FormulaErrorValue:
    return _Err("#VALUE!", message)


def _num_error(message: str) -> FormulaErrorValue:
    return _Err("#NUM!", message)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# =============================================================== context
@dataclass
class EvalContext:
    """What a formula may know beyond its record. `now` is injected so results are reproducible."""

    now: datetime
    record_id: str | None = None
    created_time: Any = None          # ISO string or datetime
    last_modified_time: Any = None    # ISO string or datetime

    def __post_init__(self) -> None:
        if not isinstance(self.now, datetime):
            raise TypeError("EvalContext.now must be a datetime")
        self.now = self.now.replace(tzinfo=UTC) if self.now.tzinfo is None else self.now.astimezone(UTC)

    @property
    def today(self) -> datetime:
        """Midnight UTC of `now` (computed once per context)."""
        cached = self.__dict__.get("_today")
        if cached is None or cached[0] is not self.now:
            cached = (self.now, self.now.replace(hour=0, minute=0, second=0, microsecond=0))
            self.__dict__["_today"] = cached
        return cached[1]


def _default_context() -> EvalContext:
    return EvalContext(now=datetime.now(UTC))


# =============================================================== tokenizer
_NUMBER_RE = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IDENT_RE = re.compile(r"[^\W\d]\w*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_TWO_CHAR_OPS = ("!=", "<>", "<=", ">=")
_ONE_CHAR_OPS = "+-*/&=<>"

# token kinds
_NUM, _STR, _FIELD, _IDENT, _OP, _LPAREN, _RPAREN, _COMMA, _EOF = range(9)


class _Tok:
    __slots__ = ("kind", "value", "pos", "end")

    def __init__(self, kind: int, value: Any, pos: int, end: int):
        self.kind, self.value, self.pos, self.end = kind, value, pos, end


def _tokenize(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "{":
            close = src.find("}", i + 1)
            if close < 0:
                raise FormulaError(f"expected '}}' to close the field name opened at {i}, "
                                   f"found end of formula at {n}", n)
            if close == i + 1:
                raise FormulaError(f"empty field name {{}} at {i}", i)
            out.append(_Tok(_FIELD, src[i + 1:close], i, close + 1))
            i = close + 1
        elif ch == '"' or ch == "'":
            start, i, parts = i, i + 1, []
            while True:
                if i >= n:
                    raise FormulaError(f"expected {ch} to close the text opened at {start}, "
                                       f"found end of formula at {n}", n)
                c = src[i]
                if c == ch:
                    i += 1
                    break
                if c == "\\" and i + 1 < n:
                    nxt = src[i + 1]
                    # Known escapes map; an unknown one keeps its backslash ("\d" stays \d, so
                    # regular expressions written with single backslashes still work).
                    parts.append(_ESCAPES.get(nxt, "\\" + nxt))
                    i += 2
                    continue
                parts.append(c)
                i += 1
            out.append(_Tok(_STR, "".join(parts), start, i))
        elif ch.isdigit() or (ch == "." and i + 1 < n and src[i + 1].isdigit()):
            m = _NUMBER_RE.match(src, i)
            if m is None:
                raise FormulaError(f"unexpected character {ch!r} at {i}", i)
            text = m.group()
            if "." in text or "e" in text or "E" in text or len(text) > 15:
                value: Any = float(text)
            else:
                value = int(text)
            out.append(_Tok(_NUM, value, i, m.end()))
            i = m.end()
        elif ch == "(":
            out.append(_Tok(_LPAREN, ch, i, i + 1))
            i += 1
        elif ch == ")":
            out.append(_Tok(_RPAREN, ch, i, i + 1))
            i += 1
        elif ch == ",":
            out.append(_Tok(_COMMA, ch, i, i + 1))
            i += 1
        elif src.startswith(_TWO_CHAR_OPS, i):
            out.append(_Tok(_OP, src[i:i + 2], i, i + 2))
            i += 2
        elif ch in _ONE_CHAR_OPS:
            out.append(_Tok(_OP, ch, i, i + 1))
            i += 1
        else:
            m = _IDENT_RE.match(src, i)
            if m is None:
                hint = " (use straight quotes \" or ')" if ch in "\u201c\u201d\u2018\u2019" else ""
                raise FormulaError(f"unexpected character {ch!r} at {i}{hint}", i)
            out.append(_Tok(_IDENT, m.group(), i, m.end()))
            i = m.end()
    out.append(_Tok(_EOF, None, n, n))
    return out


# =============================================================== syntax tree
class _Const:
    __slots__ = ("value", "pos")

    def __init__(self, value: Any, pos: int):
        self.value, self.pos = value, pos


class _Field:
    __slots__ = ("name", "pos")

    def __init__(self, name: str, pos: int):
        self.name, self.pos = name, pos


class _Unary:
    __slots__ = ("operand", "negate", "pos")

    def __init__(self, operand: Any, negate: bool, pos: int):
        self.operand, self.negate, self.pos = operand, negate, pos


class _Chain:
    """A left-to-right run of operators of one precedence group: operands[0] op[0] operands[1] ..."""

    __slots__ = ("group", "operands", "ops", "pos")

    def __init__(self, group: str, first: Any, pos: int):
        self.group, self.operands, self.ops, self.pos = group, [first], [], pos


class _Call:
    __slots__ = ("name", "args", "pos")

    def __init__(self, name: str, args: list, pos: int):
        self.name, self.args, self.pos = name, args, pos


# operator -> (binding power, group)
_BINARY = {"=": (10, "cmp"), "!=": (10, "cmp"), "<>": (10, "cmp"), "<": (10, "cmp"), ">": (10, "cmp"),
           "<=": (10, "cmp"), ">=": (10, "cmp"), "&": (20, "cat"), "+": (30, "add"), "-": (30, "add"),
           "*": (40, "mul"), "/": (40, "mul")}
_UNARY_BP = 50


def _describe(tok: _Tok, src: str) -> str:
    if tok.kind == _EOF:
        return "end of formula"
    return repr(_short(src[tok.pos:tok.end], 30))


class _Parser:
    def __init__(self, src: str):
        self.src = src
        self.toks = _tokenize(src)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, tok: _Tok) -> FormulaError:
        return FormulaError(f"expected {expected}, found {_describe(tok, self.src)} at {tok.pos}", tok.pos)

    def parse(self) -> Any:
        node = self.expr(0, 0)
        tok = self.peek()
        if tok.kind != _EOF:
            if tok.kind == _RPAREN:
                raise FormulaError(f"unexpected ')' at {tok.pos}: no '(' is open", tok.pos)
            raise self.fail("an operator or end of formula", tok)
        return node

    def expr(self, min_bp: int, depth: int) -> Any:
        if depth > MAX_DEPTH:
            pos = self.peek().pos
            raise FormulaError(f"formula nests too deeply at {pos} (more than {MAX_DEPTH} levels)", pos)
        left = self.prefix(depth)
        while True:
            tok = self.peek()
            if tok.kind != _OP:
                break
            bp, group = _BINARY[tok.value]
            if bp <= min_bp:
                break
            self.take()
            right = self.expr(bp, depth + 1)
            if not (type(left) is _Chain and left.group == group):
                left = _Chain(group, left, left.pos)
            left.ops.append(tok.value)
            left.operands.append(right)
        return left

    def prefix(self, depth: int) -> Any:
        tok = self.take()
        kind = tok.kind
        if kind == _NUM or kind == _STR:
            return _Const(tok.value, tok.pos)
        if kind == _FIELD:
            return _Field(tok.value, tok.pos)
        if kind == _OP and tok.value in ("-", "+"):
            return _Unary(self.expr(_UNARY_BP, depth + 1), tok.value == "-", tok.pos)
        if kind == _LPAREN:
            inner = self.expr(0, depth + 1)
            close = self.take()
            if close.kind != _RPAREN:
                raise FormulaError(f"expected ')' to close '(' opened at {tok.pos}, found "
                                   f"{_describe(close, self.src)} at {close.pos}", close.pos)
            return inner
        if kind == _IDENT:
            if self.peek().kind == _LPAREN:
                return self.call(tok, depth)
            upper = tok.value.upper()
            if upper == "TRUE" or upper == "FALSE":
                return _Const(upper == "TRUE", tok.pos)
            return _Field(tok.value, tok.pos)
        raise self.fail("an expression", tok)

    def call(self, name_tok: _Tok, depth: int) -> _Call:
        name = name_tok.value.upper()
        spec = _SPECS.get(name)
        if spec is None:
            raise FormulaError(f"unknown function {name_tok.value} at {name_tok.pos}", name_tok.pos)
        self.take()  # (
        args: list = []
        if self.peek().kind == _RPAREN:
            self.take()
        else:
            while True:
                args.append(self.expr(0, depth + 1))
                tok = self.take()
                if tok.kind == _RPAREN:
                    break
                if tok.kind == _COMMA:
                    continue
                if tok.kind == _EOF:
                    raise FormulaError(f"expected ')' to close {name}( opened at {name_tok.pos}, "
                                       f"found end of formula at {tok.pos}", tok.pos)
                raise FormulaError(f"expected ',' or ')' in {name}( opened at {name_tok.pos}, found "
                                   f"{_describe(tok, self.src)} at {tok.pos}", tok.pos)
        count = len(args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            raise FormulaError(f"wrong number of arguments to {name} at {name_tok.pos}: expected "
                               f"{_arity_text(spec.min_args, spec.max_args)}, got {count}", name_tok.pos)
        return _Call(name, args, name_tok.pos)


def _arity_text(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"at least {lo}"
    if lo == hi:
        return str(lo)
    return f"{lo} to {hi}"


# =============================================================== conversions
_MISSING = object()


def _js_number(x: float | int) -> str:
    """Number -> text exactly as JavaScript's String(number) does."""
    if type(x) is int:
        if -_BIG < x < _BIG:
            return str(x)
        try:
            x = float(x)
        except OverflowError:
            return "Infinity" if x > 0 else "-Infinity"
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    text = repr(abs(x))                       # shortest round-trip digits, like JS
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exp) if exp else 0)   # decimal point position relative to whole+frac
    point -= len(whole + frac) - len((whole + frac).lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + out


def _iso(dt: datetime) -> str:
    u = dt.astimezone(UTC)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}."
            f"{u.microsecond // 1000:03d}Z")


def _flatten(values: Any) -> list:
    """Arguments (some of them arrays, possibly nested) as one flat list."""
    out: list = []
    stack = [iter(values)]
    while stack:
        for item in stack[-1]:
            if type(item) is list:
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _text(v: Any) -> str:
    """A value in text context (callers hand errors back before calling this)."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is int or t is float:
        return _js_number(v)
    if t is bool:
        return "1" if v else "0"
    if t is datetime:
        return _iso(v)
    if t is list:
        return ", ".join(_text(x) for x in _flatten(v))
    if t is _Err:
        return v.code
    return str(v)


_NUMERIC_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number_from_text(s: str) -> Any:
    t = s.strip()
    if not t:
        return 0
    if len(t) <= 400 and _NUMERIC_TEXT.fullmatch(t):
        if "." in t or "e" in t or "E" in t or len(t) > 15:
            return float(t)
        return int(t)
    return _value_error(f"'{_short(s)}' is not a number")


def _num(v: Any) -> Any:
    """A value in number context: a number or an error value."""
    t = type(v)
    if t is int or t is float:
        return v
    if v is None:
        return 0
    if t is bool:
        return 1 if v else 0
    if t is str:
        return _number_from_text(v)
    if t is _Err:
        return v
    if t is list:
        items = _flatten(v)
        if not items:
            return 0
        if len(items) == 1:
            return _num(items[0])
        return _value_error("an array of several values is not a number")
    if t is datetime:
        return _value_error("a date is not a number (use DATETIME_DIFF or DATEADD)")
    return _value_error("not a number")


def _int_arg(v: Any) -> Any:
    """A count/position argument: the number truncated toward zero and kept within +-2**53."""
    n = _num(v)
    if type(n) is _Err:
        return n
    if type(n) is float:
        if n != n or n in (math.inf, -math.inf):
            return _num_error("expected a finite number")
        n = int(n)
    return n if -_BIG <= n <= _BIG else (_BIG if n > 0 else -_BIG)


def _truthy(v: Any) -> bool:
    if v is True:
        return True
    if v is False or v is None:
        return False
    t = type(v)
    if t is int or t is float:
        return v != 0 and v == v
    if t is str or t is list:
        return len(v) > 0
    if t is _Err:
        return False
    return True


def _number_result(x: Any) -> Any:
    """Guard a computed float: infinities and NaN become #NUM!."""
    if type(x) is float and (x != x or x in (math.inf, -math.inf)):
        return _num_error("the result is not a finite number")
    return x


# --------------------------------------------------------------- dates
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_MONTH_LOOKUP = {name: i + 1 for i, name in enumerate(_MONTHS)}
_MONTH_LOOKUP.update({name[:3]: i + 1 for i, name in enumerate(_MONTHS)})
_MONTH_LOOKUP["sept"] = 9
_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_MONTH_ALT = "|".join(sorted(_MONTH_LOOKUP, key=len, reverse=True))
_DAY_ALT = "|".join(sorted(set(_DAYS) | {d[:3] for d in _DAYS}, key=len, reverse=True))
_TIME = (r"(?:[ T,]+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([ap]\.?m\.?)?"
         r"\s*(z|utc|gmt|[+-]\d{2}:?\d{2})?)?")
_DATE_PATTERNS = [
    # (regex, group order) -- order names which groups hold year, month, day
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME, re.I), "mdy"),
    (re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})" + _TIME, re.I), "ymd"),
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME, re.I), "ymd"),
    (re.compile(rf"(?:(?:{_DAY_ALT}),?\s+)?({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})"
                + _TIME, re.I), "Mdy"),
    (re.compile(rf"(?:(?:{_DAY_ALT}),?\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})"
                + _TIME, re.I), "dMy"),
]
_DATE_CACHE: dict[str, Any] = {}


def _build_datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
                    micro: int = 0, offset: timedelta | None = None) -> datetime | None:
    try:
        dt = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    if offset:
        try:
            dt = dt - offset
        except OverflowError:
            return None
    return dt


def _offset_from(text: str | None) -> timedelta | None:
    if not text or text.lower() in ("z", "utc", "gmt"):
        return None
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return sign * timedelta(hours=hours, minutes=minutes)


def _parse_loose(text: str) -> datetime | None:
    s = text.strip()
    if not s or len(s) > 100:
        return None
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            d = date.fromisoformat(s)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        except ValueError:
            pass
    try:
        dt = datetime.fromisoformat(s)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError):
        pass
    for pattern, order in _DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        g = m.groups()
        if order == "mdy":
            month, day, year = int(g[0]), int(g[1]), g[2]
        elif order == "ymd":
            year, month, day = g[0], int(g[1]), int(g[2])
        elif order == "Mdy":
            month, day, year = _MONTH_LOOKUP[g[0].lower()], int(g[1]), g[2]
        else:
            day, month, year = int(g[0]), _MONTH_LOOKUP[g[1].lower()], g[2]
        y = int(year)
        if len(year) == 2:
            y += 1900 if y > 68 else 2000
        hour = int(g[3]) if g[3] else 0
        minute = int(g[4]) if g[4] else 0
        second = int(g[5]) if g[5] else 0
        micro = int((g[6] or "0")[:6].ljust(6, "0"))
        meridiem = (g[7] or "").lower()[:1]
        if meridiem:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        return _build_datetime(y, month, day, hour, minute, second, micro, _offset_from(g[8]))
    return None


def _parse_date_text(text: str) -> datetime | None:
    cached = _DATE_CACHE.get(text, _MISSING)
    if cached is not _MISSING:
        return cached
    result = _parse_loose(text)
    if len(_DATE_CACHE) >= 20_000:
        _DATE_CACHE.clear()
    _DATE_CACHE[text] = result
    return result


def _date(v: Any) -> Any:
    """A value in date context: an aware datetime or an error value."""
    t = type(v)
    if t is datetime:
        return v
    if t is str:
        parsed = _parse_date_text(v)
        if parsed is None:
            return _error(f"'{_short(v)}' is not a date")
        return parsed
    if t is _Err:
        return v
    if v is None:
        return _error("expected a date, got a blank value")
    if t is list:
        items = [x for x in _flatten(v) if x is not None and x != ""]
        if len(items) == 1:
            return _date(items[0])
        return _error("expected one date, got an array")
    return _error(f"expected a date, got {_type_name(v)}")


def _type_name(v: Any) -> str:
    t = type(v)
    if t is bool:
        return "a boolean"
    if t is int or t is float:
        return "a number"
    if t is str:
        return "text"
    if t is list:
        return "an array"
    if t is datetime:
        return "a date"
    return "a value"


_ZONES: dict[str, Any] = {}


def _zone(name: str) -> Any:
    zone = _ZONES.get(name)
    if zone is None:
        try:
            if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
                raise ValueError(name)
            zone = UTC if name.upper() in ("UTC", "GMT", "Z") else ZoneInfo(name)
        except Exception:
            zone = _error(f"unknown time zone '{_short(name)}'")
        if len(_ZONES) < 1000:
            _ZONES[name] = zone
    return zone


# =============================================================== record values
def _from_json(v: Any) -> Any:
    """A grid JSON value as an engine value (the fast path for scalars is inlined in field reads)."""
    t = type(v)
    if v is None or t is str or t is bool or t is int or t is float or t is _Err:
        return v
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC)
    if t is list:
        out = []
        for item in v:
            if type(item) is dict and "error" not in item:
                name = item.get("name") or item.get("email")
                if name:
                    out.append(name if type(name) is str else str(name))
                continue
            out.append(_from_json(item))
        return out
    if t is dict:
        if "error" in v:
            return _Err(str(v.get("error")), str(v.get("message", "")))
        name = v.get("name") or v.get("email")
        return name if type(name) is str else None
    if isinstance(v, abc.Mapping):
        return _from_json(dict(v))
    if isinstance(v, (list, tuple)):
        return _from_json(list(v))
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, (int, float)):
        return v + 0
    if isinstance(v, str):
        return str(v)
    return None


def _lookup_folded(record: Mapping, name: str) -> Any:
    folded = name.casefold()
    size = len(name)
    for key in record:
        if type(key) is str and len(key) == size and key.casefold() == folded:
            return record[key]
    return None


# =============================================================== operators
_NUMBER_TYPES = (int, float)


def _arith(op: str, a: Any, b: Any) -> Any:
    if type(a) is _Err:
        return a
    if type(b) is _Err:
        return b
    x, y = _num(a), _num(b)
    if type(x) is _Err:
        return x
    if type(y) is _Err:
        return y
    try:
        if op == "+":
            return _number_result(x + y)
        if op == "-":
            return _number_result(x - y)
        if op == "*":
            r = x * y
            if type(r) is int and not -_BIG < r < _BIG:
                r = float(r)
            return _number_result(r)
        if y == 0:
            return _Err("#DIV/0!", "division by zero")
        return _number_result(x / y)
    except OverflowError:
        return _num_error("the result is too large")


def _chain_arith(fns: list, ops: list) -> Callable:
    if len(fns) == 2:
        f0, f1 = fns
        op = ops[0]
        if op == "+" or op == "-":
            fast = operator.add if op == "+" else operator.sub

            def add_sub(r, c):
                a = f0(r, c)
                b = f1(r, c)
                if type(a) in _NUMBER_TYPES and type(b) in _NUMBER_TYPES:
                    return fast(a, b)
                return _arith(op, a, b)
            return add_sub
        if op == "*":
            def mul(r, c):      # int * int goes the slow way: it may outgrow a double
                a = f0(r, c)
                b = f1(r, c)
                if type(a) is float and type(b) in _NUMBER_TYPES or type(b) is float and type(a) is int:
                    return a * b
                return _arith("*", a, b)
            return mul

        def div(r, c):
            a = f0(r, c)
            b = f1(r, c)
            if type(a) in _NUMBER_TYPES and type(b) in _NUMBER_TYPES and b != 0:
                return a / b
            return _arith("/", a, b)
        return div

    first, rest = fns[0], list(zip(ops, fns[1:]))

    def chain(r, c):
        acc = first(r, c)
        for op, f in rest:
            acc = _arith(op, acc, f(r, c))
        return acc
    return chain


def _concat(fns: list) -> Callable:
    if len(fns) == 2:
        f0, f1 = fns

        def cat2(r, c):
            a = f0(r, c)
            b = f1(r, c)
            if type(a) is str and type(b) is str and len(a) + len(b) <= MAX_TEXT:
                return a + b
            return _concat_values((a, b))
        return cat2

    def cat(r, c):
        values = [f(r, c) for f in fns]
        for v in values:
            if type(v) is not str:
                return _concat_values(values)
        text = "".join(values)
        return text if len(text) <= MAX_TEXT else _concat_values(values)
    return cat


def _concat_values(values: Any) -> Any:
    parts = []
    total = 0
    for v in values:
        if type(v) is _Err:
            return v
        s = _text(v)
        total += len(s)
        if total > MAX_TEXT:
            return _error(f"text longer than {MAX_TEXT:,} characters")
        parts.append(s)
    return "".join(parts)


def _is_blankish(v: Any) -> bool:
    return v is None or v == "" or v is False or (type(v) is list and not v) or (
        (type(v) is int or type(v) is float) and v == 0)


def _equals(a: Any, b: Any) -> bool:
    """`=`: numbers numerically, text case-sensitively, blank equal to 0 / "" / FALSE."""
    ta, tb = type(a), type(b)
    if a is None:
        return _is_blankish(b)
    if b is None:
        return _is_blankish(a)
    if ta is tb and ta is not list:
        return a == b
    if ta in _NUMBER_TYPES and tb in _NUMBER_TYPES:
        return a == b
    if ta is datetime or tb is datetime:
        x, y = _date(a), _date(b)
        return type(x) is datetime and type(y) is datetime and x == y
    if ta is list or tb is list:
        return _text(a) == _text(b)
    if ta is bool or tb is bool or ta in _NUMBER_TYPES or tb in _NUMBER_TYPES:
        if (ta is str and not a.strip()) or (tb is str and not b.strip()):
            return _is_blankish(a) and _is_blankish(b)
        x, y = _num(a), _num(b)
        return type(x) is not _Err and type(y) is not _Err and x == y
    return False


def _order(a: Any, b: Any) -> int | None:
    """-1/0/1 comparing a with b, or None when the two cannot be ordered."""
    ta, tb = type(a), type(b)
    if ta is list:
        a, ta = _text(a), str
    if tb is list:
        b, tb = _text(b), str
    if ta is datetime or tb is datetime:
        if a is None or b is None:
            return None
        x, y = _date(a), _date(b)
        if type(x) is not datetime or type(y) is not datetime:
            return None
        return (x > y) - (x < y)
    if a is None:
        a, ta = ("", str) if tb is str else (0, int)
    if b is None:
        b, tb = ("", str) if ta is str else (0, int)
    if ta is str and tb is str:
        return (a > b) - (a < b)
    x, y = _num(a), _num(b)
    if type(x) is _Err or type(y) is _Err or x != x or y != y:
        return None
    return (x > y) - (x < y)


def _compare(op: str, a: Any, b: Any) -> Any:
    if type(a) is _Err:
        return a
    if type(b) is _Err:
        return b
    if op == "=":
        return _equals(a, b)
    if op == "!=" or op == "<>":
        return not _equals(a, b)
    order = _order(a, b)
    if order is None:
        return False
    if op == "<":
        return order < 0
    if op == ">":
        return order > 0
    if op == "<=":
        return order <= 0
    return order >= 0


_FAST_CMP = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge, "=": operator.eq,
             "!=": operator.ne, "<>": operator.ne}


def _chain_compare(fns: list, ops: list) -> Callable:
    if len(fns) == 2:
        f0, f1 = fns
        op = ops[0]
        fast = _FAST_CMP[op]

        def cmp2(r, c):
            a = f0(r, c)
            b = f1(r, c)
            if type(a) in _NUMBER_TYPES and type(b) in _NUMBER_TYPES:
                return fast(a, b)
            return _compare(op, a, b)
        return cmp2

    first, rest = fns[0], list(zip(ops, fns[1:]))

    def chain(r, c):
        acc = first(r, c)
        for op, f in rest:
            acc = _compare(op, acc, f(r, c))
        return acc
    return chain


# =============================================================== function registry
@dataclass(frozen=True)
class _Spec:
    name: str
    min_args: int
    max_args: int | None
    impl: Callable
    returns: Any                 # a type name, or callable(arg_types) -> type name
    category: str
    signature: str
    description: str
    example: tuple               # (formula, expected JSON value)
    lazy: bool = False           # impl(fns) -> closure (controls evaluation of its arguments)
    errors_ok: bool = False      # receives error values instead of propagating them
    needs_ctx: bool = False      # impl(ctx, *values)
    pure: bool = True            # same inputs -> same output (may be constant-folded)
    volatile: bool = False       # depends on the current time


_SPECS: dict[str, _Spec] = {}
FUNCTIONS: dict[str, dict] = {}


def _show(value: Any) -> str:
    if isinstance(value, dict) and "error" in value:
        return value["error"]
    return json.dumps(value, ensure_ascii=False)


def _fn(name: str, min_args: int, max_args: int | None, returns: Any, category: str, signature: str,
        description: str, example: tuple, **flags: Any) -> Callable:
    def register(impl: Callable) -> Callable:
        spec = _Spec(name, min_args, max_args, impl, returns, category, signature, description, example,
                     **flags)
        _SPECS[name] = spec
        FUNCTIONS[name] = {
            "name": name, "category": category, "signature": signature, "description": description,
            "example": f"{example[0]} => {_show(example[1])}", "min_args": min_args, "max_args": max_args,
            "returns": returns if isinstance(returns, str) else "any", "volatile": flags.get("volatile", False),
        }
        return impl
    return register


# --------------------------------------------------------------- logical
@_fn("IF", 2, 3, lambda types: _union(types[1:]), "logical", "IF(condition, value_if_true, [value_if_false])",
     "value_if_true when condition is truthy, else value_if_false (blank when omitted).",
     ('IF(2 > 1, "yes", "no")', "yes"), lazy=True)
def _if(fns: list) -> Callable:
    cond, then = fns[0], fns[1]
    if len(fns) == 2:
        def if2(r, c):
            v = cond(r, c)
            if v is True or (v is not False and v is not None and _truthy(v)):
                return then(r, c)
            return None
        return if2
    other = fns[2]

    def if3(r, c):
        v = cond(r, c)
        if v is True or (v is not False and v is not None and _truthy(v)):
            return then(r, c)
        return other(r, c)
    return if3


def _switch_match(value: Any, pattern: Any) -> bool:
    if value is None or pattern is None:
        return (value is None or value == "") and (pattern is None or pattern == "")
    return _equals(value, pattern)


@_fn("SWITCH", 2, None, lambda types: _union(_switch_results(types)), "logical",
     "SWITCH(expression, pattern1, result1, [pattern2, result2, ...], [default])",
     "The result paired with the first pattern equal to expression; else default (or blank).",
     ('SWITCH("B", "A", 1, "B", 2, 0)', 2), lazy=True)
def _switch(fns: list) -> Callable:
    expr, rest = fns[0], fns[1:]
    pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest) - 1, 2)]
    default = rest[-1] if len(rest) % 2 == 1 else None

    def switch(r, c):
        value = expr(r, c)
        if type(value) is _Err:
            return value
        for pattern, result in pairs:
            p = pattern(r, c)
            if type(p) is _Err:
                return p
            if _switch_match(value, p):
                return result(r, c)
        return default(r, c) if default is not None else None
    return switch


def _switch_results(types: list) -> list:
    rest = types[1:]
    results = rest[1::2]
    if len(rest) % 2 == 1:
        results = results + [rest[-1]]
    return results


@_fn("AND", 1, None, "boolean", "logical", "AND(logical1, [logical2, ...])",
     "TRUE when every argument (array items included) is truthy.", ("AND(1 < 2, 5 > 3)", True), lazy=True)
def _and(fns: list) -> Callable:
    def and_(r, c):
        for f in fns:
            v = f(r, c)
            if type(v) is list:
                if not all(_truthy(x) for x in _flatten(v)):
                    return False
            elif not _truthy(v):
                return False
        return True
    return and_


@_fn("OR", 1, None, "boolean", "logical", "OR(logical1, [logical2, ...])",
     "TRUE when any argument (array items included) is truthy.", ("OR(1 > 2, 5 > 3)", True), lazy=True)
def _or(fns: list) -> Callable:
    def or_(r, c):
        for f in fns:
            v = f(r, c)
            if type(v) is list:
                if any(_truthy(x) for x in _flatten(v)):
                    return True
            elif _truthy(v):
                return True
        return False
    return or_


@_fn("XOR", 1, None, "boolean", "logical", "XOR(logical1, [logical2, ...])",
     "TRUE when an odd number of arguments are truthy.", ("XOR(TRUE(), FALSE(), TRUE())", False), errors_ok=True)
def _xor(*values: Any) -> Any:
    return sum(1 for v in _flatten(values) if _truthy(v)) % 2 == 1


@_fn("NOT", 1, 1, "boolean", "logical", "NOT(logical)", "Reverses truthiness (an error stays an error).",
     ("NOT(1 > 2)", True))
def _not(v: Any) -> Any:
    return not _truthy(v)


@_fn("ISERROR", 1, 1, "boolean", "logical", "ISERROR(expression)",
     "TRUE when expression is an error value.", ("ISERROR(1 / 0)", True), errors_ok=True)
def _iserror(v: Any) -> bool:
    return type(v) is _Err


@_fn("ERROR", 0, 1, "error", "logical", "ERROR([message])", "An #ERROR! value (with an optional message).",
     ('ISERROR(ERROR("bad"))', True))
def _error_fn(message: Any = None) -> Any:
    return _error(_text(message) if message is not None else "ERROR() was called")


@_fn("BLANK", 0, 0, "blank", "logical", "BLANK()", "A blank (empty) value.", ('IF(FALSE(), 1, BLANK())', None))
def _blank() -> None:
    return None


@_fn("TRUE", 0, 0, "boolean", "logical", "TRUE()", "Logical true (1 in number context).", ("TRUE() + 1", 2))
def _true() -> bool:
    return True


@_fn("FALSE", 0, 0, "boolean", "logical", "FALSE()", "Logical false (0 in number context).",
     ("FALSE() = 0", True))
def _false() -> bool:
    return False


# --------------------------------------------------------------- text
@_fn("CONCATENATE", 1, None, "text", "text", "CONCATENATE(text1, [text2, ...])",
     "Joins its arguments as text (arrays joined with \", \").", ('CONCATENATE("Fund ", 3)', "Fund 3"))
def _concatenate(*values: Any) -> Any:
    return _concat_values(values)


def _find_in(needle: str, hay: str, start: Any, fold: bool) -> Any:
    pos = 0
    if start is not None:
        pos = _int_arg(start)
        if type(pos) is _Err:
            return pos
        pos = max(0, pos)
    if fold:
        needle, hay = needle.lower(), hay.lower()
    if pos > len(hay):
        return -1
    return hay.find(needle, pos)


@_fn("FIND", 2, 3, "number", "text", "FIND(stringToFind, whereToSearch, [startFromPosition])",
     "1-based position of stringToFind (case-sensitive) at or after the 0-based startFromPosition; 0 when absent.",
     ('FIND("Capital", "Acme Capital")', 6))
def _find(needle: Any, hay: Any, start: Any = None) -> Any:
    found = _find_in(_text(needle), _text(hay), start, False)
    return found if type(found) is _Err else found + 1


@_fn("SEARCH", 2, 3, "number", "text", "SEARCH(stringToFind, whereToSearch, [startFromPosition])",
     "Like FIND but case-insensitive, and blank when absent.", ('SEARCH("capital", "Acme Capital")', 6))
def _search(needle: Any, hay: Any, start: Any = None) -> Any:
    found = _find_in(_text(needle), _text(hay), start, True)
    if type(found) is _Err:
        return found
    return None if found < 0 else found + 1


@_fn("LEFT", 1, 2, "text", "text", "LEFT(string, [howMany])", "The first howMany characters (default 1).",
     ('LEFT("Acme Capital", 4)', "Acme"))
def _left(s: Any, count: Any = 1) -> Any:
    n = _int_arg(count)
    if type(n) is _Err:
        return n
    return _text(s)[:max(0, n)]


@_fn("RIGHT", 1, 2, "text", "text", "RIGHT(string, [howMany])", "The last howMany characters (default 1).",
     ('RIGHT("Acme Capital", 7)', "Capital"))
def _right(s: Any, count: Any = 1) -> Any:
    n = _int_arg(count)
    if type(n) is _Err:
        return n
    text = _text(s)
    return text[len(text) - n:] if n > 0 else ""


@_fn("MID", 3, 3, "text", "text", "MID(string, whereToStart, count)",
     "count characters starting at the 1-based position whereToStart.", ('MID("Acme Capital", 6, 3)', "Cap"))
def _mid(s: Any, start: Any, count: Any) -> Any:
    i, n = _int_arg(start), _int_arg(count)
    if type(i) is _Err:
        return i
    if type(n) is _Err:
        return n
    i = max(1, i) - 1
    return _text(s)[i:i + max(0, n)]


@_fn("LEN", 1, 1, "number", "text", "LEN(string)", "Number of characters.", ('LEN("quick")', 5))
def _len(s: Any) -> int:
    return len(_text(s))


@_fn("LOWER", 1, 1, "text", "text", "LOWER(string)", "Lower-case text.", ('LOWER("ACME")', "acme"))
def _lower(s: Any) -> str:
    return _text(s).lower()


@_fn("UPPER", 1, 1, "text", "text", "UPPER(string)", "Upper-case text.", ('UPPER("acme")', "ACME"))
def _upper(s: Any) -> str:
    return _text(s).upper()


@_fn("TRIM", 1, 1, "text", "text", "TRIM(string)", "Removes whitespace at the beginning and end.",
     ('TRIM("  Acme  ")', "Acme"))
def _trim(s: Any) -> str:
    return _text(s).strip()


@_fn("SUBSTITUTE", 3, 4, "text", "text", "SUBSTITUTE(string, old_text, new_text, [index])",
     "Replaces every old_text with new_text, or only the index-th (1-based) occurrence.",
     ('SUBSTITUTE("gold mold", "old", "et")', "get met"))
def _substitute(s: Any, old: Any, new: Any, index: Any = None) -> Any:
    text, old_t, new_t = _text(s), _text(old), _text(new)
    if not old_t:
        return text
    if index is None:
        count = text.count(old_t)
        if len(text) + count * (len(new_t) - len(old_t)) > MAX_TEXT:
            return _error(f"text longer than {MAX_TEXT:,} characters")
        return text.replace(old_t, new_t)
    nth = _int_arg(index)
    if type(nth) is _Err:
        return nth
    if nth < 1:
        return _value_error("SUBSTITUTE index must be 1 or more")
    pos = -len(old_t)
    for _ in range(nth):
        pos = text.find(old_t, pos + len(old_t))
        if pos < 0:
            return text
    if len(text) - len(old_t) + len(new_t) > MAX_TEXT:
        return _error(f"text longer than {MAX_TEXT:,} characters")
    return text[:pos] + new_t + text[pos + len(old_t):]


@_fn("REPLACE", 4, 4, "text", "text", "REPLACE(string, start_character, number_of_characters, replacement)",
     "Replaces number_of_characters characters from the 1-based start_character with replacement.",
     ('REPLACE("Hello Table", 7, 5, "World")', "Hello World"))
def _replace(s: Any, start: Any, count: Any, replacement: Any) -> Any:
    i, n = _int_arg(start), _int_arg(count)
    if type(i) is _Err:
        return i
    if type(n) is _Err:
        return n
    text = _text(s)
    i = max(1, i) - 1
    result = text[:i] + _text(replacement) + text[i + max(0, n):]
    if len(result) > MAX_TEXT:
        return _error(f"text longer than {MAX_TEXT:,} characters")
    return result


@_fn("REPT", 2, 2, "text", "text", "REPT(string, number)", "The string repeated number times.",
     ('REPT("ab", 3)', "ababab"))
def _rept(s: Any, times: Any) -> Any:
    n = _int_arg(times)
    if type(n) is _Err:
        return n
    if n < 0:
        return _value_error("REPT needs a count of 0 or more")
    text = _text(s)
    if len(text) * n > MAX_TEXT:
        return _error(f"text longer than {MAX_TEXT:,} characters")
    return text * n


@_fn("T", 1, 1, "text", "text", "T(value)", "value when it is text, else blank.", ("T(100)", None))
def _t(v: Any) -> Any:
    return v if type(v) is str else None


@_fn("ENCODE_URL_COMPONENT", 1, 1, "text", "text", "ENCODE_URL_COMPONENT(component_string)",
     "Percent-encodes text for a URL; leaves letters, digits and - _ . ~ as they are.",
     ('ENCODE_URL_COMPONENT("chicken & waffles")', "chicken%20%26%20waffles"))
def _encode_url(s: Any) -> Any:
    try:
        return urllib.parse.quote(_text(s), safe="")
    except UnicodeEncodeError:
        return _error("text cannot be encoded (invalid characters)")


# --------------------------------------------------------------- regular expressions (RE2)
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 8 << 20


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    if len(pattern) > MAX_PATTERN:
        return _error(f"regular expression longer than {MAX_PATTERN:,} characters")
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except Exception as exc:  # re2.error carries bytes
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return _error(f"invalid regular expression: {_short(str(detail), 80)}")


def _regex_inputs(s: Any, pattern: Any) -> tuple[Any, Any]:
    text = _text(s)
    if len(text) > MAX_REGEX_INPUT:
        return _error(f"text longer than {MAX_REGEX_INPUT:,} characters for a regular expression"), None
    return text, _regex(_text(pattern))


@_fn("REGEX_MATCH", 2, 2, "boolean", "text", "REGEX_MATCH(string, regex)",
     "TRUE when the RE2 regular expression matches somewhere in string.",
     ('REGEX_MATCH("deal@acme.vc", "@acme\\\\.")', True))
def _regex_match(s: Any, pattern: Any) -> Any:
    text, rx = _regex_inputs(s, pattern)
    if type(text) is _Err:
        return text
    if type(rx) is _Err:
        return rx
    return rx.search(text) is not None


@_fn("REGEX_EXTRACT", 2, 2, "text", "text", "REGEX_EXTRACT(string, regex)",
     "The first substring matching the RE2 regular expression (#ERROR! when none).",
     ('REGEX_EXTRACT("Series B 2026", "[0-9]+")', "2026"))
def _regex_extract(s: Any, pattern: Any) -> Any:
    text, rx = _regex_inputs(s, pattern)
    if type(text) is _Err:
        return text
    if type(rx) is _Err:
        return rx
    m = rx.search(text)
    if m is None:
        return _error("REGEX_EXTRACT found no match")
    return m.group(0)


_REPLACEMENT_TOKEN = re.compile(r"\$(?:(\$)|(&)|(`)|(')|(\d{1,2})|<([^>]*)>)")


def _expand(template: str, m: Any, text: str, groups: int, names: Mapping[str, int]) -> str:
    """JavaScript String.replace expansion: $$, $&, $`, $', $1..$99, $<name>."""
    if "$" not in template:
        return template

    def sub(t: re.Match) -> str:
        if t.group(1):
            return "$"
        if t.group(2):
            return m.group(0)
        if t.group(3):
            return text[:m.start()]
        if t.group(4):
            return text[m.end():]
        if t.group(5):
            digits = t.group(5)
            if len(digits) == 2 and int(digits) > groups:
                one = int(digits[0])
                if 1 <= one <= groups:
                    return (m.group(one) or "") + digits[1]
                return t.group(0)
            index = int(digits)
            if 1 <= index <= groups:
                return m.group(index) or ""
            return t.group(0)
        name = t.group(6)
        if name in names:
            return m.group(names[name]) or ""
        return t.group(0)
    return _REPLACEMENT_TOKEN.sub(sub, template)


@_fn("REGEX_REPLACE", 3, 3, "text", "text", "REGEX_REPLACE(string, regex, replacement)",
     "Replaces every match of the RE2 regular expression; $1, $2, $& in replacement insert groups.",
     ('REGEX_REPLACE("555-123-4567", "[^0-9]", "")', "5551234567"))
def _regex_replace(s: Any, pattern: Any, replacement: Any) -> Any:
    text, rx = _regex_inputs(s, pattern)
    if type(text) is _Err:
        return text
    if type(rx) is _Err:
        return rx
    template = _text(replacement)
    parts, last, total = [], 0, 0
    groups, names = rx.groups, rx.groupindex
    for m in rx.finditer(text):
        piece = text[last:m.start()] + _expand(template, m, text, groups, names)
        total += len(piece)
        if total > MAX_TEXT:
            return _error(f"text longer than {MAX_TEXT:,} characters")
        parts.append(piece)
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


# --------------------------------------------------------------- numbers
def _numeric_items(values: Any) -> Any:
    """Aggregate arguments as numbers: arrays flattened, blank = 0, non-numeric text skipped."""
    out = []
    for v in _flatten(values):
        t = type(v)
        if t is int or t is float:
            out.append(v)
        elif v is None:
            out.append(0)
        elif t is bool:
            out.append(1 if v else 0)
        elif t is str:
            n = _number_from_text(v)
            if type(n) is not _Err:
                out.append(n)
        elif t is _Err:
            return v
    return out


def _number_fn(fn: Callable) -> Callable:
    """Wrap impl(number, ...) so that every argument is taken in number context."""
    def wrapped(*values):
        nums = []
        for v in values:
            n = _num(v)
            if type(n) is _Err:
                return n
            nums.append(n)
        try:
            return _number_result(fn(*nums))
        except OverflowError:
            return _num_error("the result is too large")
        except (ValueError, ZeroDivisionError, ArithmeticError):
            return _num_error("the result is not a finite number")
    wrapped.__name__ = fn.__name__
    return wrapped


def _register_number(name: str, lo: int, hi: int | None, signature: str, description: str,
                     example: tuple) -> Callable:
    def register(fn: Callable) -> Callable:
        _fn(name, lo, hi, "number", "numeric", signature, description, example)(_number_fn(fn))
        return fn
    return register


@_register_number("ABS", 1, 1, "ABS(value)", "Absolute value.", ("ABS(-4.5)", 4.5))
def _abs(x):
    return abs(x)


@_fn("SUM", 1, None, "number", "numeric", "SUM(number1, [number2, ...])",
     "Sum of the numbers (arrays flattened, blanks count as 0).", ("SUM(100, 200, 300)", 600))
def _sum(*values: Any) -> Any:
    items = _numeric_items(values)
    if type(items) is _Err:
        return items
    try:
        total = math.fsum(items) if any(type(x) is float for x in items) else sum(items)
    except OverflowError:
        return _num_error("the sum is too large")
    return _number_result(total)


@_fn("AVERAGE", 1, None, "number", "numeric", "AVERAGE(number1, [number2, ...])",
     "Arithmetic mean (blanks count as 0).", ("AVERAGE(100, 200, 300)", 200))
def _average(*values: Any) -> Any:
    items = _numeric_items(values)
    if type(items) is _Err:
        return items
    if not items:
        return _Err("#DIV/0!", "AVERAGE of no numbers")
    try:
        return _number_result(math.fsum(items) / len(items))
    except OverflowError:
        return _num_error("the sum is too large")


def _extreme(values: tuple, pick: Callable) -> Any:
    flat = _flatten(values)
    present = [v for v in flat if v is not None and v != ""]
    if present and all(type(v) is datetime for v in present):
        return pick(present)
    items = _numeric_items(tuple(v for v in flat if type(v) is not datetime))
    if type(items) is _Err:
        return items
    return pick(items) if items else 0


def _extreme_type(types: list) -> str:
    return "date" if types and all(t == "date" for t in types) else "number"


@_fn("MAX", 1, None, _extreme_type, "numeric", "MAX(number1, [number2, ...])",
     "Largest number (or latest date when every argument is a date).", ("MAX(3, 7, 5)", 7))
def _max(*values: Any) -> Any:
    return _extreme(values, max)


@_fn("MIN", 1, None, _extreme_type, "numeric", "MIN(number1, [number2, ...])",
     "Smallest number (or earliest date when every argument is a date).", ("MIN(3, 7, 5)", 3))
def _min(*values: Any) -> Any:
    return _extreme(values, min)


@_fn("COUNT", 1, None, "number", "numeric", "COUNT(value1, [value2, ...])",
     "How many arguments (array items included) are numbers.", ('COUNT(1, "two", 3, BLANK())', 2))
def _count(*values: Any) -> int:
    return sum(1 for v in _flatten(values) if type(v) is int or type(v) is float)


@_fn("COUNTA", 1, None, "number", "numeric", "COUNTA(value1, [value2, ...])",
     "How many arguments are non-empty (not blank, \"\" or FALSE).", ('COUNTA(1, "", "two", BLANK())', 2),
     errors_ok=True)
def _counta(*values: Any) -> int:
    return sum(1 for v in _flatten(values) if not (v is None or v == "" or v is False))


@_fn("COUNTALL", 1, None, "number", "numeric", "COUNTALL(value1, [value2, ...])",
     "How many arguments there are, blanks included.", ('COUNTALL(1, "", BLANK())', 3), errors_ok=True)
def _countall(*values: Any) -> int:
    return len(_flatten(values))


def _dec(x: int | float) -> Decimal:
    return Decimal(x) if type(x) is int else Decimal(repr(x))


def _to_number(d: Decimal, integral: bool) -> int | float:
    if integral:
        return int(d)
    f = float(d)
    return int(f) if f.is_integer() and abs(f) < _BIG else f


def _round_to(x: Any, places: Any, mode: str) -> Any:
    p = _int_arg(places)
    if type(p) is _Err:
        return p
    if type(x) is float and (x != x or x in (math.inf, -math.inf)):
        return _num_error("not a finite number")
    if p > 20 or (type(x) is int and p >= 0):
        return x
    if p < -400:
        return 0
    with localcontext() as ctx:
        ctx.prec = 500
        q = Decimal(1).scaleb(-p)
        rounded = _dec(x).quantize(q, rounding=mode)
    return _to_number(rounded, p <= 0)


@_fn("ROUND", 1, 2, "number", "numeric", "ROUND(value, [precision])",
     "Rounds to precision decimal places (negative: tens, hundreds...); ties go toward +infinity.",
     ("ROUND(2.456, 2)", 2.46))
def _round(v: Any, places: Any = 0) -> Any:
    x = _num(v)
    if type(x) is _Err:
        return x
    return _round_to(x, places, ROUND_HALF_UP if x >= 0 else ROUND_HALF_DOWN)


@_fn("ROUNDUP", 1, 2, "number", "numeric", "ROUNDUP(value, [precision])",
     "Rounds away from zero to precision decimal places.", ("ROUNDUP(-1.1, 0)", -2))
def _roundup(v: Any, places: Any = 0) -> Any:
    x = _num(v)
    return x if type(x) is _Err else _round_to(x, places, ROUND_UP)


@_fn("ROUNDDOWN", 1, 2, "number", "numeric", "ROUNDDOWN(value, [precision])",
     "Rounds toward zero to precision decimal places.", ("ROUNDDOWN(1.99, 1)", 1.9))
def _rounddown(v: Any, places: Any = 0) -> Any:
    x = _num(v)
    return x if type(x) is _Err else _round_to(x, places, ROUND_DOWN)


def _multiple(v: Any, significance: Any, mode: str) -> Any:
    x, s = _num(v), _num(significance)
    if type(x) is _Err:
        return x
    if type(s) is _Err:
        return s
    if s == 0:
        return 0
    if any(type(n) is float and (n != n or n in (math.inf, -math.inf)) for n in (x, s)):
        return _num_error("not a finite number")
    with localcontext() as ctx:
        ctx.prec = 500
        step = abs(_dec(s))
        result = (_dec(x) / step).to_integral_value(rounding=mode) * step
    return _number_result(_to_number(result, False))


@_fn("CEILING", 1, 2, "number", "numeric", "CEILING(value, [significance])",
     "Nearest multiple of significance (default 1) at or above value.", ("CEILING(1.01, 0.1)", 1.1))
def _ceiling(v: Any, significance: Any = 1) -> Any:
    return _multiple(v, significance, ROUND_CEILING)


@_fn("FLOOR", 1, 2, "number", "numeric", "FLOOR(value, [significance])",
     "Nearest multiple of significance (default 1) at or below value.", ("FLOOR(2.49, 0.1)", 2.4))
def _floor(v: Any, significance: Any = 1) -> Any:
    return _multiple(v, significance, ROUND_FLOOR)


@_register_number("EVEN", 1, 1, "EVEN(value)", "Rounds away from zero to the nearest even integer.",
                  ("EVEN(1.5)", 2))
def _even(x):
    n = math.ceil(abs(x))
    n += n % 2
    return -n if x < 0 else n


@_register_number("ODD", 1, 1, "ODD(value)", "Rounds away from zero to the nearest odd integer.",
                  ("ODD(2)", 3))
def _odd(x):
    n = math.ceil(abs(x))
    if n % 2 == 0:
        n += 1
    return -n if x < 0 else n


@_register_number("EXP", 1, 1, "EXP(power)", "e raised to power.", ("EXP(0)", 1))
def _exp(x):
    return math.exp(x)


@_fn("LOG", 1, 2, "number", "numeric", "LOG(number, [base])", "Logarithm in base (default 10).",
     ("LOG(1024, 2)", 10))
def _log(v: Any, base: Any = 10) -> Any:
    x, b = _num(v), _num(base)
    if type(x) is _Err:
        return x
    if type(b) is _Err:
        return b
    if x <= 0 or b <= 0 or b == 1:
        return _num_error("LOG needs a positive number and a positive base other than 1")
    try:
        if b == 10:
            return _number_result(math.log10(x))
        if b == 2:
            return _number_result(math.log2(x))
        return _number_result(math.log(x) / math.log(b))
    except (ValueError, OverflowError):
        return _num_error("LOG of an unusable number")


@_register_number("INT", 1, 1, "INT(value)", "Greatest integer less than or equal to value.", ("INT(-1.5)", -2))
def _int(x):
    return math.floor(x)


@_fn("MOD", 2, 2, "number", "numeric", "MOD(value, divisor)",
     "Remainder of value / divisor (takes the sign of value).", ("MOD(7, 5)", 2))
def _mod(v: Any, d: Any) -> Any:
    x, y = _num(v), _num(d)
    if type(x) is _Err:
        return x
    if type(y) is _Err:
        return y
    if y == 0:
        return _Err("#DIV/0!", "MOD by zero")
    if type(x) is int and type(y) is int:
        r = abs(x) % abs(y)
        return -r if x < 0 else r
    try:
        return _number_result(math.fmod(x, y))
    except ValueError:
        return _num_error("MOD of an infinite number")


@_register_number("POWER", 2, 2, "POWER(base, power)", "base raised to power.", ("POWER(2, 10)", 1024))
def _power(x, y):
    return math.pow(x, y)


@_fn("SQRT", 1, 1, "number", "numeric", "SQRT(value)", "Square root (#NUM! for a negative value).",
     ("SQRT(16)", 4))
def _sqrt(v: Any) -> Any:
    x = _num(v)
    if type(x) is _Err:
        return x
    if x < 0:
        return _num_error("SQRT of a negative number")
    return _number_result(math.sqrt(x))


_VALUE_JUNK = re.compile(r"[\s,$€£¥]")


@_fn("VALUE", 1, 1, "number", "numeric", "VALUE(text)",
     "Converts text to a number, ignoring $ and thousands commas; a trailing % divides by 100.",
     ('VALUE("$1,000")', 1000))
def _value(v: Any) -> Any:
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return 1 if v else 0
    if t is datetime:
        return _value_error("VALUE of a date")
    text = _text(v).strip()
    negative = len(text) > 2 and text[0] == "(" and text[-1] == ")"
    if negative:
        text = text[1:-1]
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    cleaned = _VALUE_JUNK.sub("", text)
    if not cleaned:
        return 0 if not text else _value_error(f"'{_short(_text(v))}' is not a number")
    n = _number_from_text(cleaned)
    if type(n) is _Err:
        return _value_error(f"'{_short(_text(v))}' is not a number")
    if percent:
        with localcontext() as ctx:
            ctx.prec = 40
            n = _to_number(_dec(n) / 100, False)
    return -n if negative else n


# --------------------------------------------------------------- dates
_UNIT_NAMES = {"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}
_UNIT_SHORT = {"ms": "millisecond", "s": "second", "m": "minute", "h": "hour", "d": "day", "D": "day",
               "w": "week", "M": "month", "Q": "quarter", "q": "quarter", "y": "year", "Y": "year",
               "H": "hour", "S": "second", "W": "week", "isoweek": "isoweek", "isoWeek": "isoweek",
               "date": "day", "dates": "day"}
_MS = {"millisecond": 1, "second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000,
       "week": 604_800_000}


_UNIT_CACHE: dict[str, Any] = {}


def _unit(v: Any, default: str) -> str | FormulaErrorValue:
    if v is None:
        return default
    if type(v) is str:
        unit = _UNIT_CACHE.get(v)
        if unit is None:
            unit = _parse_unit(v)
            if len(_UNIT_CACHE) < 1000:
                _UNIT_CACHE[v] = unit
        return unit or default
    return _parse_unit(_text(v)) or default


def _parse_unit(text: str) -> str | FormulaErrorValue:
    """A unit name ("days", "d", "M", "quarters", ...) in canonical form; "" when blank."""
    text = text.strip()
    if not text:
        return ""
    if text in _UNIT_SHORT:
        return _UNIT_SHORT[text]
    lower = text.lower()
    if lower in _UNIT_SHORT and lower not in ("m",):
        return _UNIT_SHORT[lower]
    if lower.endswith("s") and lower[:-1] in _UNIT_NAMES:
        return lower[:-1]
    if lower in _UNIT_NAMES:
        return lower
    if lower in ("isoweek", "isoweeks"):
        return "isoweek"
    return _error(f"unknown unit '{_short(text)}' (use milliseconds, seconds, minutes, hours, days, "
                  "weeks, months, quarters or years)")


def _js_round(x: float) -> int:
    """Math.round: halves go toward +infinity."""
    return math.floor(x + 0.5)


def _abs_round(x: float) -> int:
    """moment's absRound: halves go away from zero."""
    return -_js_round(-x) if x < 0 else _js_round(x)


def _renormalize(dt: datetime) -> datetime:
    """Re-derive a zoned wall-clock result's offset (DST) after wall-clock arithmetic."""
    if dt.tzinfo is UTC:
        return dt
    return dt.astimezone(UTC).astimezone(dt.tzinfo)


def _add_months(dt: datetime, months: int) -> datetime:
    total = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(total, 12)
    day = min(dt.day, monthrange(year, month + 1)[1]) if 1 <= year <= 9999 else dt.day
    return _renormalize(dt.replace(year=year, month=month + 1, day=day))


def _date_add(dt: datetime, amount: float, unit: str) -> datetime:
    if unit in ("year", "quarter", "month"):
        months = amount * {"year": 12, "quarter": 3, "month": 1}[unit]
        return _add_months(dt, _abs_round(months))
    if unit in ("day", "week", "isoweek"):
        days = _abs_round(amount * (1 if unit == "day" else 7))
        return _renormalize(dt + timedelta(days=days))
    ms = amount * _MS[unit]
    return (dt.astimezone(UTC) + timedelta(milliseconds=math.trunc(ms))).astimezone(dt.tzinfo)


def _epoch_ms(dt: datetime) -> float:
    return dt.timestamp() * 1000


def _month_diff(a: datetime, b: datetime) -> float:
    """moment's monthDiff(a, b): months from b back to a, fractional."""
    if a.day < b.day:
        return -_month_diff(b, a)
    whole = (b.year - a.year) * 12 + (b.month - a.month)
    anchor = _add_months(a, whole)
    b_ms, anchor_ms = _epoch_ms(b), _epoch_ms(anchor)
    if b_ms - anchor_ms < 0:
        anchor2 = _add_months(a, whole - 1)
        adjust = (b_ms - anchor_ms) / (anchor_ms - _epoch_ms(anchor2))
    else:
        anchor2 = _add_months(a, whole + 1)
        adjust = (b_ms - anchor_ms) / (_epoch_ms(anchor2) - anchor_ms)
    return -(whole + adjust) or 0.0


_ONE_MS = timedelta(milliseconds=1)


def _date_diff(a: datetime, b: datetime, unit: str) -> int:
    """a - b in unit, truncated toward zero (moment's diff, in a's time zone)."""
    if b.tzinfo is not a.tzinfo:
        b = b.astimezone(a.tzinfo)
    if unit in ("year", "quarter", "month"):
        value = _month_diff(a, b) / {"year": 12, "quarter": 3, "month": 1}[unit]
    else:
        delta = (a - b) / _ONE_MS
        if a.tzinfo is not UTC and unit in ("day", "week", "isoweek"):
            delta -= (b.utcoffset() - a.utcoffset()) / _ONE_MS    # DST: a calendar day is a day
        value = delta / _MS["week" if unit == "isoweek" else unit]
    return math.trunc(round(value, 9))


def _start_of(dt: datetime, unit: str) -> datetime:
    if unit == "millisecond":
        return dt.replace(microsecond=dt.microsecond // 1000 * 1000)
    if unit == "second":
        return dt.replace(microsecond=0)
    if unit == "minute":
        return dt.replace(second=0, microsecond=0)
    if unit == "hour":
        return dt.replace(minute=0, second=0, microsecond=0)
    day = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=(day.weekday() + 1) % 7)
    if unit == "isoweek":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _guard_range(fn: Callable) -> Callable:
    """Date arithmetic past year 1..9999 (Python's range) becomes #NUM! instead of an exception."""
    def wrapped(*args):
        try:
            return fn(*args)
        except (OverflowError, ValueError):
            return _num_error("the date is out of range")
    wrapped.__name__ = fn.__name__
    return wrapped


def _date_fn(fn: Callable) -> Callable:
    """Wrap impl(datetime, ...) so that the first argument is taken in date context."""
    def wrapped(v, *rest):
        d = _date(v)
        if type(d) is _Err:
            return d
        return fn(d, *rest)
    wrapped.__name__ = fn.__name__
    return _guard_range(wrapped)


def _register_date(name: str, lo: int, hi: int | None, returns: str, signature: str, description: str,
                   example: tuple, **flags: Any) -> Callable:
    def register(fn: Callable) -> Callable:
        _fn(name, lo, hi, returns, "date", signature, description, example, **flags)(_date_fn(fn))
        return fn
    return register


@_fn("TODAY", 0, 0, "date", "date", "TODAY()", "Today's date (midnight UTC).",
     ("DATESTR(TODAY())", "2026-06-14"), needs_ctx=True, pure=False, volatile=True)
def _today(ctx: EvalContext) -> datetime:
    return ctx.today


@_fn("NOW", 0, 0, "date", "date", "NOW()", "The current date and time.",
     ("NOW()", "2026-06-14T15:30:00.000Z"), needs_ctx=True, pure=False, volatile=True)
def _now(ctx: EvalContext) -> datetime:
    return ctx.now


@_register_date("YEAR", 1, 1, "number", "YEAR(date)", "Four-digit year.", ('YEAR("2026-06-14")', 2026))
def _year(d):
    return d.year


@_register_date("MONTH", 1, 1, "number", "MONTH(date)", "Month, 1 (January) to 12.", ('MONTH("2026-06-14")', 6))
def _month(d):
    return d.month


@_register_date("DAY", 1, 1, "number", "DAY(date)", "Day of the month, 1 to 31.", ('DAY("2026-06-14")', 14))
def _day(d):
    return d.day


@_register_date("HOUR", 1, 1, "number", "HOUR(datetime)", "Hour, 0 to 23.",
                ('HOUR("2026-06-14T15:45:30.000Z")', 15))
def _hour(d):
    return d.hour


@_register_date("MINUTE", 1, 1, "number", "MINUTE(datetime)", "Minute, 0 to 59.",
                ('MINUTE("2026-06-14T15:45:30.000Z")', 45))
def _minute(d):
    return d.minute


@_register_date("SECOND", 1, 1, "number", "SECOND(datetime)", "Second, 0 to 59.",
                ('SECOND("2026-06-14T15:45:30.000Z")', 30))
def _second(d):
    return d.second


def _monday_start(v: Any) -> bool:
    return v is not None and _text(v).strip().lower().startswith("mon")


@_register_date("WEEKDAY", 1, 2, "number", "WEEKDAY(date, [startDayOfWeek])",
                "Day of the week, 0 (Sunday) to 6; with \"Monday\", 0 is Monday.",
                ('WEEKDAY("2026-06-14")', 0))
def _weekday(d, start=None):
    return d.weekday() if _monday_start(start) else (d.weekday() + 1) % 7


@_register_date("WEEKNUM", 1, 2, "number", "WEEKNUM(date, [startDayOfWeek])",
                "Week of the year; week 1 contains January 1; weeks start Sunday (or \"Monday\").",
                ('WEEKNUM("2013-02-17")', 8))
def _weeknum(d, start=None):
    jan1 = date(d.year, 1, 1)
    offset = jan1.weekday() if _monday_start(start) else (jan1.weekday() + 1) % 7
    return (d.timetuple().tm_yday - 1 + offset) // 7 + 1


@_register_date("DATEADD", 3, 3, "date", "DATEADD(date, count, units)",
                "date plus count units (months clamp to the month's last day).",
                ('DATEADD("2026-01-31", 1, "months")', "2026-02-28T00:00:00.000Z"))
def _dateadd(d, count, units):
    n = _num(count)
    if type(n) is _Err:
        return n
    unit = _unit(units, "")
    if type(unit) is _Err:
        return unit
    if not unit:
        return _error("DATEADD needs a unit")
    if type(n) is float and (n != n or abs(n) > 1e12):
        return _num_error("DATEADD count out of range")
    return _date_add(d, n, unit)


@_fn("DATETIME_DIFF", 2, 3, "number", "date", "DATETIME_DIFF(date1, date2, [units])",
     "date1 - date2 in units (default seconds), truncated toward zero.",
     ('DATETIME_DIFF("2026-06-14", "2026-06-01", "days")', 13))
@_guard_range
def _datetime_diff(a: Any, b: Any, units: Any = None) -> Any:
    x, y = _date(a), _date(b)
    if type(x) is _Err:
        return x
    if type(y) is _Err:
        return y
    unit = _unit(units, "second")
    if type(unit) is _Err:
        return unit
    return _date_diff(x, y, unit)


@_guard_range
def _fromnow(ctx: EvalContext, v: Any, units: Any = None) -> Any:
    d = _date(v)
    if type(d) is _Err:
        return d
    unit = _unit(units, "day")
    if type(unit) is _Err:
        return unit
    return abs(_date_diff(ctx.now.astimezone(d.tzinfo), d, unit))


_fn("TONOW", 1, 2, "number", "date", "TONOW(date, [units])",
    "Whole days (or units) between now and date, without sign.", ('TONOW("2026-06-01")', 13),
    needs_ctx=True, pure=False, volatile=True)(_fromnow)
_fn("FROMNOW", 1, 2, "number", "date", "FROMNOW(date, [units])",
    "Whole days (or units) between date and now, without sign.", ('FROMNOW("2026-06-24")', 9),
    needs_ctx=True, pure=False, volatile=True)(_fromnow)


@_register_date("DATESTR", 1, 1, "text", "DATESTR(date)", "The date as YYYY-MM-DD.",
                ('DATESTR("2026-06-14T23:10:00.000Z")', "2026-06-14"))
def _datestr(d):
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


@_register_date("TIMESTR", 1, 1, "text", "TIMESTR(datetime)", "The time as HH:mm:ss.",
                ('TIMESTR("2026-06-14T09:05:03.000Z")', "09:05:03"))
def _timestr(d):
    return f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}"


@_guard_range
def _compare_dates(a: Any, b: Any, units: Any, test: Callable) -> Any:
    x, y = _date(a), _date(b)
    if type(x) is _Err:
        return x
    if type(y) is _Err:
        return y
    unit = _unit(units, "millisecond")
    if type(unit) is _Err:
        return unit
    y = y.astimezone(x.tzinfo)
    return test(_start_of(x, unit), _start_of(y, unit))


@_fn("IS_SAME", 2, 3, "boolean", "date", "IS_SAME(date1, date2, [unit])",
     "TRUE when the dates fall in the same unit (exactly equal without one).",
     ('IS_SAME("2026-06-14", "2026-06-30", "month")', True))
def _is_same(a: Any, b: Any, units: Any = None) -> Any:
    return _compare_dates(a, b, units, lambda x, y: x == y)


@_fn("IS_AFTER", 2, 3, "boolean", "date", "IS_AFTER(date1, date2, [unit])", "TRUE when date1 is later than date2.",
     ('IS_AFTER("2026-06-15", "2026-06-14")', True))
def _is_after(a: Any, b: Any, units: Any = None) -> Any:
    return _compare_dates(a, b, units, lambda x, y: x > y)


@_fn("IS_BEFORE", 2, 3, "boolean", "date", "IS_BEFORE(date1, date2, [unit])",
     "TRUE when date1 is earlier than date2.", ('IS_BEFORE("2026-06-13", "2026-06-14")', True))
def _is_before(a: Any, b: Any, units: Any = None) -> Any:
    return _compare_dates(a, b, units, lambda x, y: x < y)


def _holidays(v: Any) -> Any:
    days: set[date] = set()
    if v is None:
        return days
    items = _flatten([v]) if type(v) is list else [v]
    for item in items:
        if item is None:
            continue
        if type(item) is datetime:
            days.add(item.astimezone(UTC).date())
            continue
        for piece in _text(item).split(","):
            piece = piece.strip()
            if not piece:
                continue
            d = _parse_date_text(piece)
            if d is None:
                return _error(f"holiday '{_short(piece)}' is not a date")
            days.add(d.date())
    return days


def _weekday_step(d: date, n: int) -> date:
    """n (!= 0) weekdays after (n > 0) or before (n < 0) d, ignoring holidays."""
    if n > 0:
        if d.weekday() >= 5:
            d -= timedelta(days=d.weekday() - 4)
        weeks, rem = divmod(n, 5)
        d += timedelta(weeks=weeks)
        if d.weekday() + rem > 4:
            rem += 2
        return d + timedelta(days=rem)
    if d.weekday() >= 5:
        d += timedelta(days=7 - d.weekday())
    weeks, rem = divmod(-n, 5)
    d -= timedelta(weeks=weeks)
    if d.weekday() - rem < 0:
        rem += 2
    return d - timedelta(days=rem)


@_fn("WORKDAY", 2, 3, "date", "date", "WORKDAY(startDate, numDays, [holidays])",
     "The date numDays working days (Mon-Fri, not a holiday) after startDate; holidays as "
     "\"YYYY-MM-DD, YYYY-MM-DD\".", ('WORKDAY("2026-06-12", 1)', "2026-06-15T00:00:00.000Z"))
@_guard_range
def _workday(start: Any, count: Any, holidays: Any = None) -> Any:
    d = _date(start)
    if type(d) is _Err:
        return d
    n = _int_arg(count)
    if type(n) is _Err:
        return n
    if abs(n) > MAX_WORKDAYS:
        return _num_error(f"WORKDAY counts at most {MAX_WORKDAYS:,} days")
    hol = _holidays(holidays)
    if type(hol) is _Err:
        return hol
    first = d.astimezone(UTC).date()
    result = first
    if n:
        # Step over the weekdays, then once more for each weekday holiday the range swallowed
        # (stepping on may swallow further holidays).
        skip = sorted(h for h in hol if h.weekday() < 5)
        step = 1 if n > 0 else -1
        result, counted = _weekday_step(first, n), 0
        while True:
            total = _holidays_between(skip, first, result)
            if total == counted:
                break
            result = _weekday_step(result, step * (total - counted))
            counted = total
    return datetime(result.year, result.month, result.day, tzinfo=UTC)


def _holidays_between(skip: list, first: date, result: date) -> int:
    """How many of the sorted weekday holidays lie strictly after `first` up to `result` (either side)."""
    if result >= first:
        return bisect_right(skip, result) - bisect_right(skip, first)
    return bisect_left(skip, first) - bisect_left(skip, result)


def _weekdays_inclusive(a: date, b: date) -> int:
    days = (b - a).days + 1
    weeks, rem = divmod(days, 7)
    start = a.weekday()
    return weeks * 5 + sum(1 for i in range(rem) if (start + i) % 7 < 5)


@_fn("WORKDAY_DIFF", 2, 3, "number", "date", "WORKDAY_DIFF(startDate, endDate, [holidays])",
     "Working days from startDate to endDate, both counted (negative when endDate is earlier).",
     ('WORKDAY_DIFF("2026-06-08", "2026-06-19")', 10))
@_guard_range
def _workday_diff(start: Any, end: Any, holidays: Any = None) -> Any:
    a, b = _date(start), _date(end)
    if type(a) is _Err:
        return a
    if type(b) is _Err:
        return b
    hol = _holidays(holidays)
    if type(hol) is _Err:
        return hol
    x, y = a.astimezone(UTC).date(), b.astimezone(UTC).date()
    sign = 1
    if x > y:
        x, y, sign = y, x, -1
    count = _weekdays_inclusive(x, y) - sum(1 for h in hol if x <= h <= y and h.weekday() < 5)
    return sign * count


@_fn("SET_TIMEZONE", 2, 2, "date", "date", "SET_TIMEZONE(date, tz_identifier)",
     "The same instant, shown in an IANA time zone by DATETIME_FORMAT and the date parts.",
     ('DATETIME_FORMAT(SET_TIMEZONE("2026-06-14T15:30:00.000Z", "America/New_York"), "h:mm A z")',
      "11:30 AM EDT"))
@_guard_range
def _set_timezone(v: Any, tz: Any) -> Any:
    d = _date(v)
    if type(d) is _Err:
        return d
    zone = _zone(_text(tz).strip())
    if type(zone) is _Err:
        return zone
    return d.astimezone(zone)


@_fn("SET_LOCALE", 2, 2, "date", "date", "SET_LOCALE(date, locale_modifier)",
     "The date, formatted in locale by DATETIME_FORMAT (only English names; other locales fall back to it).",
     ('DATETIME_FORMAT(SET_LOCALE("2026-06-14", "fr"), "MMMM")', "June"))
def _set_locale(v: Any, locale: Any) -> Any:
    return _date(v)


# ---- DATETIME_FORMAT (moment.js tokens, English)
_LOCAL_FORMATS = {"LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
                  "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A", "l": "M/D/YYYY",
                  "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A", "llll": "ddd, MMM D, YYYY h:mm A"}
_LOCAL_TOKEN = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")
_FORMAT_TOKEN = re.compile(
    r"\[[^\[]*\]|\\.|[Hh]mm(?:ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?|YYYYYY|YYYYY|"
    r"YYYY|YY|y{2,4}|yo?|Y|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?|.", re.S)
_MONTH_NAMES = [m.capitalize() for m in _MONTHS]
_DAY_NAMES = [d.capitalize() for d in _DAYS]


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _locale_week(d: datetime) -> tuple[int, int]:
    """(week, week-year) in moment's English locale: weeks start Sunday, Jan 1 is in week 1."""
    start = date(d.year, d.month, d.day)
    sunday = start - timedelta(days=(start.weekday() + 1) % 7)
    saturday = sunday + timedelta(days=6)
    year = saturday.year               # the week holding Jan 1 of a year is week 1 of that year
    jan1 = date(year, 1, 1)
    first_sunday = jan1 - timedelta(days=(jan1.weekday() + 1) % 7)
    return (sunday - first_sunday).days // 7 + 1, year


def _offset_text(d: datetime, colon: bool) -> str:
    offset = d.utcoffset() or timedelta(0)
    total = int(offset.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"


def _hour12(d: datetime) -> int:
    return d.hour % 12 or 12


def _zone_name(d: datetime) -> str:
    name = d.tzname() or ""
    return "UTC" if name in ("UTC", "UTC+00:00") else name


_FORMATTERS: dict[str, Callable[[datetime], str]] = {
    "M": lambda d: str(d.month), "Mo": lambda d: _ordinal(d.month), "MM": lambda d: f"{d.month:02d}",
    "MMM": lambda d: _MONTH_NAMES[d.month - 1][:3], "MMMM": lambda d: _MONTH_NAMES[d.month - 1],
    "Q": lambda d: str((d.month - 1) // 3 + 1), "Qo": lambda d: _ordinal((d.month - 1) // 3 + 1),
    "D": lambda d: str(d.day), "Do": lambda d: _ordinal(d.day), "DD": lambda d: f"{d.day:02d}",
    "DDD": lambda d: str(d.timetuple().tm_yday), "DDDo": lambda d: _ordinal(d.timetuple().tm_yday),
    "DDDD": lambda d: f"{d.timetuple().tm_yday:03d}",
    "d": lambda d: str((d.weekday() + 1) % 7), "do": lambda d: _ordinal((d.weekday() + 1) % 7),
    "dd": lambda d: _DAY_NAMES[(d.weekday() + 1) % 7][:2], "ddd": lambda d: _DAY_NAMES[(d.weekday() + 1) % 7][:3],
    "dddd": lambda d: _DAY_NAMES[(d.weekday() + 1) % 7],
    "e": lambda d: str((d.weekday() + 1) % 7), "E": lambda d: str(d.isoweekday()),
    "w": lambda d: str(_locale_week(d)[0]), "wo": lambda d: _ordinal(_locale_week(d)[0]),
    "ww": lambda d: f"{_locale_week(d)[0]:02d}",
    "W": lambda d: str(d.isocalendar()[1]), "Wo": lambda d: _ordinal(d.isocalendar()[1]),
    "WW": lambda d: f"{d.isocalendar()[1]:02d}",
    "YYYY": lambda d: f"{d.year:04d}", "YY": lambda d: f"{d.year % 100:02d}", "Y": lambda d: f"{d.year:04d}",
    "YYYYY": lambda d: f"{d.year:05d}", "YYYYYY": lambda d: f"+{d.year:06d}",
    "gg": lambda d: f"{_locale_week(d)[1] % 100:02d}", "gggg": lambda d: f"{_locale_week(d)[1]:04d}",
    "ggggg": lambda d: f"{_locale_week(d)[1]:05d}",
    "GG": lambda d: f"{d.isocalendar()[0] % 100:02d}", "GGGG": lambda d: f"{d.isocalendar()[0]:04d}",
    "GGGGG": lambda d: f"{d.isocalendar()[0]:05d}",
    "A": lambda d: "AM" if d.hour < 12 else "PM", "a": lambda d: "am" if d.hour < 12 else "pm",
    "H": lambda d: str(d.hour), "HH": lambda d: f"{d.hour:02d}",
    "h": lambda d: str(_hour12(d)), "hh": lambda d: f"{_hour12(d):02d}",
    "k": lambda d: str(d.hour or 24), "kk": lambda d: f"{d.hour or 24:02d}",
    "m": lambda d: str(d.minute), "mm": lambda d: f"{d.minute:02d}",
    "s": lambda d: str(d.second), "ss": lambda d: f"{d.second:02d}",
    "Hmm": lambda d: f"{d.hour}{d.minute:02d}", "Hmmss": lambda d: f"{d.hour}{d.minute:02d}{d.second:02d}",
    "hmm": lambda d: f"{_hour12(d)}{d.minute:02d}",
    "hmmss": lambda d: f"{_hour12(d)}{d.minute:02d}{d.second:02d}",
    "Z": lambda d: _offset_text(d, True), "ZZ": lambda d: _offset_text(d, False),
    "z": _zone_name, "zz": _zone_name,
    "X": lambda d: str(math.floor(d.timestamp())), "x": lambda d: str(math.floor(d.timestamp() * 1000)),
}


def _fraction(d: datetime, width: int) -> str:
    ms = d.microsecond // 1000
    if width <= 3:
        return f"{ms:03d}"[:width]
    return f"{ms:03d}" + "0" * (width - 3)


def _expand_local(fmt: str) -> str:
    for _ in range(5):
        expanded = _LOCAL_TOKEN.sub(lambda m: m.group(1) or (m.group(3) if m.group(2) else
                                                              _LOCAL_FORMATS[m.group(3)]), fmt)
        if expanded == fmt:
            break
        fmt = expanded
    return fmt


@lru_cache(maxsize=256)
def _format_plan(fmt: str) -> tuple:
    plan = []
    for tok in _FORMAT_TOKEN.findall(_expand_local(fmt)):
        if tok.startswith("[") and tok.endswith("]") and len(tok) >= 2:
            plan.append(tok[1:-1])
        elif tok.startswith("\\") and len(tok) == 2:
            plan.append(tok[1])
        elif tok in _FORMATTERS:
            plan.append(_FORMATTERS[tok])
        elif tok[0] == "S" and set(tok) == {"S"}:
            width = len(tok)
            plan.append(lambda d, w=width: _fraction(d, w))
        else:
            plan.append(tok)
    return tuple(plan)


def _format_date(d: datetime, fmt: str) -> str:
    return "".join(part if type(part) is str else part(d) for part in _format_plan(fmt))


_ISO_LOCAL = "YYYY-MM-DD[T]HH:mm:ss.SSSZ"


@_fn("DATETIME_FORMAT", 1, 2, "text", "date", "DATETIME_FORMAT(date, [output_format])",
     "Formats a date with moment.js tokens (default: ISO 8601).",
     ('DATETIME_FORMAT("2026-06-14", "M/D/YYYY")', "6/14/2026"))
@_guard_range
def _datetime_format(v: Any, fmt: Any = None) -> Any:
    d = _date(v)
    if type(d) is _Err:
        return d
    pattern = _text(fmt) if fmt is not None else ""
    if len(pattern) > 1000:
        return _error("format longer than 1,000 characters")
    if not pattern:
        return _iso(d) if d.utcoffset() == timedelta(0) and d.tzinfo is UTC else _format_date(d, _ISO_LOCAL)
    return _format_date(d, pattern)


# ---- DATETIME_PARSE (moment.js tokens, forgiving like moment's non-strict mode)
_PARSE_TOKENS = {
    "YYYYYY": r"[+-]?\d{1,6}", "YYYYY": r"\d{1,5}", "YYYY": r"\d{1,4}", "YY": r"\d\d", "Y": r"[+-]?\d+",
    "M": r"\d{1,2}", "MM": r"\d{1,2}", "Mo": r"\d{1,2}(?:st|nd|rd|th)", "MMM": f"(?:{_MONTH_ALT})\\.?",
    "MMMM": f"(?:{_MONTH_ALT})", "D": r"\d{1,2}", "DD": r"\d{1,2}", "Do": r"\d{1,2}(?:st|nd|rd|th)?",
    "DDD": r"\d{1,3}", "DDDD": r"\d{1,3}", "d": r"\d", "e": r"\d", "E": r"\d",
    "dd": f"(?:{_DAY_ALT})", "ddd": f"(?:{_DAY_ALT})", "dddd": f"(?:{_DAY_ALT})",
    "H": r"\d{1,2}", "HH": r"\d{1,2}", "h": r"\d{1,2}", "hh": r"\d{1,2}", "k": r"\d{1,2}", "kk": r"\d{1,2}",
    "m": r"\d{1,2}", "mm": r"\d{1,2}", "s": r"\d{1,2}", "ss": r"\d{1,2}", "a": r"[ap]\.?m?\.?",
    "A": r"[ap]\.?m?\.?", "Z": r"z|[+-]\d\d(?::?\d\d)?", "ZZ": r"z|[+-]\d\d(?::?\d\d)?", "X": r"-?\d+(?:\.\d+)?",
    "x": r"-?\d+", "Q": r"[1-4]", "w": r"\d{1,2}", "ww": r"\d{1,2}", "W": r"\d{1,2}", "WW": r"\d{1,2}",
    "gggg": r"\d{4}", "GGGG": r"\d{4}",
}


@lru_cache(maxsize=256)
def _parse_plan(fmt: str) -> Any:
    kinds, parts = [], ["(?i)^\\s*"]
    literal = []

    def flush():
        text = "".join(literal).strip()
        literal.clear()
        if text:
            parts.append("\\s*(?:" + re2.escape(text) + ")?\\s*")
    for tok in _FORMAT_TOKEN.findall(_expand_local(fmt)):
        if tok.startswith("[") and tok.endswith("]") and len(tok) >= 2:
            literal.append(tok[1:-1])
            continue
        if tok.startswith("\\") and len(tok) == 2:
            literal.append(tok[1])
            continue
        pattern = _PARSE_TOKENS.get(tok) or (r"\d+" if set(tok) == {"S"} else None)
        if pattern is None:
            literal.append(tok)
            continue
        flush()
        parts.append(f"[^0-9A-Za-z+-]*({pattern})")
        kinds.append(tok)
    flush()
    try:
        return kinds, re2.compile("".join(parts), options=_RE2_OPTIONS)
    except Exception:
        return _error("the date format cannot be used")


def _parse_with_format(text: str, fmt: str, now: datetime) -> Any:
    plan = _parse_plan(fmt)
    if type(plan) is _Err:
        return plan
    kinds, rx = plan
    m = rx.match(text)
    if m is None:
        return _error(f"'{_short(text)}' does not match the format '{_short(fmt)}'")
    parts: dict[str, Any] = {}
    for kind, value in zip(kinds, m.groups()):
        if value is None:
            continue
        v = value.lower()
        head = kind[0]
        if head == "Y" and kind != "YY":
            parts["year"] = int(v)
        elif kind == "YY":
            y = int(v)
            parts["year"] = y + (1900 if y > 68 else 2000)
        elif kind in ("M", "MM", "Mo"):
            parts["month"] = int(re.sub(r"\D", "", v))
        elif kind in ("MMM", "MMMM"):
            parts["month"] = _MONTH_LOOKUP[v.rstrip(".")]
        elif kind in ("D", "DD", "Do"):
            parts["day"] = int(re.sub(r"\D", "", v))
        elif kind in ("DDD", "DDDD"):
            parts["yday"] = int(v)
        elif kind in ("H", "HH", "k", "kk"):
            parts["hour"] = int(v) % 24 if kind[0] == "k" else int(v)
        elif kind in ("h", "hh"):
            parts["hour12"] = int(v)
        elif kind in ("a", "A"):
            parts["pm"] = v.startswith("p")
        elif kind in ("m", "mm"):
            parts["minute"] = int(v)
        elif kind in ("s", "ss"):
            parts["second"] = int(v)
        elif head == "S":
            parts["micro"] = int(v[:6].ljust(6, "0"))
        elif kind in ("Z", "ZZ"):
            parts["offset"] = _offset_from(v if v != "z" else None) or timedelta(0)
        elif kind == "X":
            parts["epoch_ms"] = float(v) * 1000
        elif kind == "x":
            parts["epoch_ms"] = float(v)
        elif kind == "Q":
            parts.setdefault("month", (int(v) - 1) * 3 + 1)
    if "epoch_ms" in parts:
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=parts["epoch_ms"])
        except OverflowError:
            return _num_error("the date is out of range")
    hour = parts.get("hour", 0)
    if "hour12" in parts:
        hour = parts["hour12"] % 12 + (12 if parts.get("pm") else 0)
    elif parts.get("pm") and hour < 12:
        hour += 12
    # like moment: date parts before the first given one come from today, later ones start at 1
    given = [k in parts for k in ("year", "month", "day")]
    defaults = [now.year, now.month, now.day]
    if any(given):
        first = given.index(True)
        defaults = [now.year, now.month, now.day][:first] + [1, 1, 1][first:]
    year = parts.get("year", defaults[0])
    month = parts.get("month", defaults[1])
    day = parts.get("day", defaults[2])
    if "yday" in parts:
        try:
            base = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=parts["yday"] - 1)
        except (ValueError, OverflowError):
            return _error("day of year out of range")
        month, day = base.month, base.day
    result = _build_datetime(year, month, day, hour, parts.get("minute", 0), parts.get("second", 0),
                             parts.get("micro", 0), parts.get("offset"))
    if result is None:
        return _error(f"'{_short(text)}' is not a valid date")
    return result


@_fn("DATETIME_PARSE", 1, 3, "date", "date", "DATETIME_PARSE(date, [input_format], [locale])",
     "Reads text as a date: ISO and common US/English forms, or with moment.js format tokens.",
     ('DATETIME_PARSE("14 Jun 2026 18:00", "D MMM YYYY HH:mm")', "2026-06-14T18:00:00.000Z"),
     needs_ctx=True, pure=False)
@_guard_range
def _datetime_parse(ctx: EvalContext, v: Any, fmt: Any = None, locale: Any = None) -> Any:
    if type(v) is datetime:
        return v
    if v is None:
        return _error("expected a date, got a blank value")
    text = _text(v)
    if len(text) > 200:
        return _error("date text longer than 200 characters")
    pattern = _text(fmt).strip() if fmt is not None else ""
    if not pattern:
        return _date(text)
    if len(pattern) > 200:
        return _error("format longer than 200 characters")
    return _parse_with_format(text, pattern, ctx.now)


# --------------------------------------------------------------- record
def _context_date(value: Any) -> Any:
    if value is None or value == "":
        return None
    return _date(value)


@_fn("RECORD_ID", 0, 0, "text", "record", "RECORD_ID()", "The record's id.", ("RECORD_ID()", "rec123"),
     needs_ctx=True, pure=False)
def _record_id(ctx: EvalContext) -> Any:
    return ctx.record_id


@_fn("CREATED_TIME", 0, 0, "date", "record", "CREATED_TIME()", "When the record was created.",
     ("CREATED_TIME()", "2026-01-05T09:00:00.000Z"), needs_ctx=True, pure=False)
def _created_time(ctx: EvalContext) -> Any:
    return _context_date(ctx.created_time)


@_fn("LAST_MODIFIED_TIME", 0, None, "date", "record", "LAST_MODIFIED_TIME([{field1}, ...])",
     "When the record was last modified (field arguments are accepted; the record's time is used).",
     ("LAST_MODIFIED_TIME()", "2026-06-10T12:00:00.000Z"), needs_ctx=True, pure=False, errors_ok=True)
def _last_modified_time(ctx: EvalContext, *fields: Any) -> Any:
    return _context_date(ctx.last_modified_time)


# --------------------------------------------------------------- arrays
def _as_items(v: Any) -> list:
    if v is None:
        return []
    return v if type(v) is list else [v]


@_fn("ARRAYJOIN", 1, 2, "text", "array", "ARRAYJOIN(array, [separator])",
     "The items as text joined by separator (default \", \").", ('ARRAYJOIN(ARRAYCOMPACT("a", "", "b"), "; ")', "a; b"))
def _arrayjoin(v: Any, sep: Any = ", ") -> Any:
    items = _flatten(_as_items(v))
    for item in items:
        if type(item) is _Err:
            return item
    texts, separator = [_text(x) for x in items], _text(sep)
    if sum(map(len, texts)) + len(separator) * max(0, len(texts) - 1) > MAX_TEXT:
        return _error(f"text longer than {MAX_TEXT:,} characters")
    return separator.join(texts)


def _identity(v: Any) -> tuple:
    t = type(v)
    if t is bool:
        return ("b", v)
    if t is int or t is float:
        return ("n", v)
    if t is datetime:
        return ("d", v.timestamp())
    if t is _Err:
        return ("e", v.code, v.message)
    return ("s", _text(v)) if v is not None else ("z",)


@_fn("ARRAYUNIQUE", 1, None, "array", "array", "ARRAYUNIQUE(array)", "The items without repeats, in order.",
     ("ARRAYUNIQUE(ARRAYFLATTEN(1, 2, 1, 3))", [1, 2, 3]))
def _arrayunique(*values: Any) -> list:
    seen, out = set(), []
    for item in _flatten(values):
        key = _identity(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@_fn("ARRAYCOMPACT", 1, None, "array", "array", "ARRAYCOMPACT(array)",
     "The items without blanks and empty text (FALSE and \" \" stay).", ('ARRAYCOMPACT(1, "", BLANK(), "x")', [1, "x"]))
def _arraycompact(*values: Any) -> list:
    return [x for x in _flatten(values) if x is not None and x != ""]


@_fn("ARRAYFLATTEN", 1, None, "array", "array", "ARRAYFLATTEN(array, [array2, ...])",
     "All items of all arrays as one flat array.", ('ARRAYFLATTEN("a", ARRAYCOMPACT("b", "c"))', ["a", "b", "c"]))
def _arrayflatten(*values: Any) -> list:
    return _flatten(values)


@_fn("ARRAYSLICE", 2, 3, "array", "array", "ARRAYSLICE(array, start, [end])",
     "Items start..end, 1-based and inclusive; negative positions count from the end.",
     ('ARRAYSLICE(ARRAYFLATTEN("a", "b", "c", "d"), 2, 3)', ["b", "c"]))
def _arrayslice(v: Any, start: Any, end: Any = None) -> Any:
    items = _flatten(_as_items(v))
    s = _int_arg(start)
    if type(s) is _Err:
        return s
    size = len(items)
    lo = s - 1 if s > 0 else (max(0, size + s) if s < 0 else 0)
    if end is None:
        hi = size
    else:
        e = _int_arg(end)
        if type(e) is _Err:
            return e
        hi = e if e > 0 else (size + e + 1 if e < 0 else 0)
    return items[lo:max(lo, hi)]


# =============================================================== static result types
_TYPE_OF_FIELD = {
    "number": "number", "currency": "number", "percent": "number", "fund": "number",
    "date": "date", "created_time": "date", "last_modified_time": "date", "datetime": "date",
    "checkbox": "boolean", "boolean": "boolean", "multi_select": "array", "contacts": "array",
    "array": "array", "text": "text", "long_text": "text", "email": "text", "url": "text", "phone": "text",
    "single_select": "text", "last_modified_by": "text",
}
_RESULT_TYPES = {"number", "text", "boolean", "date", "array", "any"}


def _union(types: list) -> str:
    real = {t for t in types if t not in ("blank", "error")}
    if len(real) == 1:
        return real.pop()
    return "any" if real else "blank"


def _static_type(node: Any, field_types: Mapping[str, str]) -> str:
    t = type(node)
    if t is _Const:
        v = node.value
        return "boolean" if type(v) is bool else "text" if type(v) is str else "number"
    if t is _Field:
        kind = field_types.get(node.name)
        if kind is None:
            folded = node.name.casefold()
            kind = next((v for k, v in field_types.items() if k.casefold() == folded), None)
        if not isinstance(kind, str):
            return "any"
        if kind.startswith("formula:"):
            kind = kind[len("formula:"):]
            return kind if kind in _RESULT_TYPES else "any"
        return _TYPE_OF_FIELD.get(kind, "any")
    if t is _Unary:
        return "number"
    if t is _Chain:
        return {"cmp": "boolean", "cat": "text"}.get(node.group, "number")
    spec = _SPECS[node.name]
    if isinstance(spec.returns, str):
        return spec.returns
    return spec.returns([_static_type(a, field_types) for a in node.args])


# =============================================================== compiler
def _const_fn(value: Any) -> Callable:
    return lambda r, c: value


_FOLD_CONTEXT = EvalContext(now=datetime(2000, 1, 1, tzinfo=UTC))
_MAX_FOLDED = 10_000           # longest text/array kept as a folded constant


def _compile(node: Any) -> tuple[Callable, bool]:
    """(closure, constant?) for a node; a constant sub-tree is evaluated once, here."""
    t = type(node)
    if t is _Const:
        return _const_fn(node.value), True
    if t is _Field:
        return _field_reader(node.name), False
    if t is _Unary:
        operand, const = _compile(node.operand)
        fn = _unary(operand, node.negate)
    elif t is _Chain:
        compiled = [_compile(x) for x in node.operands]
        fns = [f for f, _ in compiled]
        const = all(c for _, c in compiled)
        if node.group == "cat":
            fn = _concat(fns)
        elif node.group == "cmp":
            fn = _chain_compare(fns, node.ops)
        else:
            fn = _chain_arith(fns, node.ops)
    else:
        spec = _SPECS[node.name]
        compiled = [_compile(a) for a in node.args]
        const = spec.pure and all(c for _, c in compiled)
        fn = _compile_call(spec, [f for f, _ in compiled])
    if const:
        try:
            value = fn({}, _FOLD_CONTEXT)
        except Exception:      # left to evaluation time, where it becomes an error value
            return fn, False
        if (type(value) is str or type(value) is list) and len(value) > _MAX_FOLDED:
            return fn, False   # a cached formula must not pin megabytes; recompute instead
        return _const_fn(value), True
    return fn, False


def _unary(operand: Callable, negate: bool) -> Callable:
    if negate:
        def neg(r, c):
            v = operand(r, c)
            if type(v) is int or type(v) is float:
                return -v
            n = _num(v)
            return n if type(n) is _Err else -n
        return neg

    def pos(r, c):
        v = operand(r, c)
        if type(v) is int or type(v) is float:
            return v
        return _num(v)
    return pos


def _field_reader(name: str) -> Callable:
    def read(r, c):
        v = r.get(name, _MISSING)
        if v is _MISSING:
            v = _lookup_folded(r, name)
        t = type(v)
        if t is int or t is float or t is str or t is bool or v is None:
            return v
        return _from_json(v)
    return read


def _compile_call(spec: _Spec, fns: list) -> Callable:
    if spec.lazy:
        return spec.impl(fns)
    impl, errors_ok = spec.impl, spec.errors_ok
    if spec.needs_ctx:
        if not fns:
            return lambda r, c: impl(c)

        def call_ctx(r, c):
            values = [f(r, c) for f in fns]
            if not errors_ok:
                for v in values:
                    if type(v) is _Err:
                        return v
            return impl(c, *values)
        return call_ctx
    if len(fns) == 1:
        f0 = fns[0]

        def call1(r, c):
            a = f0(r, c)
            if type(a) is _Err and not errors_ok:
                return a
            return impl(a)
        return call1
    if len(fns) == 2:
        f0, f1 = fns

        def call2(r, c):
            a = f0(r, c)
            if type(a) is _Err and not errors_ok:
                return a
            b = f1(r, c)
            if type(b) is _Err and not errors_ok:
                return b
            return impl(a, b)
        return call2
    if len(fns) == 3:
        f0, f1, f2 = fns

        def call3(r, c):
            a = f0(r, c)
            if type(a) is _Err and not errors_ok:
                return a
            b = f1(r, c)
            if type(b) is _Err and not errors_ok:
                return b
            d = f2(r, c)
            if type(d) is _Err and not errors_ok:
                return d
            return impl(a, b, d)
        return call3

    def call(r, c):
        values = [f(r, c) for f in fns]
        if not errors_ok:
            for v in values:
                if type(v) is _Err:
                    return v
        return impl(*values)
    return call


def _walk(node: Any):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        t = type(n)
        if t is _Unary:
            stack.append(n.operand)
        elif t is _Chain:
            stack.extend(n.operands)
        elif t is _Call:
            stack.extend(n.args)


# =============================================================== public API
@dataclass(frozen=True)
class Formula:
    """A parsed formula, reusable across records (and threads: it holds no mutable state)."""

    source: str
    references: frozenset
    volatile: bool
    _fn: Callable = field(repr=False, compare=False)
    _tree: Any = field(repr=False, compare=False)

    def evaluate(self, record: Mapping[str, Any] | None, context: EvalContext | None = None) -> Any:
        """The formula's value for one record; never raises (failures are FormulaErrorValue)."""
        try:
            if record is None:
                record = {}
            elif type(record) is not dict and not isinstance(record, abc.Mapping):
                return _error("the record is not a mapping of field names to values")
            return self._fn(record, context if context is not None else _default_context())
        except RecursionError:
            return _error("the formula nests too deeply to evaluate")
        except MemoryError:
            return _error("the formula needs too much memory")
        except Exception as exc:  # a bug here must not become a 500 for the grid
            return _error(f"the formula could not be evaluated ({type(exc).__name__})")

    def result_type(self, field_types: Mapping[str, str]) -> str:
        """Static guess of the result type: number|text|boolean|date|array|any."""
        try:
            kind = _static_type(self._tree, field_types or {})
        except Exception:
            return "any"
        return kind if kind in _RESULT_TYPES else "any"


def parse(source: str) -> Formula:
    """Parse (and cache) a formula; raises FormulaError with a position when it does not parse."""
    if not isinstance(source, str):
        raise FormulaError("a formula must be text", 0)
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"formula is too long: {len(source):,} characters, the limit is {MAX_LENGTH:,} "
                           f"(at {MAX_LENGTH})", MAX_LENGTH)
    if len(source) > _MAX_CACHED_SOURCE:
        return _parse_uncached(source)
    return _parse_cached(source)


_MAX_CACHED_SOURCE = 2_000     # a parsed formula costs ~100 bytes per source character


@lru_cache(maxsize=1024)
def _parse_cached(source: str) -> Formula:
    return _parse_uncached(source)


def _parse_uncached(source: str) -> Formula:
    try:
        tree = _Parser(source).parse()
    except RecursionError:
        raise FormulaError("formula nests too deeply at 0", 0) from None
    refs, volatile = set(), False
    for node in _walk(tree):
        if type(node) is _Field:
            refs.add(node.name)
        elif type(node) is _Call and _SPECS[node.name].volatile:
            volatile = True
    try:
        fn, _ = _compile(tree)
    except RecursionError:
        raise FormulaError("formula nests too deeply at 0", 0) from None
    return Formula(source, frozenset(refs), volatile, fn, tree)


def to_json(value: Any) -> tuple[Any, str]:
    """(JSON value, type) of an engine value; type is number|text|boolean|date|array|error|blank."""
    t = type(value)
    if value is None:
        return None, "blank"
    if t is bool:
        return value, "boolean"
    if t is int or t is float:
        number = _json_number(value)
        if number is None:
            return _num_error("the result is not a finite number").as_json(), "error"
        return number, "number"
    if t is str:
        return value, "text"
    if t is datetime:
        return _iso(value), "date"
    if t is list:
        return [_json_item(x) for x in _flatten(value)], "array"
    if t is _Err:
        return value.as_json(), "error"
    if isinstance(value, str):
        return str(value), "text"
    return _text(value), "text"


def _json_number(x: int | float) -> int | float | None:
    if type(x) is int:
        if -_BIG <= x <= _BIG:
            return x
        try:
            x = float(x)
        except OverflowError:
            return None
    if x != x or x in (math.inf, -math.inf):
        return None
    if x.is_integer() and abs(x) <= _BIG:
        return int(x)
    return x


def _json_item(v: Any) -> Any:
    t = type(v)
    if t is int or t is float:
        return _json_number(v)
    if t is datetime:
        return _iso(v)
    if t is _Err:
        return v.as_json()
    if v is None or t is str or t is bool:
        return v
    return _text(v)


def evaluate(source: str, record: Mapping[str, Any] | None,
             context: EvalContext | None = None) -> tuple[Any, str]:
    """Parse (cached) and evaluate: (JSON value, type). Raises FormulaError only for a bad formula."""
    return to_json(parse(source).evaluate(record, context))


def rename_reference(source: str, old: str, new: str) -> str:
    """Rewrite references to field `old` (braced or bare, matched case-insensitively) as `{new}`.

    Token-aware: text literals, function names and other fields are untouched. A formula that does
    not tokenize is returned unchanged.
    """
    if "}" in new:
        raise FormulaError(f"a field name used in formulas cannot contain '}}': {_short(new)!r}", 0)
    try:
        toks = _tokenize(source)
    except FormulaError:
        return source
    folded = old.casefold()
    out, last = [], 0
    for i, tok in enumerate(toks):
        if tok.kind == _FIELD:
            hit = tok.value.casefold() == folded
        elif tok.kind == _IDENT:
            hit = (toks[i + 1].kind != _LPAREN and tok.value.upper() not in ("TRUE", "FALSE")
                   and tok.value.casefold() == folded)
        else:
            hit = False
        if hit:
            out.append(source[last:tok.pos])
            out.append("{" + new + "}")
            last = tok.end
    out.append(source[last:])
    return "".join(out)
