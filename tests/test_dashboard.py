"""The dashboard (backend/dashboard/): every figure of `GET /api/dashboard` on a hand-built grid,
checked against numbers worked out by hand below (graveyard excluded from committed, archived
investors and an archived fund column never counting, creation values not counted as edits),
the pipeline narrowed to a fund, and each figure's CSV."""
from __future__ import annotations

import csv
import io

from helpers import add_column, columns_by_name, make_user, sign_in


def _row(client, values):
    resp = client.post("/api/fundraising/rows", {"values": values})
    assert resp.status == 201, resp
    return resp.data["id"]


def _edit(client, row_id, values):
    resp = client.patch(f"/api/fundraising/rows/{row_id}", {"values": values})
    assert resp.status == 200, resp


def _note(client, row_id, summary):
    resp = client.post(f"/api/fundraising/rows/{row_id}/interactions", {"kind": "note", "summary": summary})
    assert resp.status == 201, resp


def _task(client, **body):
    resp = client.post("/api/tasks", {"title": "Follow up", **body})
    assert resp.status == 201, resp
    return resp.data["id"]


def _csv(resp) -> list[list[str]]:
    assert resp.status == 200, resp
    assert resp.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(resp.body.decode("utf-8-sig"))))


def test_dashboard_figures_on_a_hand_built_grid(fresh_server):
    srv, admin = fresh_server
    member = sign_in(srv, make_user(admin, "member")["username"])
    fund_a = add_column(admin, "Fund A", "fund", {"vintage": 2024, "target": 10_000_000})["id"]
    fund_b = add_column(admin, "Fund B", "fund", {"target": 5_000_000})["id"]
    fund_old = add_column(admin, "Fund Old", "fund", {"target": 1_000_000})["id"]
    cols = columns_by_name(admin)
    status, lead = cols["Status"]["id"], cols["Lead Source"]["id"]

    # Creation values (these are not edits): who is on which list with what committed.
    alpha = _row(admin, {"Name": "Alpha Capital", "List": "main", fund_a: 1_000_000, fund_b: 500_000, fund_old: 999})
    beta = _row(admin, {"Name": "Beta Partners", "List": "follow_up", "Status": "Meeting", fund_a: 2_000_000})
    gamma = _row(admin, {"Name": "Gamma Trust", "List": "graveyard", "Status": "Passed", fund_a: 4_000_000})
    delta = _row(admin, {"Name": "Delta Office", "List": "longshot", "Status": "Contacted", fund_b: 250_000})
    eps = _row(admin, {"Name": "Epsilon Fund", "List": "main", fund_a: 300_000})
    zeta = _row(admin, {"Name": "Zeta Holdings", "List": "main", "Status": "Meeting"})
    assert gamma and delta

    # Edits: admin 1 + member 2 counted; the edit of Epsilon (archived below) and of Fund Old
    # (archived below) are not.
    _edit(admin, alpha, {status: "Committed"})
    _edit(member, beta, {fund_a: 2_500_000})
    _edit(member, zeta, {lead: "Referral"})
    _edit(admin, eps, {status: "Meeting"})
    _edit(admin, alpha, {fund_old: 1_000})
    # Notes: admin 3, member 1 counted; the one on Epsilon is not.
    _note(admin, alpha, "Call with the CIO")
    _note(admin, alpha, "Sent the deck")
    _note(admin, beta, "Intro meeting")
    _note(member, beta, "Follow-up call")
    _note(admin, eps, "Met at a conference")
    # Tasks: overdue and open on a live investor, and one on no investor, count (2); done, archived,
    # not yet due and on an archived investor do not.
    _task(admin, investor_id=alpha, due="2001-01-01")
    _task(admin, due="2001-01-02")
    done = _task(admin, investor_id=beta, due="2001-01-03")
    assert admin.patch(f"/api/tasks/{done}", {"done": True}).status == 200
    gone = _task(admin, investor_id=beta, due="2001-01-04")
    assert admin.delete(f"/api/tasks/{gone}").status == 200
    _task(admin, investor_id=beta, due="2199-01-01")
    _task(admin, investor_id=eps, due="2001-01-05")

    assert admin.delete(f"/api/fundraising/rows/{eps}").status == 200
    assert admin.delete(f"/api/fundraising/columns/{fund_old}").status == 200

    d = admin.get("/api/dashboard").data
    # Fund A: Alpha 1,000,000 + Beta 2,500,000 (Gamma's 4,000,000 is on the graveyard, Epsilon archived).
    # Fund B: Alpha 500,000 + Delta 250,000. Fund Old is archived: not a fund any more.
    assert d["committed_by_fund"] == [{"fund_id": fund_a, "name": "Fund A", "total": 3_500_000},
                                      {"fund_id": fund_b, "name": "Fund B", "total": 750_000}]
    assert d["committed_total"] == 4_250_000
    a, b = d["funds"]
    assert (a["target"], a["committed"], a["investors"], a["percent"], a["remaining"]) == (10_000_000, 3_500_000, 2, 35.0, 6_500_000)
    assert (a["graveyard_committed"], a["graveyard_investors"], a["vintage"], a["currency"]) == (4_000_000, 1, 2024, "USD")
    assert (b["target"], b["committed"], b["investors"], b["percent"], b["graveyard_committed"]) == (5_000_000, 750_000, 2, 15.0, 0)
    assert d["by_list"] == {"main": 2, "follow_up": 1, "graveyard": 1, "longshot": 1}
    assert d["investors"] == 5
    assert d["by_status"]["column_id"] == status
    assert [(r["status"], r["count"], r["by_list"]) for r in d["by_status"]["rows"]] == [
        ("Contacted", 1, {"main": 0, "follow_up": 0, "graveyard": 0, "longshot": 1}),
        ("Meeting", 2, {"main": 1, "follow_up": 1, "graveyard": 0, "longshot": 0}),
        ("Committed", 1, {"main": 1, "follow_up": 0, "graveyard": 0, "longshot": 0}),
        ("Passed", 1, {"main": 0, "follow_up": 0, "graveyard": 1, "longshot": 0})]
    assert d["overdue_tasks"] == 2
    assert sorted(o["count"] for o in d["overdue_by_owner"]) == [2]

    # Activity: everything happened this week (the last of the 12 buckets).
    assert len(d["activity"]) == 12 and all(w["total"] == 0 for w in d["activity"][:-1])
    assert d["activity"][-1] | {"week": None} == {"week": None, "emails": 0, "notes": 4, "edits": 3, "total": 7}
    people = {m["name"]: (m["emails"], m["notes"], m["edits"]) for m in d["activity_by_week"]["members"]}
    assert people == {"admin": (0, 3, 1), member.user["username"]: (0, 1, 2)}
    # Top investors, last 30 days: Alpha 2 notes + 1 edit, Beta 2 notes + 1 edit, Zeta 1 edit.
    assert [(t["name"], t["emails"], t["notes"], t["edits"], t["total"]) for t in d["top_investors"]] == [
        ("Alpha Capital", 0, 2, 1, 3), ("Beta Partners", 0, 2, 1, 3), ("Zeta Holdings", 0, 0, 1, 1)]
    assert d["top_investors"][0]["id"] == alpha
    assert d["strength_distribution"] is None  # no email capture, no strength field

    # The CSV of each figure, formula-safe like the grid's export.
    assert _csv(admin.get("/api/dashboard/figures/funds.csv")) == [
        ["Fund", "Vintage", "Currency", "Target", "Committed (graveyard excluded)", "Percent of target",
         "Investors committed", "Graveyard commitments (excluded)"],
        ["Fund A", "2024", "USD", "10000000", "3500000", "35", "2", "4000000"],
        ["Fund B", "", "USD", "5000000", "750000", "15", "2", "0"]]
    assert _csv(admin.get("/api/dashboard/figures/lists.csv")) == [
        ["List", "Investors"], ["Main", "2"], ["Follow-up", "1"], ["Graveyard", "1"], ["Longshot", "1"]]
    assert _csv(admin.get("/api/dashboard/figures/status.csv"))[1:] == [
        ["Contacted", "1", "0", "0", "0", "1"], ["Meeting", "2", "1", "1", "0", "0"],
        ["Committed", "1", "1", "0", "0", "0"], ["Passed", "1", "0", "0", "1", "0"]]
    top = _csv(admin.get("/api/dashboard/figures/top_investors.csv"))
    assert [r[:6] for r in top] == [["Rank", "Investor", "Emails", "Notes", "Edits", "Total"],
                                    ["1", "Alpha Capital", "0", "2", "1", "3"], ["2", "Beta Partners", "0", "2", "1", "3"],
                                    ["3", "Zeta Holdings", "0", "0", "1", "1"]]
    activity = _csv(admin.get("/api/dashboard/figures/activity.csv"))
    assert activity[0] == ["Week of", "Team member", "Emails", "Notes", "Edits"]
    assert [r[1:] for r in activity if r[2:] != ["0", "0", "0"]][1:] == [["admin", "0", "3", "1"], [member.user["username"], "0", "1", "2"]]
    assert _csv(admin.get("/api/dashboard/figures/strength.csv")) == [["Relationship strength", "Investors"]]
    missing = admin.get("/api/dashboard/figures/nothing.csv")
    assert missing.status == 404 and "funds" in missing.json["error"]

    # A name a spreadsheet would run is written inert.
    _edit(admin, zeta, {"Name": "=HYPERLINK(\"x\")"})
    rows = _csv(admin.get("/api/dashboard/figures/top_investors.csv"))
    assert rows[3][1] == "'=HYPERLINK(\"x\")"
    member.close()


def test_dashboard_pipeline_weighted_by_stage_and_narrowed_to_a_fund(fresh_server):
    srv, admin = fresh_server
    fund_a = add_column(admin, "Fund A", "fund", {"target": 10_000_000})["id"]
    fund_b = add_column(admin, "Fund B", "fund", {"target": 5_000_000})["id"]
    pipe = add_column(admin, "Fund A pipeline", "pipeline", {"fund_id": fund_a})["id"]
    alpha = _row(admin, {"Name": "Alpha", "List": "main"})
    beta = _row(admin, {"Name": "Beta", "List": "main"})
    delta = _row(admin, {"Name": "Delta", "List": "graveyard"})
    eps = _row(admin, {"Name": "Epsilon", "List": "main"})
    _edit(admin, alpha, {pipe: {"stage": "Pitch", "expected_amount": 1_000_000}})                   # 0.2 -> 200,000
    _edit(admin, beta, {pipe: {"stage": "Soft Circle", "expected_amount": 2_000_000, "probability": 0.5}})  # 1,000,000
    _edit(admin, delta, {pipe: {"stage": "Committed", "expected_amount": 250_000}})               # 0.9 -> 225,000, not open
    _edit(admin, eps, {pipe: {"stage": "Diligence", "expected_amount": 5_000_000}})
    assert admin.delete(f"/api/fundraising/rows/{eps}").status == 200  # archived: never counts

    d = admin.get("/api/dashboard").data
    assert d["pipeline_weighted"] == 1_200_000            # Pitch 200,000 + Soft Circle 1,000,000
    assert d["pipeline_expected"] == 3_000_000 and d["pipeline_open"] == 2
    stages = {s["stage"]: (s["count"], s["expected"], s["weighted"]) for s in d["pipeline_by_stage"]}
    assert stages == {"Intro": (0, 0, 0), "Pitch": (1, 1_000_000, 200_000), "Diligence": (0, 0, 0),
                      "Soft Circle": (1, 2_000_000, 1_000_000), "Committed": (1, 250_000, 225_000),
                      "Closed": (0, 0, 0), "Passed": (0, 0, 0)}
    assert d["pipelines"] == [{"column_id": pipe, "fund_id": fund_a, "fund": "Fund A", "name": "Fund A pipeline"}]
    assert admin.get(f"/api/dashboard?fund={fund_a}").data["pipeline_weighted"] == 1_200_000
    only_b = admin.get(f"/api/dashboard?fund={fund_b}").data
    assert (only_b["pipeline_weighted"], only_b["pipelines"], only_b["pipeline_fund"]) == (0, [], fund_b)
    assert only_b["committed_total"] == d["committed_total"] == 0  # the fund filter narrows the pipeline only
    unknown = admin.get("/api/dashboard?fund=nope")
    assert unknown.status == 404 and "nope" in unknown.json["error"]
    rows = _csv(admin.get(f"/api/dashboard/figures/pipeline.csv?fund={fund_a}"))
    assert rows[0] == ["Stage", "Open", "Opportunities", "Expected", "Default probability", "Weighted"]
    assert rows[2] == ["Pitch", "yes", "1", "1000000", "0.2", "200000"]
    assert rows[4] == ["Soft Circle", "yes", "1", "2000000", "0.7", "1000000"]
    assert rows[5] == ["Committed", "no", "1", "250000", "0.9", "225000"]


def test_dashboard_needs_a_session_and_follows_the_grid(fresh_server):
    srv, admin = fresh_server
    assert srv.client().get("/api/dashboard").status == 401
    assert srv.client().get("/api/dashboard/figures/funds.csv").status == 401
    fund = add_column(admin, "Fund I", "fund", {"target": 1_000_000})["id"]
    row = _row(admin, {"Name": "Solo", fund: 100_000})
    assert admin.get("/api/dashboard").data["committed_total"] == 100_000
    _edit(admin, row, {"List": "graveyard"})  # a new grid version: the kept figures are not reused
    d = admin.get("/api/dashboard").data
    assert d["committed_total"] == 0 and d["funds"][0]["graveyard_committed"] == 100_000
    assert d["generated_ms"] >= 0
    assert admin.post(f"/api/fundraising/rows/{row}/restore").status in (200, 409)


def test_the_grid_figures_kept_between_edits_equal_a_fresh_count(app):
    """The figures follow edits incrementally (only the rows the change log names); after every
    batch of random edits (amounts, lists, stages, status, archive and restore, a new row) they
    equal the same figures counted from scratch."""
    import random

    from backend.dashboard.grid_figures import GridFigures
    from backend.principal import system
    rng = random.Random(17)
    who = system("test")
    grid = app.grid
    fund = grid.create_column(who, "Fund Q", "fund", {"target": 10_000_000})["id"]
    other = grid.create_column(who, "Fund R", "fund", {})["id"]
    pipe = grid.create_column(who, "Fund Q pipeline", "pipeline", {"fund_id": fund})["id"]
    stages = ("Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed")
    rows = [r["id"] for r in grid.create_rows(who, [{"Name": f"Inv {i}", "List": rng.choice(["main", "graveyard", "longshot"])}
                                                     for i in range(60)])]
    kept = GridFigures(grid)
    kept.figures(grid.view(), None)
    for batch in range(12):
        for _ in range(15):
            rid = rng.choice(rows)
            choice = rng.randrange(7)
            if grid.view().rows[rid].archived_at and choice != 5:
                continue  # an archived investor is only restored
            if choice == 0:
                grid.update_row(who, rid, {fund: rng.choice([None, 250_000, 1_250_000.5, 3_000_000])})
            elif choice == 1:
                grid.update_row(who, rid, {"List": rng.choice(["main", "follow_up", "graveyard", "longshot"])})
            elif choice == 2:
                grid.update_row(who, rid, {pipe: rng.choice([None, *stages])})
            elif choice == 3:
                grid.update_row(who, rid, {pipe: {"stage": rng.choice(stages), "expected_amount": rng.randrange(1, 9) * 333_333,
                                                  "probability": rng.choice([None, 0.33, 0.5])}})
            elif choice == 4:
                grid.update_row(who, rid, {"Status": rng.choice([None, "Contacted", "Meeting", "Odd one"])})
            elif choice == 5:
                row = grid.view().rows[rid]
                grid.set_archived(who, rid, not row.archived_at)
            else:
                grid.update_row(who, rid, {other: rng.randrange(0, 5) * 100_000 or None})
        if batch == 6:
            rows.append(grid.create_row(who, {"Name": "Late", fund: 5_000_000})["id"])
        for narrow in (None, fund, other):
            follows, _ = kept.figures(grid.view(), narrow)
            fresh, _ = GridFigures(grid).figures(grid.view(), narrow)
            assert follows == fresh, (batch, narrow)
    assert follows["investors"] == sum(1 for r in grid.view().rows.values() if not r.archived_at)


def test_a_merge_moves_the_touches_the_dashboard_counts(fresh_server):
    _, admin = fresh_server
    a = admin.post("/api/fundraising/rows", {"values": {"Name": "Acme Capital"}}).data["id"]
    b = admin.post("/api/fundraising/rows", {"values": {"Name": "Acme Capital LLC"}}).data["id"]
    for rid in (a, a, b):
        assert admin.post(f"/api/fundraising/rows/{rid}/interactions", {"kind": "note", "summary": "Call"}).status == 201
    notes = lambda: {t["id"]: t["notes"] for t in admin.get("/api/dashboard").data["top_investors"]}
    assert notes() == {a: 2, b: 1}
    merged = admin.post(f"/api/fundraising/rows/{b}/merge", {"into": a})
    assert merged.status == 200, merged
    assert notes() == {a: 3}
    assert admin.post(f"/api/fundraising/rows/{b}/unmerge").status == 200
    assert notes() == {a: 2, b: 1}
