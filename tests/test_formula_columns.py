"""Formula columns in the grid over HTTP: computed on create and on edit (dependents in order),
validated (422 with position, unknown field, cycle), renames rewrite formulas, usable in views."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from helpers import add_column, columns_by_name, unique


@pytest.fixture
def funds(fresh_server):
    srv, admin = fresh_server
    a = add_column(admin, "Fund I", "fund")
    b = add_column(admin, "Fund II", "fund")
    rows = [admin.post("/api/fundraising/rows", {"values": {"Name": name, "Fund I": x, "Fund II": y}}).data
            for name, x, y in (("Acme", 100, 250), ("Birch", None, 50), ("Cedar", 0, 0))]
    return admin, a, b, rows


def value(admin, row_id, col_id):
    return admin.get(f"/api/fundraising/rows/{row_id}").data["values"][col_id]


def test_formula_column_computes_for_existing_new_and_edited_rows(funds):
    admin, a, b, rows = funds
    resp = admin.post("/api/fundraising/columns", {"name": "Total", "type": "formula",
                                                   "options": {"formula": "{Fund I} + {Fund II}"}})
    assert resp.status == 201, resp
    total = resp.data
    assert total["options"]["result_type"] == "number" and total["editable"] is False
    assert [value(admin, r["id"], total["id"]) for r in rows] == [350, 50, 0]
    double = add_column(admin, "Double", "formula", {"formula": "{Total} * 2"})
    new = admin.post("/api/fundraising/rows", {"values": {"Name": "Dune", "Fund I": 10}}).data
    assert new["values"][total["id"]] == 10 and new["values"][double["id"]] == 20
    edited = admin.patch(f"/api/fundraising/rows/{rows[0]['id']}", {"values": {"Fund II": 900}}).data
    assert edited["values"][total["id"]] == 1000 and edited["values"][double["id"]] == 2000
    label = add_column(admin, "Kind", "formula", {"formula": 'IF({Fund I} > 0, "LP", "Prospect")'})
    assert value(admin, rows[1]["id"], label["id"]) == "Prospect"
    refused = admin.patch(f"/api/fundraising/rows/{rows[0]['id']}", {"values": {"Total": 5}})
    assert refused.status == 400 and "computed" in refused.json["error"]
    history = admin.get(f"/api/fundraising/rows/{rows[0]['id']}/history").data
    assert not any(h["column_id"] == total["id"] for h in history)  # derived values are not edits


def test_formula_errors_are_values(funds):
    admin, a, b, rows = funds
    ratio = add_column(admin, "Ratio", "formula", {"formula": "{Fund II} / {Fund I}"})
    assert value(admin, rows[0]["id"], ratio["id"]) == 2.5
    err = value(admin, rows[2]["id"], ratio["id"])
    assert err["error"] == "#DIV/0!"
    assert admin.get("/api/fundraising/grid").status == 200


@pytest.mark.parametrize("source, code, needle", [
    ("SUM({Fund I}, ", "formula_syntax", "position"),
    ("{Fund IX} + 1", "formula_unknown_field", "Fund IX"),
    ("NOPE(1)", "formula_syntax", "NOPE"),
])
def test_bad_formulas_are_422(funds, source, code, needle):
    admin = funds[0]
    resp = admin.post("/api/fundraising/columns", {"name": unique("Bad"), "type": "formula",
                                                   "options": {"formula": source}})
    assert resp.status == 422, resp
    assert resp.json["code"] == code
    assert needle in resp.json["error"] or needle in resp.json


def test_cycles_are_refused_naming_the_cycle(funds):
    admin = funds[0]
    total = add_column(admin, "Total", "formula", {"formula": "{Fund I} + 1"})
    add_column(admin, "Twice", "formula", {"formula": "{Total} * 2"})
    resp = admin.patch(f"/api/fundraising/columns/{total['id']}", {"options": {"formula": "{Twice} + 1"}})
    assert resp.status == 422 and resp.json["code"] == "formula_cycle"
    assert "Total -> Twice -> Total" in resp.json["error"]
    own = admin.patch(f"/api/fundraising/columns/{total['id']}", {"options": {"formula": "{Total} + 1"}})
    assert own.status == 422
    assert admin.get("/api/fundraising/columns").data  # nothing half-written


def test_rename_rewrites_formulas_and_archive_is_guarded(funds):
    admin, a, b, rows = funds
    total = add_column(admin, "Total", "formula", {"formula": "{Fund I} + {Fund II}"})
    assert admin.patch(f"/api/fundraising/columns/{a['id']}", {"name": "Fund One"}).status == 200
    cols = columns_by_name(admin)
    assert cols["Total"]["options"]["formula"] == "{Fund One} + {Fund II}"
    edited = admin.patch(f"/api/fundraising/rows/{rows[0]['id']}", {"values": {"Fund One": 1}}).data
    assert edited["values"][total["id"]] == 251
    guarded = admin.delete(f"/api/fundraising/columns/{a['id']}")
    assert guarded.status == 409 and guarded.json["used_by"] == ["Total"]
    assert admin.delete(f"/api/fundraising/columns/{total['id']}").status == 200
    assert admin.delete(f"/api/fundraising/columns/{a['id']}").status == 200


def test_changing_a_formula_recomputes_every_row(funds):
    admin, a, b, rows = funds
    total = add_column(admin, "Total", "formula", {"formula": "{Fund I} + {Fund II}"})
    assert admin.patch(f"/api/fundraising/columns/{total['id']}", {"options": {"formula": "{Fund II} - {Fund I}"}}).status == 200
    assert [value(admin, r["id"], total["id"]) for r in rows] == [150, 50, 0]


def test_formula_values_in_views_and_automations(funds):
    admin, a, b, rows = funds
    total = add_column(admin, "Total", "formula", {"formula": "{Fund I} + {Fund II}"})
    view = admin.post("/api/fundraising/views", {
        "name": "Big totals", "filter": {"op": "and", "conditions": [
            {"column_id": total["id"], "operator": ">", "value": 10}]},
        "sort": [{"column_id": total["id"], "direction": "desc"}]}).data
    got = admin.get(f"/api/fundraising/views/{view['id']}/rows").data["rows"]
    assert [r["values"][total["id"]] for r in got] == [350, 50]
    rule = admin.post("/api/fundraising/automations", {
        "name": "Whales are longshots?", "trigger": "edit",
        "condition": {"op": "and", "conditions": [{"column_id": total["id"], "operator": ">=", "value": 1000}]},
        "action": {"type": "move_to_list", "list": "longshot"}})
    assert rule.status == 201
    moved = admin.patch(f"/api/fundraising/rows/{rows[1]['id']}", {"values": {"Fund I": 5000}}).data
    assert moved["values"][columns_by_name(admin)["List"]["id"]] == "longshot"


def test_today_formulas_are_fresh(funds):
    admin = funds[0]
    today = add_column(admin, "Today", "formula", {"formula": "DATESTR(TODAY())"})
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Clock"}}).data
    assert row["values"][today["id"]] == datetime.now(timezone.utc).date().isoformat()


def test_evaluate_endpoint(funds):
    admin, a, b, rows = funds
    resp = admin.post("/api/formula/evaluate", {"formula": "{Fund I} * 2", "record": {"Fund I": 21}})
    assert resp.status == 200 and resp.data == {"value": 42, "type": "number"}
    by_row = admin.post("/api/formula/evaluate", {"formula": 'UPPER({Name}) & "!"', "row_id": rows[0]["id"]})
    assert by_row.data == {"value": "ACME!", "type": "text"}
    bad = admin.post("/api/formula/evaluate", {"formula": "IF(,", "record": {}})
    assert bad.status == 422 and isinstance(bad.json["position"], int)
    assert admin.post("/api/formula/evaluate", {"formula": "1", "record": [1]}).status == 400


def test_evaluate_refuses_a_field_that_is_neither_a_column_nor_in_the_record(funds):
    admin, a, b, rows = funds
    resp = admin.post("/api/formula/evaluate", {"formula": "{No Such Field} + 1", "record": {}})
    assert resp.status == 422 and resp.json["code"] == "formula_unknown_field"
    assert "'No Such Field'" in resp.json["error"] and resp.json["unknown"] == "No Such Field"
    assert resp.json["position"] == 0
    # In the record, or a live column (matched as formula columns match: case-insensitively): fine.
    assert admin.post("/api/formula/evaluate", {"formula": "{No Such Field} + 1",
                                                "record": {"No Such Field": 2}}).data["value"] == 3
    assert admin.post("/api/formula/evaluate", {"formula": "{fund i} + 1", "record": {}}).data == \
        {"value": 1, "type": "number"}
    preview = admin.post("/api/formula/evaluate?preview=1", {"formula": "1 + {Nope}", "record": {}})
    assert preview.status == 200 and preview.data["type"] == "error" and preview.data["position"] == 4
    archived = add_column(admin, "Gone", "number")
    admin.delete(f"/api/fundraising/columns/{archived['id']}")
    assert admin.post("/api/formula/evaluate", {"formula": "{Gone}", "record": {}}).status == 422


@pytest.mark.parametrize("source", ["(" * 10_000 + "1" + ")" * 10_000, "1+" * 50_000 + "1", "x" * 102_400,
                                    "IF(" * 5_000 + "1" + ")" * 5_000, "-" * 19_000 + "1"])
def test_evaluate_bounds_huge_and_deep_formulas(funds, source):
    admin = funds[0]
    started = time.perf_counter()
    resp = admin.post("/api/formula/evaluate", {"formula": source, "record": {}})
    assert resp.status == 422 and resp.json["code"] == "formula_syntax", resp
    assert time.perf_counter() - started < 0.5
    assert "too long" in resp.json["error"] or "nests too deeply" in resp.json["error"]


def test_preview_mode_and_money_format(funds):
    admin, a, b, rows = funds
    preview = admin.post("/api/formula/evaluate?preview=1", {"formula": "SUM({Fund I}, ", "record": {}})
    assert preview.status == 200 and preview.data["type"] == "error" and isinstance(preview.data["position"], int)
    unknown = admin.post("/api/fundraising/columns", {"name": "Bad", "type": "formula",
                                                      "options": {"formula": "1 + {Fund X}"}})
    assert unknown.status == 422 and unknown.json["position"] == 4
    total = add_column(admin, "Money", "formula", {"formula": "{Fund I} + {Fund II}"})
    assert total["options"]["format"] == "currency" and total["options"]["symbol"] == "$"
