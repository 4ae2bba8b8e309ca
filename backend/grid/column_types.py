"""Column types of the grid: which exist, what their options look like, and how a value a person or
a bot typed becomes the stored value (`"$1,250,000"` -> 1250000, `"6/14/2026"` -> "2026-06-14").

`normalize_value` is the one gate every cell write passes; failures are BadRequest naming the
column. Select columns may grow their choices on the way (returned so the caller can persist them).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from typing import Any

from ..errors import BadRequest
from ..validation import EMAIL_RE

TYPES = ("text", "long_text", "number", "currency", "percent", "date", "checkbox", "single_select",
         "multi_select", "email", "url", "phone", "contacts", "fund", "formula", "created_time",
         "last_modified_time", "last_modified_by")
COMPUTED = {"formula", "created_time", "last_modified_time", "last_modified_by"}
NUMERIC = {"number", "currency", "percent", "fund"}
LISTS = ("main", "follow_up", "graveyard", "longshot")
CHOICE_COLORS = ("blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray")
MAX_TEXT = 100_000
MAX_COLUMN_NAME = 120  # characters in a column name
MAX_CONTACTS = 200

_NUMBER_JUNK = re.compile(r"[\s,$€£¥]|USD|EUR|GBP", re.I)
_TIME = r"(?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$"
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)
# "June 14, 2026", "Jun 14 2026", "Sunday, June 14th, 2026 3:05 PM" and "14 June 2026" (day first).
_MONTH_DATE = re.compile(r"^(?:[A-Za-z]{3,9}\.?,?\s+)??([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME)
_DAY_MONTH_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})" + _TIME)
_MONTHS = {name: i + 1 for i, names in enumerate(
    ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}
_PHONE_OK = re.compile(r"^[0-9+().\-\s/x#*ext]+$", re.I)
_URL_OK = re.compile(r"^(https?://)?[^\s/$.?#][^\s]*\.[^\s]{2,}$|^https?://[^\s]+$", re.I)


def _fail(column: dict, message: str) -> BadRequest:
    return BadRequest(f"column '{column['name']}': {message}", column_id=column["id"], column=column["name"])


# --- options --------------------------------------------------------------------------------------

def normalize_choices(raw: Any, column_name: str) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest(f"column '{column_name}': options.choices must be a list")
    choices, seen = [], set()
    for i, item in enumerate(raw):
        name, color = (item, None) if isinstance(item, str) else (
            (item.get("name"), item.get("color")) if isinstance(item, dict) else (None, None))
        if not isinstance(name, str) or not name.strip():
            raise BadRequest(f"column '{column_name}': choice {i + 1} needs a non-empty name")
        name = name.strip()
        if name.casefold() in seen:
            raise BadRequest(f"column '{column_name}': choice '{name}' is listed twice")
        seen.add(name.casefold())
        if color not in CHOICE_COLORS:
            color = CHOICE_COLORS[len(choices) % len(CHOICE_COLORS)]
        choices.append({"name": name, "color": color})
    return choices


def normalize_options(column_type: str, options: Any, column_name: str) -> dict:
    """Validate a column's options for its type; unknown keys are kept only where harmless."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise BadRequest(f"column '{column_name}': options must be an object")
    out: dict[str, Any] = {}
    if column_type in ("single_select", "multi_select"):
        out["choices"] = normalize_choices(options.get("choices"), column_name)
        allow = options.get("allow_new", True)
        if not isinstance(allow, bool):
            raise BadRequest(f"column '{column_name}': options.allow_new must be true or false")
        out["allow_new"] = allow
    if column_type in ("number", "currency", "percent", "fund"):
        precision = options.get("precision", 0 if column_type in ("currency", "fund") else None)
        if precision is not None and (not isinstance(precision, int) or isinstance(precision, bool)
                                      or not 0 <= precision <= 8):
            raise BadRequest(f"column '{column_name}': options.precision must be a whole number 0-8")
        if precision is not None:
            out["precision"] = precision
    if column_type in ("currency", "fund"):
        symbol = options.get("symbol", "$")
        if not isinstance(symbol, str) or len(symbol) > 4:
            raise BadRequest(f"column '{column_name}': options.symbol must be a short string")
        out["symbol"] = symbol
    if column_type == "date":
        include_time = options.get("include_time", False)
        if not isinstance(include_time, bool):
            raise BadRequest(f"column '{column_name}': options.include_time must be true or false")
        out["include_time"] = include_time
    if column_type == "fund":
        for key, kind in (("vintage", int), ("target", (int, float))):
            value = options.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kind)
                                      or (key == "vintage" and not 1900 <= value <= 2200)
                                      or (key == "target" and value < 0)):
                raise BadRequest(f"column '{column_name}': options.{key} is not a valid "
                                 + ("year" if key == "vintage" else "amount"))
            out[key] = value
        currency = options.get("currency", "USD")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise BadRequest(f"column '{column_name}': options.currency must be a 3-letter code like USD")
        out["currency"] = currency
    if column_type == "formula":
        formula = options.get("formula")
        if not isinstance(formula, str) or not formula.strip():
            raise BadRequest(f"column '{column_name}': options.formula is required")
        out["formula"] = formula
    return out


# --- values ---------------------------------------------------------------------------------------

def parse_number(raw: Any, column: dict, percent: bool = False) -> float | int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise _fail(column, "expected a number, got true/false")
    if isinstance(raw, int) and abs(raw) > 2 ** 53:
        # Beyond 2**53 a JSON number is a double in every client (and SQLite's INTEGER stops at 2**63).
        try:
            value = float(raw)
        except OverflowError:
            raise _fail(column, "number is too large") from None
    elif isinstance(raw, (int, float)):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        negative = text.startswith("(") and text.endswith(")")  # accounting style ($5,000)
        if negative:
            text = text[1:-1]
        is_percent = text.endswith("%")
        text = _NUMBER_JUNK.sub("", text[:-1] if is_percent else text)
        try:
            value = float(text)
        except ValueError:
            raise _fail(column, f"'{raw}' is not a number") from None
        if negative:
            value = -value
        if is_percent and percent:
            value = value / 100
        elif is_percent:
            raise _fail(column, f"'{raw}' is a percentage; this is not a percent column")
    else:
        raise _fail(column, f"expected a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise _fail(column, "number must be finite")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    return value


def _date_parts(text: str) -> tuple | None:
    """(year, month, day, hour, minute, second, meridiem) of a US or month-name date, or None;
    a month name that is not one is a ValueError (so "Foo 14 2026" is not a date)."""
    match = _US_DATE.match(text)
    if match:
        month, day, year = match.group(1, 2, 3)
    else:
        match = _MONTH_DATE.match(text)
        if match:
            month_name, day, year = match.group(1, 2, 3)
        else:
            match = _DAY_MONTH_DATE.match(text)
            if not match:
                return None
            day, month_name, year = match.group(1, 2, 3)
        month = _MONTHS.get(month_name.lower())
        if month is None:
            raise ValueError(f"unknown month {month_name}")
    return (int(year), int(month), int(day), *match.group(4, 5, 6, 7))


def parse_date(raw: Any, column: dict) -> str | None:
    """'YYYY-MM-DD' for date columns, ISO-8601 UTC for date-time columns."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise _fail(column, f"expected a date string, got {type(raw).__name__}")
    text = raw.strip()
    include_time = column.get("options", {}).get("include_time", False)
    parsed: datetime | date | None = None
    try:
        parts = _date_parts(text)
        if parts:
            year, month, day, hour, minute, second, meridiem = parts
            if hour is not None:
                hour, minute, second = int(hour), int(minute), int(second or 0)
                meridiem = (meridiem or "").replace(".", "").lower()
                if meridiem == "pm" and hour < 12:
                    hour += 12
                elif meridiem == "am" and hour == 12:
                    hour = 0
                parsed = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
            else:
                parsed = date(year, month, day)
        elif len(text) == 10:
            parsed = date.fromisoformat(text)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        parsed = None
    if parsed is None:
        raise _fail(column, f"'{raw}' is not a date (use YYYY-MM-DD, M/D/YYYY or June 14, 2026)")
    if not include_time:
        return (parsed.astimezone(timezone.utc).date() if isinstance(parsed, datetime) else parsed).isoformat()
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_checkbox(raw: Any, column: dict) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in ("true", "yes", "y", "1", "checked", "x", "✓", "✔"):
            return True
        if text in ("false", "no", "n", "0", "unchecked", ""):
            return False
    raise _fail(column, f"'{raw}' is not true or false")


def _text(raw: Any, column: dict, single_line: bool) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _fail(column, "expected text, got true/false")
    if isinstance(raw, (int, float)):
        raw = str(raw)
    if not isinstance(raw, str):
        raise _fail(column, f"expected text, got {type(raw).__name__}")
    if "\x00" in raw:
        raise _fail(column, "text must not contain NUL characters")
    if len(raw) > MAX_TEXT:
        raise _fail(column, f"text is longer than {MAX_TEXT} characters")
    text = raw.strip() if single_line else raw
    return text if text != "" else None


def _choice(raw: str, column: dict, added: list[dict]) -> str:
    options = column.get("options", {})
    choices = options.get("choices", []) + added
    for choice in choices:
        if choice["name"].casefold() == raw.casefold():
            return choice["name"]
    if not options.get("allow_new", True):
        names = ", ".join(c["name"] for c in options.get("choices", []))
        raise _fail(column, f"'{raw}' is not one of the options ({names})")
    added.append({"name": raw, "color": CHOICE_COLORS[len(choices) % len(CHOICE_COLORS)]})
    return raw


def _contacts(raw: Any, column: dict) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(column, "expected a list of people {name, email, phone, title}")
    if len(raw) > MAX_CONTACTS:
        raise _fail(column, f"at most {MAX_CONTACTS} people per investor")
    people = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise _fail(column, f"person {i + 1} must be an object with name, email, phone, title")
        unknown = set(item) - {"id", "name", "email", "phone", "title"}
        if unknown:
            raise _fail(column, f"person {i + 1} has unknown field(s) {', '.join(sorted(unknown))}")
        person = {}
        for key in ("name", "email", "phone", "title"):
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise _fail(column, f"person {i + 1}: {key} must be text")
            value = (value or "").strip() or None
            if value and len(value) > 500:
                raise _fail(column, f"person {i + 1}: {key} is too long")
            person[key] = value
        if person["email"]:
            person["email"] = person["email"].lower()
            if not EMAIL_RE.match(person["email"]):
                raise _fail(column, f"person {i + 1}: '{person['email']}' is not a valid email address")
        if not person["name"] and not person["email"]:
            raise _fail(column, f"person {i + 1} needs a name or an email")
        if item.get("id") is not None and not isinstance(item.get("id"), str):
            raise _fail(column, f"person {i + 1}: id must be a string")
        person["id"] = item.get("id")
        people.append(person)
    return people


def normalize_value(column: dict, raw: Any) -> tuple[Any, list[dict]]:
    """(stored value, select choices to add). Raises BadRequest naming the column."""
    kind = column["type"]
    added: list[dict] = []
    if kind in COMPUTED:
        raise _fail(column, f"{kind.replace('_', ' ')} columns are computed and cannot be edited")
    if kind in ("text", "long_text"):
        return _text(raw, column, single_line=kind == "text"), added
    if kind in ("number", "currency", "fund"):
        return parse_number(raw, column), added
    if kind == "percent":
        return parse_number(raw, column, percent=True), added
    if kind == "date":
        return parse_date(raw, column), added
    if kind == "checkbox":
        return parse_checkbox(raw, column), added
    if kind == "email":
        text = _text(raw, column, True)
        if text is None:
            return None, added
        text = text.lower()
        if not EMAIL_RE.match(text):
            raise _fail(column, f"'{raw}' is not a valid email address")
        return text, added
    if kind == "url":
        text = _text(raw, column, True)
        if text is None:
            return None, added
        if not _URL_OK.match(text):
            raise _fail(column, f"'{raw}' is not a web address")
        return (text if re.match(r"^https?://", text, re.I) else "https://" + text), added
    if kind == "phone":
        text = _text(raw, column, True)
        if text is None:
            return None, added
        if not _PHONE_OK.match(text) or sum(ch.isdigit() for ch in text) < 5:
            raise _fail(column, f"'{raw}' is not a phone number")
        return text, added
    if kind == "single_select":
        text = _text(raw, column, True)
        return (None if text is None else _choice(text, column, added)), added
    if kind == "multi_select":
        if raw is None:
            return None, added
        items = [part for part in raw.split(",")] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _fail(column, "expected a list of options")
        names: list[str] = []
        for item in items:
            item = item.strip()
            if item:
                name = _choice(item, column, added)
                if name not in names:
                    names.append(name)
        return (names or None), added
    if kind == "contacts":
        return _contacts(raw, column), added
    raise _fail(column, f"unknown column type {kind}")


def normalize_list(raw: Any, column: dict) -> str:
    text = _text(raw, column, True)
    slug = (text or "main").lower().replace("-", "_").replace(" ", "_")
    if slug not in LISTS:
        raise _fail(column, f"'{raw}' is not a list (main, follow_up, graveyard, longshot)")
    return slug
