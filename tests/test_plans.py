"""Query plans (backend/search/plans.py): what is refused and why, exact answers on a grid built
over HTTP, archived rows never seen, read-only execution, the time limit, describe and as_view."""
from __future__ import annotations

import json
import sqlite3
import time
from datetime import date, timedelta

import pytest

from backend.db import Database
from backend.search import plans
from backend.search.plans import PlanError
from helpers import launch

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def stamp(days: int) -> str:
    return f"{ago(days)}T12:00:00.000Z"


def _cols(admin) -> dict:
    return {c["name"]: c for c in admin.get("/api/fundraising/columns").data}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A grid filled over HTTP (investors, funds, people, interactions), some of each archived,
    then mail added to a copy of its database; plans run on that copy."""
    srv = launch(tmp_path_factory.mktemp("plans") / "data")
    try:
        admin = srv.bootstrap()
        for name, kind, options in (("Fund I", "fund", {"vintage": 2019, "target": 40_000_000}),
                                    ("Fund II", "fund", {"vintage": 2022, "target": 120_000_000}),
                                    ("Fund III", "fund", {"vintage": 2026}),
                                    ("Region", "text", {}), ("Score", "number", {}), ("Old Notes", "text", {})):
            assert admin.post("/api/fundraising/columns", {"name": name, "type": kind, "options": options}).status == 201
        cols = _cols(admin)
        assert {"Status", "Last Contact", "Contacts"} <= set(cols)

        def person(name, title, email=None):
            return {"name": name, "title": title, "email": email}
        rows = {
            "Acme Capital": {"Status": "Committed", "Fund I": 1_000_000, "Fund II": 500_000, "Fund III": 7_000_000,
                             "Last Contact": ago(10), "Region": "West", "Score": 5, "Old Notes": "hidden",
                             "Lead Source": "Referral",
                             "Contacts": [person("Ann Lee", "Managing Partner", "ann@acme.example")]},
            "Birch LP": {"Status": "Committed", "Fund I": 250_000, "Last Contact": ago(200), "Region": "East",
                         "Score": 3, "Lead Source": "Conference",
                         "Contacts": [person("Bob Stone", "CFO"), person("Old Person", "Partner")]},
            "Cedar Family Office": {"Status": "Soft Circle", "Fund II": 2_000_000, "Region": "West",
                                    "Contacts": [person("Cara Diaz", "Partner"), person("Carl Diaz", "Analyst")]},
            "Dune Ventures": {"Status": "Contacted", "Score": 8, "Lead Source": "Referral",
                              "Contacts": [person("Dana Wu", "General Partner")]},
            "Elm Trust": {"Status": "Passed", "List": "graveyard"},
            "Zed Archived": {"Status": "Committed", "Fund I": 9_999_999, "Fund II": 1, "Region": "West",
                             "Last Contact": ago(1), "Contacts": [person("Zoe Zed", "Partner")]},
            "x'; DROP TABLE investors;--": {"Status": "Passed"},
        }
        made = admin.post("/api/fundraising/rows/bulk",
                          {"rows": [{"values": {"Name": name, **v}} for name, v in rows.items()]})
        assert made.status == 201, made
        ids = dict(zip(rows, (r["id"] for r in made.data)))
        for name, kind, days in (("Acme Capital", "meeting", 3), ("Acme Capital", "call", 20),
                                 ("Acme Capital", "note", 100), ("Birch LP", "note", 50),
                                 ("Cedar Family Office", "meeting", 5), ("Cedar Family Office", "call", 6),
                                 ("Zed Archived", "meeting", 1), ("Zed Archived", "meeting", 2),
                                 ("Zed Archived", "call", 3), ("Zed Archived", "note", 4)):
            resp = admin.post(f"/api/fundraising/rows/{ids[name]}/interactions",
                              {"kind": kind, "summary": f"{kind} with {name}", "occurred_at": stamp(days)})
            assert resp.status == 201, resp
        # The pipeline (Zed Archived's card goes with it) and tasks (one archived, one done).
        for name, fund, stage, amount, probability in (("Acme Capital", "Fund I", "Diligence", 2_000_000, None),
                                                       ("Birch LP", "Fund II", "Pitch", 1_000_000, 0.5),
                                                       ("Dune Ventures", "Fund I", "Passed", None, None),
                                                       ("Zed Archived", "Fund II", "Soft Circle", 5_555_555, None)):
            resp = admin.post("/api/pipeline/opportunities", {"investor_id": ids[name], "fund_id": cols[fund]["id"],
                                                              "stage": stage, "expected_amount": amount,
                                                              "probability": probability})
            assert resp.status == 201, resp
        made_tasks = {}
        for title, name, due in (("Send the LPA", "Acme Capital", ago(-3)), ("Call about the close", "Birch LP", ago(2)),
                                 ("Old follow-up", "Cedar Family Office", ago(9)), ("Prepare the AGM deck", None, None),
                                 ("Zed task", "Zed Archived", ago(1)), ("Forgotten task", "Dune Ventures", ago(1))):
            resp = admin.post("/api/tasks", {"title": title, "investor_id": ids.get(name), "due": due})
            assert resp.status == 201, resp
            made_tasks[title] = resp.data["id"]
        assert admin.patch(f"/api/tasks/{made_tasks['Old follow-up']}", {"done": True}).status == 200
        assert admin.delete(f"/api/tasks/{made_tasks['Forgotten task']}").status == 200
        # Archive: one investor (its people, commitments, interactions and mail go with it), one
        # fund column, one custom column, one person (removed from Birch LP's people).
        assert admin.delete(f"/api/fundraising/rows/{ids['Zed Archived']}").status == 200
        assert admin.delete(f"/api/fundraising/rows/{ids[next(n for n in rows if n.startswith('x'))]}").status == 200
        for name in ("Fund III", "Old Notes"):
            assert admin.delete(f"/api/fundraising/columns/{cols[name]['id']}").status == 200
        resp = admin.patch(f"/api/fundraising/rows/{ids['Birch LP']}",
                           {"values": {"Contacts": [person("Bob Stone", "CFO")]}})
        assert resp.status == 200, resp
        columns = admin.get("/api/fundraising/columns").data
        copy = srv.data_dir.parent / "plans-copy.db"
        src, dst = sqlite3.connect(srv.data_dir / "crm.db"), sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        _add_mail(dst, ids)
        dst.close()
        yield {"db": Database(copy), "ids": ids, "server": srv, "admin": admin, "columns": columns}
    finally:
        srv.stop()


def _add_mail(conn, ids) -> None:
    """Mail linked to investors, written straight into the copy (ground truth by construction)."""
    now = stamp(0)
    conn.execute("INSERT INTO email_threads (id, subject) VALUES ('t-live', 'Fund II'), ('t-gone', 'Old')")
    conn.execute("UPDATE email_threads SET archived_at = ? WHERE id = 't-gone'", (now,))
    mail = [  # (id, investor, direction, days ago, thread, message archived, link archived)
        ("m1", "Acme Capital", "outbound", 5, "t-live", False, False),
        ("m2", "Acme Capital", "outbound", 40, "t-live", False, False),
        ("m3", "Acme Capital", "inbound", 3, "t-live", False, False),
        ("m4", "Birch LP", "outbound", 120, "t-live", False, False),
        ("m5", "Cedar Family Office", "inbound", 30, "t-live", False, False),
        ("m6", "Cedar Family Office", "outbound", 2, "t-live", False, True),   # link archived
        ("m7", "Dune Ventures", "outbound", 1, "t-live", True, False),         # message archived
        ("m8", "Birch LP", "outbound", 1, "t-gone", False, False),            # thread archived
        ("m9", "Zed Archived", "outbound", 1, "t-live", False, False),        # investor archived
    ]
    for mid, investor, direction, days, thread, gone, link_gone in mail:
        conn.execute("INSERT INTO email_messages (id, message_id, thread_id, subject, from_addr, sent_at, direction,"
                     " body_text, created_at, archived_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (mid, f"<{mid}@x>", thread, f"Re: {investor}", f"{mid}@mail.example", stamp(days), direction,
                      "SECRET BODY", now, now if gone else None))
        conn.execute("INSERT INTO email_links (message_id, investor_id, match_kind, confidence, address, created_at,"
                     " archived_at) VALUES (?,?,?,?,?,?,?)",
                     (mid, ids[investor], "exact_email", 1.0, "a@x", now, now if link_gone else None))
    conn.commit()


def run(world, plan, **kw):
    return plans.run(world["db"], plan, **kw)


def rows(world, plan):
    return run(world, plan)["rows"]


# ---------------------------------------------------------------- refused plans
def inv(**extra):
    return {"entity": "investors", "fields": ["name"], **extra}


def flt(field, op, value=None, **extra):
    return inv(filters=[{"field": field, "op": op, **({} if value is None else {"value": value})}], **extra)


def deep(levels):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


REFUSED = [
    # (plan, path, words the message must contain)
    ("not a plan", "", "must be an object"),
    ({"fields": ["name"]}, "entity", "needs 'entity'"),
    ({"entity": "investors"}, "fields", "needs 'fields'"),
    (inv(fields=[]), "fields", "at least 1"),
    ({"entity": "users", "fields": ["username"]}, "entity", "never available"),
    ({"entity": "sessions", "fields": ["id"]}, "entity", "never available"),
    ({"entity": "service_tokens", "fields": ["id"]}, "entity", "never available"),
    ({"entity": "invites", "fields": ["id"]}, "entity", "never available"),
    ({"entity": "audit_log", "fields": ["id"]}, "entity", "never available"),
    ({"entity": "email_accounts", "fields": ["refresh_token"]}, "entity", "never available"),
    ({"entity": "secrets", "fields": ["value"]}, "entity", "never available"),
    ({"entity": "sqlite_master", "fields": ["sql"]}, "entity", "never available"),
    ({"entity": "deals", "fields": ["title"]}, "entity", "unknown entity 'deals'"),
    ({"entity": "tasks", "fields": ["owner_id"]}, "fields[0]", "unknown field"),  # whose task: users are never exposed
    ({"entity": "investors; DROP TABLE investors", "fields": ["name"]}, "entity", "unknown entity"),
    ({"entity": ["investors"], "fields": ["name"]}, "entity", "must be a string"),
    (inv(fields=["password_hash"]), "fields[0]", "never available"),
    (inv(fields=["token"]), "fields[0]", "never available"),
    ({"entity": "emails", "fields": ["body_text"]}, "fields[0]", "never available"),
    ({"entity": "emails", "fields": ["snippet"]}, "fields[0]", "never available"),
    (inv(fields=["notes_sql"]), "fields[0]", "unknown field 'notes_sql'"),
    (inv(fields=["name", "investors.id"]), "fields[1]", "unknown field"),
    (inv(fields=["name; DELETE FROM investors"]), "fields[0]", "unknown field"),
    (inv(fields=["*"]), "fields[0]", "unknown field"),
    (inv(fields=[{"sql": "1"}]), "fields[0].sql", "raw SQL"),
    (inv(sql="DELETE FROM investors"), "sql", "raw SQL"),
    (inv(raw="SELECT 1"), "raw", "raw SQL"),
    (inv(filters=[{"field": "name", "op": "eq", "value": "a", "where_sql": "1=1"}]), "filters[0].where_sql", "raw SQL"),
    (inv(filters=[{"field": "name", "op": "eq", "value": "a", "or": []}]), "filters[0].or", "unknown key 'or'"),
    (inv(union={"entity": "users"}), "union", "raw SQL"),
    (inv(join="users"), "join", "raw SQL"),
    (inv(having="1"), "having", "unknown key"),
    (inv(pragma="writable_schema"), "pragma", "unknown key 'pragma'"),
    (inv(limit=0), "limit", "1 to 1000"),
    (inv(limit=1001), "limit", "1 to 1000"),
    (inv(limit=10 ** 9), "limit", "1 to 1000"),
    (inv(limit=-1), "limit", "1 to 1000"),
    (inv(limit="100"), "limit", "1 to 1000"),
    (inv(limit=True), "limit", "1 to 1000"),
    (inv(limit=10.5), "limit", "1 to 1000"),
    (inv(filters=[{"field": "name", "op": "not_empty"}] * 21), "filters", "too many filters"),
    (inv(fields=["name"] * 21), "fields", "too many fields"),
    (inv(fields=["name", "name"]), "fields[1]", "listed twice"),
    (inv(sort=[{"field": "name"}] * 4), "sort", "too many sort keys"),
    (inv(computed=[{"as": f"c{i}", "fn": "count", "of": "people"} for i in range(9)]), "computed", "too many"),
    (flt("name", "like", "%a%"), "filters[0].op", "unknown op 'like'"),
    (flt("name", "regexp", "a"), "filters[0].op", "unknown op"),
    (flt("name", "gt", "a"), "filters[0].op", "does not apply to text"),
    (flt("name", "within_days", 3), "filters[0].op", "does not apply to text"),
    (flt("last_contact", "contains", "2026"), "filters[0].op", "does not apply to date"),
    (flt("created_at", "starts_with", "2026"), "filters[0].op", "does not apply to date"),
    ({"entity": "commitments", "fields": ["fund"], "filters": [{"field": "amount", "op": "contains", "value": "1"}]},
     "filters[0].op", "does not apply to number"),
    ({"entity": "commitments", "fields": ["fund"], "filters": [{"field": "amount", "op": "before", "value": "2020-01-01"}]},
     "filters[0].op", "does not apply to number"),
    ({"entity": "commitments", "fields": ["fund"], "filters": [{"field": "amount", "op": "gt", "value": "1000"}]},
     "filters[0].value", "needs a number"),
    ({"entity": "commitments", "fields": ["fund"], "filters": [{"field": "amount", "op": "gt", "value": True}]},
     "filters[0].value", "needs a number"),
    (flt("name", "eq", 5), "filters[0].value", "needs text"),
    (flt("name", "eq", {"$ne": 1}), "filters[0].value", "needs text"),
    (flt("name", "eq"), "filters[0].value", "needs a value"),
    (flt("name", "is_empty", "x"), "filters[0].value", "takes no value"),
    (flt("name", "in", "Acme"), "filters[0].value", "needs a list"),
    (flt("name", "in", ["a"] * 101), "filters[0].value", "at most 100"),
    (flt("name", "in", []), "filters[0].value", "at least 1"),
    (flt("name", "in", [["nested"]]), "filters[0].value[0]", "needs text"),
    (flt("name", "contains", ""), "filters[0].value", "non-empty text"),
    (flt("name", "contains", "x" * 501), "filters[0].value", "at most 500"),
    (flt("last_contact", "before", "last tuesday"), "filters[0].value", "ISO date"),
    (flt("last_contact", "within_days", -1), "filters[0].value", "whole number of days"),
    (flt("last_contact", "within_days", "30"), "filters[0].value", "whole number of days"),
    (flt("last_contact", "older_than_days", 10 ** 7), "filters[0].value", "whole number of days"),
    (flt("list", "eq", "archive"), "filters[0].value", "not one of"),
    (flt("bogus", "eq", "x"), "filters[0].field", "unknown field 'bogus'"),
    (inv(filters=[{"field": "name", "value": "x"}]), "filters[0].op", "needs 'op'"),
    (inv(filters="name = 'x'"), "filters", "must be a list"),
    (inv(filters=[["name", "eq", "x"]]), "filters[0]", "must be an object"),
    (inv(fields=["column:Old Notes"]), "fields[0]", "column 'Old Notes' is archived"),
    (inv(fields=["column:Fund III"]), "fields[0]", "archived"),
    (inv(fields=["column:Nope"]), "fields[0]", "no grid column named 'Nope'"),
    (inv(fields=["column:Contacts"]), "fields[0]", "contacts column"),
    (inv(fields=["column:Fund I"]), "fields[0]", "fund column"),
    ({"entity": "people", "fields": ["column:Region"]}, "fields[0]", "only on investors"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "users"}]), "computed[0].of", "never available"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "audit_log"}]), "computed[0].of", "never available"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "funds"}]), "computed[0].of", "cannot aggregate 'funds'"),
    ({"entity": "people", "fields": ["name"], "computed": [{"as": "n", "fn": "count", "of": "emails"}]},
     "computed[0].of", "related entities: none"),
    ({"entity": "funds", "fields": ["name"], "computed": [{"as": "n", "fn": "count", "of": "interactions"}]},
     "computed[0].of", "cannot aggregate"),
    (inv(computed=[{"as": "n", "fn": "median", "of": "commitments.amount"}]), "computed[0].fn", "unknown fn 'median'"),
    (inv(computed=[{"as": "n", "fn": "sum", "of": "commitments.fund"}]), "computed[0].fn", "does not apply to text"),
    (inv(computed=[{"as": "n", "fn": "sum", "of": "commitments"}]), "computed[0].of", "needs a field"),
    (inv(computed=[{"as": "n", "fn": "max", "of": "emails.body_html"}]), "computed[0].of", "never available"),
    (inv(computed=[{"as": "name", "fn": "count", "of": "people"}]), "computed[0].as", "already a field"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "people"}, {"as": "n", "fn": "count", "of": "emails"}]),
     "computed[1].as", "named twice"),
    (inv(computed=[{"as": "Total Committed", "fn": "count", "of": "people"}]), "computed[0].as", "lowercase"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "people", "where": [{"field": "status", "op": "eq",
                                                                          "value": "x"}]}]),
     "computed[0].where[0].field", "unknown field 'status' on people"),
    (inv(computed=[{"as": "n", "fn": "count", "of": "people", "sql": "1"}]), "computed[0].sql", "raw SQL"),
    ({"entity": "commitments", "fields": ["investor_name"], "group_by": ["fund"],
      "aggregates": [{"as": "total", "fn": "sum", "field": "amount"}]}, "fields[0]", "neither grouped by"),
    ({"entity": "commitments", "fields": ["fund", "total"], "group_by": ["fund"],
      "aggregates": [{"as": "total", "fn": "sum", "field": "fund"}]}, "aggregates[0].fn", "does not apply to text"),
    ({"entity": "commitments", "fields": ["fund", "total"], "group_by": ["fund"],
      "aggregates": [{"as": "total", "fn": "sum"}]}, "aggregates[0].field", "needs a field"),
    ({"entity": "commitments", "fields": ["fund"], "group_by": ["fund"],
      "sort": [{"field": "amount"}]}, "sort[0].field", "sorts only by"),
    (inv(sort=[{"field": "name", "dir": "sideways"}]), "sort[0].dir", "'asc' or 'desc'"),
    (inv(sort=[{"field": "rowid"}]), "sort[0].field", "unknown field 'rowid'"),
    (inv(sort=[{"field": "name", "dir": "desc; DROP TABLE x"}]), "sort[0].dir", "'asc' or 'desc'"),
    (inv(filters=[{"field": "name", "op": "eq", "value": deep(8)}]), "filters[0].value[0][0][0]", "nests too deep"),
    (inv(fields=["name"], extra=deep(10)), "extra[0][0][0][0][0]", "nests too deep"),
    (inv(filters=[{"field": "name", "op": "in", "value": list(range(3000))}]), None, "too large"),
]


def test_refused_plans_name_their_problem(world):
    assert len(REFUSED) >= 50
    for plan, path, words in REFUSED:
        with pytest.raises(PlanError) as caught:
            plans.validate(plan, world["db"])
        err = caught.value
        assert path is None or err.path == path, (plan, err.path, str(err))
        assert words in str(err), (plan, str(err))
        with pytest.raises(PlanError):   # run refuses the same way, before any SQL
            run(world, plan)


def test_sql_in_values_is_an_inert_parameter(world):
    hostile = "x'; DROP TABLE investors;--"
    result = run(world, flt("name", "eq", hostile))
    assert result["rows"] == []    # that investor is archived; the text is just a value
    for op in ("contains", "starts_with"):
        assert rows(world, flt("name", op, "'; DELETE FROM investors; --")) == []
    assert rows(world, flt("name", "in", ["' OR 1=1 --", "Acme Capital"])) == [["Acme Capital"]]
    sql, params = plans.compile(flt("name", "eq", hostile), world["db"])
    assert hostile not in sql and hostile in params
    assert len(rows(world, inv())) == 5     # still there


def test_compiled_sql_takes_no_identifier_from_the_plan(world):
    plan = {"entity": "investors", "fields": ["name", "column:Region", "tot_xyz"],
            "computed": [{"as": "tot_xyz", "fn": "sum", "of": "commitments.amount",
                          "where": [{"field": "fund", "op": "eq", "value": "Fund Zzz"}]}],
            "filters": [{"field": "column:Region", "op": "eq", "value": "Westqq"}],
            "sort": [{"field": "tot_xyz", "dir": "desc"}]}
    sql, params = plans.compile(plan, world["db"])
    for text in ("Region", "tot_xyz", "Fund Zzz", "Westqq"):
        assert text not in sql
    assert "Westqq" in params and "Fund Zzz" in params and sql.count("?") == len(params)


# ---------------------------------------------------------------- exact answers
ANSWERS = [
    # (plan, expected rows)
    (inv(), [["Acme Capital"], ["Birch LP"], ["Cedar Family Office"], ["Dune Ventures"], ["Elm Trust"]]),
    (inv(fields=["name", "status"], filters=[{"field": "status", "op": "eq", "value": "committed"}]),
     [["Acme Capital", "Committed"], ["Birch LP", "Committed"]]),
    (flt("status", "ne", "Committed"), [["Cedar Family Office"], ["Dune Ventures"], ["Elm Trust"]]),
    (flt("status", "in", ["Passed", "Contacted"]), [["Dune Ventures"], ["Elm Trust"]]),
    (flt("status", "not_in", ["Passed", "Committed"]), [["Cedar Family Office"], ["Dune Ventures"]]),
    (flt("list", "eq", "Graveyard"), [["Elm Trust"]]),
    (flt("list", "ne", "graveyard"), [["Acme Capital"], ["Birch LP"], ["Cedar Family Office"], ["Dune Ventures"]]),
    (flt("name", "contains", "CAP"), [["Acme Capital"]]),
    (flt("name", "starts_with", "c"), [["Cedar Family Office"]]),
    (flt("lead_source", "is_empty"), [["Cedar Family Office"], ["Elm Trust"]]),
    (flt("lead_source", "eq", "referral"), [["Acme Capital"], ["Dune Ventures"]]),
    (flt("last_contact", "within_days", 30), [["Acme Capital"]]),
    (flt("last_contact", "older_than_days", 90), [["Birch LP"]]),          # never-contacted rows are not "older"
    (flt("last_contact", "before", ago(100)), [["Birch LP"]]),
    (flt("last_contact", "after", ago(100)), [["Acme Capital"]]),
    (flt("last_contact", "eq", ago(10)), [["Acme Capital"]]),
    (flt("last_contact", "not_empty"), [["Acme Capital"], ["Birch LP"]]),
    (flt("column:Region", "eq", "west"), [["Acme Capital"], ["Cedar Family Office"]]),
    (flt("column:Score", "gte", 5), [["Acme Capital"], ["Dune Ventures"]]),
    (flt("column:Score", "lt", 5), [["Birch LP"]]),
    (flt("created_at", "within_days", 1), [["Acme Capital"], ["Birch LP"], ["Cedar Family Office"], ["Dune Ventures"],
                                           ["Elm Trust"]]),
    (inv(fields=["name", "column:Score"], sort=[{"field": "column:Score", "dir": "desc"}]),
     [["Dune Ventures", 8], ["Acme Capital", 5], ["Birch LP", 3], ["Cedar Family Office", None], ["Elm Trust", None]]),
    (inv(sort=[{"field": "name", "dir": "desc"}], limit=2), [["Elm Trust"], ["Dune Ventures"]]),
    # committed by fund
    ({"entity": "commitments", "fields": ["fund", "total", "investors"], "group_by": ["fund"],
      "aggregates": [{"as": "total", "fn": "sum", "field": "amount"},
                     {"as": "investors", "fn": "count_distinct", "field": "investor_id"}],
      "sort": [{"field": "total", "dir": "desc"}]},
     [["Fund II", 2_500_000, 2], ["Fund I", 1_250_000, 2]]),
    ({"entity": "commitments", "fields": ["fund", "total"], "group_by": ["fund"],
      "aggregates": [{"as": "total", "fn": "sum", "field": "amount"}],
      "filters": [{"field": "total", "op": "gt", "value": 2_000_000}]}, [["Fund II", 2_500_000]]),
    ({"entity": "commitments", "fields": ["total", "n", "biggest", "average"],
      "aggregates": [{"as": "total", "fn": "sum", "field": "amount"}, {"as": "n", "fn": "count"},
                     {"as": "biggest", "fn": "max", "field": "amount"}, {"as": "average", "fn": "avg", "field": "amount"}]},
     [[3_750_000, 4, 2_000_000, 937_500]]),
    ({"entity": "commitments", "fields": ["investor_name", "fund", "amount"],
      "filters": [{"field": "amount", "op": "gte", "value": 500_000}], "sort": [{"field": "amount", "dir": "asc"}]},
     [["Acme Capital", "Fund II", 500_000], ["Acme Capital", "Fund I", 1_000_000],
      ["Cedar Family Office", "Fund II", 2_000_000]]),
    # total committed per investor, highest first
    (inv(fields=["name", "total_committed"],
         computed=[{"as": "total_committed", "fn": "sum", "of": "commitments.amount"}],
         sort=[{"field": "total_committed", "dir": "desc"}], limit=3),
     [["Cedar Family Office", 2_000_000], ["Acme Capital", 1_500_000], ["Birch LP", 250_000]]),
    (inv(fields=["name", "in_fund_ii"],
         computed=[{"as": "in_fund_ii", "fn": "sum", "of": "commitments.amount",
                    "where": [{"field": "fund", "op": "eq", "value": "Fund II"}]}],
         filters=[{"field": "in_fund_ii", "op": "gt", "value": 0}]),
     [["Acme Capital", 500_000], ["Cedar Family Office", 2_000_000]]),
    # across funds
    (inv(fields=["name", "funds_committed"], computed=[{"as": "funds_committed", "fn": "count", "of": "commitments"}],
         filters=[{"field": "funds_committed", "op": "gte", "value": 2}]), [["Acme Capital", 2]]),
    # top by activity
    (inv(fields=["name", "touches"], computed=[{"as": "touches", "fn": "count", "of": "interactions"}],
         sort=[{"field": "touches", "dir": "desc"}, {"field": "name", "dir": "asc"}]),
     [["Acme Capital", 3], ["Cedar Family Office", 2], ["Birch LP", 1], ["Dune Ventures", 0], ["Elm Trust", 0]]),
    (inv(fields=["name", "meetings"], computed=[{"as": "meetings", "fn": "count", "of": "interactions",
                                                 "where": [{"field": "kind", "op": "eq", "value": "meeting"}]}],
         filters=[{"field": "meetings", "op": "gte", "value": 1}]), [["Acme Capital", 1], ["Cedar Family Office", 1]]),
    # not contacted since N days, never counts
    (inv(fields=["name"], computed=[{"as": "last_touch", "fn": "max", "of": "interactions.occurred_at"}],
         filters=[{"field": "last_touch", "op": "older_than_days", "value": 30}]),
     [["Birch LP"], ["Dune Ventures"], ["Elm Trust"]]),
    (inv(fields=["name"], computed=[{"as": "last_out", "fn": "max", "of": "emails.sent_at",
                                     "where": [{"field": "direction", "op": "eq", "value": "outbound"}]}],
         filters=[{"field": "last_out", "op": "older_than_days", "value": 90}]),
     [["Birch LP"], ["Cedar Family Office"], ["Dune Ventures"], ["Elm Trust"]]),
    (inv(fields=["name", "status", "total_committed", "last_email_at"],
         computed=[{"as": "total_committed", "fn": "sum", "of": "commitments.amount"},
                   {"as": "last_email_at", "fn": "max", "of": "emails.sent_at",
                    "where": [{"field": "direction", "op": "eq", "value": "outbound"}]}],
         filters=[{"field": "status", "op": "eq", "value": "Committed"},
                  {"field": "last_email_at", "op": "older_than_days", "value": 90}],
         sort=[{"field": "total_committed", "dir": "desc"}]),
     [["Birch LP", "Committed", 250_000, stamp(120)]]),
    (inv(fields=["name", "last_in"], computed=[{"as": "last_in", "fn": "max", "of": "emails.sent_at",
                                                "where": [{"field": "direction", "op": "eq", "value": "inbound"}]}],
         filters=[{"field": "last_in", "op": "within_days", "value": 7}]), [["Acme Capital", stamp(3)]]),
    # emails inbound vs outbound
    ({"entity": "emails", "fields": ["direction", "n"], "group_by": ["direction"],
      "aggregates": [{"as": "n", "fn": "count"}]}, [["inbound", 2], ["outbound", 3]]),
    ({"entity": "emails", "fields": ["investor_name", "subject", "from"],
      "filters": [{"field": "sent_at", "op": "within_days", "value": 4}]},
     [["Acme Capital", "Re: Acme Capital", "m3@mail.example"]]),
    ({"entity": "emails", "fields": ["investor_name", "n"], "group_by": ["investor_name"],
      "aggregates": [{"as": "n", "fn": "count"}], "sort": [{"field": "n", "dir": "desc"}]},
     [["Acme Capital", 3], ["Birch LP", 1], ["Cedar Family Office", 1]]),
    # people
    ({"entity": "people", "fields": ["name", "title", "investor_name"],
      "filters": [{"field": "title", "op": "contains", "value": "partner"}]},
     [["Ann Lee", "Managing Partner", "Acme Capital"], ["Cara Diaz", "Partner", "Cedar Family Office"],
      ["Dana Wu", "General Partner", "Dune Ventures"]]),
    (inv(fields=["name", "people"], computed=[{"as": "people", "fn": "count", "of": "people"}],
         filters=[{"field": "people", "op": "gte", "value": 2}]), [["Cedar Family Office", 2]]),
    ({"entity": "people", "fields": ["email"], "filters": [{"field": "email", "op": "not_empty"}]},
     [["ann@acme.example"]]),
    # interactions and funds
    ({"entity": "interactions", "fields": ["kind", "n"], "group_by": ["kind"], "aggregates": [{"as": "n", "fn": "count"}]},
     [["call", 2], ["meeting", 2], ["note", 2]]),
    ({"entity": "interactions", "fields": ["investor_name", "kind"],
      "filters": [{"field": "occurred_at", "op": "older_than_days", "value": 60}]}, [["Acme Capital", "note"]]),
    ({"entity": "funds", "fields": ["name", "vintage", "raised", "lps"],
      "computed": [{"as": "raised", "fn": "sum", "of": "commitments.amount"},
                   {"as": "lps", "fn": "count", "of": "commitments"}]},
     [["Fund I", 2019, 1_250_000, 2], ["Fund II", 2022, 2_500_000, 2]]),
]


def test_plans_answer_exactly(world):
    assert len(ANSWERS) >= 30
    for plan, expected in ANSWERS:
        result = run(world, plan)
        assert result["rows"] == expected, (json.dumps(plan), result["rows"])
        assert result["columns"] == plan["fields"]
        assert result["truncated"] is (plan.get("limit") in (2, 3)), plan   # those stop short of 5 investors
        assert plans.validate(plans.validate(plan, world["db"]), world["db"]) == plans.validate(plan, world["db"])


def test_limit_and_row_cap_truncate(world):
    first = run(world, inv(limit=2))
    assert first["rows"] == [["Acme Capital"], ["Birch LP"]] and first["truncated"] is True
    capped = run(world, inv(), row_cap=3)
    assert len(capped["rows"]) == 3 and capped["truncated"] is True
    assert run(world, inv(limit=5))["truncated"] is False


def test_validate_fills_defaults(world):
    clean = plans.validate({"entity": "investors", "fields": ["name"], "sort": [{"field": "name"}]}, world["db"])
    assert clean == {"entity": "investors", "fields": ["name"], "computed": [], "filters": [], "group_by": [],
                     "aggregates": [], "sort": [{"field": "name", "dir": "asc"}], "limit": 100}
    clean = plans.validate(flt("last_contact", "before", "2026-03-01T23:30:00-05:00"), world["db"])
    assert clean["filters"][0]["value"] == "2026-03-02"      # the UTC day
    assert plans.validate(flt("list", "eq", "Follow-up"), world["db"])["filters"][0]["value"] == "follow_up"


# ---------------------------------------------------------------- archived rows
def test_archived_rows_never_appear(world):
    gone = {world["ids"]["Zed Archived"], world["ids"]["x'; DROP TABLE investors;--"]}
    entity_fields = {name: [f.name for f in e.fields] for name, e in plans.ENTITIES.items()}
    seen_text = []
    for entity, fields in entity_fields.items():
        result = run(world, {"entity": entity, "fields": fields, "limit": 1000})
        assert result["rows"], entity
        for row in result["rows"]:
            seen_text.extend(str(v) for v in row)
            record = dict(zip(fields, row))
            assert record.get("investor_id") not in gone and record.get("id") not in gone, (entity, record)
    text = " ".join(seen_text)
    for word in ("Zed", "Zoe", "Old Person", "Fund III", "7000000", "9999999", "m6", "m7", "m8", "m9", "SECRET",
                 "5555555", "Forgotten"):
        assert word not in text, word
    assert "Old Notes" not in json.dumps(plans.schema(world["db"]))
    assert "column:Region" in json.dumps(plans.schema(world["db"]))
    # per-row aggregates see live related rows only
    assert rows(world, inv(fields=["name", "n"], computed=[{"as": "n", "fn": "count", "of": "emails"}],
                           filters=[{"field": "name", "op": "in", "value": ["Birch LP", "Cedar Family Office",
                                                                             "Dune Ventures"]}])) == \
        [["Birch LP", 1], ["Cedar Family Office", 1], ["Dune Ventures", 0]]
    assert rows(world, {"entity": "investors", "fields": ["name", "f3"],
                        "computed": [{"as": "f3", "fn": "sum", "of": "commitments.amount",
                                      "where": [{"field": "fund", "op": "eq", "value": "Fund III"}]}],
                        "limit": 1}) == [["Acme Capital", 0]]


# ---------------------------------------------------------------- read-only, time limit
def test_compiled_sql_runs_read_only(world):
    sql, params = plans.compile(inv(), world["db"])
    conn = plans.connect_read_only(world["db"])
    try:
        assert len(conn.execute(sql, params).fetchall()) == 5
        for write in ("UPDATE investors SET name = 'pwned'", "DELETE FROM investors",
                      "INSERT INTO interactions (id) VALUES ('x')", "DROP TABLE investors",
                      "CREATE TABLE evil (x)", "PRAGMA query_only = OFF", "ATTACH DATABASE ':memory:' AS m",
                      "SELECT password_hash FROM users", "SELECT body_text FROM email_messages",
                      "SELECT * FROM sqlite_master"):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(write).fetchall()
    finally:
        conn.close()
    # and without the authorizer the file itself refuses writes
    raw = sqlite3.connect(world["db"].path.resolve().as_uri() + "?mode=ro", uri=True)
    raw.execute("PRAGMA query_only = ON")
    with pytest.raises(sqlite3.OperationalError):
        raw.execute("UPDATE investors SET name = 'pwned'")
    raw.close()
    assert len(rows(world, inv())) == 5


def test_a_long_question_is_stopped_by_the_time_limit(world, tmp_path):
    big = tmp_path / "big.db"
    src, dst = sqlite3.connect(world["db"].path), sqlite3.connect(big)
    src.backup(dst)
    src.close()
    dst.executemany("INSERT INTO investors (id, name, created_at, updated_at) VALUES (?, ?, '2026-01-01', '2026-01-01')",
                    ((f"big-{i}", f"Investor {i}") for i in range(30_000)))
    dst.executemany("INSERT INTO interactions (id, investor_id, at, occurred_at, kind, source, actor_type, summary)"
                    " VALUES (?, ?, '2026-01-01', '2026-01-01', 'note', 'ui', 'user', 'x')",
                    ((f"bx-{i}", f"big-{i % 30_000}") for i in range(60_000)))
    dst.commit()
    dst.close()
    heavy = inv(fields=["name", "touches", "people"],
                computed=[{"as": "touches", "fn": "count", "of": "interactions"},
                          {"as": "people", "fn": "count", "of": "people"}],
                filters=[{"field": "name", "op": "contains", "value": "9"}],
                sort=[{"field": "touches", "dir": "desc"}], limit=1000)
    with pytest.raises(PlanError) as caught:
        plans.run(big, heavy, timeout_seconds=0.001)
    assert "too long" in str(caught.value) and "0.001 s" in str(caught.value)
    result = plans.run(big, heavy, timeout_seconds=30)
    assert result["truncated"] is True and result["rows"][0][1] >= 2


TYPICAL = inv(fields=["name", "status", "total_committed", "last_email_at", "touches"],
              computed=[{"as": "total_committed", "fn": "sum", "of": "commitments.amount"},
                        {"as": "last_email_at", "fn": "max", "of": "emails.sent_at"},
                        {"as": "touches", "fn": "count", "of": "interactions"}],
              filters=[{"field": "last_email_at", "op": "older_than_days", "value": 90}],
              sort=[{"field": "total_committed", "dir": "desc"}])


def test_a_typical_plan_is_fast(world):
    plan = TYPICAL
    best = min(run(world, plan)["elapsed_ms"] for _ in range(5))
    print(f"typical plan: best {best} ms over 5 runs")
    start = time.perf_counter()
    run(world, plan)
    assert (time.perf_counter() - start) < 0.5 and best < 200


# ---------------------------------------------------------------- words and views
def test_describe_says_the_plan_in_words():
    plan = {"entity": "investors", "fields": ["name", "status", "total_committed", "last_email_at"],
            "computed": [{"as": "total_committed", "fn": "sum", "of": "commitments.amount"},
                         {"as": "last_email_at", "fn": "max", "of": "emails.sent_at"}],
            "filters": [{"field": "status", "op": "eq", "value": "Committed"},
                        {"field": "last_email_at", "op": "older_than_days", "value": 90}],
            "sort": [{"field": "total_committed", "dir": "desc"}], "limit": 100}
    assert plans.describe(plan) == (
        "Investors with status Committed, their total committed (sum of commitments amount) and "
        "last email at (max of emails sent at), where last email at more than 90 days ago or never (no emails), "
        "highest total committed first, up to 100")
    assert plans.describe({"entity": "commitments", "fields": ["fund", "total"], "group_by": ["fund"],
                           "aggregates": [{"as": "total", "fn": "sum", "field": "amount"}], "limit": 10}) == \
        "Commitments, grouped by fund, total (sum of amount), up to 10"
    assert plans.describe({"entity": "people", "fields": ["name"], "filters": [
        {"field": "title", "op": "contains", "value": "partner"}], "sort": [{"field": "name", "dir": "asc"}]}) == \
        "People with title containing 'partner', by name A-Z, up to 100"


def test_as_view_gives_a_saved_view_with_the_same_rows(world):
    admin, columns = world["admin"], world["columns"]
    by_name = {c["name"]: c for c in columns}
    expressible = [
        inv(fields=["name", "status"], filters=[{"field": "status", "op": "in", "value": ["Committed", "Passed"]}],
            sort=[{"field": "name", "dir": "desc"}]),
        flt("column:Score", "gte", 5),
        flt("last_contact", "older_than_days", 90),
        flt("lead_source", "ne", "Referral"),
        flt("list", "eq", "main"),
    ]
    for plan in expressible:
        clean = plans.validate(plan, world["db"])
        view = plans.as_view(clean, columns)
        assert view is not None, plan
        made = admin.post("/api/fundraising/views", {"name": "from a plan", **view})
        assert made.status == 201, made
        shown = admin.get(f"/api/fundraising/views/{made.data['id']}/rows").data["rows"]
        names = [r["values"][by_name["Name"]["id"]] for r in shown]
        assert names == [r[0] for r in rows(world, plan)], (plan, names)
    view = plans.as_view(plans.validate(expressible[0], world["db"]), columns)
    assert view["filter"] == {"op": "and", "conditions": [
        {"column_id": by_name["Status"]["id"], "operator": "is_any_of", "value": ["Committed", "Passed"]}]}
    assert view["sort"] == [{"column_id": by_name["Name"]["id"], "direction": "desc"}]
    assert by_name["Status"]["id"] not in view["hidden"] and by_name["Region"]["id"] in view["hidden"]
    for plan in (flt("name", "starts_with", "A"), flt("created_at", "within_days", 3),
                 TYPICAL, ANSWERS[23][0], {"entity": "people", "fields": ["name"]}):
        assert plans.as_view(plans.validate(plan, world["db"]), columns) is None, plan


def test_schema_describes_what_plans_may_name(world):
    schema = plans.schema(world["db"])
    assert set(schema["entities"]) == {"investors", "people", "funds", "commitments", "interactions", "emails",
                                       "opportunities", "tasks"}
    assert schema["entities"]["investors"]["relations"] == ["people", "commitments", "interactions", "emails",
                                                            "opportunities", "tasks"]
    assert schema["entities"]["funds"]["relations"] == ["commitments", "opportunities"]
    assert {"name": "column:Score", "type": "number", "description": "the grid column 'Score'"} in \
        schema["entities"]["investors"]["columns"]
    assert "within_days" in schema["ops"]["date"] and "contains" not in schema["ops"]["number"]
    assert schema["limits"]["limit"] == {"min": 1, "max": 1000, "default": 100}
    assert 3 <= len(schema["examples"]) <= 4
    for example in schema["examples"]:
        plans.run(world["db"], example["plan"])
    text = json.dumps(schema)
    for word in ("password", "token", "body_text", "users", "audit_log"):
        assert word not in text


# ---------------------------------------------------------------- the pipeline and tasks
def test_pipeline_and_tasks_answer_exactly(world):
    cards = rows(world, {"entity": "opportunities", "fields": ["investor_name", "fund", "stage", "probability", "weighted"],
                         "sort": [{"field": "investor_name", "dir": "asc"}]})
    assert cards == [["Acme Capital", "Fund I", "Diligence", 0.4, 800_000.0], ["Birch LP", "Fund II", "Pitch", 0.5, 500_000.0],
                     ["Dune Ventures", "Fund I", "Passed", 0.0, None]]
    by_fund = rows(world, {"entity": "opportunities", "fields": ["fund", "open_weighted"], "group_by": ["fund"],
                           "aggregates": [{"as": "open_weighted", "fn": "sum", "field": "weighted"}],
                           "filters": [{"field": "stage", "op": "in", "value": ["Intro", "Pitch", "Diligence", "Soft Circle"]}],
                           "sort": [{"field": "fund", "dir": "asc"}]})
    assert by_fund == [["Fund I", 800_000.0], ["Fund II", 500_000.0]]
    overdue = rows(world, {"entity": "tasks", "fields": ["title", "investor_name"],
                           "filters": [{"field": "status", "op": "eq", "value": "open"},
                                       {"field": "due", "op": "before", "value": TODAY.isoformat()}]})
    assert overdue == [["Call about the close", "Birch LP"]]
    assert rows(world, {"entity": "tasks", "fields": ["title", "status"], "sort": [{"field": "title", "dir": "asc"}]}) == [
        ["Call about the close", "open"], ["Old follow-up", "done"], ["Prepare the AGM deck", "open"], ["Send the LPA", "open"]]
    open_tasks = rows(world, inv(fields=["name", "n"], computed=[{"as": "n", "fn": "count", "of": "tasks",
                                                                   "where": [{"field": "status", "op": "eq", "value": "open"}]}],
                                 filters=[{"field": "name", "op": "in", "value": ["Acme Capital", "Cedar Family Office"]}]))
    assert open_tasks == [["Acme Capital", 1], ["Cedar Family Office", 0]]
