"""Column types: value normalisation per type (unit), and a fuzz that bad values are only ever a
400 naming the column — never a 500 — over real HTTP."""
from __future__ import annotations

import datetime
import json
import os
import random
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from backend.grid import column_types as ct
from backend.errors import BadRequest
from helpers import ROOT, add_column, require_node, unique


def col(kind, **options):
    return {"id": "c1", "name": "Col", "type": kind, "options": options}


@pytest.mark.parametrize("kind, options, raw, expected", [
    ("currency", {}, "$1,250,000", 1250000), ("currency", {}, "1.25e6", 1250000), ("currency", {}, "($5,000)", -5000),
    ("currency", {}, "€ 12.50", 12.5), ("number", {}, 7, 7), ("number", {}, "", None), ("number", {}, 2.0, 2),
    ("percent", {}, "12.5%", 0.125), ("percent", {}, 0.3, 0.3), ("date", {}, "6/14/2026", "2026-06-14"),
    ("date", {}, "2026-06-14", "2026-06-14"), ("date", {}, "2026-06-14T23:30:00-05:00", "2026-06-15"),
    ("date", {"include_time": True}, "6/14/2026 3:05 PM", "2026-06-14T15:05:00.000Z"),
    ("date", {"include_time": True}, "2026-06-14", "2026-06-14T00:00:00.000Z"),
    ("date", {}, "June 14, 2026", "2026-06-14"), ("date", {}, "Jun 14 2026", "2026-06-14"),
    ("date", {}, "14 June 2026", "2026-06-14"), ("date", {}, "Sunday, June 14th, 2026", "2026-06-14"),
    ("date", {"include_time": True}, "June 14, 2026 3:05 PM", "2026-06-14T15:05:00.000Z"),
    ("date", {"include_time": True}, "6/14/2026 3:05pm", "2026-06-14T15:05:00.000Z"),
    ("checkbox", {}, "checked", True), ("checkbox", {}, "", False), ("checkbox", {}, None, False), ("checkbox", {}, 1, True),
    ("text", {}, "  padded  ", "padded"), ("text", {}, "", None), ("text", {}, 42, "42"),
    ("long_text", {}, "line 1\nline 2\n", "line 1\nline 2\n"),
    ("email", {}, " Ann@Fund.Example ", "ann@fund.example"), ("url", {}, "fund.example/team", "https://fund.example/team"),
    ("url", {}, "http://x.example", "http://x.example"), ("phone", {}, "+44 20 7946 0958", "+44 20 7946 0958"),
    ("single_select", {"choices": [{"name": "Committed", "color": "green"}]}, "committed", "Committed"),
    ("multi_select", {"choices": [{"name": "A", "color": "blue"}, {"name": "B", "color": "red"}]}, "a, B, a", ["A", "B"]),
    ("multi_select", {"choices": []}, [], None),
])
def test_normalize_value(kind, options, raw, expected):
    value, _ = ct.normalize_value(col(kind, **options), raw)
    assert value == expected and type(value) is type(expected)


def test_select_growth_is_reported_and_strict_columns_refuse():
    value, added = ct.normalize_value(col("single_select", choices=[], allow_new=True), "New")
    assert value == "New" and added[0]["name"] == "New" and added[0]["color"] in ct.CHOICE_COLORS
    with pytest.raises(BadRequest, match="not one of the options"):
        ct.normalize_value(col("single_select", choices=[{"name": "A", "color": "blue"}], allow_new=False), "B")


@pytest.mark.parametrize("kind, options, raw", [
    ("currency", {}, "1.5M?"), ("number", {}, float("inf")), ("number", {}, [1]), ("percent", {}, "5%%"),
    ("date", {}, "2026-02-30"), ("date", {}, 20260214), ("date", {}, "June 31, 2026"), ("date", {}, "Foo 14 2026"), ("email", {}, "a@b"), ("url", {}, "two words.com"),
    ("phone", {}, "12"), ("checkbox", {}, "sometimes"), ("contacts", {}, "Ann"), ("contacts", {}, [{"name": 5}]),
    ("contacts", {}, [{"title": "CIO"}]), ("text", {}, "x" * (ct.MAX_TEXT + 1)), ("formula", {"formula": "1"}, 1),
    ("last_modified_time", {}, "2026-01-01"),
])
def test_bad_values_name_the_column(kind, options, raw):
    with pytest.raises(BadRequest) as exc:
        ct.normalize_value(col(kind, **options), raw)
    assert "column 'Col'" in exc.value.message


def test_options_validation():
    assert ct.normalize_options("fund", {"vintage": 2026, "target": 5e7}, "Fund IV") == {
        "precision": 0, "symbol": "$", "vintage": 2026, "target": 5e7, "currency": "USD"}
    for kind, options in (("fund", {"vintage": 1200}), ("fund", {"target": -1}), ("fund", {"currency": "dollars"}),
                          ("single_select", {"choices": ["A", "a"]}), ("single_select", {"choices": "A,B"}),
                          ("number", {"precision": 12}), ("date", {"include_time": "yes"}), ("formula", {})):
        with pytest.raises(BadRequest):
            ct.normalize_options(kind, options, "X")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)


@given(kind=st.sampled_from([t for t in ct.TYPES if t not in ("formula",)]), raw=json_values)
def test_normalize_never_raises_anything_but_bad_request(kind, raw):
    options = {"choices": [{"name": "A", "color": "blue"}], "allow_new": True} if "select" in kind else {}
    try:
        ct.normalize_value(col(kind, **options), raw)
    except BadRequest:
        pass


def test_huge_integers_become_doubles_and_never_overflow_storage(server):
    admin = server.client(server.admin_token)
    fund = add_column(admin, unique("Fund"), "fund")
    number = add_column(admin, unique("Count"), "number")
    row = admin.post("/api/fundraising/rows", {"values": {"Name": unique("Huge")}}).data
    for value in (2 ** 63, -(2 ** 70), 10 ** 30):
        resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {fund["id"]: value, number["id"]: value}})
        assert resp.status == 200, resp
        assert resp.data["values"][fund["id"]] == float(value)
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {fund["id"]: 10 ** 400}})
    assert resp.status == 400 and "too large" in resp.json["error"]
    assert ct.parse_number(2 ** 53, col("number")) == 2 ** 53 and type(ct.parse_number(2 ** 53 + 1, col("number"))) is float


@pytest.fixture(scope="module")
def fuzz_target(server):
    admin = server.client(server.admin_token)
    cols = [add_column(admin, unique(kind), kind) for kind in
            ("currency", "percent", "date", "checkbox", "multi_select", "email", "url", "phone", "text", "fund")]
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Fuzz Target"}}).data
    return admin, cols, row


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 9), raw=json_values)
def test_fuzz_cell_writes_over_http_never_500(fuzz_target, index, raw):
    admin, cols, row = fuzz_target
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {cols[index]["id"]: raw}})
    assert resp.status in (200, 400), resp
    if resp.status == 400:
        assert cols[index]["name"] in resp.json["error"]



# --- typed input: dates and numbers, one reading in the server and the browser ------------------

TODAY = datetime.date(2026, 6, 15)  # a Monday
DATE_TABLE = [  # (typed, what it means on TODAY: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" in UTC, or None)
    ("12/15/2026", "2026-12-15"), ("2026-06-14", "2026-06-14"), ("6/14/2026", "2026-06-14"),
    ("6/14/26", "2026-06-14"), ("12/15/69", "1969-12-15"), ("6/14", "2026-06-14"), ("6-14-2026", "2026-06-14"),
    ("June 14, 2026", "2026-06-14"), ("june 14 2026", "2026-06-14"), ("Jan 5, 2027", "2027-01-05"),
    ("Jan 5", "2026-01-05"), ("5 Jan", "2026-01-05"), ("14 June 2026", "2026-06-14"),
    ("Sunday, June 14th, 2026", "2026-06-14"), ("Sept 3", "2026-09-03"),
    ("today", "2026-06-15"), ("Tomorrow", "2026-06-16"), ("yesterday", "2026-06-14"),
    ("+7d", "2026-06-22"), ("+7 days", "2026-06-22"), ("-2w", "2026-06-01"), ("+1m", "2026-07-15"),
    ("+1y", "2027-06-15"), ("in 3 days", "2026-06-18"), ("in 2 weeks", "2026-06-29"), ("3 days ago", "2026-06-12"),
    ("next week", "2026-06-22"), ("next month", "2026-07-15"), ("last year", "2025-06-15"),
    ("friday", "2026-06-19"), ("Fri", "2026-06-19"), ("next friday", "2026-06-19"), ("monday", "2026-06-22"),
    ("last monday", "2026-06-08"), ("last friday", "2026-06-12"), ("sunday", "2026-06-21"),
    ("June 14, 2026 3:05 PM", "2026-06-14T15:05:00"), ("6/14/2026 3:05pm", "2026-06-14T15:05:00"),
    ("6/14/2026 at 15:05:30", "2026-06-14T15:05:30"), ("tomorrow 3pm", "2026-06-16T15:00:00"),
    ("tomorrow at 9:30 am", "2026-06-16T09:30:00"), ("12/1/2026 12 am", "2026-12-01T00:00:00"),
    ("2026-06-14T15:05:00Z", "2026-06-14T15:05:00"), ("2026-06-14 15:05", "2026-06-14T15:05:00"),
    ("2026-06-14T23:30:00-05:00", "2026-06-15T04:30:00"), ("2026-06-14T10:00:00.250+0130", "2026-06-14T08:30:00"),
    ("0026-06-14", "0026-06-14"), ("2/29/2028", "2028-02-29"),
    ("2/29/2027", None), ("June 31 2026", None), ("14/6/2026", None), ("13/1/2026", None), ("foo", None),
    ("3pm", None), ("6/14/2026 13 pm", None), ("6/14/2026 25:00", None), ("6/14/2026 3", None),
    ("Foo 14 2026", None), ("+7x", None), ("next tuesday week", None), ("20260614", None), ("2026-6-14", None),
    ("614-06-14", None), ("in -3 days", None), ("0000-01-01", None), ("2026-06-14T24:00", None),
]


def _reading(parsed) -> str | None:
    """parse_date_text's answer as the table writes it (the day, and a UTC time when there is one)."""
    if parsed is None:
        return None
    day = f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"
    return day + parsed.strftime("T%H:%M:%S") if isinstance(parsed, datetime.datetime) else day


def test_typed_dates_read_as_a_person_means_them():
    for typed, expected in DATE_TABLE:
        parsed = ct.parse_date_text(typed, TODAY)
        assert _reading(parsed) == expected, typed


def test_implausible_years_are_refused_naming_the_column():
    column = {"id": "c1", "name": "Last contact", "type": "date", "options": {}}
    for typed in ("0026-06-14", "0614-06-14", "6/14/2201", "1/1/1899"):
        with pytest.raises(BadRequest, match=r"column 'Last contact': .* dates must fall between 1900 and 2200"):
            ct.parse_date(typed, column)
    assert ct.parse_date("1/1/1900", column) == "1900-01-01" and ct.parse_date("12/31/2200", column) == "2200-12-31"
    assert ct.parse_date("tomorrow", column, today=TODAY) == "2026-06-16"
    with pytest.raises(BadRequest, match="'Jan 32' is not a date"):
        ct.parse_date("Jan 32", column)


NUMBER_TABLE = [  # (typed, percent column, stored value or "invalid")
    ("1.5m", False, 1500000), ("250k", False, 250000), ("2B", False, 2000000000), ("$1,250,000", False, 1250000),
    ("(5,000)", False, -5000), ("€ 12.50", False, 12.5), ("1.25e6", False, 1250000), ("-.5k", False, -500),
    ("0.1m", False, 100000), ("12.5%", True, 0.125), ("12.5", True, 0.125), ("1.5m", True, 15000),
    ("12.5%", False, "invalid"), ("1.5mm", False, "invalid"), ("inf", False, "invalid"), ("nan", False, "invalid"),
    ("1_000", False, "invalid"), ("5%k", False, "invalid"), ("USD 3k", False, 3000), ("", False, None),
]


def _server_number(text, percent):
    try:
        return ct.parse_number(text, {"id": "c", "name": "C"}, percent=percent)
    except BadRequest:
        return "invalid"


def test_typed_numbers_including_shorthand():
    for typed, percent, expected in NUMBER_TABLE:
        assert _server_number(typed, percent) == expected, typed


TYPED_PIECES = ["1", "2", "12", "6", "/", "-", " ", ",", ":", "05", "2026", "26", "pm", "am", "june", "jan", "sept",
                "may", "foo", "14th", "today", "tomorrow", "now", "+", "d", "w", "m", "y", "in", "ago", "next", "last",
                "friday", "mon", "t", "z", "+05:00", ".", "k", "$", "%", "(", ")", "e", "at", "days", "weeks"]


def _generated_input(count: int, seed: int = 12) -> list[str]:
    """Typed dates and numbers from a small grammar (valid and broken alike), plus loose pieces."""
    rng = random.Random(seed)
    months = ["jan", "June", "sept", "SEP", "may", "feb", "dec", "foo", "mon"]
    units = ["d", "days", "w", "week", "m", "months", "y", "yrs", "x"]

    def clock():
        return rng.choice(["", "", f" {rng.randint(0, 25)}:{rng.randint(0, 61):02d}",
                           f" at {rng.randint(0, 13)}:{rng.randint(0, 59):02d}:{rng.randint(0, 60):02d}",
                           f" {rng.randint(0, 13)}{rng.choice(['pm', 'am', ' p.m.', 'AM'])}", f" {rng.randint(1, 12)}"])

    def year():
        return rng.choice(["", f"{rng.randint(0, 99):02d}", str(rng.randint(1890, 2210)), str(rng.randint(0, 9999))])

    def one():
        kind = rng.randrange(9)
        if kind == 0:
            sep, y = rng.choice("/-"), year()
            return f"{rng.randint(0, 14)}{sep}{rng.randint(0, 33)}" + (f"{sep}{y}" if y else "") + clock()
        if kind == 1:
            y = year()
            return f"{rng.choice(months)} {rng.randint(0, 32)}{rng.choice(['', 'th', 'st'])}" + (f", {y}" if y else "") + clock()
        if kind == 2:
            return f"{rng.randint(0, 32)} {rng.choice(months)}" + (f" {year()}" if rng.random() < .5 else "")
        if kind == 3:
            zone = rng.choice(["", "Z", "+05:30", "-0800", "+24:00"])
            time = rng.choice(["", f"T{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}", f" {rng.randint(0, 23):02d}:30:15.5"])
            return f"{rng.randint(0, 2300):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}" + time + (zone if time else "")
        if kind == 4:
            return f"{rng.choice('+-')}{rng.randint(0, 9999)}{rng.choice(['', ' '])}{rng.choice(units)}"
        if kind == 5:
            n, unit = rng.randint(0, 40), rng.choice(units)
            return rng.choice([f"in {n} {unit}", f"{n} {unit} ago", f"next {rng.choice(['week', 'month', 'year', 'day'])}"])
        if kind == 6:
            return f"{rng.choice(['', 'next ', 'last ', 'this '])}{rng.choice(['friday', 'Mon', 'tues', 'thurs', 'sun', 'fry'])}"
        if kind == 7:
            return rng.choice(["$", "(", "", "-", "USD "]) + f"{rng.randint(0, 999)}{rng.choice(['', '.', '.5', ',000'])}" + \
                rng.choice(["", "k", "M", "b", "%", ")", "e3", "mm"])
        return "".join(rng.choices(TYPED_PIECES, k=rng.randint(1, 8)))
    return [one() for _ in range(count)]


def test_the_browser_reads_typed_input_as_the_server_does(tmp_path):
    """shared/cell_input.jsx on the tables above plus generated text: the same answer for every one."""
    node = require_node()
    generated = _generated_input(3000)
    date_cases = [(typed, TODAY) for typed, _ in DATE_TABLE] + [(typed, TODAY) for typed in generated] + \
                 [(typed, datetime.date(2028, 2, 29)) for typed in ("+1y", "next month", "-1m", "+12m", "sunday")]
    number_cases = [(typed, percent) for typed, percent, _ in NUMBER_TABLE] + \
                   [(typed, percent) for typed in generated for percent in (False, True)]
    cases = [{"kind": "date", "text": t, "today": d.isoformat()} for t, d in date_cases] + \
            [{"kind": "number", "text": t, "percent": p} for t, p in number_cases]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": cases}))
    proc = subprocess.run([node, "tests/frontend/cell_input_parity.js", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "TZ": "UTC"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = json.loads(proc.stdout)
    expected = []
    for t, d in date_cases:
        parsed = ct.parse_date_text(t, d)
        expected.append(_reading(parsed))
    expected += [_server_number(t, p) for t, p in number_cases]
    differ = [(case, got, want) for case, got, want in zip(cases, answers, expected)
              if got != want and not (case["kind"] == "date" and case["text"].strip().lower() == "now")]
    assert len(answers) == len(cases)
    assert not differ, f"{len(differ)} of {len(cases)} inputs read differently in the browser: {differ[:15]}"
