"""View engine: every operator of every type kind (table-driven), nested groups, validation
messages, sort semantics, properties over random rows/filters, and a 10,000-row timing check."""
from __future__ import annotations

import datetime
import json
import random
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from backend.grid import view_engine as ve
from backend.errors import BadRequest
from helpers import ROOT, best_ms, require_node
from backend.grid.view_engine import (OPERATORS, TYPE_KINDS, column_kind, compile_filter, normalize_filter,
                                 normalize_sort, select, sort_rows)

TODAY = datetime.date(2026, 6, 15)
MISSING = object()                 # the row has no key for the column at all
ERR = {"error": "#DIV/0!", "message": "Division by zero"}
ANN = {"id": "p1", "name": "Ann Lee", "email": "ann@acme.vc", "phone": "+1 415 555 0100",
       "title": "Managing Partner"}
BOB = {"id": "p2", "name": "Bob Stone", "email": "bob@beta.vc", "phone": None, "title": None}


def _column(cid, ctype, name, **options):
    if "choices" in options:
        options["choices"] = [{"name": choice, "color": "blue"} for choice in options["choices"]]
    return {"id": cid, "name": name, "type": ctype, "options": options}


COLUMNS = {c["id"]: c for c in [
    _column("name", "text", "Name"),
    _column("notes", "long_text", "Notes"),
    _column("email", "email", "Email"),
    _column("url", "url", "Website"),
    _column("phone", "phone", "Phone"),
    _column("by", "last_modified_by", "Modified by"),
    _column("stage", "single_select", "Stage", choices=["Lead", "Contacted", "Committed"]),
    _column("amount", "number", "Check size"),
    _column("target", "currency", "Target"),
    _column("own", "percent", "Ownership"),
    _column("fund1", "fund", "Fund I"),
    _column("last", "date", "Last contact"),
    _column("meeting", "date", "Meeting", include_time=True),
    _column("created", "created_time", "Created"),
    _column("modified", "last_modified_time", "Modified"),
    _column("priority", "checkbox", "Priority"),
    _column("tags", "multi_select", "Tags", choices=["Seed", "Series A", "Growth"]),
    _column("people", "contacts", "Contacts"),
    _column("score", "formula", "Score", formula="{Fund I} / 1000"),
    _column("total", "formula", "Total", result_type="number"),
    _column("label", "formula", "Label", result_type="text"),
    _column("flag", "formula", "Flag", result_type="boolean"),
    _column("due", "formula", "Due", result_type="date"),
    _column("arr", "formula", "Arr", result_type="array"),
    # Relationship signals: computed from mail, filtered by the kind they are.
    _column("heard", "last_inbound", "Last from them"),
    _column("wrote", "last_outbound", "Last to them"),
    _column("touches", "touches_90d", "Emails 90d"),
    _column("knows", "knows_best", "Knows best"),
    _column("warmth", "relationship_strength", "Strength",
            choices=["Very strong", "Strong", "Medium", "Weak", "Very weak"]),
    # A fund's pipeline: the cell is an opportunity; conditions and sorting read its stage.
    _column("deal", "pipeline", "Fund I pipeline", fund_id="fund1",
            choices=["Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed"]),
]}

PITCH = {"id": "o1", "stage": "Pitch", "expected_amount": 2_000_000, "probability": None}
SOFT = {"id": "o2", "stage": "Soft Circle", "expected_amount": None, "probability": 0.5}

T, F = True, False

# (column id, operator as a client may write it, filter value, [(cell value, expected), ...])
TABLE = [
    # text kinds: case-insensitive, trimmed; negations match empty cells
    ("name", "is", "Acme Capital", [("Acme Capital", T), ("  acme CAPITAL ", T), ("Acme", F), (None, F),
                                    (MISSING, F), ("", F), ({"x": 1}, F)]),
    ("name", "is", "  ACME capital  ", [("Acme Capital", T)]),
    ("name", "=", "acme", [("Acme", T), ("Beta", F)]),
    ("name", "equals", "acme", [("ACME", T)]),
    ("name", "IS", "acme", [("acme", T)]),
    ("name", "is_not", "Acme", [("Beta", T), ("acme ", F), (None, T), (MISSING, T), ("", T), ({"x": 1}, T)]),
    ("name", "!=", "acme", [("Acme", F), ("Beta", T)]),
    ("name", "Is Not", "acme", [("Beta", T)]),
    ("name", "contains", "CAP", [("Acme Capital", T), ("Beta", F), (None, F), ("", F), (["cap"], F)]),
    ("name", "contains", 5, [("Fund 5", T), ("Fund V", F)]),
    ("name", "does_not_contain", "cap", [("Acme Capital", F), ("Beta", T), (None, T), ("", T), (MISSING, T)]),
    ("name", "does not contain", "cap", [("Beta", T)]),
    ("name", "Does-Not-Contain", "cap", [("Capital", F)]),
    ("name", "is_empty", None, [(None, T), (MISSING, T), ("", T), ("   ", T), ([], T), ("x", F), ({"x": 1}, F)]),
    ("name", "is_not_empty", "ignored", [("x", T), (None, F), ("", F), (MISSING, F)]),
    ("notes", "contains", "warm intro", [("Met at SXSW; Warm Intro via Ann", T), ("cold", F)]),
    ("email", "is", "ANN@ACME.VC", [("ann@acme.vc", T), ("bob@beta.vc", F)]),
    ("url", "contains", "acme.vc", [("https://www.acme.vc/team", T), ("https://beta.vc", F)]),
    ("phone", "contains", "555", [("+1 (415) 555-0100", T), ("+44 20 7946 0000", F)]),
    ("by", "is", "alice", [("Alice", T), ("bob", F)]),
    ("by", "is_empty", None, [(None, T), ("bob", F)]),
    # single_select: text operators plus any-of / none-of
    ("stage", "is", "committed", [("Committed", T), ("Lead", F), (None, F)]),
    ("stage", "is_not", "Committed", [("Lead", T), (None, T), ("committed", F)]),
    ("stage", "contains", "comm", [("Committed", T), ("Lead", F)]),
    ("stage", "does_not_contain", "comm", [("Lead", T), ("Committed", F)]),
    ("stage", "is_any_of", ["lead", " Committed "], [("Committed", T), ("LEAD", T), ("Contacted", F),
                                                     (None, F), (MISSING, F)]),
    ("stage", "is any of", "Lead", [("Lead", T), ("Committed", F)]),
    ("stage", "is_none_of", ["Lead"], [("Committed", T), (None, T), ("lead", F)]),
    ("stage", "is_empty", None, [(None, T), ("Lead", F)]),
    ("stage", "is_not_empty", None, [("Lead", T), ("", F)]),
    # pipeline: an opportunity is matched by its stage, like a single select
    ("deal", "is", "pitch", [(PITCH, T), (SOFT, F), (None, F), (MISSING, F)]),
    ("deal", "=", "Soft Circle", [(SOFT, T), (PITCH, F)]),
    ("deal", "is_not", "Pitch", [(SOFT, T), (None, T), (PITCH, F), ("junk", T)]),
    ("deal", "contains", "circ", [(SOFT, T), (PITCH, F), (None, F)]),
    ("deal", "does_not_contain", "circ", [(PITCH, T), (SOFT, F)]),
    ("deal", "is_any_of", ["Pitch", "soft circle"], [(PITCH, T), (SOFT, T), ({"stage": "Intro"}, F), (None, F)]),
    ("deal", "is_none_of", ["Pitch"], [(SOFT, T), (None, T), (PITCH, F)]),
    ("deal", "is_empty", None, [(None, T), (MISSING, T), (PITCH, F), ({"error": "#ERROR!"}, T)]),
    ("deal", "is_not_empty", None, [(PITCH, T), (None, F)]),
    # numeric kinds: empties never match = < > <= >= but do match !=
    ("amount", "=", 5000, [(5000, T), (5000.0, T), (5001, F), (None, F), (MISSING, F), ("", F), ("5000", F),
                           (True, F), (float("nan"), F)]),
    ("amount", "eq", "5,000", [(5000, T)]),
    ("amount", "=", "$5,000", [(5000, T)]),
    ("amount", "=", " 1.5e6 ", [(1_500_000, T)]),
    ("amount", "!=", 5000, [(5000, F), (4999.5, T), (None, T), (MISSING, T), ("", T), ("junk", T)]),
    ("amount", "neq", "0", [(0, F), (1, T)]),
    ("amount", "<", 10, [(5, T), (10, F), (11, F), (None, F), (-1.5, T)]),
    ("amount", "lt", "10", [(9.99, T)]),
    ("amount", ">", "1.5e6", [(2_000_000, T), (1_500_000, F), (None, F), ("junk", F)]),
    ("amount", "gt", 0, [(0, F), (0.01, T)]),
    ("amount", "<=", 10, [(10, T), (10.5, F), (None, F)]),
    ("amount", "lte", 10, [(9, T), (11, F)]),
    ("amount", ">=", "-$1,000", [(-1000, T), (-1001, F), (None, F)]),
    ("amount", "gte", 10, [(10, T), (9, F)]),
    ("amount", "is_empty", None, [(None, T), (MISSING, T), ("", T), (0, F), ("junk", F)]),
    ("amount", "is_not_empty", None, [(0, T), (None, F)]),
    ("target", "=", "-$1,250.50", [(-1250.5, T), (1250.5, F)]),
    ("target", ">", "$1,000,000", [(2_500_000, T), (1_000_000, F)]),
    ("own", "=", "12.5%", [(0.125, T), (12.5, F)]),
    ("own", ">", "10%", [(0.125, T), (0.05, F)]),
    ("own", "<", 0.2, [(0.125, T), (0.25, F)]),
    ("own", "=", "33.3%", [(0.333, T)]),
    ("fund1", ">=", "1,250,000", [(1_250_000, T), (1_000_000, F), (None, F), (True, F)]),
    ("fund1", "is_empty", None, [(None, T), (0, F)]),
    # dates: by UTC calendar day, relative to the injected today (2026-06-15)
    ("last", "is", "2026-06-14", [("2026-06-14", T), ("2026-06-15", F), (None, F), (MISSING, F), ("", F),
                                  ("not a date", F)]),
    ("last", "is", "yesterday", [("2026-06-14", T), ("2026-06-15", F)]),
    ("last", "is", " Today ", [("2026-06-15", T)]),
    ("last", "is", "tomorrow", [("2026-06-16", T)]),
    ("last", "is", {"days_ago": 5}, [("2026-06-10", T), ("2026-06-11", F)]),
    ("last", "is", {"days_from_now": 2}, [("2026-06-17", T)]),
    ("last", "is", "2026-06-14T23:30:00Z", [("2026-06-14", T)]),
    ("last", "is", "2026-06-14T23:30:00-02:00", [("2026-06-15", T), ("2026-06-14", F)]),
    ("meeting", "is", "2026-06-14", [("2026-06-14T15:30:00.000Z", T), ("2026-06-14T00:00:00.000Z", T),
                                     ("2026-06-14T23:30:00-02:00", F)]),
    ("meeting", "is", "2026-06-15", [("2026-06-14T23:30:00-02:00", T)]),
    ("last", "is_not", "2026-06-14", [("2026-06-14", F), ("2026-06-13", T), (None, T), (MISSING, T),
                                      ("not a date", T)]),
    ("last", "is_before", "today", [("2026-06-14", T), ("2026-06-15", F), (None, F), ("junk", F)]),
    ("last", "is_after", "2026-06-01", [("2026-06-02", T), ("2026-06-01", F), (None, F)]),
    ("last", "is_on_or_before", "today", [("2026-06-15", T), ("2026-06-16", F), (None, F)]),
    ("last", "is_on_or_after", {"days_ago": 7}, [("2026-06-08", T), ("2026-06-07", F), (None, F)]),
    ("last", "is_within_last", 7, [("2026-06-08", T), ("2026-06-07", F), ("2026-06-15", T), ("2026-06-16", F),
                                   (None, F)]),
    ("last", "is within last", "7", [("2026-06-09", T)]),
    ("last", "is_within_next", 7, [("2026-06-22", T), ("2026-06-23", F), ("2026-06-15", T), ("2026-06-14", F),
                                   (None, F)]),
    ("last", "is_empty", None, [(None, T), ("", T), ("2026-06-14", F), ("junk", F)]),
    ("last", "is_not_empty", None, [("2026-06-14", T), (None, F)]),
    ("created", "is_within_last", 1, [("2026-06-14T00:00:00.000Z", T), ("2026-06-13T23:59:59.999Z", F)]),
    ("created", "is_after", "2026-06-14T12:00:00Z", [("2026-06-14T23:00:00.000Z", F), ("2026-06-15T00:00:00.000Z", T)]),
    ("modified", "is", "today", [("2026-06-15T23:59:59.999Z", T), ("2026-06-16T00:00:00.000Z", F)]),
    ("modified", "is_before", "2026-06-15", [("2026-06-15T01:00:00+02:00", T), ("2026-06-15T03:00:00+02:00", F)]),
    # checkbox: a null cell is unchecked
    ("priority", "is", True, [(True, T), (False, F), (None, F), (MISSING, F), ("yes", F)]),
    ("priority", "is", False, [(False, T), (None, T), (MISSING, T), ("", T), (True, F), ("yes", F)]),
    ("priority", "is", "true", [(True, T)]),
    ("priority", "is", 0, [(None, T)]),
    # multi_select: set operators, case-insensitive
    ("tags", "has_any_of", ["seed", "Growth"], [(["Seed"], T), (["Series A"], F), (None, F), ([], F), (MISSING, F)]),
    ("tags", "has any of", "Seed", [(["Seed", "Growth"], T)]),
    ("tags", "has_all_of", ["seed", "growth"], [(["Growth", "Seed", "Series A"], T), (["Seed"], F), (None, F)]),
    ("tags", "has_none_of", ["seed"], [(["Growth"], T), (["SEED"], F), (None, T), ([], T)]),
    ("tags", "is_exactly", ["Seed", "Growth"], [(["growth", "seed"], T), (["Seed"], F),
                                                (["Seed", "Growth", "Series A"], F), (None, F)]),
    ("tags", "contains", "ser", [(["Series A"], T), (["Seed"], F), (None, F)]),
    ("tags", "does_not_contain", "ser", [(["Seed"], T), (["Series A"], F), (None, T)]),
    ("tags", "is_empty", None, [([], T), (None, T), ([""], T), (["Seed"], F), (5, F)]),
    ("tags", "is_not_empty", None, [(["Seed"], T), ([], F)]),
    # contacts: substring of any contact's name, email, phone or title
    ("people", "contains", "ann", [([ANN], T), ([], F), (None, F), (MISSING, F)]),
    ("people", "contains", "PARTNER", [([ANN], T), ([BOB], F)]),
    ("people", "contains", "555", [([BOB, ANN], T), ([BOB], F)]),
    ("people", "contains", "acme.vc", [([ANN], T)]),
    ("people", "does_not_contain", "bob", [([ANN], T), ([BOB], F), (None, T), ([], T)]),
    ("people", "is_empty", None, [([], T), (None, T), ([ANN], F)]),
    ("people", "is_not_empty", None, [([ANN], T), ([], F)]),
    # untyped formula: each value by its runtime type; errors are empty
    ("score", ">", 10, [(12, T), (12.5, T), (10, F), ("12", F), (True, F), (None, F), (ERR, F), (["12"], F)]),
    ("score", "=", 5, [(5, T), (5.0, T), ("5", T), (6, F), (ERR, F)]),
    ("score", "!=", 5, [(6, T), (5, F), (ERR, T), (None, T)]),
    ("score", "<", "1,000", [(999, T), (1000, F)]),
    ("score", "<=", 0, [(0, T), (1, F)]),
    ("score", ">=", "$1", [(1, T), (0.5, F)]),
    ("score", "is", "Acme", [("acme", T), ("beta", F), (None, F), (ERR, F)]),
    ("score", "is_not", "Acme", [("beta", T), ("acme", F), (ERR, T)]),
    ("score", "contains", "acme", [("Acme Fund", T), (["x", "ACME"], T), ("Beta", F), (["Beta"], F), (5, F)]),
    ("score", "does_not_contain", "acme", [("Beta", T), ("Acme Fund", F), (["ACME"], F), (ERR, T)]),
    ("score", "is", True, [(True, T), (False, F), ("true", F)]),
    ("score", "is", False, [(False, T), (None, T), (ERR, T), (True, F)]),
    ("score", "has_any_of", ["a"], [(["A", "b"], T), (["b"], F), (5, F)]),
    ("score", "has_all_of", ["a", "b"], [(["a", "B", "c"], T), (["a"], F)]),
    ("score", "has_none_of", ["a"], [(["b"], T), (["a"], F), (5, T), (ERR, T)]),
    ("score", "is_exactly", ["a", "b"], [(["b", "a"], T), (["a"], F)]),
    ("score", "is_before", "2026-01-01", [("2025-12-31", T), ("2025-12-31T23:00:00.000Z", T), ("2026-01-01", F),
                                          ("soon", F), (5, F), (ERR, F)]),
    ("score", "is_after", "2026-01-01", [("2026-01-02", T), ("2026-01-01", F)]),
    ("score", "is_on_or_before", "2026-01-01", [("2026-01-01", T), ("2026-01-02", F)]),
    ("score", "is_on_or_after", "2026-01-01", [("2026-01-01", T), ("2025-12-31", F)]),
    ("score", "is_within_last", 7, [("2026-06-10", T), ("2026-06-01", F)]),
    ("score", "is_within_next", 7, [("2026-06-20", T), ("2026-06-30", F)]),
    ("score", "is_empty", None, [(ERR, T), (None, T), ("", T), ([], T), (0, F), (False, F)]),
    ("score", "is_not_empty", None, [(0, T), ("x", T), (ERR, F), (None, F)]),
    # typed formulas: options.result_type decides
    ("total", ">", 1, [(2, T), (0.5, F), ("2", F), (ERR, F), (None, F)]),
    ("total", "is_empty", None, [(ERR, T), (0, F)]),
    ("label", "is", "5", [(5, T), ("5", T), ("6", F), (ERR, F)]),
    ("label", "contains", "fund", [("Acme Fund", T), (ERR, F)]),
    ("flag", "is", True, [(True, T), (ERR, F)]),
    ("flag", "is", False, [(ERR, T), (None, T), (True, F)]),
    ("due", "is", "2026-06-14", [("2026-06-14T10:00:00.000Z", T), ("2026-06-14", T), ("soon", F), (ERR, F)]),
    ("due", "is_within_last", 3, [("2026-06-12", T), ("2026-06-11", F)]),
    ("due", "is_empty", None, [(ERR, T), ("2026-06-14", F)]),
    ("arr", "has_all_of", ["a", "b"], [(["a", "b", "c"], T), (["a"], F), (ERR, F)]),
    ("arr", "is_exactly", ["a"], [(["A"], T), (["a", "b"], F)]),
    ("arr", "contains", "x", [([1, "xy"], T), ([1], F)]),
    ("arr", "has_any_of", ["1"], [([1, 2], T), ([3], F)]),
]
CASES = [(cid, op, value, cell, expected) for cid, op, value, cells in TABLE for cell, expected in cells]


def _case_id(case):
    cid, op, value, cell, expected = case
    return f"{COLUMNS[cid]['type']}:{cid}-{op}-{value!r}-{'MISSING' if cell is MISSING else repr(cell)}-{expected}"


def _one(cid, operator, value):
    return {"op": "and", "conditions": [{"column_id": cid, "operator": operator, "value": value}]}


def matches(cid, operator, value, cell) -> bool:
    group = normalize_filter(_one(cid, operator, value), COLUMNS)
    return compile_filter(group, COLUMNS, TODAY)({} if cell is MISSING else {cid: cell})


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_operator_table(case):
    cid, operator, value, cell, expected = case
    assert matches(cid, operator, value, cell) is expected


def test_the_browser_engine_answers_the_same_table(tmp_path):
    """frontend/app/shared/view_engine.jsx on the same cases, given what the server gives the
    browser: canonical filters and columns with their kind."""
    node = require_node()
    columns = {cid: {**c, "kind": column_kind(c)} for cid, c in COLUMNS.items()}
    cases = [{"group": normalize_filter(_one(cid, op, value), COLUMNS), "column_id": cid,
              "cell": None if cell is MISSING else {"$nan": True} if cell != cell else cell,  # JSON has no NaN
              "missing": cell is MISSING}
             for cid, op, value, cell, _ in CASES]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"columns": columns, "today": TODAY.isoformat(), "cases": cases}, allow_nan=False))
    proc = subprocess.run([node, "tests/frontend/view_engine_parity.js", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = json.loads(proc.stdout)
    assert len(answers) == len(CASES) >= 390
    differ = [(_case_id(case), answer) for case, answer in zip(CASES, answers) if answer is not case[4]]
    assert not differ, f"{len(differ)} of {len(CASES)} cases differ in the browser engine: {differ[:20]}"


def test_table_covers_every_operator_of_every_kind_both_ways():
    seen: dict[tuple[str, str], set[bool]] = {}
    for cid, operator, value, cell, expected in CASES:
        canonical = normalize_filter(_one(cid, operator, value), COLUMNS)["conditions"][0]["operator"]
        seen.setdefault((column_kind(COLUMNS[cid]), canonical), set()).add(expected)
    missing = [(kind, op) for kind, ops in OPERATORS.items() for op in ops if seen.get((kind, op)) != {True, False}]
    assert not missing, missing
    assert {c["type"] for c in COLUMNS.values()} == set(TYPE_KINDS)


def test_operator_lists_per_kind():
    assert OPERATORS["text"] == {"is", "is_not", "contains", "does_not_contain", "is_empty", "is_not_empty"}
    assert OPERATORS["single_select"] == OPERATORS["text"] | {"is_any_of", "is_none_of"}
    assert OPERATORS["number"] == {"=", "!=", "<", ">", "<=", ">=", "is_empty", "is_not_empty"}
    assert OPERATORS["checkbox"] == {"is"}
    assert "is_within_next" in OPERATORS["date"] and "is_exactly" in OPERATORS["multi_select"]
    assert OPERATORS["formula"] >= OPERATORS["number"] | OPERATORS["date"] | OPERATORS["multi_select"]
    assert [column_kind(COLUMNS[c]) for c in ("fund1", "created", "by", "score", "flag", "arr")] == \
        ["number", "date", "text", "formula", "checkbox", "multi_select"]


# ---------------------------------------------------------------- normalisation
def test_normalize_canonicalises_operators_and_values():
    raw = {"op": "OR", "conditions": [
        {"column_id": "name", "operator": "=", "value": "  Acme  "},
        {"column_id": "amount", "operator": "GTE", "value": "$1,250,000"},
        {"column_id": "amount", "operator": "=", "value": "1.5e6"},
        {"column_id": "own", "operator": "lt", "value": "12.5%"},
        {"column_id": "last", "operator": "Is-Before", "value": " Today "},
        {"column_id": "last", "operator": "is", "value": "2026-06-14T23:30:00-02:00"},
        {"column_id": "last", "operator": "is within last", "value": "30"},
        {"column_id": "tags", "operator": "has any of", "value": ["Seed", "seed", " Growth ", ""]},
        {"column_id": "stage", "operator": "is_any_of", "value": "Lead"},
        {"column_id": "priority", "operator": "is", "value": "TRUE"},
        {"column_id": "people", "operator": "is_not_empty", "value": "whatever"},
        {"conditions": []},
    ]}
    assert normalize_filter(raw, COLUMNS) == {"op": "or", "conditions": [
        {"column_id": "name", "operator": "is", "value": "Acme"},
        {"column_id": "amount", "operator": ">=", "value": 1250000},
        {"column_id": "amount", "operator": "=", "value": 1500000},
        {"column_id": "own", "operator": "<", "value": 0.125},
        {"column_id": "last", "operator": "is_before", "value": "today"},
        {"column_id": "last", "operator": "is", "value": "2026-06-15"},
        {"column_id": "last", "operator": "is_within_last", "value": 30},
        {"column_id": "tags", "operator": "has_any_of", "value": ["Seed", "Growth"]},
        {"column_id": "stage", "operator": "is_any_of", "value": ["Lead"]},
        {"column_id": "priority", "operator": "is", "value": True},
        {"column_id": "people", "operator": "is_not_empty", "value": None},
        {"op": "and", "conditions": []},
    ]}


def test_normalize_none_and_defaults():
    assert normalize_filter(None, COLUMNS) == {"op": "and", "conditions": []}
    assert normalize_filter({}, COLUMNS) == {"op": "and", "conditions": []}
    assert normalize_sort(None, COLUMNS) == []
    assert normalize_sort([{"column_id": "amount"}, {"column_id": "name", "direction": "DESC"}], COLUMNS) == \
        [{"column_id": "amount", "direction": "asc"}, {"column_id": "name", "direction": "desc"}]


def _nest(depth):
    group = {"op": "and", "conditions": [{"column_id": "name", "operator": "is_empty"}]}
    for _ in range(depth - 1):
        group = {"op": "or", "conditions": [group]}
    return group


def test_six_levels_allowed():
    assert normalize_filter(_nest(6), COLUMNS)


BAD_FILTERS = [
    (_one("c123", "is", "x"), ["filter: unknown column 'c123'"]),
    (_one("fund1", "contains", "x"), ["filter: operator 'contains' does not apply to number column 'Fund I'"]),
    (_one("name", "frobnicate", "x"), ["operator 'frobnicate'", "text column 'Name'"]),
    (_one("name", "is_any_of", ["x"]), ["operator 'is_any_of'", "text column 'Name'"]),
    (_one("people", "is", "Ann"), ["operator 'is'", "contacts column 'Contacts'"]),
    (_one("priority", "is_empty", None), ["operator 'is_empty'", "checkbox column 'Priority'"]),
    (_one("total", "contains", "x"), ["number formula column 'Total'"]),
    (_one("score", "is_any_of", ["x"]), ["formula column 'Score'"]),
    (_one("name", None, "x"), ["needs an operator", "'Name'"]),
    (_one("name", "is", ""), ["'is' needs a text value", "'Name'"]),
    (_one("name", "contains", None), ["'contains' needs a text value", "'Name'"]),
    (_one("amount", "=", "abc"), ["'=' needs a number", "number column 'Check size'", "'abc'"]),
    (_one("amount", ">", None), ["'>' needs a number", "'Check size'"]),
    (_one("amount", ">", True), ["needs a number", "'Check size'"]),
    (_one("amount", "=", "1,2"), ["needs a number", "'Check size'"]),
    (_one("amount", "=", "12%"), ["percent", "'Check size'"]),
    (_one("amount", "=", "nan"), ["needs a number", "'Check size'"]),
    (_one("amount", "=", "1e999999"), ["needs a number", "'Check size'"]),
    (_one("last", "is_within_last", "abc"), ["filter: 'is_within_last' needs a whole number of days",
                                             "'Last contact'"]),
    (_one("last", "is_within_last", -1), ["whole number of days", "'Last contact'"]),
    (_one("last", "is_within_next", 1.5), ["'is_within_next' needs a whole number of days", "'Last contact'"]),
    (_one("last", "is_within_next", None), ["whole number of days", "'Last contact'"]),
    (_one("last", "is", "next week"), ["'is' needs a date", "date column 'Last contact'"]),
    (_one("last", "is_before", {"days_ago": -1}), ["needs a date", "'Last contact'"]),
    (_one("last", "is_before", {"weeks_ago": 1}), ["needs a date", "'Last contact'"]),
    (_one("last", "is_before", {"days_ago": 1, "days_from_now": 1}), ["needs a date", "'Last contact'"]),
    (_one("created", "is_after", 20260101), ["needs a date", "'Created'"]),
    (_one("priority", "is", "maybe"), ["'is' needs true or false", "'Priority'"]),
    (_one("priority", "is", None), ["true or false", "'Priority'"]),
    (_one("tags", "has_any_of", []), ["needs at least one value", "'Tags'"]),
    (_one("tags", "has_all_of", [{"a": 1}]), ["needs a list of values", "'Tags'"]),
    (_one("tags", "is_exactly", 5), ["needs a list of values", "'Tags'"]),
    (_one("stage", "is_none_of", [None]), ["needs a list of values", "'Stage'"]),
    (_one("people", "contains", ["Ann"]), ["needs a text value", "'Contacts'"]),
    (_nest(7), ["filter: groups nest at most 6 deep"]),
    ({"op": "xor", "conditions": []}, ["filter: a group's op must be 'and' or 'or'"]),
    ({"op": "and", "conditions": {}}, ["conditions must be a list"]),
    ({"op": "and", "conditions": ["x"]}, ["each condition must be an object"]),
    ("everything", ["a group must be an object"]),
    ({"conditions": [{"operator": "is", "value": "x"}]}, ["a condition needs a column_id"]),
    ({"conditions": [{"column_id": ["name"], "operator": "is", "value": "x"}]}, ["unknown column"]),
    ({"conditions": [{"column_id": "name", "operator": "is_empty"}] * 501}, ["at most 500 conditions"]),
]


@pytest.mark.parametrize("group,fragments", BAD_FILTERS, ids=[f[1][0][:60] for f in BAD_FILTERS])
def test_normalize_filter_rejects_with_a_message_naming_the_column(group, fragments):
    with pytest.raises(BadRequest) as caught:
        normalize_filter(group, COLUMNS)
    assert caught.value.status == 400
    for fragment in fragments:
        assert fragment in caught.value.message


BAD_SORTS = [
    ([{"column_id": "c9", "direction": "asc"}], ["sort: unknown column 'c9'"]),
    ([{"column_id": "amount", "direction": "up"}], ["direction for column 'Check size'", "'up'"]),
    ([{"column_id": "amount"}, {"column_id": "amount", "direction": "desc"}], ["column 'Check size' is listed twice"]),
    ({"column_id": "amount"}, ["sort: must be a list"]),
    (["amount"], ["each key must be an object"]),
]


@pytest.mark.parametrize("sort,fragments", BAD_SORTS, ids=[s[1][0] for s in BAD_SORTS])
def test_normalize_sort_rejects(sort, fragments):
    with pytest.raises(BadRequest) as caught:
        normalize_sort(sort, COLUMNS)
    for fragment in fragments:
        assert fragment in caught.value.message


# ---------------------------------------------------------------- groups
ROWS = [
    ("acme", {"name": "Acme", "stage": "Committed", "fund1": 2_000_000, "tags": ["Seed"], "priority": True}),
    ("beta", {"name": "Beta", "stage": "Lead", "fund1": 500_000, "tags": ["Growth"]}),
    ("core", {"name": "Core", "stage": "Contacted", "fund1": None, "tags": ["Seed", "Growth"], "priority": True}),
    ("dune", {"name": "Dune", "stage": None, "fund1": 1_000_000}),
]


def _ids(group, columns=COLUMNS):
    test = compile_filter(normalize_filter(group, COLUMNS), columns, TODAY)
    return [rid for rid, values in ROWS if test(values)]


def c(cid, op, value=None):
    return {"column_id": cid, "operator": op, "value": value}


def test_and_of_ors():
    group = {"op": "and", "conditions": [
        {"op": "or", "conditions": [c("stage", "is", "Committed"), c("stage", "is", "Lead")]},
        {"op": "or", "conditions": [c("fund1", ">", 1_000_000), c("tags", "has_any_of", ["Growth"])]},
    ]}
    assert _ids(group) == ["acme", "beta"]


def test_or_of_ands():
    group = {"op": "or", "conditions": [
        {"op": "and", "conditions": [c("priority", "is", True), c("fund1", "is_empty")]},
        {"op": "and", "conditions": [c("stage", "is_empty"), c("fund1", ">=", 1_000_000)]},
    ]}
    assert _ids(group) == ["core", "dune"]


def test_depth_three():
    group = {"op": "and", "conditions": [
        c("name", "does_not_contain", "o"),
        {"op": "or", "conditions": [
            c("stage", "is", "Committed"),
            {"op": "and", "conditions": [c("tags", "has_all_of", ["Seed", "Growth"]), c("priority", "is", True)]},
        ]},
    ]}
    assert _ids(group) == ["acme"]           # "core" contains an "o"
    group["conditions"][0] = c("name", "is_not_empty")
    assert _ids(group) == ["acme", "core"]


def test_empty_groups_match_everything():
    everyone = [rid for rid, _ in ROWS]
    assert _ids({"op": "and", "conditions": []}) == everyone
    assert _ids({"op": "or", "conditions": []}) == everyone
    assert _ids({"op": "and", "conditions": [{"op": "or", "conditions": []}, c("stage", "is", "Lead")]}) == ["beta"]
    assert compile_filter(None, COLUMNS, TODAY)({}) is True


def test_archived_column_conditions_are_dropped():
    archived = {k: v for k, v in COLUMNS.items() if k != "tags"}
    # AND: as if absent (true)
    assert _ids({"op": "and", "conditions": [c("tags", "has_any_of", ["Nope"]), c("stage", "is", "Lead")]},
                archived) == ["beta"]
    # OR: as if absent too -- it must not turn the whole OR true
    assert _ids({"op": "or", "conditions": [c("tags", "has_any_of", ["Nope"]), c("stage", "is", "Lead")]},
                archived) == ["beta"]
    # a group left without conditions is dropped, not read as "matches every row"
    group = {"op": "or", "conditions": [{"op": "and", "conditions": [c("tags", "has_any_of", ["Seed"])]},
                                        c("stage", "is", "Lead")]}
    assert _ids(group, archived) == ["beta"]
    only_archived = {"op": "and", "conditions": [c("tags", "has_any_of", ["Seed"])]}
    assert _ids(only_archived, archived) == [rid for rid, _ in ROWS]


def test_conditions_that_no_longer_fit_a_changed_column_type_are_dropped():
    saved = normalize_filter({"op": "or", "conditions": [c("stage", "contains", "lea"), c("name", "is", "Acme")]},
                             COLUMNS)
    retyped = {**COLUMNS, "stage": {**COLUMNS["stage"], "type": "number"}}
    test = compile_filter(saved, retyped, TODAY)
    assert [rid for rid, values in ROWS if test(values)] == ["acme"]


@pytest.mark.parametrize("garbage", [None, "x", 5, [], {"op": "or", "conditions": "x"},
                                     {"conditions": [None, 3, {"column_id": 5}, {"op": "nand", "conditions": [{}]}]},
                                     {"conditions": [{"column_id": "amount", "operator": "=", "value": "abc"}]}])
def test_compile_filter_never_raises_on_a_malformed_stored_filter(garbage):
    test = compile_filter(garbage, COLUMNS, TODAY)
    assert test({"amount": 1}) in (True, False)
    assert test(None) in (True, False)


def test_automation_style_single_row_check_with_datetime_today():
    rule = normalize_filter({"op": "and", "conditions": [c("last", "is_within_last", 14),
                                                         c("stage", "is_none_of", ["Committed"])]}, COLUMNS)
    check = compile_filter(rule, COLUMNS, datetime.datetime(2026, 6, 15, 23, 59))
    assert check({"last": "2026-06-02", "stage": "Lead"}) is True
    assert check({"last": "2026-05-31", "stage": "Lead"}) is False


def test_relative_dates_follow_today():
    group = normalize_filter(_one("last", "is", "yesterday"), COLUMNS)
    assert compile_filter(group, COLUMNS, datetime.date(2026, 1, 1))({"last": "2025-12-31"})
    assert not compile_filter(group, COLUMNS, datetime.date(2026, 1, 2))({"last": "2025-12-31"})


# ---------------------------------------------------------------- sort
def _sorted(cid, cells, direction="asc", columns=COLUMNS):
    rows = [(i, {} if cell is MISSING else {cid: cell}) for i, cell in enumerate(cells)]
    out = sort_rows(rows, [{"column_id": cid, "direction": direction}], columns)
    return [cells[i] for i, _ in out]


def test_sort_text_casefold_and_empties_last_both_ways():
    cells = ["beta", None, "Acme", "", "  carta", "ACME"]
    assert _sorted("name", cells) == ["Acme", "ACME", "beta", "  carta", None, ""]
    assert _sorted("name", cells, "desc") == ["  carta", "beta", "Acme", "ACME", None, ""]


def test_sort_numbers_with_garbage_after_valid_and_empties_last():
    cells = [10, None, 2.5, "junk", -1, MISSING, 10.0, float("nan")]
    assert _sorted("amount", cells)[:4] == [-1, 2.5, 10, 10.0]
    assert _sorted("amount", cells)[4:6] == ["junk", cells[7]] and _sorted("amount", cells)[6:] == [None, MISSING]
    assert _sorted("amount", cells, "desc")[:4] == [10, 10.0, 2.5, -1]
    assert _sorted("amount", cells, "desc")[6:] == [None, MISSING]


def test_sort_dates_by_instant_with_plain_dates_at_midnight_utc():
    cells = ["2026-06-15", "2026-06-14T00:00:01Z", "2026-06-14", None, "2026-06-14T23:30:00-02:00", "garbage"]
    assert _sorted("meeting", cells) == ["2026-06-14", "2026-06-14T00:00:01Z", "2026-06-15",
                                         "2026-06-14T23:30:00-02:00", "garbage", None]
    assert _sorted("created", cells, "desc")[:4] == ["2026-06-14T23:30:00-02:00", "2026-06-15",
                                                     "2026-06-14T00:00:01Z", "2026-06-14"]


def test_sort_checkbox_false_before_true_null_is_false():
    assert _sorted("priority", [True, None, False, True]) == [None, False, True, True]
    assert _sorted("priority", [True, None, False, True], "desc") == [True, True, None, False]


def test_sort_single_select_by_choice_order_unknown_after_known():
    cells = ["Committed", "zeta", None, "Lead", "alpha", "contacted"]
    assert _sorted("stage", cells) == ["Lead", "contacted", "Committed", "alpha", "zeta", None]
    assert _sorted("stage", cells, "desc") == ["zeta", "alpha", "Committed", "contacted", "Lead", None]


def test_sort_pipeline_by_stage_order():
    intro, closed = {"id": "o3", "stage": "Intro"}, {"id": "o4", "stage": "Closed"}
    cells = [SOFT, None, closed, PITCH, intro]
    assert _sorted("deal", cells) == [intro, PITCH, SOFT, closed, None]
    assert _sorted("deal", cells, "desc") == [closed, SOFT, PITCH, intro, None]


def test_sort_multi_select_by_choice_positions():
    cells = [["Growth"], ["Seed", "Growth"], [], ["Seed"], ["Series A", "Seed"], ["Zed"]]
    assert _sorted("tags", cells) == [["Seed"], ["Seed", "Growth"], ["Series A", "Seed"], ["Growth"], ["Zed"], []]


def test_sort_contacts_by_first_name():
    cells = [[BOB, ANN], None, [ANN], [{"name": "carl"}], []]
    assert _sorted("people", cells) == [[ANN], [BOB, ANN], [{"name": "carl"}], None, []]
    assert _sorted("people", cells, "desc") == [[{"name": "carl"}], [BOB, ANN], [ANN], None, []]


def test_sort_formula_by_runtime_type_numbers_before_text():
    cells = ["b", 3, ERR, "A", 1.5, True, None, ["x"]]
    assert _sorted("score", cells) == [1.5, 3, "A", "b", True, ["x"], ERR, None]
    assert _sorted("total", [3, ERR, 1, "x"]) == [1, 3, "x", ERR]
    assert _sorted("due", ["2026-06-14T10:00:00Z", "2026-06-13", ERR, "soon"]) == \
        ["2026-06-13", "2026-06-14T10:00:00Z", "soon", ERR]


def test_sort_is_stable_in_both_directions():
    rows = [(i, {"stage": stage}) for i, stage in enumerate(["Lead", "Committed", "Lead", None, "Committed", None])]
    asc = sort_rows(rows, [{"column_id": "stage", "direction": "asc"}], COLUMNS)
    desc = sort_rows(rows, [{"column_id": "stage", "direction": "desc"}], COLUMNS)
    assert [i for i, _ in asc] == [0, 2, 1, 4, 3, 5]
    assert [i for i, _ in desc] == [1, 4, 0, 2, 3, 5]


def test_multi_key_sort():
    rows = [("a", {"stage": "Lead", "fund1": 5}), ("b", {"stage": "Committed", "fund1": 7}),
            ("c", {"stage": "Lead", "fund1": 9}), ("d", {"stage": "Lead"}), ("e", {"fund1": 1}),
            ("f", {"stage": "Committed", "fund1": 7})]
    sort = [{"column_id": "stage", "direction": "asc"}, {"column_id": "fund1", "direction": "desc"}]
    assert [r for r, _ in sort_rows(rows, sort, COLUMNS)] == ["c", "a", "d", "b", "f", "e"]


def test_sort_custom_values_accessor_and_archived_key():
    rows = [{"id": 1, "values": {"amount": 3}}, {"id": 2, "values": {"amount": 1}}, {"id": 3, "values": None}]
    out = sort_rows(rows, [{"column_id": "gone"}, {"column_id": "amount"}], COLUMNS, values=lambda r: r["values"])
    assert [r["id"] for r in out] == [2, 1, 3]


def test_select_filters_then_sorts():
    view = {"filter": normalize_filter({"op": "and", "conditions": [c("fund1", "is_not_empty")]}, COLUMNS),
            "sort": normalize_sort([{"column_id": "fund1", "direction": "desc"}], COLUMNS)}
    assert [rid for rid, _ in select(ROWS, view, COLUMNS, TODAY)] == ["acme", "dune", "beta"]
    assert [rid for rid, _ in select(ROWS, {}, COLUMNS, TODAY)] == [rid for rid, _ in ROWS]


# ---------------------------------------------------------------- properties
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10)

cell_values = st.one_of(
    json_values,
    st.sampled_from(["Lead", "Committed", "Seed", " acme ", "", "2026-06-14", "2026-06-14T23:30:00-02:00",
                     "2026-06-15T10:00:00.000Z", "junk", "12"]),
    st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.lists(st.sampled_from(["Seed", "Growth", "Series A", "x"]), max_size=3),
    st.lists(st.sampled_from([ANN, BOB, {"name": None}, "x"]), max_size=3),
    st.just(ERR), st.dates().map(lambda d: d.isoformat()),
)
COLUMN_IDS = sorted(COLUMNS)
rows_strategy = st.lists(st.dictionaries(st.sampled_from(COLUMN_IDS), cell_values, max_size=8), max_size=25)

filter_values = st.one_of(
    st.sampled_from([None, "Lead", "acme", "$5,000", "12.5%", "today", "2026-06-14", {"days_ago": 3}, 7, 0, True,
                     False, ["Seed", "growth"], "Seed", 1.5, "junk"]),
    json_values)


@st.composite
def raw_conditions(draw):
    cid = draw(st.sampled_from(COLUMN_IDS))
    op = draw(st.sampled_from(sorted(OPERATORS[column_kind(COLUMNS[cid])])))
    return c(cid, op, draw(filter_values))


raw_groups = st.recursive(
    st.builds(lambda op, conds: {"op": op, "conditions": conds}, st.sampled_from(["and", "or"]),
              st.lists(raw_conditions(), max_size=4)),
    lambda groups: st.builds(lambda op, items: {"op": op, "conditions": items}, st.sampled_from(["and", "or"]),
                             st.lists(groups | raw_conditions(), max_size=3)),
    max_leaves=8)


def _keep_valid(group):
    """The group with each condition that fails validation left out: a random *valid* filter."""
    items = []
    for item in group["conditions"]:
        if "conditions" in item:
            items.append(_keep_valid(item))
            continue
        try:
            items.append(normalize_filter({"conditions": [item]}, COLUMNS)["conditions"][0])
        except BadRequest:
            pass
    return {"op": group["op"], "conditions": items}


sorts_strategy = st.lists(st.builds(lambda cid, d: {"column_id": cid, "direction": d}, st.sampled_from(COLUMN_IDS),
                                    st.sampled_from(["asc", "desc"])), max_size=3, unique_by=lambda k: k["column_id"])


def _order_key(values, sort):
    """Independent check of the order contract: per key, valid < garbage < empty, valid ascending
    or descending as asked."""
    parts = []
    for key in sort:
        value = ve._sort_key(COLUMNS[key["column_id"]])(values.get(key["column_id"]))
        bucket = 2 if value is None else 1 if value is ve._GARBAGE else 0
        parts.append((bucket, value if bucket == 0 else None, key["direction"] == "desc"))
    return parts


def _in_order(a, b, sort) -> bool:
    """True when row a may precede row b (a = (index, values))."""
    for (ba, va, desc), (bb, vb, _) in zip(_order_key(a[1], sort), _order_key(b[1], sort)):
        if ba != bb:
            return ba < bb
        if ba == 0 and va != vb:
            return (va > vb) if desc else (va < vb)
    return a[0] < b[0]       # ties keep input order


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, group=raw_groups, sort=sorts_strategy)
def test_select_on_random_rows_and_valid_filters(rows, group, sort):
    group = normalize_filter(_keep_valid(group), COLUMNS)
    assert normalize_filter(group, COLUMNS) == group           # idempotent
    json.dumps(group)                                           # storable
    sort = normalize_sort(sort, COLUMNS)
    indexed = list(enumerate(rows))
    test = compile_filter(group, COLUMNS, TODAY)
    expected = {i for i, values in indexed if test(values) in (True, False) and test(values)}
    out = select(indexed, {"filter": group, "sort": sort}, COLUMNS, TODAY)
    assert sorted(i for i, _ in out) == sorted(expected)
    for a, b in zip(out, out[1:]):
        assert _in_order(a, b, sort), (a, b, sort)


NEGATIONS = [("is", "is_not"), ("=", "!="), ("contains", "does_not_contain"), ("is_any_of", "is_none_of"),
             ("has_any_of", "has_none_of"), ("is_empty", "is_not_empty")]


@settings(max_examples=300, deadline=None)
@given(cid=st.sampled_from(COLUMN_IDS), pair=st.sampled_from(NEGATIONS), value=filter_values, cell=cell_values)
def test_negated_operators_are_exact_negations(cid, pair, value, cell):
    try:
        positive = normalize_filter(_one(cid, pair[0], value), COLUMNS)
        negative = normalize_filter(_one(cid, pair[1], value), COLUMNS)
    except BadRequest:
        return
    row = {cid: cell}
    assert compile_filter(positive, COLUMNS, TODAY)(row) is not compile_filter(negative, COLUMNS, TODAY)(row)


shaped_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    | st.sampled_from(COLUMN_IDS + ["and", "or", "is", "=", "is_within_last", "has_any_of", "today", "12.5%"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["op", "conditions", "column_id", "operator", "value", "days_ago", "x"]) | st.text(max_size=5),
        children, max_size=5),
    max_leaves=25)


@settings(max_examples=500, deadline=None)
@given(shaped_json)
def test_normalize_filter_on_arbitrary_json_raises_only_bad_request(payload):
    try:
        group = normalize_filter(payload, COLUMNS)
    except BadRequest as exc:
        assert exc.message.startswith("filter: ")
    else:
        assert normalize_filter(group, COLUMNS) == group
        json.dumps(group)
    compile_filter(payload, COLUMNS, TODAY)({"name": "x"})   # stored garbage must not raise either


@settings(max_examples=200, deadline=None)
@given(shaped_json)
def test_normalize_sort_on_arbitrary_json_raises_only_bad_request(payload):
    try:
        normalize_sort(payload, COLUMNS)
    except BadRequest as exc:
        assert exc.message.startswith("sort: ")
    sort_rows([(1, {"name": "x"}), (2, {})], payload, COLUMNS)
    select([(1, {"name": "x"})], {"filter": payload, "sort": payload}, COLUMNS, TODAY)


# ---------------------------------------------------------------- timing
def _grid(n=10_000):
    rng = random.Random(7)
    stages = ["Lead", "Contacted", "Committed", None]
    return [(f"r{i}", {
        "name": f"Investor {rng.randrange(10**6)}",
        "stage": rng.choice(stages),
        "fund1": rng.choice([None, rng.randrange(0, 5_000_000)]),
        "last": (TODAY - datetime.timedelta(days=rng.randrange(0, 120))).isoformat(),
        "tags": rng.sample(["Seed", "Series A", "Growth"], rng.randrange(0, 3)),
        "modified": f"2026-06-{rng.randrange(1, 15):02d}T{rng.randrange(24):02d}:00:00.000Z",
    }) for i in range(n)]


def test_timing_10k_rows():
    rows = _grid()
    view = {"filter": normalize_filter({"op": "and", "conditions": [
        c("stage", "is_any_of", ["Lead", "Committed"]),
        c("fund1", ">=", "$250,000"),
        c("last", "is_within_last", 90)]}, COLUMNS),
        "sort": normalize_sort([{"column_id": "stage"}, {"column_id": "fund1", "direction": "desc"}], COLUMNS)}
    selected = select(rows, view, COLUMNS, TODAY)
    assert 0 < len(selected) < len(rows)
    select_ms = best_ms(lambda: select(rows, view, COLUMNS, TODAY))
    sort_ms = best_ms(lambda: sort_rows(rows, [{"column_id": "name"}, {"column_id": "modified", "direction": "desc"}],
                                         COLUMNS))
    print(f"\nview_engine: 10,000 rows, 3-condition filter + 2-key sort: {select_ms:.1f} ms "
          f"({len(selected)} rows); 2-key sort of all 10,000 rows: {sort_ms:.1f} ms")
    assert select_ms < 100
    assert sort_ms < 100
