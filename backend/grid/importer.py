"""Airtable CSV import and export, pure (no database, no HTTP).

    read_csv(bytes) -> CsvTable                  decode, parse, physical line numbers, limits
    infer_columns(table) -> [ColumnGuess]         a grid type per CSV column, with its reason
    plan_import(table, columns, rows, ...) -> ImportPlan
                                                  creates / updates / unchanged / errors against the
                                                  live grid; the caller applies it in one transaction
    export_csv(columns, rows) -> bytes            the grid as Airtable writes it, formula-injection safe

Values are parsed for their target column and then passed through `column_types.normalize_value`,
so a planned value is exactly what the grid stores; re-planning a file after applying its plan
finds nothing to do. Bad input is a `BadRequest` (the file cannot be read, a bad mapping) or an
error entry in the plan (a row or a cell); nothing else is raised.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from . import column_types as ct
from ..errors import BadRequest
from ..validation import EMAIL_RE

MAX_ROWS = 100_000
MAX_COLUMNS = 500

# --- reading --------------------------------------------------------------------------------------

# Bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode as their Latin-1 control
# characters, as browsers do, so a legacy file never fails to decode.
codecs.register_error("importer-latin1", lambda exc: (exc.object[exc.start:exc.end].decode("latin-1"), exc.end))

# A spreadsheet evaluates a cell starting with one of these; an exported cell gets a leading "'".
_DANGER = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[$€£¥]?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?%?\Z")


@dataclass
class CsvTable:
    headers: list[str]       # unique names (duplicates get " (2)", empty ones "Column N")
    rows: list[list[str]]    # each padded to len(headers); rows that could not be read are left out
    lines: list[int]         # the physical line each row starts on (the header is line 1)
    encoding: str            # "utf-8", "utf-8-sig" (with BOM) or "windows-1252"
    warnings: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line", "message"} for rows left out


def _line_of(text: str, pos: int) -> int:
    return 1 + len(re.findall(r"\r\n|\r|\n", text[:pos]))


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadRequest("the file is UTF-16 text; export it as CSV (UTF-8) and try again")
    body, encoding = (data[3:], "utf-8-sig") if data.startswith(codecs.BOM_UTF8) else (data, "utf-8")
    try:
        return body.decode("utf-8"), encoding
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="importer-latin1"), "windows-1252"


def _unprotect(value: str) -> str:
    """Drop the one protective "'" `export_csv` put in front of a cell a spreadsheet would run."""
    if value[:1] == "'" and value[1:].lstrip("'")[:1] in _DANGER:
        return value[1:]
    return value


def _clean(value: str) -> str:
    if value[:1] == "'":
        value = _unprotect(value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _csv_problem(exc: csv.Error, start: int, line: int) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return f"line {start}: unterminated quoted field"
    if "expected after" in text:
        where = "" if line == start else f" (the quoted field runs on to line {line})"
        return f"line {start}: text after a closing quote; a quote inside a quoted field must be doubled{where}"
    if "field larger than field limit" in text:
        return f"line {start}: a field is longer than {csv.field_size_limit():,} characters"
    return f"line {start}: {text}"


def _physical_lines(text: str, chunk: int = 1 << 20):
    """The text's lines as io.StringIO(newline="") splits them, a megabyte at a time. One StringIO
    over a whole 15 MB file copies it at four bytes a character in one call that holds the GIL
    (~60 ms: every other request waits). Cutting just after a "\n" never splits a line ending."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + chunk)
        end = len(text) if cut < 0 else cut + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def read_csv(data: bytes) -> CsvTable:
    """Parse CSV bytes. An unreadable file (broken quoting, NUL, over a limit) is a BadRequest naming
    the line; a row with more fields than the header is an error for its line (in `errors`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BadRequest("the CSV must be sent as bytes")
    data = bytes(data)  # its size was bounded by the server (CRM_MAX_IMPORT_BYTES) before it was read
    text, encoding = _decode(data)
    if "\x00" in text:
        line = _line_of(text, text.index("\x00"))
        raise BadRequest(f"line {line}: the file contains a NUL byte (is it really a CSV file?)", line=line)

    reader = csv.reader(_physical_lines(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    end = 0
    filled = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            records.append((start, fields))
            if any(fields):
                filled += 1
                if filled > MAX_ROWS + 1:
                    raise BadRequest(f"the file has more than {MAX_ROWS:,} rows; split it into smaller files")
    except csv.Error as exc:
        raise BadRequest(_csv_problem(exc, end + 1, reader.line_num), line=end + 1) from None

    while records and _blank(records[-1][1]):
        records.pop()
    if not records:
        raise BadRequest("the file is empty")
    header_line, raw_headers = records[0]
    if _blank(raw_headers):
        raise BadRequest(f"line {header_line}: the header row is empty", line=header_line)
    if len(raw_headers) > MAX_COLUMNS:
        raise BadRequest(f"the file has {len(raw_headers)} columns; at most {MAX_COLUMNS} can be imported")

    warnings: list[str] = []
    headers = _unique_headers([_clean(h).strip() for h in raw_headers], warnings)
    width = len(headers)
    table = CsvTable(headers, [], [], encoding, warnings)
    short, skipped = [], []
    for line, fields in records[1:]:
        if _blank(fields):
            skipped.append(line)
            continue
        if len(fields) > width:
            table.errors.append({"line": line, "message": f"the row has {len(fields)} fields but the header has "
                                 f"{width} (a value containing a comma must be quoted)"})
            continue
        fields = [_clean(f) if f and (f[0] == "'" or "\r" in f) else f for f in fields]
        if len(fields) < width:
            short.append(line)
            fields += [""] * (width - len(fields))
        table.rows.append(fields)
        table.lines.append(line)
    if short:
        warnings.append(f"rows with fewer fields than the header (the missing values are empty): {_lines(short)}")
    if skipped:
        warnings.append(f"blank rows skipped: {_lines(skipped)}")
    return table


def _blank(fields: list[str]) -> bool:
    return not any(f.strip() for f in fields)


def _lines(lines: list[int]) -> str:
    more = f" and {len(lines) - 10} more" if len(lines) > 10 else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(str(n) for n in lines[:10]) + more


def _unique_headers(names: list[str], warnings: list[str]) -> list[str]:
    names = [name or f"Column {i + 1}" for i, name in enumerate(names)]
    taken = {name.casefold() for name in names}
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        if name.casefold() in seen:
            n = 2
            while f"{name} ({n})".casefold() in taken:
                n += 1
            warnings.append(f"column {i + 1}: the name '{name}' is used twice; this one is called '{name} ({n})'")
            name = f"{name} ({n})"
            taken.add(name.casefold())
        seen.add(name.casefold())
        out.append(name)
    return out


# --- inference ------------------------------------------------------------------------------------

@dataclass
class ColumnGuess:
    name: str
    inferred_type: str
    options: dict
    sample: list[str]   # up to 3 distinct non-empty raw values, in file order
    problems: int       # non-empty cells that do not fit the inferred type (errors when imported as it)
    reason: str         # why this type, in a few words (shown in the mapping screen)

    def as_dict(self) -> dict:
        return asdict(self)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)


# "Fund I", "Fund III", "Fund 2024", "Growth Fund II": the word fund, then a year/number or a Roman numeral.
_ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_FUND_HEADER = re.compile(rf"(?i:(?:.*\s)?fund)\s+(?:\d{{1,4}}|{_ROMAN})")
_AMOUNT = r"(?:(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0)(?:\.\d+)?|\.\d+)"  # no leading zeros: "02134" is a code
_NUMBER = re.compile(rf"[+-]?{_AMOUNT}(?:[eE][+-]?\d+)?|\({_AMOUNT}\)")
_MONEY = re.compile(rf"[+-]?\s*([$€£¥])\s*[+-]?{_AMOUNT}|\(\s*([$€£¥])\s*{_AMOUNT}\s*\)")
_ABBREVIATED = re.compile(r"\(?\s*[+-]?\s*[$€£¥]?\s*\d+(?:[.,]\d+)?\s*"
                          r"(?:k|m|mm|mn|b|bn|thousand|million|billion)\.?\s*\)?", re.I)
_PERCENT = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)\s*%")
_DATE_SHAPE = re.compile(r"\d{4}")  # every accepted date has a 4-digit year: a cheap pre-check
_HAS_TIME = re.compile(r"\d:\d\d")
_URL = re.compile(r"https?://\S+|(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
                  r"\.[a-z]{2,24}(?:[/?#]\S*)?", re.I)
_PHONE_HEADER = re.compile(r"(?i)phone|mobile|\btel\b|\bcell\b|fax")
_ATTACHMENT = re.compile(r"[^\n]+? \(https?://[^\s)]+\)(?:,\s*[^\n]+? \(https?://[^\s)]+\))*")
_PERSONISH = re.compile(r"[A-Z][\w'’.&-]*(?: [A-Z][\w'’.&-]*){1,3}")
_LINK_HEADER = re.compile(r"(?i)linked|link to|collaborator|assignee|assigned|people|contacts|investors|"
                          r"companies|records")
_CHECKBOX_WORDS = {"checked", "true", "false", "yes", "no"}
_SYMBOL_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_TOLERANCE = 10  # a typed guess survives one misfit cell in ten; the misfits are its problems


def _misfits(counts: Counter, total: int, fits) -> int | None:
    """Cells whose value does not fit, or None when more than one in ten does not."""
    allowed, bad = total // _TOLERANCE, 0
    for value, count in counts.items():
        if not fits(value):
            bad += count
            if bad > allowed:
                return None
    return bad


def _is_date(value: str) -> bool:
    if not _DATE_SHAPE.search(value):
        return False
    try:
        ct.parse_date(value, _PROBE_DATE)
        return True
    except BadRequest:
        return False


_PROBE_DATE = {"id": "probe", "name": "probe", "type": "date", "options": {"include_time": True}}


def _is_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return 7 <= digits <= 15 and bool(ct._PHONE_OK.match(value))


def _numeric_guess(counts: Counter, total: int, money: bool) -> tuple[int, str] | None:
    """(problems, symbol) when the column holds amounts (money: with a currency symbol)."""
    symbols: Counter = Counter()
    strict = abbreviated = 0

    def fits(value: str) -> bool:
        nonlocal strict, abbreviated
        match = _MONEY.fullmatch(value) if money else None
        if match:
            symbols[match.group(1) or match.group(2)] += counts[value]
        if match or _NUMBER.fullmatch(value):
            strict += counts[value]
            return True
        if _ABBREVIATED.fullmatch(value):
            abbreviated += counts[value]
            return True
        return False

    misfits = _misfits(counts, total, fits)
    if misfits is None or not strict or (money and not symbols):
        return None
    return misfits + abbreviated, (symbols.most_common(1)[0][0] if symbols else "$")


def _split_items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",")]


def _multi_select(header: str, counts: Counter) -> tuple[list[str] | None, str]:
    """(choices, reason) when comma-separated items come from a small vocabulary that recombines;
    (None, reason) for lists of linked records or people (kept as text); (None, "") otherwise."""
    if not any("," in value for value in counts):
        return None, ""
    items: dict[str, str] = {}     # folded -> first spelling, in first-seen order
    uses: Counter = Counter()
    combos: Counter = Counter()     # in how many distinct cells an item appears
    for value, count in counts.items():
        parts = _split_items(value)
        if any(not part or len(part) > 60 for part in parts):
            return None, ""
        for part in dict.fromkeys(p.casefold() for p in parts):
            items.setdefault(part, next(p for p in parts if p.casefold() == part))
            uses[part] += count
            combos[part] += 1
    if _LINK_HEADER.search(header):
        return None, "linked records or people (kept as text)"
    if sum(1 for name in items.values() if _PERSONISH.fullmatch(name)) >= 0.8 * len(items):
        return None, "names of linked records or people (kept as text)"
    if len(items) > 50 or sum(uses.values()) < 2 * len(items) or max(combos.values()) < 2:
        return None, ""
    return list(items.values()), f"comma-separated items from {len(items)} choices"


def _guess(header: str, values: list[str], primary: bool) -> ColumnGuess:
    counts: Counter = Counter()
    sample: list[str] = []
    for raw in values:
        if raw:
            value = raw.strip()
            if value:
                if value not in counts and len(sample) < 3:
                    sample.append(raw)
                counts[value] += 1
    total = sum(counts.values())

    def guess(kind: str, reason: str, options: dict | None = None, problems: int = 0) -> ColumnGuess:
        clean = ct.normalize_options(kind, options or {}, header)
        return ColumnGuess(header, kind, clean, sample, problems, reason)

    fund_header = bool(_FUND_HEADER.fullmatch(header.strip()))
    if primary:
        return guess("text", "the key / primary column")
    if not total:
        return guess("fund", "an empty fund column") if fund_header else guess("text", "no values")
    longest = max(len(v) for v in counts)
    if longest > 200 or any("\n" in v for v in counts):
        return guess("long_text", "multi-line or long text")
    if any("(http" in v and _ATTACHMENT.fullmatch(v) for v in counts):
        return guess("text", "attachments (file names and links, kept as text)")
    if set(v.casefold() for v in counts) <= _CHECKBOX_WORDS:
        return guess("checkbox", "only checked / true / false / yes / no")
    problems = _misfits(counts, total, _PERCENT.fullmatch)
    if problems is not None:
        return guess("percent", "percentages", problems=problems)
    for money in (True, False):
        found = _numeric_guess(counts, total, money)
        if found:
            problems, symbol = found
            # Precision 0: whole amounts read "$50,000" and amounts with cents "$12,500.50" (the grid
            # shows the cents an amount has), so a column of Airtable's "$50,000.00" is not all ".00".
            options = {"symbol": symbol, "precision": 0}
            if fund_header:
                options["currency"] = _SYMBOL_CURRENCY.get(symbol, "USD")
                return guess("fund", "amounts under a fund header", options, problems)
            if money:
                return guess("currency", "amounts with a currency symbol", options, problems)
            if _PHONE_HEADER.search(header) and _misfits(counts, total, _is_phone) is not None:
                break  # digits-only phone numbers under a Phone header: the phone check below
            return guess("number", "numbers", problems=problems)
    problems = _misfits(counts, total, _is_date)
    if problems is not None:
        timed = any(_HAS_TIME.search(v) for v in counts if _is_date(v))
        return guess("date", "dates" + (" with times" if timed else ""), {"include_time": timed}, problems)
    for kind, fits, reason in (("email", lambda v: bool(EMAIL_RE.match(v)), "email addresses"),
                               ("url", _URL.fullmatch, "web addresses"),
                               ("phone", _is_phone, "phone numbers")):
        problems = _misfits(counts, total, fits)
        if problems is not None:
            return guess(kind, reason, problems=problems)
    choices, why = _multi_select(header, counts)
    if choices:
        return guess("multi_select", why, {"choices": choices})
    if why:
        return guess("text", why)
    distinct: dict[str, str] = {}  # folded -> first spelling
    for value in counts:
        distinct.setdefault(value.casefold(), value)
    if len(distinct) <= 50 and total >= 2 * len(distinct) and longest <= 80:
        return guess("single_select", f"{len(distinct)} distinct values in {total} cells",
                     {"choices": list(distinct.values())})
    return guess("text", "free text")


def infer_columns(table: CsvTable, key: str = "Name") -> list[ColumnGuess]:
    """A grid type per CSV column: deterministic, each with its reason. The key column and a
    column named Name are the primary text column."""
    primary = {"name", str(key).strip().casefold()}
    return [_guess(header, [row[i] for row in table.rows], header.casefold() in primary)
            for i, header in enumerate(table.headers)]


# --- planning -------------------------------------------------------------------------------------

MAX_CHANGES = 200  # updated investors whose changed cells a preview lists (the count covers all)


@dataclass
class ImportPlan:
    new_columns: list[dict]          # [{"name", "type", "options"}] to create first, in file order
    choices_to_add: dict             # {column ref: [choice names]} for existing select columns
    creates: list[dict]              # [{"line", "values": {column ref: value}}]
    updates: list[dict]              # [{"line", "row_id", "values": {ref: new}, "old": {ref: old}}]
    unchanged: int
    errors: list[dict]               # [{"line", "column"?, "message"}], by line
    warnings: list[str]
    columns: list[dict]              # one per CSV header: where it goes and what it holds
    row_count: int
    encoding: str
    people: list[dict] = field(default_factory=list)       # [{"person", "columns": {field: header}}]
    changes: list[dict] = field(default_factory=list)      # the first MAX_CHANGES updates, cell by cell
    new_options: list[dict] = field(default_factory=list)  # [{"column_id", "column", "new_column", "options"}]
    people_added: int = 0                                  # people new to Contacts (by email, else name)

    def as_dict(self) -> dict:
        return asdict(self)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def preview(self, key: str) -> dict:
        """What the import screen shows before anything is written: columns, counts, problems, the
        people per row, the cells each updated investor changes and the select options it adds."""
        d = self.as_dict()
        return {"columns": [{"name": c["header"], **c} for c in d["columns"]], "row_count": d["row_count"],
                "errors": d["errors"], "warnings": d["warnings"], "encoding": d["encoding"], "key": key,
                "created": len(d["creates"]), "updated": len(d["updates"]), "unchanged": d["unchanged"],
                "new_columns": d["new_columns"], "people": d["people"], "people_added": d["people_added"],
                "changes": d["changes"], "changes_total": len(d["updates"]), "new_options": d["new_options"]}


_KEY_DROP = re.compile(r"['’‘`.]")
_KEY_SEPARATORS = re.compile(r"[\W_]+")
_TEXTUAL = {"text", "long_text", "single_select"}


def normalize_key(text: str) -> str:
    """How keys match: case-insensitive, whitespace-collapsed, punctuation-insensitive, so
    "Acme Capital LLC", "acme capital, llc" and " Acme  Capital LLC. " are one investor."""
    folded = _KEY_DROP.sub("", unicodedata.normalize("NFKC", text).casefold())
    return _KEY_SEPARATORS.sub(" ", folded).strip()


@dataclass
class _Target:
    header: str
    index: int
    guess: ColumnGuess
    ref: str | None = None          # existing column id, or "new:<name>"; None: not imported
    column: dict | None = None      # the column as column_types sees it (options grow with choices)
    kind: str | None = None         # its type
    builtin: str | None = None      # the investor field of a built-in column (name, list, ...)
    new: bool = False
    added: list[str] = field(default_factory=list)  # choices this import adds
    memo: dict = field(default_factory=dict)        # raw cell -> (value, added names) | BadRequest
    errors: int = 0
    person: tuple[int, str] | None = None           # (person number, field): a person's field in Contacts
    groups: list[dict] = field(default_factory=list)  # the Contacts target's people: [{field: _Target}]

    def bind(self, ref: str, column: dict, new: bool = False) -> None:
        self.ref, self.column, self.kind, self.builtin, self.new = ref, column, column["type"], column.get("field"), new


_SPEC_KEYS = {"skip", "to", "type", "options", "contact", "person"}
_MEMO_TYPES = {"number", "currency", "percent", "fund", "date", "checkbox", "single_select",
               "multi_select", "url", "phone", "email"}


def _column_dict(column: Any) -> dict:
    if not isinstance(column, dict):
        column = column.lookup() if hasattr(column, "lookup") else {}
    for key in ("id", "name", "type"):
        if not isinstance(column.get(key), str):
            raise BadRequest(f"grid column {column!r} needs an id, a name and a type")
    return {"id": column["id"], "name": column["name"], "type": column["type"],
            "options": dict(column.get("options") or {}), "field": column.get("field")}


def _resolve(table: CsvTable, guesses: list[ColumnGuess], live: list[dict], mapping: Any,
             warnings: list[str], key_header: str) -> list[_Target]:
    """Where each CSV column goes (a column, or a person's field in Contacts); every mapping
    mistake is a BadRequest naming it."""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise BadRequest("mapping must be an object of CSV column -> {skip | to | type | options}", field="mapping")
    headers = {h.casefold(): h for h in table.headers}
    specs: dict[str, dict] = {}
    unknown = []
    for name, spec in mapping.items():
        header = name if name in table.headers else headers.get(str(name).casefold())
        if header is None:
            unknown.append(str(name))
            continue
        if not isinstance(spec, dict):
            raise BadRequest(f"mapping for '{header}' must be an object like "
                             '{"to": "Column"} or {"skip": true}', field="mapping", column=header)
        extra = sorted(str(k) for k in set(spec) - _SPEC_KEYS)
        if extra:
            raise BadRequest(f"mapping for '{header}' has unknown key(s) {', '.join(extra)} "
                             "(use skip, to, type, options, or contact and person)", field="mapping", column=header)
        contact, person = spec.get("contact"), spec.get("person")
        if contact is not None and contact is not False and contact not in PERSON_FIELDS:
            raise BadRequest(f"mapping for '{header}': contact must be one of {', '.join(PERSON_FIELDS)} "
                             "(or false: not a person's field)", field="mapping", column=header)
        if contact and set(spec) & {"skip", "to", "type", "options"}:
            raise BadRequest(f"mapping for '{header}': a contact field goes to the people in Contacts; "
                             "it takes no skip, to, type or options", field="mapping", column=header)
        if person is not None and (not contact or not isinstance(person, int) or isinstance(person, bool)
                                   or not 1 <= person <= MAX_PEOPLE):
            raise BadRequest(f"mapping for '{header}': person must be a number from 1 to {MAX_PEOPLE}, "
                             "given with a contact field", field="mapping", column=header)
        specs[header] = spec
    if unknown:
        raise BadRequest(f"mapping names column(s) the file does not have: {', '.join(unknown)}",
                         field="mapping", unknown=unknown)
    by_id = {c["id"]: c for c in live}
    by_name = {c["name"].strip().casefold(): c for c in live}
    contacts = next((c for c in live if c["type"] == "contacts"), None)
    people = _people_slots(table, guesses, specs, key_header, live, warnings)
    targets, used = [], {}
    for index, (header, guess) in enumerate(zip(table.headers, guesses)):
        spec = {k: v for k, v in specs.get(header, {}).items() if k not in ("contact", "person")}
        target = _Target(header, index, guess, person=people.get(header))
        targets.append(target)
        if target.person:
            continue
        skip = spec.get("skip", False)
        if not isinstance(skip, bool):
            raise BadRequest(f"mapping for '{header}': skip must be true or false", field="mapping", column=header)
        if skip:
            continue
        to, kind, options = spec.get("to"), spec.get("type"), spec.get("options")
        if to is not None and (not isinstance(to, str) or not to.strip()):
            raise BadRequest(f"mapping for '{header}': 'to' must be a column id or name", field="mapping", column=header)
        if kind is not None and kind not in ct.TYPES:
            raise BadRequest(f"mapping for '{header}': unknown type '{kind}' (one of {', '.join(ct.TYPES)})",
                             field="mapping", column=header)
        name = to.strip() if to else header
        existing = by_id.get(to) if to else None
        existing = existing or by_name.get(name.casefold())
        if existing is not None:
            if existing["type"] in ct.COMPUTED:
                if spec:
                    raise BadRequest(f"mapping for '{header}': column '{existing['name']}' is computed "
                                     f"({existing['type'].replace('_', ' ')}) and cannot be imported into",
                                     field="mapping", column=header)
                warnings.append(f"column '{header}' is not imported: '{existing['name']}' is a computed column")
                continue
            if kind is not None and kind != existing["type"]:
                raise BadRequest(f"mapping for '{header}': column '{existing['name']}' exists as {existing['type']}, "
                                 f"not {kind}; map to it without a type or choose a new name",
                                 field="mapping", column=header)
            if options is not None:
                raise BadRequest(f"mapping for '{header}': options apply only to a new column "
                                 f"('{existing['name']}' exists)", field="mapping", column=header)
            target.bind(existing["id"], existing)
        else:
            if to and kind is None:
                raise BadRequest(f"mapping for '{header}': there is no column '{to}' (give a type to create it)",
                                 field="mapping", column=header)
            kind = kind or guess.inferred_type
            if kind in ct.COMPUTED:
                raise BadRequest(f"mapping for '{header}': {kind.replace('_', ' ')} columns are computed; "
                                 "they cannot be created by an import", field="mapping", column=header)
            if kind == "contacts" and contacts is not None:
                raise BadRequest(f"mapping for '{header}': the grid already has a contacts column "
                                 f"('{contacts['name']}'); map to it instead", field="mapping", column=header)
            if len(name) > ct.MAX_COLUMN_NAME:
                raise BadRequest(f"column name '{name[:40]}…' is longer than {ct.MAX_COLUMN_NAME} characters; "
                                 "map it to a shorter name or skip it", field="mapping", column=header)
            if options is None:
                options = guess.options if kind == guess.inferred_type else {}
            clean = ct.normalize_options(kind, options, name)
            target.bind(f"new:{name}", {"id": f"new:{name}", "name": name, "type": kind, "options": clean}, new=True)
        other = used.get(target.ref.casefold())
        if other is not None:
            raise BadRequest(f"columns '{other}' and '{header}' both go to '{target.column['name']}'; "
                             "skip one or map it elsewhere", field="mapping", column=header)
        used[target.ref.casefold()] = header
    return targets


# --- people: person columns ("Primary Contact", "Email", "Phone") into the Contacts column ------------

# How Airtable, Affinity and spreadsheet exports name a person's columns: "Primary Contact",
# "Contact Name", "Contact Email", "Email", "Phone", "Title", "Secondary Contact" / "Secondary
# Email", "Contact 2 Phone", "First Name" / "Last Name".
PERSON_FIELDS = ("name", "first_name", "last_name", "email", "phone", "title")
MAX_PEOPLE = 10
_PERSON_ANCHORS = {"name", "first_name", "last_name", "email"}  # a person needs a name or an email
_PERSON_ORDINALS = {"primary": 1, "main": 1, "key": 1, "1st": 1, "secondary": 2, "second": 2, "2nd": 2,
                    "alternate": 2, "alt": 2, "third": 3, "3rd": 3, "tertiary": 3}
_PERSON_WORDS = {
    "": "name", "name": "name", "full name": "name", "first name": "first_name", "given name": "first_name",
    "last name": "last_name", "surname": "last_name", "family name": "last_name", "email": "email",
    "email address": "email", "phone": "phone", "phone number": "phone", "mobile": "phone", "mobile phone": "phone",
    "cell": "phone", "cell phone": "phone", "telephone": "phone", "tel": "phone", "work phone": "phone",
    "direct phone": "phone", "office phone": "phone", "title": "title", "job title": "title", "role": "title",
    "position": "title"}
# Alone, these name the investor ("Name") or something else ("Position"): only "Contact ..." is a person.
_NAMED_ONLY = {"", "name", "full name", "role", "position"}
# What a column's values must look like to be read as that field (an "Email" column of notes is not).
_PERSON_KINDS = {"email": {"email"}, "name": {"text", "single_select"}, "first_name": {"text", "single_select"},
                 "last_name": {"text", "single_select"}, "title": {"text", "single_select"}}


def _person_slot(header: str) -> tuple[int, str] | None:
    """(person number, field) when a header reads like a person's field; "Email" alone is the
    first person's, "Last Contact" and "Contact Owner" are not a person's at all."""
    text = header.casefold().replace("e-mail", "email").replace("point of contact", "contact")
    number, named, rest = None, False, []
    for word in re.findall(r"[a-z0-9]+", text):
        if word in ("contact", "person"):
            named = True
        elif number is None and (word in _PERSON_ORDINALS or (word.isdigit() and 1 <= int(word) <= MAX_PEOPLE)):
            number = _PERSON_ORDINALS.get(word) or int(word)
        else:
            rest.append(word)
    words = " ".join(rest)
    found = _PERSON_WORDS.get(words)
    if found is None or (words in _NAMED_ONLY and not named):
        return None
    return number or 1, found


def _fills_contacts(header: str, spec: dict, contacts: dict) -> bool:
    """Whether a CSV column goes to the Contacts column itself (a cell of people, as exported)."""
    if spec.get("skip") or spec.get("contact") or spec.get("type") not in (None, "contacts"):
        return False
    to = spec.get("to")
    return to == contacts["id"] or (to or header).strip().casefold() == contacts["name"].strip().casefold()


def _people_slots(table: CsvTable, guesses: list[ColumnGuess], specs: dict, key_header: str,
                  live: list[dict], warnings: list[str]) -> dict[str, tuple[int, str]]:
    """The CSV columns that are a person's fields: header -> (person number, field). The mapping's
    `contact` decides; where it says nothing, headers that read like a person's fields (and hold
    values that fit) are, one person per row each. A person needs a name or an email column."""
    contacts = next((c for c in live if c["type"] == "contacts"), None)
    slots: dict[tuple[int, str], str] = {}
    for header, spec in specs.items():
        if spec.get("contact"):
            slot = (spec.get("person", 1), spec["contact"])
            if slot in slots:
                raise BadRequest(f"columns '{slots[slot]}' and '{header}' are both person {slot[0]}'s "
                                 f"{slot[1].replace('_', ' ')}; map one elsewhere", field="mapping", column=header)
            slots[slot] = header
    given = set(slots.values())
    if contacts is None:
        if given:
            header = min(given)
            raise BadRequest(f"mapping for '{header}': the grid has no contacts column for people (restore it "
                             "from the archive, or import these as columns)", field="mapping", column=header)
        return {}
    fills = next((h for h in table.headers if _fills_contacts(h, specs.get(h, {}), contacts)), None)
    if fills and given:
        raise BadRequest(f"column '{fills}' already fills '{contacts['name']}'; it cannot also take person "
                         f"columns ({', '.join(sorted(given))})", field="mapping", column=fills)
    live_names = {c["name"].strip().casefold() for c in live}
    unused = []  # person-like columns left as columns because the file's own Contacts column fills it
    for header, guess in zip(table.headers, guesses):
        if header in specs or header.casefold() in (key_header.casefold(), "name"):
            continue
        slot = _person_slot(header)
        kinds = _PERSON_KINDS.get(slot[1]) if slot else None
        if slot and slot not in slots and (not guess.sample or kinds is None or guess.inferred_type in kinds):
            if not fills:
                slots[slot] = header
            elif header.casefold() not in live_names:  # one going to a column already there is as meant
                unused.append(header)
    if unused:
        warnings.append(f"{', '.join(unused)} are imported as columns, not as people: the file's '{fills}' "
                        f"column fills '{contacts['name']}'")
    anchored = {number for number, fld in slots if fld in _PERSON_ANCHORS}
    for (number, fld), header in slots.items():
        if number not in anchored and header in given:
            raise BadRequest(f"mapping for '{header}': person {number} has a {fld.replace('_', ' ')} column but no "
                             "name or email column", field="mapping", column=header)
    people = {header: slot for slot, header in slots.items() if slot[0] in anchored}
    # A grid imported before people were: its "Email" column stops being filled, which should be seen.
    moved = [h for h in people if h not in given and h.casefold() in live_names]
    if moved:
        it = "it" if len(moved) == 1 else "them"
        warnings.append(f"{', '.join(moved)} {'goes' if it == 'it' else 'go'} to the people in '{contacts['name']}' "
                        f"now, not to the grid's column{'' if it == 'it' else 's'} of the same name; map {it} there "
                        f"to keep filling {it}")
    return people


def _people_target(targets: list[_Target], live: list[dict]) -> _Target | None:
    """The Contacts column as the target of the person columns, their groups in person order."""
    groups: dict[int, dict[str, _Target]] = {}
    for target in targets:
        if target.person:
            groups.setdefault(target.person[0], {})[target.person[1]] = target
    if not groups:
        return None
    people = _Target(", ".join(t.header for t in targets if t.person), -1, None)
    people.bind(*next((c["id"], c) for c in live if c["type"] == "contacts"))
    people.groups = [groups[number] for number in sorted(groups)]
    return people


def _row_people(people: _Target, cells: list[str], line: int, errors: list[dict]) -> list[tuple[dict, set]]:
    """The people one row names, a person per group: (their fields, the fields the file has columns
    for). A bad email, or a phone or title with nobody to belong to, is an error for its cell."""
    found = []
    for group in people.groups:
        raw = {fld: cells[t.index].strip() for fld, t in group.items()}
        name = raw.get("name") or " ".join(filter(None, (raw.get("first_name"), raw.get("last_name"))))
        person = {"name": name or None, "email": raw.get("email", "").lower() or None,
                  "phone": raw.get("phone") or None, "title": raw.get("title") or None}
        problem = None
        if person["email"] and not EMAIL_RE.match(person["email"]):
            problem = group["email"], f"'{raw['email']}' is not a valid email address"
        elif not (person["name"] or person["email"]) and (person["phone"] or person["title"]):
            fld = "phone" if person["phone"] else "title"
            problem = group[fld], f"the {fld} '{raw[fld]}' belongs to no one: this line has no contact name or email"
        if problem:
            problem[0].errors += 1
            errors.append({"line": line, "column": problem[0].header, "message": problem[1]})
        elif person["name"] or person["email"]:
            named = {"name"} if group.keys() & {"name", "first_name", "last_name"} else set()
            found.append((person, named | (group.keys() & {"email", "phone", "title"})))
    return found


def _merge_people(stored: Any, found: list[tuple[dict, set]], empty: str) -> list[dict]:
    """The investor's people with the file's merged in: a person already there (the same email,
    else the same name) takes the file's values, an empty cell clearing a phone or title only
    with empty=clear; anyone new is added after them. Nobody is removed."""
    people = [dict(p) for p in (stored if isinstance(stored, list) else []) if isinstance(p, dict)]
    for person, fields in found:
        match = _find_person(people, person) if people else None
        if match is None:
            people.append(dict(person))
            continue
        for key in fields:
            if person[key]:
                match[key] = person[key]
            elif empty == "clear" and key in ("phone", "title"):
                match[key] = None
    return people


def _find_person(pool: list[dict], person: dict) -> dict | None:
    """The person in `pool` that `person` is: the same email, else the same name (case-insensitive)."""
    for key in ("email", "name"):
        wanted = " ".join((person.get(key) or "").casefold().split())
        if wanted:
            match = next((p for p in pool if " ".join((p.get(key) or "").casefold().split()) == wanted), None)
            if match is not None:
                return match
    return None


# Contacts in a cell: one person per line, "Name <email> · phone · title" (parts present only).
_PERSON_HEAD = re.compile(r"(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*\Z")
_PERSON_SEP = re.compile(r"\s+·\s+|\s*·\s*")


def parse_contacts(text: str) -> list[dict]:
    people = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        head, *rest = _PERSON_SEP.split(line)
        person: dict[str, Any] = {}
        match = _PERSON_HEAD.match(head)
        if match:
            person["name"], person["email"] = match.group("name") or None, match.group("email") or None
        elif EMAIL_RE.match(head):
            person["email"] = head
        else:
            person["name"] = head
        titles = []
        for part in rest:
            if "phone" not in person and not titles and _is_phone_part(part):
                person["phone"] = part
            elif part:
                titles.append(part)
        if titles:
            person["title"] = " · ".join(titles)
        people.append(person)
    return people


def _is_phone_part(part: str) -> bool:
    return bool(ct._PHONE_OK.match(part)) and sum(ch.isdigit() for ch in part) >= 5


def _person_fields(people: Any) -> list[tuple]:
    return [(p.get("name"), p.get("email"), p.get("phone"), p.get("title"))
            for p in (people if isinstance(people, list) else []) if isinstance(p, dict)]


def _empty(kind: str, value: Any) -> bool:
    return value is None or value == "" or value == [] or (kind == "checkbox" and value is False)


def _same(kind: str, old: Any, new: Any) -> bool:
    """Whether a stored value already is the planned one: numbers numerically, multi-select items
    as a set, people by their fields (not their ids), an unchecked box like an empty one."""
    if _empty(kind, old) and _empty(kind, new):
        return True
    if kind == "contacts":
        return _person_fields(old) == _person_fields(new)
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)
    if kind == "multi_select" and isinstance(old, list) and isinstance(new, list):
        return sorted(map(str, old)) == sorted(map(str, new))
    return old == new


def _fail(column: dict, message: str) -> BadRequest:
    return BadRequest(f"column '{column['name']}': {message}", column_id=column["id"], column=column["name"])


def _parse(target: _Target, raw: str) -> tuple[Any, list[str]]:
    """(stored value, choices it adds) of one non-empty cell for its target; BadRequest if it does not fit."""
    column, kind = target.column, target.kind
    if target.builtin == "list":
        return ct.normalize_list(raw, column), []
    if kind == "contacts":
        return ct.normalize_value(column, parse_contacts(raw))[0], []
    if kind == "multi_select":
        # A list cell is a set: its items in one stable order (alphabetical), whatever order the
        # export wrote them in, so two exports of the same tags import alike.
        raw = sorted((item.strip() for item in raw.split(",")), key=lambda item: (item.casefold(), item))
    if kind in ct.NUMERIC:
        text = raw.strip()
        symbol = column["options"].get("symbol")
        if symbol and kind in ("currency", "fund") and symbol in text:
            text = text.replace(symbol, "")
        if _ABBREVIATED.fullmatch(text) and not _NUMBER.fullmatch(text):
            raise _fail(column, f"looks like an abbreviated amount '{raw.strip()}': enter the full number")
        raw = text
    value, added = ct.normalize_value(column, raw)
    return value, [choice["name"] for choice in added]


def _parse_cached(target: _Target, raw: str) -> tuple[Any, list[str]]:
    if target.kind not in _MEMO_TYPES:
        return _parse(target, raw)
    hit = target.memo.get(raw)
    if hit is None:
        try:
            hit = _parse(target, raw)
        except BadRequest as exc:
            hit = exc
        target.memo[raw] = hit
    if isinstance(hit, BadRequest):
        raise hit
    value, added = hit
    return (list(value) if isinstance(value, list) else value), added


def _cleared(target: _Target) -> Any:
    return False if target.kind == "checkbox" else ([] if target.kind == "contacts" else None)


def plan_import(table: CsvTable, columns: list, rows: list, key: str = "Name", mapping: dict | None = None,
                empty: str = "keep") -> ImportPlan:
    """Plan importing `table` into the live grid (`columns`: [{id, name, type, options, field?}] as
    `Grid.columns()` gives them, `rows`: [(row_id, {column id: value})] as `Grid.live_rows()`).
    Pure and deterministic. `mapping`: {csv header: {"skip": true} | {"to": column id or name} |
    {"to"?: new name, "type": grid type, "options"?: {...}} | {"contact": person field, "person"?: n}
    | {"contact": false}}; `empty`: "keep" (an empty cell leaves a stored value alone) or "clear"."""
    if empty not in ("keep", "clear"):
        raise BadRequest("empty must be 'keep' (empty cells leave values alone) or 'clear'", field="empty")
    if not isinstance(key, str) or not key.strip():
        raise BadRequest("key must be the name of a CSV column", field="key")
    live = [_column_dict(c) for c in columns]
    key_header = key if key in table.headers else next(
        (h for h in table.headers if h.casefold() == key.strip().casefold()), None)
    if key_header is None:
        raise BadRequest(f"the key column '{key}' is not in the file (its columns: {', '.join(table.headers)})",
                         field="key")
    warnings = list(table.warnings)
    guesses = infer_columns(table, key_header)
    targets = _resolve(table, guesses, live, mapping, warnings, key_header)
    key_target = targets[table.headers.index(key_header)]
    if key_target.kind == "contacts" or key_target.person:
        raise BadRequest(f"the key column '{key_header}' cannot go to the contacts column", field="key")
    if key_target.column is None:
        raise BadRequest(f"the key column '{key_header}' must be imported, not skipped", field="key")
    cell_targets = [t for t in targets if t.column is not None]
    people = _people_target(targets, live)  # the person columns' target: Contacts, a person per group
    active = cell_targets + ([people] if people else [])
    name_id = next((c["id"] for c in live if c.get("field") == "name"), None)
    name_target = next((t for t in active if t.builtin == "name"), None)
    textual_key = key_target.kind in _TEXTUAL

    def key_of(value: Any) -> str:
        text = format_value(key_target.column, value)
        return normalize_key(text) if textual_key else " ".join(text.casefold().split())

    # The grid's rows by key (the first of any that share one).
    index: dict[str, tuple[str, dict]] = {}
    shared: dict[str, int] = {}
    if not key_target.new:
        for row_id, values in rows:
            stored = values.get(key_target.ref)
            if _empty(key_target.kind, stored):
                continue
            row_key = key_of(stored)
            if row_key in index:
                shared[row_key] = shared.get(row_key, 1) + 1
            else:
                index[row_key] = (row_id, values)
    elif rows:
        warnings.append(f"the key column '{key_header}' is new to the grid, so no existing investor can match: "
                        "every row is created")
    for row_key, count in shared.items():
        warnings.append(f"{count} investors in the grid share the key '{row_key}'; the file updates the first of them")

    errors = list(table.errors)
    creates, updates, unchanged = [], [], 0
    people_added = 0  # people the import adds to Contacts (the others it finds, by email or name)
    seen: dict[str, int] = {}
    for line, cells in zip(table.lines, table.rows):
        raw_key = cells[key_target.index]
        if not raw_key.strip():
            errors.append({"line": line, "column": key_header, "message": f"the key '{key_header}' is empty"})
            continue
        try:
            key_value, _ = _parse_cached(key_target, raw_key)
        except BadRequest as exc:
            errors.append({"line": line, "column": key_header, "message": exc.message})
            key_target.errors += 1
            continue
        row_key = key_of(key_value) if key_value is not None else ""
        if not row_key:
            errors.append({"line": line, "column": key_header,
                           "message": f"the key '{raw_key.strip()}' has no letters or digits"})
            continue
        if row_key in seen:
            errors.append({"line": line, "column": key_header, "message":
                           f"duplicate key '{raw_key.strip()}': line {seen[row_key]} already has this investor"})
            continue
        seen[row_key] = line
        match = index.get(row_key)
        values, row_errors, adds = {}, [], []
        for target in cell_targets:
            raw = cells[target.index]
            if not raw or not raw.strip():
                if target.builtin in ("list", "name") or (match is not None and empty == "keep"):
                    continue  # never empties a Name or a List; "keep" leaves a stored value alone
                values[target.ref] = _cleared(target)
                continue
            try:
                value, added = _parse_cached(target, raw)
            except BadRequest as exc:
                row_errors.append({"line": line, "column": target.header, "message": exc.message})
                target.errors += 1
                continue
            if added:
                adds.append((target, added))
            values[target.ref] = value
        found = _row_people(people, cells, line, row_errors) if people else None
        if found:
            try:
                merged = _merge_people(match[1].get(people.ref) if match else None, found, empty)
                values[people.ref] = ct.normalize_value(people.column, merged)[0]
            except BadRequest as exc:
                row_errors.append({"line": line, "column": people.header, "message": exc.message})
        if match is None and name_target is not None and values.get(name_target.ref) is None and not row_errors:
            row_errors.append({"line": line, "column": name_target.header,
                               "message": f"a new investor needs a {name_target.column['name']}"})
        if row_errors:
            errors.extend(row_errors)
            continue
        if found:
            people_added += sum(1 for person in values[people.ref] if not person.get("id"))
        for target, added in adds:
            fresh = [name for name in added if name.casefold() not in {a.casefold() for a in target.added}]
            if fresh:
                target.added.extend(fresh)
                options = target.column["options"]
                target.column = {**target.column, "options": {
                    **options, "choices": options.get("choices", []) + [{"name": name} for name in fresh]}}
                target.memo.clear()
        if match is None:
            creates.append({"line": line, "values": values})
            continue
        row_id, stored = match
        new, old = {}, {}
        for target in active:
            ref = target.ref
            if ref not in values or target is key_target:
                continue
            value, before = values[ref], stored.get(ref)
            if _same(target.kind, before, value):
                continue
            if target.kind == "contacts" and target is not people:  # merged people keep their ids
                value = _keep_person_ids(before, value)
            new[ref], old[ref] = value, before
        if new:
            name = stored.get(name_id) if name_id else None
            updates.append({"line": line, "row_id": row_id, "values": new, "old": old,
                            "name": name if isinstance(name, str) and name else raw_key.strip()})
        else:
            unchanged += 1

    new_columns = []
    choices_to_add = {}
    for target in active:
        if target.new:
            options = target.column["options"]
            new_columns.append({"name": target.column["name"], "type": target.kind,
                                "options": ct.normalize_options(target.kind, options, target.column["name"])})
        elif target.added:
            choices_to_add[target.ref] = list(target.added)
    errors.sort(key=lambda e: e["line"])  # stable: a row's cells stay in column order
    plan_columns = []
    for t in targets:
        into = people if t.person else t
        plan_columns.append({
            "header": t.header, "target": None if into.new or into.column is None else into.ref,
            "target_name": into.column["name"] if into.column else None, "type": into.kind if into.column else None,
            "new": into.new, "skipped": into.column is None, "inferred_type": t.guess.inferred_type,
            "sample": t.guess.sample, "problems": t.errors, "reason": t.guess.reason,
            "contact": {"person": t.person[0], "field": t.person[1]} if t.person else None})
    by_ref = {t.ref: t for t in active}
    new_options = [{"column_id": ref, "column": by_ref[ref].column["name"], "new_column": False, "options": names}
                   for ref, names in choices_to_add.items()]
    new_options += [{"column_id": None, "column": c["name"], "new_column": True,
                     "options": [choice["name"] for choice in c["options"]["choices"]]}
                    for c in new_columns if c["options"].get("choices")]
    return ImportPlan(new_columns, choices_to_add, creates, updates, unchanged, errors, warnings,
                      plan_columns, len(table.rows) + len(table.errors), table.encoding,
                      people=[{"person": next(iter(group.values())).person[0],
                               "columns": {fld: t.header for fld, t in group.items()}}
                              for group in (people.groups if people else [])],
                      changes=[_change(update, by_ref) for update in updates[:MAX_CHANGES]], new_options=new_options,
                      people_added=people_added)


def _change(update: dict, by_ref: dict) -> dict:
    """One updated investor as the preview lists it: each changed cell, old and new, as values
    and as the grid shows them."""
    cells = []
    for ref, new in update["values"].items():
        column, old = by_ref[ref].column, update["old"].get(ref)
        cells.append({"column_id": ref, "column": column["name"], "type": column["type"], "old": old, "new": new,
                      "old_text": format_value(column, old), "new_text": format_value(column, new)})
    return {"row_id": update["row_id"], "line": update["line"], "name": update["name"], "cells": cells}


def _keep_person_ids(stored: Any, people: list[dict]) -> list[dict]:
    """The planned people with the ids of the stored people they are (by email, then name), so the
    write updates those people rather than archiving and re-adding them."""
    pool = [p for p in (stored if isinstance(stored, list) else []) if isinstance(p, dict) and p.get("id")]
    out = []
    for person in people:
        match = _find_person(pool, person)
        if match:
            pool.remove(match)
            person = {**person, "id": match["id"]}
        out.append(person)
    return out


# --- export ---------------------------------------------------------------------------------------

def _plain(number: int | float) -> str:
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e16:
        number = int(number)
    text = repr(number)
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def _money(number: int | float, symbol: str) -> str:
    amount = abs(number)
    text = _plain(amount)
    whole, _, cents = text.partition(".")
    cents = (cents + "00")[:max(2, len(cents))] if cents else ""
    return ("-" if number < 0 else "") + symbol + f"{int(whole):,}" + (f".{cents}" if cents else "")


def _person_line(person: dict) -> str:
    name, email = (person.get("name") or "").strip(), (person.get("email") or "").strip()
    head = f"{name} <{email}>" if name and email else (f"<{email}>" if email else name)
    return " · ".join([head] + [person[k].strip() for k in ("phone", "title") if person.get(k)])


def format_value(column: dict, value: Any) -> str:
    """A value as the grid shows it and as Airtable writes it in a CSV."""
    if value is None or value == "" or value == []:
        return ""
    kind = column.get("type")
    if isinstance(value, dict) and "error" in value:  # a formula error value
        return str(value["error"])
    if kind == "pipeline":  # an opportunity reads back as its stage (imports take a stage)
        return value.get("stage", "") if isinstance(value, dict) else ""
    if isinstance(value, bool):
        if kind == "checkbox":
            return "checked" if value else ""
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return ""
        if kind in ("currency", "fund"):
            return _money(value, (column.get("options") or {}).get("symbol") or "$")
        if kind == "percent":
            return _plain(float(f"{value * 100:.12g}")) + "%"
        return _plain(value)
    if isinstance(value, list):
        if kind == "contacts":
            return "\n".join(_person_line(p) for p in value if isinstance(p, dict))
        return ", ".join(format_value({"type": None}, item) for item in value)
    if column.get("field") == "list":
        return ct.LIST_LABELS.get(value, str(value))
    return str(value)


def _protect(text: str) -> str:
    """A leading "'" for a cell a spreadsheet would evaluate; plain numbers like -5000 stay."""
    if text and text.lstrip("'")[:1] in _DANGER and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def export_csv(columns: list, rows: list) -> bytes:
    """The grid as CSV: UTF-8 with BOM, CRLF, RFC 4180 quoting, formula-injection safe. `columns` in
    display order ({id, name, type, options}), `rows` as {column id: value} (or (row_id, values))."""
    cols = [_column_dict(c) for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_protect(c["name"]) for c in cols])
    for row in rows:
        values = row[1] if isinstance(row, (tuple, list)) else row
        writer.writerow([_protect(format_value(c, values.get(c["id"]))) for c in cols])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
