"""Pipeline cells: an investor x fund opportunity (stage, expected amount, probability, owner,
expected close) is the value of that fund's pipeline column in the grid, and its record is a row
of the `opportunities` table. This module holds the value's shape (stages, the default
probability of each, the weighted value), its normalisation, and the SQL that loads and stores
it; only `grid/store.py` calls the SQL, inside `Grid._write`, so a card on the board, the grid's
cell and the change feed are one write.

A cell value is an object: {"id", "stage", "expected_amount", "probability", "owner",
"close_date", "stage_since"}; `probability` None means the stage's default. An edit names only
what it changes ({"stage": "Pitch"} or the text "Pitch"); the rest is kept. Clearing the cell
archives the opportunity (it stays as history).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from ..db import new_id
from ..errors import BadRequest
from . import column_types as ct

STAGES = ("Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed")
OPEN_STAGES = ("Intro", "Pitch", "Diligence", "Soft Circle")
# How likely a deal at each stage is to close, unless the card says otherwise.
DEFAULT_PROBABILITY = {"Intro": 0.1, "Pitch": 0.2, "Diligence": 0.4, "Soft Circle": 0.7, "Committed": 0.9,
                       "Closed": 1.0, "Passed": 0.0}
STAGE_COLORS = {"Intro": "gray", "Pitch": "blue", "Diligence": "purple", "Soft Circle": "yellow",
                "Committed": "teal", "Closed": "green", "Passed": "red"}
FIELDS = ("stage", "expected_amount", "probability", "owner", "close_date")
_BY_FOLDED = {s.casefold().replace(" ", "").replace("-", ""): s for s in STAGES}
MAX_AMOUNT = 1e15


def stage_of(raw: Any) -> str:
    """A stage from how a person writes it ("soft circle", "Soft-Circle", "SOFT CIRCLE")."""
    if isinstance(raw, str):
        found = _BY_FOLDED.get(raw.strip().casefold().replace(" ", "").replace("-", "").replace("_", ""))
        if found:
            return found
    raise BadRequest(f"stage must be one of: {', '.join(STAGES)}", field="stage")


def probability(value: dict | None) -> float:
    """The probability the card counts with: its own, or its stage's default."""
    if not value:
        return 0.0
    own = value.get("probability")
    return float(own) if own is not None else DEFAULT_PROBABILITY.get(value.get("stage"), 0.0)


def weighted(value: dict | None) -> float:
    """Expected amount x probability (0 without an amount)."""
    if not value or not value.get("expected_amount"):
        return 0.0
    return float(value["expected_amount"]) * probability(value)


# --- normalisation (pure) -------------------------------------------------------------------------

def _fail(column: dict, message: str, field: str) -> BadRequest:
    return BadRequest(f"column '{column['name']}': {message}", column_id=column["id"], column=column["name"],
                      field=field)


def _probability(raw: Any, column: dict) -> float | None:
    """0.4, 40, "40%" and "0.4" all mean 40%; None is the stage's default."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    percent = isinstance(raw, str) and raw.strip().endswith("%")
    text = raw.strip().rstrip("%").strip() if isinstance(raw, str) else raw
    try:
        if isinstance(text, bool):
            raise ValueError
        number = float(text)
    except (TypeError, ValueError):
        raise _fail(column, f"probability {raw!r} is not a number or a percentage", "probability") from None
    if percent or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise _fail(column, "probability must be between 0% and 100%", "probability")
    return round(number, 4)


def normalize(column: dict, raw: Any) -> dict | None:
    """What an edit of a pipeline cell says: None (clear: archive the opportunity) or the fields it
    sets, each validated. A plain string is a stage."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        raw = {"stage": raw}
    if not isinstance(raw, dict):
        raise _fail(column, "expected a stage name or an object with stage, expected_amount, probability,"
                            " owner, close_date", "value")
    unknown = sorted(set(raw) - set(FIELDS) - {"id", "stage_since"})
    if unknown:
        raise _fail(column, f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}", unknown[0])
    out: dict[str, Any] = {}
    if "stage" in raw:
        try:
            out["stage"] = stage_of(raw["stage"])
        except BadRequest as exc:
            raise _fail(column, exc.message, "stage") from None
    if "expected_amount" in raw:
        amount = ct.parse_number(raw["expected_amount"], column)
        if amount is not None and not 0 <= amount <= MAX_AMOUNT:
            raise _fail(column, "expected_amount must be zero or more", "expected_amount")
        out["expected_amount"] = amount
    if "probability" in raw:
        out["probability"] = _probability(raw["probability"], column)
    if "owner" in raw:
        owner = raw["owner"]
        if owner is not None and (not isinstance(owner, str) or not owner.strip() or len(owner) > 64):
            raise _fail(column, "owner must be a user id or null", "owner")
        out["owner"] = owner.strip() if isinstance(owner, str) else None
    if "close_date" in raw:
        out["close_date"] = ct.parse_date(raw["close_date"], {**column, "options": {}})
    return out


def merge(old: dict | None, change: dict | None, today: str | None = None) -> dict | None:
    """The cell after an edit: the stored fields with the edit's on top. A new opportunity needs
    nothing but may name its stage (Intro by default); `stage_since` moves with the stage."""
    if change is None:
        return None
    merged = {"id": None, "stage": "Intro", "expected_amount": None, "probability": None, "owner": None,
              "close_date": None, "stage_since": None, **(old or {}), **change}
    if old is None or merged["stage"] != old.get("stage") or not merged.get("stage_since"):
        merged["stage_since"] = today or date.today().isoformat()
    return merged


def same(old: dict | None, new: dict | None) -> bool:
    if old is None or new is None:
        return old is new
    return all(old.get(k) == new.get(k) for k in FIELDS)


def as_text(value: dict | None) -> str:
    """What a CSV export, a formula and a search show for the cell: its stage."""
    return value.get("stage", "") if isinstance(value, dict) else ""


# --- the table (called by grid/store.py inside Grid._write) ----------------------------------------

_SELECT = ("SELECT id, investor_id, fund_id, stage, expected_amount, probability, owner_id, close_date, stage_since"
           " FROM opportunities WHERE archived_at IS NULL")


def _value(row) -> dict:
    amount = row[4]
    return {"id": row[0], "stage": row[3],
            "expected_amount": None if amount is None else int(amount) if float(amount).is_integer() else amount,
            "probability": row[5], "owner": row[6], "close_date": row[7], "stage_since": row[8]}


def columns_by_fund(columns) -> dict[str, str]:
    """{fund column id: its pipeline column id} for the live pipeline columns."""
    return {c.options.get("fund_id"): c.id for c in columns if c.type == "pipeline" and c.options.get("fund_id")}


def column_for(columns, fund_id: str):
    """The live pipeline column that follows the fund, or None."""
    return next((c for c in columns if c.type == "pipeline" and c.options.get("fund_id") == fund_id), None)


def load_all(conn, columns):
    """(investor id, pipeline column id, value) of every live opportunity with a live column."""
    by_fund = columns_by_fund(columns)
    if not by_fund:
        return
    for row in conn.execute(_SELECT):
        column_id = by_fund.get(row[2])
        if column_id:
            yield row[1], column_id, _value(row)


def load_row(conn, columns, investor_id: str):
    by_fund = columns_by_fund(columns)
    if not by_fund:
        return
    for row in conn.execute(_SELECT + " AND investor_id = ?", (investor_id,)):
        column_id = by_fund.get(row[2])
        if column_id:
            yield column_id, _value(row)


def store(conn, actor_name: str | None, investor_id: str, fund_id: str, value: dict | None, now: str) -> dict | None:
    """Write the investor's opportunity for the fund: archive it (None), update it, or start one.
    Returns the cell value as stored."""
    current = conn.execute("SELECT id FROM opportunities WHERE investor_id = ? AND fund_id = ? AND archived_at IS NULL",
                           (investor_id, fund_id)).fetchone()
    if value is None:
        if current:
            conn.execute("UPDATE opportunities SET archived_at = ?, archived_by = ?, updated_at = ? WHERE id = ?",
                         (now, actor_name, now, current[0]))
        return None
    if value.get("owner") is not None and conn.execute(
            "SELECT 1 FROM users WHERE id = ? AND is_active = 1", (value["owner"],)).fetchone() is None:
        raise BadRequest(f"owner {value['owner']!r} is not an active member of the team", field="owner")
    fields = (value["stage"], value.get("expected_amount"), value.get("probability"), value.get("owner"),
              value.get("close_date"), value["stage_since"])
    if current:
        conn.execute("UPDATE opportunities SET stage = ?, expected_amount = ?, probability = ?, owner_id = ?,"
                     " close_date = ?, stage_since = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                     (*fields, now, actor_name, current[0]))
        opportunity_id = current[0]
    else:
        opportunity_id = new_id()
        conn.execute("INSERT INTO opportunities (id, investor_id, fund_id, stage, expected_amount, probability,"
                     " owner_id, close_date, stage_since, created_at, created_by, updated_at, updated_by)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (opportunity_id, investor_id, fund_id, *fields, now, actor_name, now, actor_name))
    return {**value, "id": opportunity_id}


def open_count(conn, fund_id: str) -> int:
    return conn.execute("SELECT count(*) FROM opportunities o JOIN investors i ON i.id = o.investor_id"
                        " WHERE o.fund_id = ? AND o.archived_at IS NULL AND i.archived_at IS NULL", (fund_id,)).fetchone()[0]


def find(conn, opportunity_id: str) -> tuple[str, str] | None:
    """(investor id, fund id) of a live opportunity."""
    return conn.execute("SELECT investor_id, fund_id FROM opportunities WHERE id = ? AND archived_at IS NULL",
                        (opportunity_id,)).fetchone()
