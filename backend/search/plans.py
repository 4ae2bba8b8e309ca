"""Query plans: the read-only JSON questions `/api/ask` answers with and `POST /api/query` runs.

A plan names an entity, its output fields, per-row aggregates over a related entity (the only
joins), filters (an AND), an optional grouping with aggregates, a sort and a limit. `validate`
refuses anything not in the curated definitions below, naming the problem and its path
("filters[2].op"); `compile` turns a valid plan into parameterised SQL whose identifiers come only
from those definitions (a plan's strings are only ever bound parameters) over sources that see live
rows only (archived investors and everything of theirs, archived columns, people, links, messages
and threads are gone); `run` executes it on a read-only connection (`mode=ro`, `query_only`, an
authorizer that allows reading the curated tables only) under a time limit.

Adding an entity is a data change: one `Entity` in `ENTITIES` and its source in `SOURCES`.
"""
from __future__ import annotations

import math
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..grid import opportunities

MAX_FIELDS = 20
MAX_COMPUTED = 8
MAX_FILTERS = 20
MAX_SORT = 3
MAX_LIST = 100          # items of an in / not_in value
MAX_GROUP_BY = 3
MAX_AGGREGATES = 8
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_TEXT = 500          # characters of a string value
MAX_DAYS = 36_500
MAX_DEPTH = 6           # nesting of objects and lists in a plan
MAX_NODES = 2_000       # objects, lists and scalars in a plan
PROGRESS_OPS = 1_000    # SQLite VM steps between time checks
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLUMN_PREFIX = "column:"
COLUMN_TYPES = {"text": "text", "long_text": "text", "email": "text", "url": "text", "phone": "text",
                "number": "number", "currency": "number", "percent": "number", "date": "date",
                "single_select": "enum"}
BUILTIN_FIELDS = ("name", "list", "notes", "lead_source")   # grid columns stored on the investor row
LISTS = {"main": "main", "follow_up": "follow_up", "follow-up": "follow_up", "follow up": "follow_up",
         "graveyard": "graveyard", "longshot": "longshot"}


class PlanError(ValueError):
    """A plan that may not run: `path` says where ("filters[2].op"), the message what is wrong."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.problem = message


# ---------------------------------------------------------------- the curated definitions
@dataclass(frozen=True)
class Field:
    name: str
    type: str                      # text | number | date | id | enum
    column: str                    # its column in the entity's source (never from a plan)
    description: str
    choices: tuple = ()            # enum values it takes (empty: whatever the data holds)
    grid_column: str | None = None  # investors: the grid column it reads (by name / built-in field)


@dataclass(frozen=True)
class Relation:
    entity: str                    # the related entity
    key: str                       # its column pointing here
    on: str                        # this entity's column it points at


@dataclass(frozen=True)
class Entity:
    name: str
    singular: str
    source: str                    # a key of SOURCES
    description: str
    fields: tuple
    relations: tuple = ()
    order: tuple = ("id",)         # source columns giving the default (and tie-breaking) order

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


# The pipeline's stages and their default probabilities are the grid's (one truth: a plan's
# weighted figures must equal the board's and the dashboard's).
STAGES, STAGE_PROBABILITY = opportunities.STAGES, opportunities.DEFAULT_PROBABILITY
STAGE_PROBABILITY_SQL = "CASE o.stage " + " ".join(f"WHEN '{s}' THEN {p}" for s, p in STAGE_PROBABILITY.items()) + " END"

# Every source is a CTE over live rows only; later ones build on earlier ones.
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "live_investors": ("SELECT i.id AS id, i.name AS name, i.list AS list, i.notes AS notes,"
                       " i.lead_source AS lead_source, i.created_at AS created_at, i.updated_at AS updated_at,"
                       " i.position AS position FROM investors i WHERE i.archived_at IS NULL", ()),
    "live_funds": ("SELECT g.id AS id, g.name AS name, f.vintage AS vintage, f.target AS target,"
                   " g.position AS position FROM funds f JOIN grid_columns g ON g.id = f.id"
                   " WHERE g.archived_at IS NULL AND g.type = 'fund'", ()),
    "live_people": ("SELECT c.id AS id, c.investor_id AS investor_id, i.name AS investor_name, c.name AS name,"
                    " c.email AS email, c.title AS title, c.phone AS phone, i.position AS investor_position,"
                    " c.position AS position FROM contacts c JOIN live_investors i ON i.id = c.investor_id"
                    " WHERE c.archived_at IS NULL", ("live_investors",)),
    "live_commitments": ("SELECT c.investor_id || ':' || c.fund_id AS id, c.investor_id AS investor_id,"
                         " i.name AS investor_name, c.fund_id AS fund_id, f.name AS fund, c.amount AS amount,"
                         " i.position AS investor_position, f.position AS fund_position FROM commitments c"
                         " JOIN live_investors i ON i.id = c.investor_id JOIN live_funds f ON f.id = c.fund_id"
                         " WHERE c.amount IS NOT NULL", ("live_investors", "live_funds")),
    "live_interactions": ("SELECT x.id AS id, x.investor_id AS investor_id, i.name AS investor_name, x.kind AS kind,"
                          " x.source AS source, x.summary AS summary, x.occurred_at AS occurred_at,"
                          " x.at AS created_at, x.actor_name AS actor_name FROM interactions x"
                          " JOIN live_investors i ON i.id = x.investor_id", ("live_investors",)),
    "live_emails": ("SELECT m.id || ':' || l.investor_id AS key, m.id AS id, l.investor_id AS investor_id,"
                    " i.name AS investor_name, m.direction AS direction, m.sent_at AS sent_at, m.subject AS subject,"
                    " m.from_addr AS from_addr FROM email_links l JOIN email_messages m ON m.id = l.message_id"
                    " JOIN email_threads t ON t.id = m.thread_id JOIN live_investors i ON i.id = l.investor_id"
                    " WHERE l.archived_at IS NULL AND m.archived_at IS NULL AND t.archived_at IS NULL",
                    ("live_investors",)),
    # A card on a live fund's board: its fund's pipeline column is live too. The usual probability
    # of each stage is grid/opportunities.py's DEFAULT_PROBABILITY (tests/test_plans.py keeps them equal).
    "live_opportunities": ("SELECT o.id AS id, o.investor_id AS investor_id, i.name AS investor_name,"
                           " o.fund_id AS fund_id, f.name AS fund, o.stage AS stage, o.expected_amount AS expected_amount,"
                           " coalesce(o.probability, " + STAGE_PROBABILITY_SQL + ") AS probability,"
                           " o.expected_amount * coalesce(o.probability, " + STAGE_PROBABILITY_SQL + ") AS weighted,"
                           " o.close_date AS close_date, o.stage_since AS stage_since,"
                           " i.position AS investor_position, f.position AS fund_position FROM opportunities o"
                           " JOIN live_investors i ON i.id = o.investor_id JOIN live_funds f ON f.id = o.fund_id"
                           " WHERE o.archived_at IS NULL AND EXISTS (SELECT 1 FROM grid_columns p WHERE p.type = 'pipeline'"
                           " AND p.archived_at IS NULL AND json_extract(p.options, '$.fund_id') = o.fund_id)",
                           ("live_investors", "live_funds")),
    "live_tasks": ("SELECT t.id AS id, t.investor_id AS investor_id, i.name AS investor_name, t.title AS title,"
                   " t.due AS due, CASE WHEN t.done = 1 THEN 'done' ELSE 'open' END AS status, t.done_at AS done_at,"
                   " t.source AS source, t.created_at AS created_at FROM tasks t"
                   " LEFT JOIN live_investors i ON i.id = t.investor_id"
                   " WHERE t.archived_at IS NULL AND (t.investor_id IS NULL OR i.id IS NOT NULL)", ("live_investors",)),
}
# The only tables a plan's SQL may read (the authorizer refuses any other), and columns it never may.
READABLE_TABLES = {"investors", "grid_columns", "funds", "contacts", "commitments", "cell_values",
                   "interactions", "email_links", "email_messages", "email_threads", "opportunities", "tasks"}
UNREADABLE_COLUMNS = {("email_messages", c) for c in ("body_text", "body_html", "snippet", "to_json", "cc_json",
                                                        "problems_json")} | {("interactions", "body")}
FUNCTIONS = {"count", "sum", "avg", "min", "max", "coalesce", "json_extract", "date", "instr", "lower",
             "trim", "typeof"}

_INV = Field("investor_id", "id", "investor_id", "the investor's id")
_INV_NAME = Field("investor_name", "text", "investor_name", "the investor's name")
ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("investors", "investor", "live_investors", "Rows of the fundraising grid (live investors only).", (
        Field("id", "id", "id", "the investor's id"),
        Field("name", "text", "name", "the investor's name", grid_column="field:name"),
        Field("list", "enum", "list", "which list it is on", ("main", "follow_up", "graveyard", "longshot"),
              grid_column="field:list"),
        Field("status", "enum", "status", 'the "Status" single-select cell (empty if there is no such column)',
              grid_column="Status"),
        Field("lead_source", "text", "lead_source", "where the lead came from", grid_column="field:lead_source"),
        Field("last_contact", "date", "last_contact", 'the "Last Contact" date cell (empty if no such column)',
              grid_column="Last Contact"),
        Field("created_at", "date", "created_at", "when the row was created"),
        Field("updated_at", "date", "updated_at", "when the row last changed"),
    ), (Relation("people", "investor_id", "id"), Relation("commitments", "investor_id", "id"),
        Relation("interactions", "investor_id", "id"), Relation("emails", "investor_id", "id"),
        Relation("opportunities", "investor_id", "id"), Relation("tasks", "investor_id", "id")),
        ("position", "id")),
    Entity("people", "person", "live_people", "The people of each live investor.", (
        _INV, _INV_NAME, Field("name", "text", "name", "the person's name"),
        Field("email", "text", "email", "their email address"), Field("title", "text", "title", "their job title"),
        Field("phone", "text", "phone", "their phone number"),
    ), (), ("investor_position", "position", "id")),
    Entity("funds", "fund", "live_funds", "The fund columns of the grid.", (
        Field("id", "id", "id", "the fund's id (its column id)"), Field("name", "text", "name", "the fund's name"),
        Field("vintage", "number", "vintage", "its vintage year"), Field("target", "number", "target", "its target size"),
    ), (Relation("commitments", "fund_id", "id"), Relation("opportunities", "fund_id", "id")), ("position", "id")),
    Entity("commitments", "commitment", "live_commitments",
           "An amount an investor committed to a fund (a filled fund cell).", (
        _INV, _INV_NAME, Field("fund_id", "id", "fund_id", "the fund's id"),
        Field("fund", "text", "fund", "the fund's name"), Field("amount", "number", "amount", "the amount committed"),
    ), (), ("investor_position", "fund_position", "id")),
    Entity("interactions", "interaction", "live_interactions", "The interaction log: notes, calls, meetings, emails.", (
        _INV, _INV_NAME,
        Field("kind", "enum", "kind", "what it was", ("note", "email", "meeting", "call", "intake", "automation", "import")),
        Field("source", "enum", "source", "where it was recorded",
              ("ui", "matrix_intake", "gmail", "automation", "import", "api", "mcp")),
        Field("summary", "text", "summary", "its one-line summary"),
        Field("occurred_at", "date", "occurred_at", "when it happened"),
        Field("created_at", "date", "created_at", "when it was recorded"),
        Field("by", "text", "actor_name", "who recorded it"),
    ), (), ("occurred_at", "id")),
    Entity("emails", "email", "live_emails",
           "Captured mail linked to a live investor (one row per message and investor; no bodies).", (
        Field("id", "id", "id", "the message's id"), _INV, _INV_NAME,
        Field("direction", "enum", "direction", "inbound, outbound or internal", ("inbound", "outbound", "internal")),
        Field("sent_at", "date", "sent_at", "when it was sent"), Field("subject", "text", "subject", "its subject"),
        Field("from", "text", "from_addr", "the sender's address"),
    ), (), ("sent_at", "key")),
    Entity("opportunities", "opportunity", "live_opportunities",
           "An investor in a fund's pipeline: a card on the fund's board (open: Intro to Soft Circle).", (
        Field("id", "id", "id", "the opportunity's id"), _INV, _INV_NAME,
        Field("fund_id", "id", "fund_id", "the fund's id"), Field("fund", "text", "fund", "the fund's name"),
        Field("stage", "enum", "stage", "its stage", STAGES),
        Field("expected_amount", "number", "expected_amount", "the amount expected from it"),
        Field("probability", "number", "probability", "how likely it closes, 0-1 (its stage's usual one unless set)"),
        Field("weighted", "number", "weighted", "expected amount x probability"),
        Field("close_date", "date", "close_date", "when it is expected to close"),
        Field("stage_since", "date", "stage_since", "when it entered its stage"),
    ), (), ("investor_position", "fund_position", "id")),
    Entity("tasks", "task", "live_tasks", "Follow-ups and reminders of the team, most tied to an investor.", (
        Field("id", "id", "id", "the task's id"), _INV, _INV_NAME, Field("title", "text", "title", "what to do"),
        Field("due", "date", "due", "the day it is due"), Field("status", "enum", "status", "open or done", ("open", "done")),
        Field("done_at", "date", "done_at", "when it was ticked done"),
        Field("source", "enum", "source", "where it came from", ("manual", "intake", "automation", "pipeline")),
        Field("created_at", "date", "created_at", "when it was made"),
    ), (), ("due", "id")),
)}
SENSITIVE = ("user", "password", "hash", "token", "session", "invite", "audit", "secret", "credential", "key",
             "body", "bodies", "snippet", "attachment", "account", "sqlite")
RAW_KEYS = {"sql", "raw", "raw_sql", "where_sql", "having_sql", "query", "expr", "expression", "join", "joins",
            "union", "select", "statement", "table", "tables", "subquery"}

OPS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "not_empty"),
    "enum": ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty", "not_empty"),
    "id": ("eq", "ne", "in", "not_in", "is_empty", "not_empty"),
    "number": ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "is_empty", "not_empty"),
    "date": ("eq", "ne", "gt", "gte", "lt", "lte", "before", "after", "within_days", "older_than_days",
             "is_empty", "not_empty"),
}
ALL_OPS = tuple(dict.fromkeys(op for ops in OPS.values() for op in ops))
FNS = ("count", "count_distinct", "sum", "avg", "min", "max")
FN_TYPES = {"count": None, "count_distinct": None, "sum": ("number",), "avg": ("number",),
            "min": ("number", "date", "text", "enum"), "max": ("number", "date", "text", "enum")}
PLAN_KEYS = ("entity", "fields", "computed", "filters", "group_by", "aggregates", "sort", "limit")
EXAMPLES = (
    {"question": "How much has each fund raised?",
     "plan": {"entity": "commitments", "fields": ["fund", "total", "investors"], "group_by": ["fund"],
              "aggregates": [{"as": "total", "fn": "sum", "field": "amount"},
                             {"as": "investors", "fn": "count_distinct", "field": "investor_id"}],
              "sort": [{"field": "total", "dir": "desc"}]}},
    {"question": "Committed investors we have not emailed in 90 days",
     "plan": {"entity": "investors", "fields": ["name", "status", "total_committed", "last_email_at"],
              "computed": [{"as": "total_committed", "fn": "sum", "of": "commitments.amount"},
                           {"as": "last_email_at", "fn": "max", "of": "emails.sent_at",
                            "where": [{"field": "direction", "op": "eq", "value": "outbound"}]}],
              "filters": [{"field": "status", "op": "eq", "value": "Committed"},
                          {"field": "last_email_at", "op": "older_than_days", "value": 90}],
              "sort": [{"field": "total_committed", "dir": "desc"}], "limit": 100}},
    {"question": "Who is in more than one fund?",
     "plan": {"entity": "investors", "fields": ["name", "funds_committed"],
              "computed": [{"as": "funds_committed", "fn": "count", "of": "commitments"}],
              "filters": [{"field": "funds_committed", "op": "gte", "value": 2}],
              "sort": [{"field": "funds_committed", "dir": "desc"}]}},
    {"question": "People whose title mentions partner",
     "plan": {"entity": "people", "fields": ["name", "title", "investor_name"],
              "filters": [{"field": "title", "op": "contains", "value": "partner"}]}},
)


def _today() -> date:
    return datetime.now(timezone.utc).date()


# ---------------------------------------------------------------- the grid's columns
@dataclass(frozen=True)
class Catalog:
    """The grid columns a plan may name, read once per validation or run."""
    live: dict          # name (casefolded) -> (id, name, type, field)
    archived: set       # casefolded names of archived columns (none live by that name)

    def column(self, name: str):
        return self.live.get(name.casefold())


def _catalog(conn: sqlite3.Connection) -> Catalog:
    live, archived = {}, set()
    for cid, name, ctype, fld, gone in conn.execute(
            "SELECT id, name, type, field, archived_at FROM grid_columns ORDER BY position, rowid"):
        if gone is None:
            live[name.casefold()] = (cid, name, ctype, fld)
        else:
            archived.add(name.casefold())
    return Catalog(live, archived - set(live))


def _db_path(db) -> Path:
    return Path(getattr(db, "path", db))


def _authorize(code, arg1, arg2, dbname, trigger):
    if code in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if code == sqlite3.SQLITE_READ:
        if dbname == "main" and arg1 in READABLE_TABLES and (arg1, arg2) not in UNREADABLE_COLUMNS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    if code == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in FUNCTIONS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def connect_read_only(db) -> sqlite3.Connection:
    """A connection that cannot write: the file opened `mode=ro`, `query_only` on, and an
    authorizer that allows only SELECTs reading the curated tables."""
    conn = sqlite3.connect(_db_path(db).resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.set_authorizer(_authorize)
    return conn


def _with_catalog(db, work):
    conn = connect_read_only(db)
    try:
        return work(_catalog(conn))
    finally:
        conn.close()


# ---------------------------------------------------------------- validation
def _fail(path: str, message: str):
    raise PlanError(path, message)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _check_shape(value: Any, path: str, depth: int, budget: list) -> None:
    """Bound the size and nesting of the whole plan, and refuse raw-SQL keys wherever they are."""
    budget[0] -= 1
    if budget[0] < 0:
        _fail(path, f"the plan is too large (at most {MAX_NODES} values)")
    if isinstance(value, (dict, list)):
        if depth > MAX_DEPTH:
            _fail(path, f"the plan nests too deep (at most {MAX_DEPTH} levels)")
        for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
            if isinstance(value, dict):
                if not isinstance(key, str):
                    _fail(path, "keys must be strings")
                if key.strip().lower() in RAW_KEYS:
                    _fail(_child(path, key), "raw SQL is not accepted: a plan names entities, fields and operators only")
            _check_shape(item, _child(path, key), depth + 1, budget)
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        _fail(path, "values must be JSON scalars, lists or objects")


def _name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        _fail(path, f"a field name must be a non-empty string, got {_short(value)}")
    if len(value) > 200:
        _fail(path, "a field name is at most 200 characters")
    return value


def _keys(obj: Any, path: str, allowed: tuple, required: tuple, what: str) -> dict:
    if not isinstance(obj, dict):
        _fail(path, f"{what} must be an object")
    unknown = [k for k in obj if k not in allowed]
    if unknown:
        _fail(f"{path}.{unknown[0]}" if path else unknown[0],
              f"unknown key '{_short(unknown[0])}' in {what} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in obj:
            _fail(f"{path}.{key}" if path else key, f"{what} needs '{key}'")
    return obj


def _list(value: Any, path: str, most: int, what: str, least: int = 0) -> list:
    if value is None:
        value = []
    if not isinstance(value, list):
        _fail(path, f"{what} must be a list")
    if len(value) > most:
        _fail(path, f"too many {what} ({len(value)}; at most {most})")
    if len(value) < least:
        _fail(path, f"{what} needs at least {least}")
    return value


def _name_problem(name: str, what: str) -> str:
    low = name.lower()
    if any(word in low for word in SENSITIVE):
        return f"{what} '{_short(name)}' is never available to a plan (accounts, secrets and email bodies are not exposed)"
    return ""


def _entity(name: Any, path: str) -> Entity:
    if not isinstance(name, str):
        _fail(path, "entity must be a string")
    entity = ENTITIES.get(name)
    if entity is None:
        problem = _name_problem(name, "entity")
        _fail(path, problem or f"unknown entity '{_short(name)}' (one of: {', '.join(ENTITIES)})")
    return entity


@dataclass
class _Scope:
    """What names mean while validating one plan: entity fields, grid columns, computed names."""
    entity: Entity
    catalog: Catalog | None
    computed: dict      # as -> type
    aggregates: dict    # as -> type

    def base(self, name: Any, path: str) -> Field:
        if not isinstance(name, str) or not name:
            _fail(path, "a field must be a non-empty string")
        found = self.entity.field(name)
        if found:
            return found
        if name.startswith(COLUMN_PREFIX):
            if self.entity.name != "investors":
                _fail(path, f"grid columns ('{COLUMN_PREFIX}<Name>') exist only on investors")
            return _grid_field(name, self.catalog, path)
        problem = _name_problem(name, "field")
        _fail(path, problem or f"unknown field '{_short(name)}' on {self.entity.name} (fields: "
              f"{', '.join(f.name for f in self.entity.fields)})")

    def type_of(self, name: Any, path: str, aggregates: bool = False) -> str:
        if isinstance(name, str) and name in self.computed:
            return self.computed[name]
        if aggregates and isinstance(name, str) and name in self.aggregates:
            return self.aggregates[name]
        return self.base(name, path).type


def _grid_field(name: str, catalog: Catalog | None, path: str) -> Field:
    wanted = name[len(COLUMN_PREFIX):]
    if catalog is None:
        _fail(path, "grid columns need the database to check them")
    found = catalog.column(wanted)
    if found is None:
        if wanted.casefold() in catalog.archived:
            _fail(path, f"column '{_short(wanted)}' is archived")
        _fail(path, f"no grid column named '{_short(wanted)}'")
    cid, cname, ctype, fld = found
    if ctype not in COLUMN_TYPES:
        _fail(path, f"column '{_short(cname)}' is a {ctype} column; plans read text, number, date and "
              "single-select columns only")
    return Field(name, COLUMN_TYPES[ctype], "", f"the grid column '{cname}'", grid_column=cname)


def _scalar(value: Any, ftype: str, path: str, choices: tuple) -> Any:
    if ftype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            _fail(path, f"needs a number, got {_short(value)}")
        return value
    if ftype == "date":
        return _day(value, path)
    if not isinstance(value, str):
        _fail(path, f"needs text, got {_short(value)}")
    if len(value) > MAX_TEXT:
        _fail(path, f"text values are at most {MAX_TEXT} characters")
    if choices:
        key = value.strip().casefold()
        mapped = LISTS.get(key) if choices == ENTITIES["investors"].field("list").choices else None
        mapped = mapped or next((c for c in choices if c.casefold() == key), None)
        if mapped is None:
            _fail(path, f"'{_short(value)}' is not one of: {', '.join(choices)}")
        return mapped
    return value


def _day(value: Any, path: str) -> str:
    """An ISO date or date-time as its UTC day, YYYY-MM-DD."""
    if isinstance(value, str) and 8 <= len(value.strip()) <= 40:
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo:
                when = when.astimezone(timezone.utc)
            return when.date().isoformat()
        except ValueError:
            pass
    _fail(path, f"needs an ISO date (YYYY-MM-DD), got {_short(value)}")


def _filter(raw: Any, path: str, scope: _Scope, aggregates: bool = False) -> dict:
    _keys(raw, path, ("field", "op", "value"), ("field", "op"), "a filter")
    name, op = _name(raw["field"], f"{path}.field"), raw["op"]
    ftype = scope.type_of(name, f"{path}.field", aggregates)
    field = scope.entity.field(name)
    choices = field.choices if field else ()
    if not isinstance(op, str) or op not in ALL_OPS:
        _fail(f"{path}.op", f"unknown op '{_short(op)}' (ops: {', '.join(ALL_OPS)})")
    if op not in OPS[ftype]:
        _fail(f"{path}.op", f"op '{op}' does not apply to {ftype} field '{name}' (allowed: {', '.join(OPS[ftype])})")
    value = raw.get("value")
    vpath = f"{path}.value"
    if op in ("is_empty", "not_empty"):
        if value is not None:
            _fail(vpath, f"'{op}' takes no value")
    elif op in ("in", "not_in"):
        items = _list(value, vpath, MAX_LIST, f"values of '{op}'", least=1) if isinstance(value, list) else \
            _fail(vpath, f"'{op}' needs a list of values")
        value = [_scalar(v, ftype, f"{vpath}[{i}]", choices) for i, v in enumerate(items)]
    elif op in ("within_days", "older_than_days"):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
            _fail(vpath, f"'{op}' needs a whole number of days from 0 to {MAX_DAYS}")
    elif op in ("contains", "starts_with"):
        if not isinstance(value, str) or not value:
            _fail(vpath, f"'{op}' needs non-empty text")
        if len(value) > MAX_TEXT:
            _fail(vpath, f"text values are at most {MAX_TEXT} characters")
    else:
        if value is None:
            _fail(vpath, f"'{op}' needs a value")
        value = _scalar(value, ftype, vpath, choices)
    return {"field": name, "op": op, "value": value}


def _as_name(raw: Any, path: str, taken: set, scope: _Scope) -> str:
    if not isinstance(raw, str) or not NAME_RE.match(raw):
        _fail(path, "a name ('as') must be lowercase letters, digits and _ (at most 40, starting with a letter)")
    if scope.entity.field(raw):
        _fail(path, f"'{raw}' is already a field of {scope.entity.name}")
    if raw in taken:
        _fail(path, f"'{raw}' is named twice")
    taken.add(raw)
    return raw


def _computed(raw: Any, path: str, scope: _Scope, taken: set) -> dict:
    _keys(raw, path, ("as", "fn", "of", "where"), ("as", "fn", "of"), "a computed value")
    name = _as_name(raw["as"], f"{path}.as", taken, scope)
    fn, of = raw["fn"], raw["of"]
    if not isinstance(fn, str) or fn not in FNS:
        _fail(f"{path}.fn", f"unknown fn '{_short(fn)}' (fns: {', '.join(FNS)})")
    if not isinstance(of, str) or not of:
        _fail(f"{path}.of", "'of' must be '<entity>' or '<entity>.<field>'")
    target, _, field_name = of.partition(".")
    relation = next((r for r in scope.entity.relations if r.entity == target), None)
    if relation is None:
        problem = _name_problem(target, "entity")
        allowed = ", ".join(r.entity for r in scope.entity.relations) or "none"
        _fail(f"{path}.of", problem or f"{scope.entity.name} cannot aggregate '{_short(target)}' "
              f"(related entities: {allowed})")
    related = _Scope(ENTITIES[target], scope.catalog, {}, {})
    ftype = None
    if field_name:
        ftype = related.base(field_name, f"{path}.of").type
        if FN_TYPES[fn] and ftype not in FN_TYPES[fn]:
            _fail(f"{path}.fn", f"'{fn}' does not apply to {ftype} field '{of}'")
    elif fn != "count":
        _fail(f"{path}.of", f"'{fn}' needs a field: '{target}.<field>'")
    where = [_filter(f, f"{path}.where[{i}]", related)
             for i, f in enumerate(_list(raw.get("where"), f"{path}.where", MAX_FILTERS, "filters"))]
    scope.computed[name] = "number" if fn in ("count", "count_distinct", "sum", "avg") else ftype
    return {"as": name, "fn": fn, "of": of, "where": where}


def _aggregate(raw: Any, path: str, scope: _Scope, taken: set) -> dict:
    _keys(raw, path, ("as", "fn", "field"), ("as", "fn"), "an aggregate")
    name = _as_name(raw["as"], f"{path}.as", taken, scope)
    fn, field = raw["fn"], raw.get("field")
    if not isinstance(fn, str) or fn not in FNS:
        _fail(f"{path}.fn", f"unknown fn '{_short(fn)}' (fns: {', '.join(FNS)})")
    ftype = None
    if field is not None:
        _name(field, f"{path}.field")
    if field is None:
        if fn != "count":
            _fail(f"{path}.field", f"'{fn}' needs a field")
    else:
        ftype = scope.type_of(field, f"{path}.field")
        if FN_TYPES[fn] and ftype not in FN_TYPES[fn]:
            _fail(f"{path}.fn", f"'{fn}' does not apply to {ftype} field '{field}'")
    scope.aggregates[name] = "number" if fn in ("count", "count_distinct", "sum", "avg") else ftype
    return {"as": name, "fn": fn, "field": field}


def _validate(plan: Any, catalog: Catalog | None) -> dict:
    _check_shape(plan, "", 1, [MAX_NODES])
    _keys(plan, "", PLAN_KEYS, ("entity", "fields"), "a plan")
    entity = _entity(plan["entity"], "entity")
    scope = _Scope(entity, catalog, {}, {})
    taken: set = set()
    computed = [_computed(c, f"computed[{i}]", scope, taken)
                for i, c in enumerate(_list(plan.get("computed"), "computed", MAX_COMPUTED, "computed values"))]
    group_by = []
    for i, name in enumerate(_list(plan.get("group_by"), "group_by", MAX_GROUP_BY, "group_by fields")):
        _name(name, f"group_by[{i}]")
        scope.type_of(name, f"group_by[{i}]")
        if name in group_by:
            _fail(f"group_by[{i}]", f"'{name}' is listed twice")
        group_by.append(name)
    aggregates = [_aggregate(a, f"aggregates[{i}]", scope, taken)
                  for i, a in enumerate(_list(plan.get("aggregates"), "aggregates", MAX_AGGREGATES, "aggregates"))]
    grouped = bool(group_by or aggregates)
    fields = _list(plan.get("fields"), "fields", MAX_FIELDS, "fields", least=1)
    for i, name in enumerate(fields):
        path = f"fields[{i}]"
        _name(name, path)
        if grouped:
            if name not in group_by and name not in scope.aggregates:
                if isinstance(name, str) and (name in scope.computed or entity.field(name)
                                              or name.startswith(COLUMN_PREFIX)):
                    _fail(path, f"'{name}' is neither grouped by nor an aggregate")
                scope.type_of(name, path, aggregates=True)
        else:
            scope.type_of(name, path)
        if fields.index(name) != i:
            _fail(path, f"'{name}' is listed twice")
    filters = [_filter(f, f"filters[{i}]", scope, aggregates=True)
               for i, f in enumerate(_list(plan.get("filters"), "filters", MAX_FILTERS, "filters"))]
    sort = []
    for i, key in enumerate(_list(plan.get("sort"), "sort", MAX_SORT, "sort keys")):
        path = f"sort[{i}]"
        _keys(key, path, ("field", "dir"), ("field",), "a sort key")
        name, direction = _name(key["field"], f"{path}.field"), key.get("dir", "asc")
        if grouped and name not in group_by and name not in scope.aggregates:
            scope.type_of(name, f"{path}.field", aggregates=True)
            _fail(f"{path}.field", f"a grouped plan sorts only by its group_by fields or aggregates, not '{name}'")
        scope.type_of(name, f"{path}.field", aggregates=True)
        if direction not in ("asc", "desc"):
            _fail(f"{path}.dir", f"dir must be 'asc' or 'desc', got {_short(direction)}")
        sort.append({"field": name, "dir": direction})
    limit = plan.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        _fail("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}, got {_short(limit)}")
    return {"entity": entity.name, "fields": list(fields), "computed": computed, "filters": filters,
            "group_by": group_by, "aggregates": aggregates, "sort": sort, "limit": limit}


def validate(plan: Any, db) -> dict:
    """The plan normalised (every key present, defaults filled, values in stored form), or PlanError."""
    return _with_catalog(db, lambda catalog: _validate(plan, catalog))


# ---------------------------------------------------------------- compiling
class _Sql:
    """SQL text and its parameters, built in order."""

    def __init__(self):
        self.parts: list[str] = []
        self.params: list = []

    def add(self, text: str, *params) -> "_Sql":
        self.parts.append(text)
        self.params.extend(params)
        return self

    def text(self) -> str:
        return "".join(self.parts)


def _field_expr(field: Field, alias: str, entity: Entity, catalog: Catalog) -> tuple[str, list]:
    """SQL for one entity field over `alias` (a source row); grid-column fields read their cell."""
    if entity.name != "investors" or field.grid_column is None or field.grid_column.startswith("field:"):
        return f"{alias}.{field.column}", []
    found = catalog.column(field.grid_column)
    if found is None or COLUMN_TYPES.get(found[2]) is None:
        return "NULL", []
    wanted = {"status": "single_select", "last_contact": "date"}.get(field.name)
    if wanted and found[2] != wanted:
        return "NULL", []
    if found[3] in BUILTIN_FIELDS:
        return f"{alias}.{found[3]}", []
    return (f"(SELECT json_extract(v.value, '$') FROM cell_values v WHERE v.investor_id = {alias}.id"
            " AND v.column_id = ?)"), [found[0]]


def _condition(expr: str, params: list, ftype: str, op: str, value: Any, never: bool = False) -> tuple[str, list]:
    """One filter as SQL over `expr`; every value is a parameter."""
    assert not params, "filter expressions carry no parameters"
    text = ftype in ("text", "enum")
    nocase = " COLLATE NOCASE" if text else ""
    if ftype == "date" and op not in ("is_empty", "not_empty"):
        expr = f"date({expr})"
    if op == "is_empty":
        return (f"({expr} IS NULL OR trim({expr}) = '')" if text else f"{expr} IS NULL"), params
    if op == "not_empty":
        return (f"({expr} IS NOT NULL AND trim({expr}) <> '')" if text else f"{expr} IS NOT NULL"), params
    if op in ("eq", "gt", "gte", "lt", "lte", "before", "after"):
        sign = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "before": "<", "after": ">"}[op]
        return f"{expr} {sign} ?{nocase}", params + [value]
    if op == "ne":
        return f"({expr} IS NULL OR {expr} <> ?{nocase})", [value]
    if op in ("in", "not_in"):
        marks = ", ".join("?" * len(value))
        if op == "in":
            return f"{expr}{nocase} IN ({marks})", params + list(value)
        return f"({expr} IS NULL OR {expr}{nocase} NOT IN ({marks}))", list(value)
    if op == "contains":
        return f"instr(lower({expr}), lower(?)) > 0", params + [value]
    if op == "starts_with":
        return f"instr(lower({expr}), lower(?)) = 1", params + [value]
    today = _today()
    if op == "within_days":
        return f"{expr} BETWEEN ? AND ?", params + [(today - timedelta(days=value)).isoformat(), today.isoformat()]
    if op == "older_than_days":
        cutoff = (today - timedelta(days=value)).isoformat()
        if never:   # a computed latest date: no related row at all counts as "older than N days"
            return f"({expr} IS NULL OR {expr} < ?)", [cutoff]
        return f"{expr} < ?", params + [cutoff]
    raise PlanError("", f"op '{op}' cannot be compiled")    # validation makes this unreachable


def _conditions(filters: list, resolve, types, never=frozenset()) -> tuple[str, list]:
    parts, params = [], []
    for f in filters:
        expr, eparams = resolve(f["field"])
        sql, p = _condition(expr, eparams, types(f["field"]), f["op"], f["value"], f["field"] in never)
        parts.append(sql)
        params.extend(p)
    return " AND ".join(parts), params


def _needed_sources(entities: set) -> list[str]:
    out: list[str] = []

    def need(name: str):
        for dep in SOURCES[name][1]:
            need(dep)
        if name not in out:
            out.append(name)
    for entity in sorted(entities):
        need(ENTITIES[entity].source)
    return out


def _build(plan: dict, catalog: Catalog, limit: int) -> tuple[str, list]:
    entity = ENTITIES[plan["entity"]]
    scope = _Scope(entity, catalog, {}, {})
    inner: dict[str, tuple[str, str, list]] = {}     # plan name -> (alias, expr, params)
    types: dict[str, str] = {}

    def base(name: str) -> str:
        if name not in inner:
            field = scope.base(name, name)
            expr, params = _field_expr(field, "t", entity, catalog)
            inner[name] = (f"f{len(inner)}", expr, params)
            types[name] = field.type
        return inner[name][0]

    computed_types = {}
    computed_sql = []
    for i, c in enumerate(plan["computed"]):
        target, _, fname = c["of"].partition(".")
        related = ENTITIES[target]
        relation = next(r for r in entity.relations if r.entity == target)
        rscope = _Scope(related, catalog, {}, {})
        arg = "*"
        ftype = None
        if fname:
            rfield = rscope.base(fname, fname)
            arg = f"r.{rfield.column}"
            ftype = rfield.type
        fn = c["fn"]
        agg = {"count": f"count({arg})", "count_distinct": f"count(DISTINCT {arg})",
               "sum": f"coalesce(sum({arg}), 0)", "avg": f"avg({arg})", "min": f"min({arg})",
               "max": f"max({arg})"}[fn]
        where, wparams = _conditions(c["where"], lambda n: _field_expr(rscope.base(n, n), "r", related, catalog),
                                     lambda n: rscope.base(n, n).type)
        sql = (f"(SELECT {agg} FROM {related.source} r WHERE r.{relation.key} = t.{relation.on}"
               + (f" AND {where}" if where else "") + ")")
        computed_sql.append((c["as"], f"c{i}", sql, wparams))
        computed_types[c["as"]] = "number" if fn in ("count", "count_distinct", "sum", "avg") else ftype
    never = {c["as"] for c in plan["computed"] if c["fn"] == "max"}
    computed_alias = {name: alias for name, alias, _, _ in computed_sql}
    aggregate_names = {a["as"] for a in plan["aggregates"]}
    grouped = bool(plan["group_by"] or plan["aggregates"])

    def ref(name: str) -> str:
        return f"q.{computed_alias[name]}" if name in computed_alias else f"q.{base(name)}"

    def type_of(name: str) -> str:
        if name in computed_types:
            return computed_types[name]
        if name in aggregate_names:
            return agg_types[name]
        base(name)
        return types[name]

    # Outer select list
    agg_types, agg_sql = {}, {}
    for a in plan["aggregates"]:
        arg = "*" if a["field"] is None else ref(a["field"])
        fn = a["fn"]
        agg_sql[a["as"]] = {"count": f"count({arg})", "count_distinct": f"count(DISTINCT {arg})",
                            "sum": f"coalesce(sum({arg}), 0)", "avg": f"avg({arg})", "min": f"min({arg})",
                            "max": f"max({arg})"}[fn]
        agg_types[a["as"]] = "number" if fn in ("count", "count_distinct", "sum", "avg") else type_of(a["field"])
    outputs = [agg_sql[name] if name in agg_sql else ref(name) for name in plan["fields"]]
    where_filters = [f for f in plan["filters"] if f["field"] not in aggregate_names]
    having_filters = [f for f in plan["filters"] if f["field"] in aggregate_names]
    where, where_params = _conditions(where_filters, lambda n: (ref(n), []), type_of, never)
    having, having_params = _conditions(having_filters, lambda n: (agg_sql[n], []), type_of)
    order = []
    for key in plan["sort"]:
        expr = agg_sql[key["field"]] if key["field"] in agg_sql else ref(key["field"])
        collate = " COLLATE NOCASE" if type_of(key["field"]) in ("text", "enum") else ""
        order.append(f"({expr} IS NULL), {expr}{collate} {key['dir'].upper()}")
    if grouped:
        order += [f"{ref(name)}" for name in plan["group_by"]]
    else:
        order += [f"q._o{i}" for i in range(len(entity.order))]
    # Inner select: every base field referenced (now known), the computed values, the order keys.
    sql = _Sql()
    sources = _needed_sources({entity.name} | {c["of"].partition(".")[0] for c in plan["computed"]})
    sql.add("WITH " + ", ".join(f"{name} AS ({SOURCES[name][0]})" for name in sources))
    columns = [f"{expr} AS {alias}" for alias, expr, _ in inner.values()]
    sql.add(" SELECT " + ", ".join(outputs) + " FROM (SELECT " + ", ".join(
        columns + [f"{s} AS {alias}" for _, alias, s, _ in computed_sql]
        + [f"t.{col} AS _o{i}" for i, col in enumerate(entity.order)]) + f" FROM {entity.source} t) q",
        *[p for _, _, params in inner.values() for p in params],
        *[p for _, _, _, params in computed_sql for p in params])
    if where:
        sql.add(" WHERE " + where, *where_params)
    if plan["group_by"]:
        sql.add(" GROUP BY " + ", ".join(ref(name) for name in plan["group_by"]))
    if having:
        sql.add(" HAVING " + having, *having_params)
    if order:
        sql.add(" ORDER BY " + ", ".join(order))
    sql.add(" LIMIT ?", limit)
    return sql.text(), sql.params


def compile(plan: Any, db) -> tuple[str, list]:  # noqa: A001 - the name the contract gives it
    """Parameterised SQL for a plan (validated first): (sql, params)."""
    def work(catalog):
        clean = _validate(plan, catalog)
        return _build(clean, catalog, clean["limit"])
    return _with_catalog(db, work)


# ---------------------------------------------------------------- running
def _plain(value: Any) -> Any:
    if type(value) is float and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


def run(db, plan: Any, timeout_seconds: float = 5.0, row_cap: int = 1000) -> dict:
    """Run a plan read-only: {"columns", "rows", "truncated", "elapsed_ms"}. Stops past
    `timeout_seconds` (PlanError naming the time) and returns at most `row_cap` rows."""
    started = time.monotonic()
    conn = connect_read_only(db)
    try:
        catalog = _catalog(conn)
        clean = _validate(plan, catalog)
        cap = max(1, min(clean["limit"], row_cap))
        sql, params = _build(clean, catalog, cap + 1)
        until = started + timeout_seconds
        conn.set_progress_handler(lambda: time.monotonic() > until, PROGRESS_OPS)
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise PlanError("", f"the question took too long (over {timeout_seconds:g} s) and was stopped; "
                                "narrow it with filters or a smaller limit") from None
            raise
        except sqlite3.DatabaseError as exc:
            if "not authorized" in str(exc):
                raise PlanError("", "the plan tried to read something plans may not read") from None
            raise
    finally:
        conn.close()
    truncated = len(rows) > cap
    return {"columns": list(clean["fields"]), "rows": [[_plain(v) for v in row] for row in rows[:cap]],
            "truncated": truncated, "elapsed_ms": int((time.monotonic() - started) * 1000)}


# ---------------------------------------------------------------- in plain words
def _words(name: str) -> str:
    return name[len(COLUMN_PREFIX):] if name.startswith(COLUMN_PREFIX) else name.replace("_", " ")


def _value_words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(_value_words, value[:-1])) + (" or " if len(value) > 1 else "") + _value_words(value[-1])
    return _short(value) if isinstance(value, str) else str(value)


def _filter_words(f: dict, computed: dict) -> str:
    name, op, value = _words(f["field"]), f["op"], f.get("value")
    c = computed.get(f["field"])
    if op == "older_than_days" and c and c["fn"] == "max":
        what = c["of"].partition(".")[0]
        return f"{name} more than {value} days ago or never (no {what})"
    phrases = {"eq": f"{name} {_value_words(value)}", "ne": f"{name} not {_value_words(value)}",
               "in": f"{name} {_value_words(value)}", "not_in": f"{name} not {_value_words(value)}",
               "gt": f"{name} over {_value_words(value)}", "gte": f"{name} at least {_value_words(value)}",
               "lt": f"{name} under {_value_words(value)}", "lte": f"{name} at most {_value_words(value)}",
               "contains": f"{name} containing '{_value_words(value)}'",
               "starts_with": f"{name} starting with '{_value_words(value)}'",
               "is_empty": f"no {name}", "not_empty": f"a {name}",
               "before": f"{name} before {value}", "after": f"{name} after {value}",
               "within_days": f"{name} in the last {value} days",
               "older_than_days": f"{name} more than {value} days ago"}
    return phrases[op]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe(plan: dict) -> str:
    """The plan in plain words, for people to check what a question was read as."""
    entity = ENTITIES.get(plan.get("entity"))
    computed = {c["as"]: c for c in plan.get("computed") or []}
    aggregates = {a["as"]: a for a in plan.get("aggregates") or []}
    label = (plan.get("entity") or "rows").capitalize()
    parts = [label]
    filters = plan.get("filters") or []
    plain = [f for f in filters if f["field"] not in computed and f["field"] not in aggregates]
    later = [f for f in filters if f not in plain]
    if plain:
        parts[0] += " with " + _join([_filter_words(f, computed) for f in plain])
    if plan.get("group_by"):
        parts.append("grouped by " + _join([_words(n) for n in plan["group_by"]]))
    shown = [n for n in plan.get("fields") or [] if n in computed or n in aggregates]
    if shown:
        said = []
        for n in shown:
            spec = computed.get(n) or aggregates[n]
            source = spec.get("of") or spec.get("field") or plan.get("entity")
            said.append(f"{_words(n)} ({spec['fn'].replace('_', ' ')} of {_words(str(source)).replace('.', ' ')})")
        parts.append(("their " if computed and not aggregates else "") + _join(said))
    if later:
        parts.append("where " + _join([_filter_words(f, computed) for f in later]))
    for key in plan.get("sort") or []:
        name = key["field"]
        ftype = None
        if entity and entity.field(name):
            ftype = entity.field(name).type
        elif name in computed or name in aggregates:
            ftype = "number"
        if ftype == "number":
            parts.append(f"{'highest' if key.get('dir') == 'desc' else 'lowest'} {_words(name)} first")
        elif ftype == "date":
            parts.append(f"{'latest' if key.get('dir') == 'desc' else 'earliest'} {_words(name)} first")
        else:
            parts.append(f"by {_words(name)} {'Z-A' if key.get('dir') == 'desc' else 'A-Z'}")
    parts.append(f"up to {plan.get('limit', DEFAULT_LIMIT)}")
    return ", ".join(parts)


# ---------------------------------------------------------------- as a saved grid view
_VIEW_OPS = {
    "text": {"eq": "is", "ne": "is_not", "contains": "contains", "is_empty": "is_empty", "not_empty": "is_not_empty"},
    "enum": {"eq": "is", "ne": "is_not", "contains": "contains", "in": "is_any_of", "not_in": "is_none_of",
             "is_empty": "is_empty", "not_empty": "is_not_empty"},
    "number": {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
               "is_empty": "is_empty", "not_empty": "is_not_empty"},
    "date": {"eq": "is", "ne": "is_not", "before": "is_before", "lt": "is_before", "after": "is_after",
             "gt": "is_after", "lte": "is_on_or_before", "gte": "is_on_or_after", "within_days": "is_within_last",
             "older_than_days": "is_before",
             "is_empty": "is_empty", "not_empty": "is_not_empty"},
}


def _view_column(name: str, by_name: dict, by_field: dict) -> dict | None:
    field = ENTITIES["investors"].field(name)
    grid_name = name[len(COLUMN_PREFIX):] if name.startswith(COLUMN_PREFIX) else field.grid_column if field else None
    if not grid_name:
        return None
    if grid_name.startswith("field:"):
        return by_field.get(grid_name[6:])
    return by_name.get(grid_name.casefold())


def as_view(plan: dict, grid_columns: list) -> dict | None:
    """A saved-view spec ({"filter", "sort", "hidden"}) showing the same investors, when the plan
    is one: investors, no computed values, grouping or aggregates, and filters and sorts only on
    grid columns with operators the view engine has. Otherwise None."""
    if plan.get("entity") != "investors" or plan.get("computed") or plan.get("group_by") or plan.get("aggregates"):
        return None
    by_name = {c["name"].casefold(): c for c in grid_columns if isinstance(c, dict) and c.get("name")}
    by_field = {c["field"]: c for c in grid_columns if isinstance(c, dict) and c.get("field")}
    conditions = []
    for f in plan.get("filters") or []:
        column = _view_column(f["field"], by_name, by_field)
        if column is None:
            return None
        kind = {"single_select": "enum"}.get(column.get("type"), COLUMN_TYPES.get(column.get("type")))
        if column.get("field") == "list":
            kind = "enum"
        operator = _VIEW_OPS.get(kind or "", {}).get(f["op"])
        if operator is None:
            return None
        value = f.get("value")
        if f["op"] == "older_than_days" and kind == "date":
            operator, value = "is_before", {"days_ago": value}
        conditions.append({"column_id": column["id"], "operator": operator, "value": value})
    sort = []
    for key in plan.get("sort") or []:
        column = _view_column(key["field"], by_name, by_field)
        if column is None:
            return None
        sort.append({"column_id": column["id"], "direction": key.get("dir", "asc")})
    shown = {c["id"] for c in (_view_column(n, by_name, by_field) for n in plan.get("fields") or []) if c}
    hidden = [c["id"] for c in grid_columns if c["id"] not in shown and not c.get("primary") and c.get("field") != "name"]
    return {"filter": {"op": "and", "conditions": conditions}, "sort": sort, "hidden": hidden}


# ---------------------------------------------------------------- the schema
def schema(db) -> dict:
    """What a plan may name: entities and their fields (with types), the investors' grid columns,
    relations, ops per type, aggregate fns, limits and example plans (`GET /api/query/schema`)."""
    def work(catalog: Catalog) -> dict:
        entities = {}
        for e in ENTITIES.values():
            fields = [{"name": f.name, "type": f.type, "description": f.description,
                       **({"choices": list(f.choices)} if f.choices else {})} for f in e.fields]
            entities[e.name] = {"description": e.description, "fields": fields,
                                "relations": [r.entity for r in e.relations]}
        columns = [{"name": COLUMN_PREFIX + name, "type": COLUMN_TYPES[ctype], "description": f"the grid column '{name}'"}
                   for _, name, ctype, _ in catalog.live.values() if ctype in COLUMN_TYPES]
        entities["investors"]["columns"] = columns
        return {
            "entities": entities,
            "ops": {t: list(ops) for t, ops in OPS.items()},
            "fns": {fn: list(types) if types else "any field, or the entity itself (count)"
                    for fn, types in FN_TYPES.items()},
            "limits": {"fields": MAX_FIELDS, "computed": MAX_COMPUTED, "filters": MAX_FILTERS, "sort": MAX_SORT,
                       "group_by": MAX_GROUP_BY, "aggregates": MAX_AGGREGATES, "in_values": MAX_LIST,
                       "limit": {"min": 1, "max": MAX_LIMIT, "default": DEFAULT_LIMIT}, "text": MAX_TEXT},
            "notes": ["filters are ANDed; text comparisons ignore case",
                      "ne and not_in also match empty values",
                      "older_than_days on a computed max date also matches rows with no related row at all "
                      "(older than N days or never)",
                      "dates compare as UTC days; within_days N means from N days ago up to today",
                      "emails has one row per message and linked investor; no bodies"],
            "examples": [dict(e) for e in EXAMPLES],
        }
    return _with_catalog(db, work)
