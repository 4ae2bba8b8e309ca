"""Column types of the grid: which exist, what their options look like, and how a value a person or
a bot typed becomes the stored value (`"$1,250,000"` -> 1250000, `"6/14/2026"` -> "2026-06-14").

`normalize_value` is the one gate every cell write passes; failures are BadRequest naming the
column. Select columns may grow their choices on the way (returned so the caller can persist them).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..errors import BadRequest
from ..validation import EMAIL_RE

# Relationship signals, derived from captured mail (metadata only) by email_integration.signals.
SIGNALS = ("last_inbound", "last_outbound", "touches_90d", "knows_best", "relationship_strength")
# The strength levels, strongest first (sorting follows them), with the colour each is shown in.
STRENGTHS = {"Very strong": "green", "Strong": "teal", "Medium": "yellow", "Weak": "orange", "Very weak": "gray"}
TYPES = ("text", "long_text", "number", "currency", "percent", "date", "checkbox", "single_select",
         "multi_select", "email", "url", "phone", "contacts", "fund", "pipeline", "formula", "created_time",
         "last_modified_time", "last_modified_by", *SIGNALS)
COMPUTED = {"formula", "created_time", "last_modified_time", "last_modified_by", *SIGNALS}
NUMERIC = {"number", "currency", "percent", "fund"}
LISTS = ("main", "follow_up", "graveyard", "longshot")
# What the grid and an export show for each list ("Follow-up" reads back as follow_up).
LIST_LABELS = {"main": "Main", "follow_up": "Follow-up", "graveyard": "Graveyard", "longshot": "Longshot"}
CHOICE_COLORS = ("blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray")
MAX_TEXT = 100_000
MAX_COLUMN_NAME = 120  # characters in a column name
MAX_CONTACTS = 200

_NUMBER_JUNK = re.compile(r"[\s,$€£¥]|USD|EUR|GBP", re.I)
_SHORTHAND = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[kmb]$", re.I)
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.I)
_SCALES = {"k": 1e3, "m": 1e6, "b": 1e9}
# A time after a date: "3:05 PM", "at 15:05", "15:05:30", "3pm" (a bare hour needs am/pm).
_TIME = r"(?:,?\s+(?:at\s+)?(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?\s*([AaPp]\.?[Mm]\.?)?)?$"
# M/D/YYYY, M/D/YY, M/D and the same with dashes (US order, as Airtable's US locale reads them).
_US_DATE = re.compile(r"^(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?" + _TIME, re.ASCII)
# "June 14, 2026", "Jun 14 2026", "Sunday, June 14th, 2026 3:05 PM", "Jan 5" (this year).
_MONTH_DATE = re.compile(r"^(?:[A-Za-z]{3,9}\.?,?\s+)??([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?"
                         r"(?:,?\s+(\d{4}))?" + _TIME, re.ASCII)
# "14 June 2026", "5 Jan" (day first).
_DAY_MONTH_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?(?:,?\s+(\d{4}))?" + _TIME, re.ASCII)
_MONTHS = {name: i + 1 for i, names in enumerate(
    ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"))
    for name in names.split()}
_WEEKDAYS = {name: i for i, names in enumerate(
    ("monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thur thurs", "friday fri",
     "saturday sat", "sunday sun")) for name in names.split()}
_UNITS = {**dict.fromkeys(("d", "day", "days"), "day"), **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "week"),
          **dict.fromkeys(("m", "mo", "mos", "month", "months"), "month"),
          **dict.fromkeys(("y", "yr", "yrs", "year", "years"), "year")}
_UNIT = r"(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)"
_OFFSET = re.compile(r"^([+-])\s*(\d{1,4})\s*" + _UNIT + r"$", re.ASCII)          # +7d, -2 weeks, +1m
_IN_OFFSET = re.compile(r"^in\s+(\d{1,4})\s+" + _UNIT + r"$", re.ASCII)          # in 3 days
_AGO_OFFSET = re.compile(r"^(\d{1,4})\s+" + _UNIT + r"\s+ago$", re.ASCII)          # 2 weeks ago
_NEXT_LAST = re.compile(r"^(next|last)\s+(week|month|year)$", re.ASCII)
_WEEKDAY = re.compile(r"^(?:(next|this|last)\s+)?([a-z]{3,9})$", re.ASCII)
_RELATIVE_DAY = re.compile(r"^(today|now|tomorrow|yesterday)" + _TIME, re.ASCII)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
                       r" ?(z|[+-]\d{2}:?\d{2})?)?$", re.ASCII)
MIN_YEAR, MAX_YEAR = 1900, 2200  # a year outside is a typo (0026, 614), not a date
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
    if column_type == "relationship_strength":  # fixed levels, strongest first (sorting follows them)
        return {"choices": [{"name": name, "color": color} for name, color in STRENGTHS.items()], "allow_new": False}
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
    if column_type == "pipeline":  # the fund whose opportunities it shows (checked by the store)
        from .opportunities import DEFAULT_PROBABILITY, STAGE_COLORS
        fund_id = options.get("fund_id")
        if not isinstance(fund_id, str) or not fund_id.strip():
            raise BadRequest(f"column '{column_name}': options.fund_id must name the fund column it follows",
                             field="options")
        return {"fund_id": fund_id.strip(), "allow_new": False,
                "choices": [{"name": name, "color": color, "probability": DEFAULT_PROBABILITY[name]}
                            for name, color in STAGE_COLORS.items()]}
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
        # Shorthand people type for tickets and targets: 250k, 1.5m, 2b (shared/cell_input.jsx agrees).
        scale = _SCALES[text[-1].lower()] if not is_percent and _SHORTHAND.match(text) else 1
        if scale != 1:
            text = text[:-1]
        if not _PLAIN_DECIMAL.match(text):
            raise _fail(column, f"'{raw}' is not a number (try 1,250,000, 1.25m or 250k)")
        value = float(text)
        if scale != 1:
            value = float(format(value * scale, ".15g"))
        if negative:
            value = -value
        if percent:  # typed into a percent cell, "12.5" means 12.5% as "12.5%" does (as in Airtable)
            value = float(format(value / 100, ".15g"))
        elif is_percent:
            raise _fail(column, f"'{raw}' is a percentage; this is not a percent column")
    else:
        raise _fail(column, f"expected a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise _fail(column, "number must be finite")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    return value


def _add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept inside the month it lands in (Jan 31 + 1 month: Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("out of range")
    last = (date(year + (month == 11), (month + 1) % 12 + 1, 1) - date.resolution).day
    return date(year, month + 1, min(day.day, last))


def _moved(today: date, amount: int, unit: str) -> date:
    if unit == "day":
        return today + timedelta(days=amount)
    if unit == "week":
        return today + timedelta(weeks=amount)
    return _add_months(today, amount * (12 if unit == "year" else 1))


def _relative(text: str, today: date) -> date | None:
    """The day a relative phrase names ("+7d", "in 2 weeks", "3 days ago", "next month",
    "friday", "last monday"), or None when `text` is not one."""
    match = _OFFSET.match(text)
    if match:
        sign, amount, unit = match.groups()
        return _moved(today, int(amount) * (-1 if sign == "-" else 1), _UNITS[unit])
    match = _IN_OFFSET.match(text) or _AGO_OFFSET.match(text)
    if match:
        amount, unit = match.groups()
        return _moved(today, int(amount) * (-1 if text.endswith("ago") else 1), _UNITS[unit])
    match = _NEXT_LAST.match(text)
    if match:
        return _moved(today, 1 if match.group(1) == "next" else -1, match.group(2))
    match = _WEEKDAY.match(text)
    if match and match.group(2) in _WEEKDAYS:
        target = _WEEKDAYS[match.group(2)]
        if match.group(1) == "last":  # the latest such day before today
            return today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
        return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)  # the next one after today
    return None


def _clock(hour, minute, second, meridiem) -> tuple[int, int, int] | None:
    """(hour, minute, second) of a matched time, None when there is none; ValueError when the
    time is impossible (25:00, 13 pm) or a bare hour has no am/pm."""
    if hour is None:
        return None
    if minute is None and not meridiem:
        raise ValueError("a bare hour")
    hour, minute, second = int(hour), int(minute or 0), int(second or 0)
    meridiem = (meridiem or "").replace(".", "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError("hour")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("time")
    return hour, minute, second


def parse_date_text(text: str, today: date, now: datetime | None = None) -> date | datetime | None:
    """What a person typed into a date cell, as a day (or an aware UTC datetime when a time was
    given): ISO, M/D/YYYY, M/D/YY, M/D, "June 14, 2026", "14 June", "Jan 5", "today",
    "tomorrow", "+7d", "in 2 weeks", "friday"... None when it is not a date. `today` resolves
    relative phrases and dates without a year. The browser's parser (shared/cell_input.jsx)
    must agree; tests/test_column_types.py runs one table against both."""
    low = " ".join(text.strip().lower().split())
    if not low:
        return None
    try:
        parsed = _iso(low)  # first: what imports and API clients send (no other form reads as ISO)
        if parsed is not None:
            return parsed
        match = _RELATIVE_DAY.match(low)
        if match:
            word = match.group(1)
            clock = _clock(*match.group(2, 3, 4, 5))
            if word == "now" and clock is None:
                return now or datetime.combine(today, datetime.min.time(), timezone.utc)
            day = today + timedelta(days={"today": 0, "now": 0, "tomorrow": 1, "yesterday": -1}[word])
            return day if clock is None else datetime(day.year, day.month, day.day, *clock, tzinfo=timezone.utc)
        day = _relative(low, today)
        if day is not None:
            return day
        match = _US_DATE.match(low)
        if match:
            month, day_of_month, year = int(match.group(1)), int(match.group(3)), match.group(4)
            clock = _clock(*match.group(5, 6, 7, 8))
        else:
            match = _MONTH_DATE.match(low)
            if match:
                month_name, day_of_month, year = match.group(1), int(match.group(2)), match.group(3)
            else:
                match = _DAY_MONTH_DATE.match(low)
                if not match:
                    return None
                day_of_month, month_name, year = int(match.group(1)), match.group(2), match.group(3)
            month = _MONTHS.get(month_name)
            if month is None:
                return None
            clock = _clock(*match.group(4, 5, 6, 7))
        if year is None:
            year = today.year
        elif len(year) == 2:  # as strptime's %y reads it: 00-68 are 2000-2068, 69-99 are 1969-1999
            year = int(year) + (2000 if int(year) <= 68 else 1900)
        else:
            year = int(year)
        if clock is None:
            return date(year, month, day_of_month)
        return datetime(year, month, day_of_month, *clock, tzinfo=timezone.utc)
    except ValueError:
        return None


def _iso(text: str) -> date | datetime | None:
    """YYYY-MM-DD, or with a time (T or a space; seconds, fraction and Z/+hh:mm optional)."""
    match = _ISO_DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None:
        return date(int(year), int(month), int(day))
    offset = timezone.utc
    if zone and zone != "z":
        minutes = int(zone[1:3]) * 60 + int(zone[-2:])
        if int(zone[1:3]) > 23 or int(zone[-2:]) > 59:
            raise ValueError("offset")
        offset = timezone(timedelta(minutes=-minutes if zone[0] == "-" else minutes))
    micro = int((fraction or "0").ljust(6, "0"))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
                    tzinfo=offset).astimezone(timezone.utc)


def parse_date(raw: Any, column: dict, today: date | None = None) -> str | None:
    """'YYYY-MM-DD' for date columns, ISO-8601 UTC for date-time columns (see parse_date_text)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str):
        raise _fail(column, f"expected a date string, got {type(raw).__name__}")
    now = datetime.now(timezone.utc)
    parsed = parse_date_text(raw, today or date.today(), now)
    if parsed is None:
        raise _fail(column, f"'{raw}' is not a date (try 6/14/2026, 2026-06-14, June 14, tomorrow or +7d)")
    year = parsed.year if not isinstance(parsed, datetime) else parsed.astimezone(timezone.utc).year
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(column, f"'{raw}' is in the year {year:04d}; dates must fall between {MIN_YEAR} and {MAX_YEAR}")
    include_time = column.get("options", {}).get("include_time", False)
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
    if kind == "pipeline":
        from . import opportunities  # it reads numbers and dates with this module's parsers
        return opportunities.normalize(column, raw), added
    raise _fail(column, f"unknown column type {kind}")


def normalize_list(raw: Any, column: dict) -> str:
    text = _text(raw, column, True)
    slug = (text or "main").lower().replace("-", "_").replace(" ", "_")
    if slug not in LISTS:
        raise _fail(column, f"'{raw}' is not a list (main, follow_up, graveyard, longshot)")
    return slug
