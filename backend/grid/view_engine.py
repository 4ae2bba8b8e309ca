"""Saved views of the fundraising grid: nested AND/OR filters, per-type operators, multi-key sort.

The browser applies the same semantics client-side, and the automation engine reuses
`compile_filter` to test a rule's condition against one row. A filter is validated once when a
view is saved (`normalize_filter` / `normalize_sort` raise BadRequest naming the column), compiled
once per request (`compile_filter`), then applied to every row; nothing per row parses the filter
or can raise.

Every column type maps to a *kind* (`TYPE_KINDS`), and `_KINDS` is the single dispatch table: per
kind, how a cell is read, which operators exist (and their aliases), and how it sorts. A cell
reads as a value, as *empty* (missing, None, blank string, [], a formula error) or as *garbage*
(a shape the type never stores). A negated operator (`is_not`, `!=`, `does_not_contain`,
`has_none_of`, `is_not_empty`) is exactly the negation of its positive twin, so it matches empty
and garbage cells that the positive one rejects. In a sort, valid values come first (in the
requested direction), then garbage, then empties, whatever the direction.
"""
from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import eq, ge, gt, itemgetter, le, lt
from typing import Any, Callable

from ..errors import BadRequest

MAX_DEPTH = 6            # groups nest at most this deep (the top-level group is depth 1)
MAX_CONDITIONS = 500     # per filter: keeps a hostile saved view from costing O(rows x huge)
MAX_DAYS = 1_000_000     # relative dates beyond ~2,700 years are a typo, not a filter

_GARBAGE = object()      # a cell whose shape its column never stores (or a sort key for one)


# ---------------------------------------------------------------- reading cells
# A reader maps a stored value to the form its operators compare: a value, None (empty) or
# _GARBAGE. Readers are on the hot path (rows x conditions), so the common shape is tested first
# with `type(...) is` and anything unusual falls through to `_empty_or_garbage`.

def _empty_or_garbage(raw: Any) -> Any:
    if (raw is None or raw == [] or (type(raw) is str and not raw.strip())
            or (type(raw) is dict and "error" in raw)):   # {"error": "#DIV/0!", ...} from a formula
        return None
    return _GARBAGE


def _number_text(number: int | float) -> str:
    if type(number) is float and number.is_integer() and abs(number) < 2 ** 53:
        return str(int(number))
    return str(number)


def _read_text(raw: Any) -> Any:
    if type(raw) is str:
        text = raw.strip()
        return text.casefold() if text else None
    if type(raw) is int or type(raw) is float:    # a formula typed "text" may still yield a number
        return _number_text(raw)
    return _empty_or_garbage(raw)


def _read_stage(raw: Any) -> Any:
    """A pipeline cell (an opportunity) filters and sorts by its stage."""
    if type(raw) is dict and "error" not in raw:
        return _read_text(raw.get("stage"))
    return _empty_or_garbage(raw)


def _read_number(raw: Any) -> Any:
    if type(raw) is int:
        return raw
    if type(raw) is float:
        return raw if raw == raw else _GARBAGE    # NaN would make sorting and comparison lie
    return _empty_or_garbage(raw)


def _parse_when(text: str) -> tuple[int, float] | None:
    """(UTC day ordinal, seconds into that day) of an ISO date or date-time; naive means UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text).toordinal(), 0.0
        when = datetime.datetime.fromisoformat(text)
        offset = when.utcoffset()
        if offset:
            when = when.replace(tzinfo=None) - offset
        seconds = when.hour * 3600 + when.minute * 60 + when.second + when.microsecond / 1e6
        return when.toordinal(), seconds
    except (ValueError, OverflowError, TypeError):
        return None


def _date_reader(pick: Callable[[tuple[int, float]], Any]) -> Callable[[Any], Any]:
    def read(raw: Any) -> Any:
        if type(raw) is str and raw.strip():
            when = _parse_when(raw)
            return pick(when) if when else _GARBAGE
        return _empty_or_garbage(raw)
    return read


_read_day = _date_reader(itemgetter(0))                           # filters compare UTC days
_read_instant = _date_reader(lambda when: when[0] * 86400 + when[1])  # sorts compare instants


def _read_bool(raw: Any) -> Any:
    if raw is True or raw is False:
        return raw
    return False if _empty_or_garbage(raw) is None else _GARBAGE   # an empty checkbox is unchecked


def _read_items(raw: Any) -> Any:
    """A multi_select (or formula array) as a tuple of folded items; odd items are skipped."""
    if type(raw) is list:
        return tuple(item for item in map(_read_text, raw) if type(item) is str) or None
    if type(raw) is str:
        item = _read_text(raw)
        return (item,) if item else None
    return _empty_or_garbage(raw)


_CONTACT_FIELDS = ("name", "email", "phone", "title")


def _read_contacts(raw: Any) -> Any:
    """Every searchable field of every contact, folded; a field never spans two contacts."""
    if type(raw) is list and raw:
        return tuple(text for contact in raw if type(contact) is dict
                     for text in map(_read_text, map(contact.get, _CONTACT_FIELDS)) if type(text) is str)
    return _empty_or_garbage(raw)


# ---------------------------------------------------------------- sort keys
# A sort key factory takes the column (choice order lives in its options) and returns a reader
# whose valid results are mutually comparable within that column.

def _choice_positions(column: dict) -> dict[str, int]:
    options = column.get("options")
    choices = options.get("choices") if isinstance(options, dict) else None
    positions: dict[str, int] = {}
    for index, choice in enumerate(choices if isinstance(choices, list) else ()):
        name = _read_text(choice.get("name") if isinstance(choice, dict) else choice)
        if type(name) is str:
            positions.setdefault(name, index)
    return positions


def _ranker(column: dict) -> Callable[[str], tuple]:
    positions = _choice_positions(column)
    # Known choices by position, then unknown values alphabetically; the leading 0/1 keeps
    # int and str positions from ever being compared with each other.
    return lambda item: (0, positions[item]) if item in positions else (1, item)


def _choice_key(read: Callable[[Any], Any]) -> Callable[[dict], Callable[[Any], Any]]:
    """Sort by the column's choice order what `read` makes of a cell (a select's text, a stage)."""
    def factory(column: dict) -> Callable[[Any], Any]:
        rank = _ranker(column)
        def key(raw: Any) -> Any:
            item = read(raw)
            return rank(item) if type(item) is str else item
        return key
    return factory


_select_key = _choice_key(_read_text)
_stage_key = _choice_key(_read_stage)


def _items_key(column: dict) -> Callable[[Any], Any]:
    rank = _ranker(column)
    def key(raw: Any) -> Any:
        items = _read_items(raw)
        return tuple(map(rank, items)) if type(items) is tuple else items
    return key


def _contacts_key(column: dict) -> Callable[[Any], Any]:
    def key(raw: Any) -> Any:
        if type(raw) is list and raw:
            if type(raw[0]) is not dict:
                return _GARBAGE
            name = _read_text(raw[0].get("name"))
            return name if type(name) is str else ""   # a nameless first contact sorts first
        return _empty_or_garbage(raw)
    return key


_FORMULA_SORT = (((int, float), _read_number), ((str,), _read_text), ((bool,), _read_bool),
                 ((list,), _read_items))


def _formula_key(raw: Any) -> Any:
    """An untyped formula sorts by runtime type: numbers, then text, then booleans, then arrays."""
    for rank, (types, read) in enumerate(_FORMULA_SORT):
        if type(raw) in types:
            value = read(raw)
            return (rank, value) if value is not None and value is not _GARBAGE else value
    return _empty_or_garbage(raw)


def _same(read: Callable) -> Callable[[dict], Callable]:
    return lambda column: read


# ---------------------------------------------------------------- filter values
class _NeedValue(Exception):
    """A condition's value does not fit its operator; `what` completes "needs ..."."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _text_value(value: Any, column: dict) -> str:
    if type(value) is str and value.strip():
        return value.strip()
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return _number_text(value)
    raise _NeedValue("a text value")


def _text_list(value: Any, column: dict) -> list[str]:
    items = [value] if type(value) is str else value
    if type(items) is not list:
        raise _NeedValue("a list of values")
    out, seen = [], set()
    for item in items:
        if type(item) is str and not item.strip():
            continue
        try:
            text = _text_value(item, column)
        except _NeedValue:
            raise _NeedValue("a list of values") from None
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    if not out:
        raise _NeedValue("at least one value")
    return out


# sign, currency symbol, sign, digits (with thousands commas), fraction, exponent, percent sign
_NUMERIC = re.compile(r"([+-]?)[$€£¥]?([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?([eE][+-]?\d+)?(%?)")


def _number_value(value: Any, column: dict) -> int | float:
    if type(value) is int:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is str:
        match = _NUMERIC.fullmatch("".join(value.split()))
        if match and (match[3] or len(match[4] or "") > 1) and not (match[1] and match[2]):
            percent = match[6] == "%"
            if percent and column.get("type") != "percent":
                raise _NeedValue("a number (a '%' value only applies to a percent column)")
            try:
                # Decimal so that "12.5%" is exactly the double nearest 0.125, as stored
                number = Decimal(match[1] + match[2] + match[3].replace(",", "") + (match[4] or "")
                                 + (match[5] or ""))
                number = float(number / 100 if percent else number)
            except ArithmeticError:
                number = math.inf
            if math.isfinite(number):
                return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
    raise _NeedValue("a number")


def _whole_days(value: Any) -> int:
    if type(value) is str and re.fullmatch(r"\s*[0-9]{1,9}\s*", value):
        value = int(value)
    elif type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value <= MAX_DAYS:
        return value
    raise _NeedValue("a whole number of days")


_DAY_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_RELATIVE = {"days_ago": -1, "days_from_now": 1}
_DATE_FORMS = ('a date ("YYYY-MM-DD", an ISO date-time, "today", "yesterday", "tomorrow", '
               '{"days_ago": N} or {"days_from_now": N})')


def _date_value(value: Any, column: dict) -> str | dict:
    """Stored as the UTC day, a day word, or a relative object: resolved against `today` at
    compile time so a saved "last 7 days" view keeps moving."""
    if type(value) is str:
        word = value.strip().lower()
        if word in _DAY_WORDS:
            return word
        when = _parse_when(value) if value.strip() else None
        if when:
            return datetime.date.fromordinal(when[0]).isoformat()
    elif type(value) is dict and len(value) == 1:
        (key, days), = value.items()
        if key in _RELATIVE:
            try:
                return {key: _whole_days(days)}
            except _NeedValue:
                pass
    raise _NeedValue(_DATE_FORMS)


def _day_of(value: str | dict, today: int) -> int:
    if type(value) is dict:
        (key, days), = value.items()
        return today + _RELATIVE[key] * days
    if value in _DAY_WORDS:
        return today + _DAY_WORDS[value]
    return datetime.date.fromisoformat(value).toordinal()


def _days_value(value: Any, column: dict) -> int:
    return _whole_days(value)


def _bool_value(value: Any, column: dict) -> bool:
    if type(value) is bool:
        return value
    if type(value) is str and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise _NeedValue("true or false")


# ---------------------------------------------------------------- operators
@dataclass(frozen=True)
class _Op:
    parse: Callable[[Any, dict], Any] | None   # JSON value -> stored value (raises _NeedValue); None: no value
    make: Callable[[Any, int], Callable]       # (stored value, today's ordinal) -> test of a valid cell
    on_empty: bool = False                     # the result for an empty cell
    on_garbage: bool = False                   # the result for a cell of the wrong shape


def _negate(op: _Op) -> _Op:
    def make(value: Any, today: int) -> Callable:
        test = op.make(value, today)
        return lambda cell: not test(cell)
    return _Op(op.parse, make, not op.on_empty, not op.on_garbage)


def _compare(relation: Callable, bind: Callable = lambda value, today: value) -> Callable:
    # partial(relation, bound)(cell) is relation(bound, cell): callers pass the mirrored relation
    return lambda value, today: partial(relation, bind(value, today))


def _fold(value: Any) -> str:
    return _read_text(value)


def _substring(value: str, today: int) -> Callable:
    needle = _fold(value)
    return lambda text: needle in text


def _in_any(value: str, today: int) -> Callable:
    needle = _fold(value)
    return lambda items: any(needle in item for item in items)


def _within(sign: int) -> Callable:
    def make(days: int, today: int) -> Callable:
        low, high = sorted((today, today + sign * days))
        return lambda day: low <= day <= high
    return make


def _item_set(values: list[str]) -> frozenset:
    return frozenset(map(_fold, values))


_IS_EMPTY = _Op(None, lambda value, today: lambda cell: False, on_empty=True)
_EMPTINESS = {"is_empty": _IS_EMPTY, "is_not_empty": _negate(_IS_EMPTY)}

_TEXT_IS = _Op(_text_value, lambda value, today: partial(eq, _fold(value)))
_TEXT_CONTAINS = _Op(_text_value, _substring)
_TEXT_OPS = {"is": _TEXT_IS, "is_not": _negate(_TEXT_IS), "contains": _TEXT_CONTAINS,
             "does_not_contain": _negate(_TEXT_CONTAINS), **_EMPTINESS}
_ANY_OF = _Op(_text_list, lambda values, today: _item_set(values).__contains__)

_NUMBER_EQ = _Op(_number_value, _compare(eq))
_NUMBER_OPS = {"=": _NUMBER_EQ, "!=": _negate(_NUMBER_EQ), "<": _Op(_number_value, _compare(gt)),
               ">": _Op(_number_value, _compare(lt)), "<=": _Op(_number_value, _compare(ge)),
               ">=": _Op(_number_value, _compare(le)), **_EMPTINESS}

_DATE_IS = _Op(_date_value, _compare(eq, _day_of))
_DATE_OPS = {"is": _DATE_IS, "is_not": _negate(_DATE_IS),
             "is_before": _Op(_date_value, _compare(gt, _day_of)),
             "is_after": _Op(_date_value, _compare(lt, _day_of)),
             "is_on_or_before": _Op(_date_value, _compare(ge, _day_of)),
             "is_on_or_after": _Op(_date_value, _compare(le, _day_of)),
             "is_within_last": _Op(_days_value, _within(-1)),
             "is_within_next": _Op(_days_value, _within(1)), **_EMPTINESS}


def _overlaps(values: list[str], today: int) -> Callable:
    wanted = _item_set(values)
    return lambda items: not wanted.isdisjoint(items)


def _same_set(values: list[str], today: int) -> Callable:
    wanted = _item_set(values)
    return lambda items: wanted == frozenset(items)


_HAS_ANY = _Op(_text_list, _overlaps)
_ITEM_CONTAINS = _Op(_text_value, _in_any)   # multi_select items, or every field of every contact
_MULTI_OPS = {"has_any_of": _HAS_ANY, "has_none_of": _negate(_HAS_ANY),
              "has_all_of": _Op(_text_list, lambda values, today: _item_set(values).issubset),
              "is_exactly": _Op(_text_list, _same_set), "contains": _ITEM_CONTAINS,
              "does_not_contain": _negate(_ITEM_CONTAINS), **_EMPTINESS}


@dataclass(frozen=True)
class _Kind:
    name: str
    read: Callable[[Any], Any]                       # stored value -> cell | None | _GARBAGE
    sort_key: Callable[[dict], Callable[[Any], Any]]  # column -> (stored value -> key | None | _GARBAGE)
    ops: dict[str, _Op]
    aliases: dict[str, str]


_TEXT_ALIASES = {"=": "is", "equals": "is", "!=": "is_not"}
_NUMBER_ALIASES = {"eq": "=", "neq": "!=", "lt": "<", "gt": ">", "lte": "<=", "gte": ">="}

_KINDS = {kind.name: kind for kind in (
    _Kind("text", _read_text, _same(_read_text), _TEXT_OPS, _TEXT_ALIASES),
    _Kind("single_select", _read_text, _select_key,
          {**_TEXT_OPS, "is_any_of": _ANY_OF, "is_none_of": _negate(_ANY_OF)}, _TEXT_ALIASES),
    _Kind("pipeline", _read_stage, _stage_key,
          {**_TEXT_OPS, "is_any_of": _ANY_OF, "is_none_of": _negate(_ANY_OF)}, _TEXT_ALIASES),
    _Kind("number", _read_number, _same(_read_number), _NUMBER_OPS, _NUMBER_ALIASES),
    _Kind("date", _read_day, _same(_read_instant), _DATE_OPS, {}),
    _Kind("checkbox", _read_bool, _same(_read_bool),
          {"is": _Op(_bool_value, _compare(eq))}, {}),
    _Kind("multi_select", _read_items, _items_key, _MULTI_OPS, {}),
    _Kind("contacts", _read_contacts, _contacts_key,
          {key: _MULTI_OPS[key] for key in ("contains", "does_not_contain", "is_empty", "is_not_empty")}, {}),
)}

TYPE_KINDS: dict[str, str] = {
    "text": "text", "long_text": "text", "email": "text", "url": "text", "phone": "text",
    "last_modified_by": "text", "single_select": "single_select",
    "number": "number", "currency": "number", "percent": "number", "fund": "number",
    "date": "date", "created_time": "date", "last_modified_time": "date",
    "checkbox": "checkbox", "multi_select": "multi_select", "contacts": "contacts",
    "formula": "formula",
    "last_inbound": "date", "last_outbound": "date", "touches_90d": "number", "knows_best": "text",
    "relationship_strength": "single_select", "pipeline": "pipeline",
}
_RESULT_KINDS = {"number": "number", "text": "text", "boolean": "checkbox", "date": "date",
                 "array": "multi_select"}
# An untyped formula's condition applies the kind matching each value's runtime type; this order
# picks the kind that stores the canonical operator and value (and judges empty values).
_FORMULA_KINDS = tuple(_KINDS[name] for name in ("number", "checkbox", "text", "multi_select", "date"))

OPERATORS: dict[str, set[str]] = {name: set(kind.ops) for name, kind in _KINDS.items()}
OPERATORS["formula"] = set().union(*(kind.ops for kind in _FORMULA_KINDS))


def column_kind(column: dict) -> str:
    """The key of OPERATORS that governs `column` ("formula" only for an untyped formula)."""
    ctype = column.get("type")
    if ctype == "formula":
        options = column.get("options")
        result = options.get("result_type") if isinstance(options, dict) else None
        return _RESULT_KINDS.get(result, "formula") if isinstance(result, str) else "formula"
    return TYPE_KINDS.get(ctype, "text") if isinstance(ctype, str) else "text"


def _column_kinds(column: dict) -> tuple[_Kind, ...]:
    name = column_kind(column)
    return _FORMULA_KINDS if name == "formula" else (_KINDS[name],)


def _canonical(kind: _Kind, operator: str) -> str | None:
    name = re.sub(r"[\s\-]+", "_", operator.strip().lower())
    name = kind.aliases.get(name, name)
    return name if name in kind.ops else None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _label(column: dict) -> str:
    kind = column_kind(column)
    what = kind.replace("_", " ") + (" formula" if kind != "formula" and column.get("type") == "formula" else "")
    return f"{what} column '{column.get('name') or column.get('id')}'"


# ---------------------------------------------------------------- normalising
def _normalize_condition(column: dict, operator: Any, value: Any) -> tuple[str, Any]:
    """(canonical operator, stored value) of one condition on `column`, or BadRequest."""
    if not isinstance(operator, str) or not operator.strip():
        raise BadRequest(f"filter: the condition on {_label(column)} needs an operator")
    problem = None
    for kind in _column_kinds(column):
        name = _canonical(kind, operator)
        if name is None:
            continue
        op = kind.ops[name]
        if op.parse is None:
            return name, None
        try:
            return name, op.parse(value, column)
        except _NeedValue as exc:
            problem = problem or (f"filter: '{name}' needs {exc.what} for {_label(column)}, "
                                  f"got {_short(repr(value))}")
    if problem:
        raise BadRequest(problem)
    allowed = ", ".join(sorted(OPERATORS[column_kind(column)]))
    raise BadRequest(f"filter: operator '{_short(operator.strip())}' does not apply to "
                     f"{_label(column)} (allowed: {allowed})")


def _is_group(item: dict) -> bool:
    return "conditions" in item or ("op" in item and "column_id" not in item)


def normalize_filter(group: dict | None, columns_by_id: dict) -> dict:
    """Validate and canonicalise a filter group: operator aliases become canonical names, values
    are checked and normalised ("$5,000" -> 5000, "12.5%" -> 0.125, "Today" -> "today").
    Raises BadRequest naming the problem and the column by name. None -> the empty AND group."""
    if group is None:
        return {"op": "and", "conditions": []}
    budget = [MAX_CONDITIONS]

    def walk(group: Any, depth: int) -> dict:
        if depth > MAX_DEPTH:
            raise BadRequest(f"filter: groups nest at most {MAX_DEPTH} deep")
        if not isinstance(group, dict):
            raise BadRequest('filter: a group must be an object {"op": "and"|"or", "conditions": [...]}')
        op = group.get("op") or "and"
        if not isinstance(op, str) or op.strip().lower() not in ("and", "or"):
            raise BadRequest(f"filter: a group's op must be 'and' or 'or', got {_short(repr(op))}")
        items = group.get("conditions")
        items = [] if items is None else items
        if not isinstance(items, list):
            raise BadRequest("filter: a group's conditions must be a list")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise BadRequest('filter: each condition must be an object {"column_id", "operator", "value"}')
            budget[0] -= 1
            if budget[0] < 0:
                raise BadRequest(f"filter: at most {MAX_CONDITIONS} conditions and groups")
            if _is_group(item):
                out.append(walk(item, depth + 1))
                continue
            column_id = item.get("column_id")
            column = columns_by_id.get(column_id) if isinstance(column_id, str) else None
            if not isinstance(column, dict):
                raise BadRequest(f"filter: unknown column '{_short(column_id)}'" if column_id is not None
                                 else "filter: a condition needs a column_id")
            operator, value = _normalize_condition(column, item.get("operator"), item.get("value"))
            out.append({"column_id": column_id, "operator": operator, "value": value})
        return {"op": op.strip().lower(), "conditions": out}

    return walk(group, 1)


def normalize_sort(sort: list | None, columns_by_id: dict) -> list:
    """Validate [{column_id, direction}] (direction defaults to "asc"); BadRequest on an unknown
    column, a bad direction or a column listed twice."""
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise BadRequest('sort: must be a list of {"column_id", "direction"}')
    out, seen = [], set()
    for key in sort:
        if not isinstance(key, dict):
            raise BadRequest('sort: each key must be an object {"column_id", "direction"}')
        column_id = key.get("column_id")
        column = columns_by_id.get(column_id) if isinstance(column_id, str) else None
        if not isinstance(column, dict):
            raise BadRequest(f"sort: unknown column '{_short(column_id)}'")
        name = column.get("name") or column_id
        direction = key.get("direction") or "asc"
        if not isinstance(direction, str) or direction.strip().lower() not in ("asc", "desc"):
            raise BadRequest(f"sort: direction for column '{name}' must be 'asc' or 'desc', "
                             f"got {_short(repr(direction))}")
        if column_id in seen:
            raise BadRequest(f"sort: column '{name}' is listed twice")
        seen.add(column_id)
        out.append({"column_id": column_id, "direction": direction.strip().lower()})
    return out


# ---------------------------------------------------------------- compiling
def _cell_test(kind: _Kind, op: _Op, value: Any, today: int) -> Callable[[Any], bool]:
    read, test, if_empty, if_garbage = kind.read, op.make(value, today), op.on_empty, op.on_garbage

    def check(raw: Any) -> bool:
        cell = read(raw)
        if cell is None:
            return if_empty
        if cell is _GARBAGE:
            return if_garbage
        return test(cell)
    return check


def _condition_test(column: dict, operator: Any, value: Any, today: int) -> Callable[[Any], bool] | None:
    """A test of one stored value, or None when the condition no longer fits its column (its
    type changed since the view was saved): such a condition is dropped like an archived one."""
    try:
        operator, value = _normalize_condition(column, operator, value)
    except BadRequest:
        return None
    tests = {}
    for kind in _column_kinds(column):
        name = _canonical(kind, operator)
        if name is None:
            continue
        op = kind.ops[name]
        try:
            tests[kind.name] = _cell_test(kind, op, op.parse(value, column) if op.parse else None, today)
        except _NeedValue:
            continue
    if not tests:
        return None
    primary = next(iter(tests.values()))
    if len(tests) == 1:
        return primary
    # Untyped formula: dispatch on the runtime type. A value whose kind lacks the operator is
    # judged by the primary kind, whose reader calls it garbage (or empty, for an error).
    by_type = {int: tests.get("number", primary), float: tests.get("number", primary),
               bool: tests.get("checkbox", primary), list: tests.get("multi_select", primary),
               str: tests.get("text") or tests.get("date") or primary}
    return lambda raw: by_type.get(type(raw), primary)(raw)


def _compile_group(group: Any, columns_by_id: dict, today: int, depth: int) -> Callable[[dict], bool] | None:
    """A predicate over a values dict; None when every condition in the group was dropped, so a
    dropped condition is as if absent (an OR does not become always-true because of it)."""
    if not isinstance(group, dict) or depth > MAX_DEPTH:
        return None
    items = group.get("conditions")
    if not isinstance(items, list) or not items:
        return _always
    tests = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if _is_group(item):
            test = _compile_group(item, columns_by_id, today, depth + 1)
        else:
            column_id = item.get("column_id")
            column = columns_by_id.get(column_id) if isinstance(column_id, str) else None
            cell_test = (_condition_test(column, item.get("operator"), item.get("value"), today)
                         if isinstance(column, dict) else None)
            test = None if cell_test is None else partial(_on_cell, cell_test, column_id)
        if test is not None:
            tests.append(test)
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    if str(group.get("op")).strip().lower() == "or":
        def any_of(values: dict) -> bool:
            for test in tests:
                if test(values):
                    return True
            return False
        return any_of

    def all_of(values: dict) -> bool:
        for test in tests:
            if not test(values):
                return False
        return True
    return all_of


def _on_cell(cell_test: Callable, column_id: str, values: dict) -> bool:
    return cell_test(values.get(column_id))


def _always(values: dict) -> bool:
    return True


def compile_filter(group: dict, columns_by_id: dict, today: datetime.date) -> Callable[[dict], bool]:
    """A predicate over a row's values dict. `group` should already be normalized; conditions on
    a column missing from columns_by_id (archived since the view was saved), or that no longer
    fit their column's type, are dropped (a group left with none of its conditions is dropped
    too; a group saved empty matches every row). Relative dates resolve against `today`."""
    test = _compile_group(group, columns_by_id, today.toordinal(), 1) or _always
    return lambda values: test(values if type(values) is dict else {})


# ---------------------------------------------------------------- sorting
def _sort_key(column: dict) -> Callable[[Any], Any]:
    kind = column_kind(column)
    return _formula_key if kind == "formula" else _KINDS[kind].sort_key(column)


def _second(row: Any) -> Any:
    return row[1]


def sort_rows(rows: list, sort: list, columns_by_id: dict, values: Callable = _second) -> list:
    """Rows sorted by the (normalized) sort, stable; `values(row)` gives the values dict (by
    default rows are (row_id, values) tuples). Keys on columns missing from columns_by_id are
    skipped. Empty cells sort last and garbage just before them, in both directions."""
    pairs = []
    for row in rows:
        cells = values(row)
        pairs.append((row, cells if type(cells) is dict else {}))
    # One stable pass per key, least significant first; each pass keeps ties in the order the
    # previous pass left them, which is what makes the multi-key order (and stability) come out.
    for key in reversed(sort if isinstance(sort, list) else []):
        column_id = key.get("column_id") if isinstance(key, dict) else None
        column = columns_by_id.get(column_id) if isinstance(column_id, str) else None
        if not isinstance(column, dict):
            continue
        read = _sort_key(column)
        ranked, garbage, empty = [], [], []
        for pair in pairs:
            value = read(pair[1].get(column_id))
            if value is None:
                empty.append(pair)
            elif value is _GARBAGE:
                garbage.append(pair)
            else:
                ranked.append((value, pair))
        ranked.sort(key=itemgetter(0), reverse=str(key.get("direction")).lower() == "desc")
        pairs = [pair for _, pair in ranked] + garbage + empty
    return [row for row, _ in pairs]


def select(rows: list, view: dict, columns_by_id: dict, today: datetime.date,
           values: Callable = _second) -> list:
    """The rows a view shows, in its order: its "filter" applied, then its "sort"."""
    view = view if isinstance(view, dict) else {}
    matches = compile_filter(view.get("filter"), columns_by_id, today)
    return sort_rows([row for row in rows if matches(values(row))], view.get("sort"), columns_by_id, values)
