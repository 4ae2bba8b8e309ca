"""The pipeline over HTTP: opportunities as cells of each fund's pipeline column, so the board and
the grid are one record both ways; stage moves validated, audited and in the change feed;
weighted values; the commitment written from a Committed card; archive rules; a restart."""
from __future__ import annotations

import pytest

from helpers import add_column, columns_by_name, launch, make_user, sign_in

STAGES = ["Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed"]


@pytest.fixture
def raise_(fresh_server):
    """A private server with two funds and three investors: (server, admin, funds, investors)."""
    srv, admin = fresh_server
    fund3 = add_column(admin, "Fund III", "fund", {"target": 50_000_000})
    fund4 = add_column(admin, "Fund IV", "fund", {"target": 80_000_000})
    rows = {name: admin.post("/api/fundraising/rows", {"values": {"Name": name}}).data
            for name in ("Acme Capital", "Halcyon Family Office", "Northwind Endowment")}
    return srv, admin, {"III": fund3, "IV": fund4}, rows


def board(client, fund_id):
    resp = client.get(f"/api/pipeline?fund={fund_id}")
    assert resp.status == 200, resp
    return resp.data


def start(client, investor, fund, **fields):
    resp = client.post("/api/pipeline/opportunities", {"investor_id": investor["id"], "fund_id": fund["id"], **fields})
    assert resp.status == 201, resp
    return resp.data


def test_an_empty_board_names_the_stages(fresh_server):
    _, admin = fresh_server
    data = board(admin, "")
    assert data["stages"] == STAGES
    assert data["cards"] == [] and data["fund"] is None
    assert [t["stage"] for t in data["totals"]] == STAGES and all(t["count"] == 0 for t in data["totals"])


def test_a_card_started_on_the_board_is_a_cell_in_the_grid(raise_):
    _, admin, funds, rows = raise_
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch", expected_amount="$2.5m",
                 probability="30%", close_date="2027-03-31", owner=admin.user["id"])
    assert card["stage"] == "Pitch" and card["expected_amount"] == 2_500_000 and card["probability"] == 0.3
    assert card["weighted"] == 750_000 and card["investor_name"] == "Acme Capital"
    assert card["owner_name"] == "admin" and card["close_date"] == "2027-03-31"
    # The fund's pipeline column was made on first use, just after the fund.
    names = [c["name"] for c in admin.get("/api/fundraising/columns").data]
    assert names[names.index("Fund III") + 1] == "Fund III pipeline"
    column = columns_by_name(admin)["Fund III pipeline"]
    assert column["type"] == "pipeline" and column["options"]["fund_id"] == funds["III"]["id"]
    assert [c["name"] for c in column["options"]["choices"]] == STAGES
    cell = admin.get(f"/api/fundraising/rows/{rows['Acme Capital']['id']}").data["values"][column["id"]]
    assert cell["id"] == card["id"] and cell["stage"] == "Pitch" and cell["expected_amount"] == 2_500_000
    data = board(admin, funds["III"]["id"])
    assert [c["id"] for c in data["cards"]] == [card["id"]]
    pitch = next(t for t in data["totals"] if t["stage"] == "Pitch")
    assert pitch == {**pitch, "count": 1, "expected": 2_500_000, "weighted": 750_000}
    # A second card for the same investor and fund is refused; another fund has its own board.
    again = admin.post("/api/pipeline/opportunities", {"investor_id": rows["Acme Capital"]["id"], "fund_id": funds["III"]["id"]})
    assert again.status == 409 and again.json["code"] == "already_in_pipeline"
    other = start(admin, rows["Acme Capital"], funds["IV"])
    assert other["stage"] == "Intro" and other["probability"] == 0.1 and other["probability_is_default"] is True
    assert [c["id"] for c in board(admin, funds["IV"]["id"])["cards"]] == [other["id"]]


def test_moving_a_card_edits_the_grid_and_editing_the_grid_moves_the_card(raise_):
    _, admin, funds, rows = raise_
    acme = rows["Acme Capital"]
    card = start(admin, acme, funds["III"], expected_amount=1_000_000)
    column_id = card["column_id"]
    seq = admin.get("/api/fundraising/grid").data["version"]
    moved = admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "diligence"})
    assert moved.status == 200 and moved.data["stage"] == "Diligence"
    # The stage's default probability follows the stage.
    assert moved.data["probability"] == 0.4 and moved.data["weighted"] == 400_000
    row = admin.get(f"/api/fundraising/rows/{acme['id']}").data
    assert row["values"][column_id]["stage"] == "Diligence"
    feed = admin.get(f"/api/fundraising/changes?since={seq}").data
    change = next(c for c in feed["changes"] if c["column_id"] == column_id)
    assert change["kind"] == "cell" and change["value"]["stage"] == "Diligence" and change["row_id"] == acme["id"]
    history = admin.get(f"/api/fundraising/rows/{acme['id']}/history").data
    assert any(h.get("column_id") == column_id for h in history)
    audit = admin.get("/api/audit-log?entity_id=" + acme["id"]).data
    assert any("Fund III pipeline" in (a.get("details") or {}) for a in audit)

    # The grid, by name, with the typed stage and an amount: the card keeps what was not named.
    edit = admin.patch(f"/api/fundraising/rows/{acme['id']}", {"values": {"Fund III pipeline": "Soft circle"}})
    assert edit.status == 200, edit
    assert board(admin, funds["III"]["id"])["cards"][0]["stage"] == "Soft Circle"
    edit = admin.patch(f"/api/fundraising/rows/{acme['id']}", {"values": {column_id: {"expected_amount": "1.5m"}}})
    assert edit.status == 200, edit
    now = board(admin, funds["III"]["id"])["cards"][0]
    assert (now["stage"], now["expected_amount"], now["weighted"]) == ("Soft Circle", 1_500_000, 1_050_000)
    # Clearing the cell in the grid takes the card off the board.
    assert admin.patch(f"/api/fundraising/rows/{acme['id']}", {"values": {column_id: None}}).status == 200
    assert board(admin, funds["III"]["id"])["cards"] == []
    assert admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Pitch"}).status == 404
    # Typing a stage into an empty pipeline cell starts a new one.
    assert admin.patch(f"/api/fundraising/rows/{acme['id']}", {"values": {column_id: "Pitch"}}).status == 200
    fresh = board(admin, funds["III"]["id"])["cards"][0]
    assert fresh["stage"] == "Pitch" and fresh["id"] != card["id"] and fresh["expected_amount"] is None


def test_reaching_committed_can_write_the_commitment(raise_):
    _, admin, funds, rows = raise_
    halcyon = rows["Halcyon Family Office"]
    card = start(admin, halcyon, funds["III"], stage="Soft Circle", expected_amount=3_000_000)
    done = admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Committed", "commitment": True})
    assert done.status == 200, done
    assert done.data["committed"] == 3_000_000 and done.data["stage"] == "Committed"
    values = admin.get(f"/api/fundraising/rows/{halcyon['id']}").data["values"]
    assert values[funds["III"]["id"]] == 3_000_000
    # One edit: both cells in one row version.
    history = admin.get(f"/api/fundraising/rows/{halcyon['id']}/history").data
    fund_cell = next(h for h in history if h["column_id"] == funds["III"]["id"])
    stage_cell = next(h for h in history if h["column_id"] == card["column_id"])
    assert fund_cell["new"] == 3_000_000 and stage_cell["new"]["stage"] == "Committed"
    assert fund_cell["row_version"] == stage_cell["row_version"]
    # A typed amount overrides the expected one; true without any expected amount is refused.
    assert admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"commitment": "$3.25m"}).data["committed"] == 3_250_000
    bare = start(admin, rows["Northwind Endowment"], funds["III"])
    refused = admin.patch(f"/api/pipeline/opportunities/{bare['id']}", {"stage": "Committed", "commitment": True})
    assert refused.status == 400 and refused.json["field"] == "commitment"
    assert board(admin, funds["III"]["id"])["cards"][1]["stage"] == "Intro"  # nothing half-written


@pytest.mark.parametrize("body, field", [
    ({"stage": "Won"}, "stage"), ({"stage": 3}, "stage"), ({"probability": "150%"}, "probability"),
    ({"probability": "likely"}, "probability"), ({"expected_amount": "lots"}, None),
    ({"expected_amount": -5}, "expected_amount"), ({"owner": "nobody"}, "owner"),
    ({"close_date": "someday"}, None), ({}, None), ({"expected_version": 0}, "expected_version"),
])
def test_bad_moves_are_refused_naming_the_problem(raise_, body, field):
    _, admin, funds, rows = raise_
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch")
    resp = admin.patch(f"/api/pipeline/opportunities/{card['id']}", body)
    assert resp.status == 400, resp
    if field:
        assert resp.json.get("field") == field or field in resp.json["error"], resp
    assert board(admin, funds["III"]["id"])["cards"][0]["stage"] == "Pitch"


def test_unknown_things_are_404_and_archived_investors_leave_the_board(raise_):
    _, admin, funds, rows = raise_
    assert admin.patch("/api/pipeline/opportunities/nope", {"stage": "Pitch"}).status == 404
    assert admin.delete("/api/pipeline/opportunities/nope").status == 404
    assert admin.get("/api/pipeline?fund=nope").status == 404
    missing = admin.post("/api/pipeline/opportunities", {"investor_id": "nope", "fund_id": funds["III"]["id"]})
    assert missing.status == 404
    not_fund = admin.post("/api/pipeline/opportunities", {"investor_id": rows["Acme Capital"]["id"],
                                                          "fund_id": columns_by_name(admin)["Notes"]["id"]})
    assert not_fund.status == 400 and not_fund.json["field"] == "fund_id"
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch")
    assert admin.delete(f"/api/fundraising/rows/{rows['Acme Capital']['id']}").status == 200
    assert board(admin, funds["III"]["id"])["cards"] == []
    assert admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Diligence"}).status == 404
    assert admin.post(f"/api/fundraising/rows/{rows['Acme Capital']['id']}/restore").status == 200
    assert board(admin, funds["III"]["id"])["cards"][0]["id"] == card["id"]


def test_two_people_moving_one_card_from_the_same_version_conflict(raise_):
    srv, admin, funds, rows = raise_
    jo = sign_in(srv, make_user(admin)["username"])
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch")
    version = card["row_version"]
    first = jo.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Diligence", "expected_version": version})
    assert first.status == 200
    second = admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Passed", "expected_version": version})
    assert second.status == 409 and second.json["code"] == "version_conflict"
    assert jo.get("/api/auth/me").data["username"].encode() in second.body  # who moved it, named
    assert board(admin, funds["III"]["id"])["cards"][0]["stage"] == "Diligence"


def test_clearing_a_card_archives_it_and_the_column_is_protected(raise_):
    _, admin, funds, rows = raise_
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch")
    column_id = card["column_id"]
    refused = admin.delete(f"/api/fundraising/columns/{column_id}")
    assert refused.status == 409 and "1 opportunity" in refused.json["error"]
    fund_refused = admin.delete(f"/api/fundraising/columns/{funds['III']['id']}")
    assert fund_refused.status == 409 and "pipeline" in fund_refused.json["error"]
    cleared = admin.delete(f"/api/pipeline/opportunities/{card['id']}")
    assert cleared.status == 200 and cleared.data["archived"] is True
    assert admin.get(f"/api/fundraising/rows/{rows['Acme Capital']['id']}").data["values"].get(column_id) is None
    # The history keeps what the card was.
    history = admin.get(f"/api/fundraising/rows/{rows['Acme Capital']['id']}/history").data
    assert any(h.get("column_id") == column_id and h.get("old", {}) and h["old"].get("stage") == "Pitch"
               for h in history)
    assert admin.delete(f"/api/fundraising/columns/{column_id}").status == 200
    # A second pipeline column for one fund is refused; a pipeline column must follow a fund.
    dup = admin.post("/api/fundraising/columns", {"name": "Other", "type": "pipeline", "options": {"fund_id": funds["IV"]["id"]}})
    assert dup.status == 201
    again = admin.post("/api/fundraising/columns", {"name": "Again", "type": "pipeline", "options": {"fund_id": funds["IV"]["id"]}})
    assert again.status == 409
    bad = admin.post("/api/fundraising/columns", {"name": "Bad", "type": "pipeline", "options": {"fund_id": column_id}})
    assert bad.status == 400
    moved = admin.patch(f"/api/fundraising/columns/{dup.data['id']}", {"options": {"fund_id": funds["III"]["id"]}})
    assert moved.status == 400


def test_views_filter_and_sort_by_stage(raise_):
    _, admin, funds, rows = raise_
    for name, stage in (("Acme Capital", "Diligence"), ("Halcyon Family Office", "Intro"), ("Northwind Endowment", "Pitch")):
        card = start(admin, rows[name], funds["III"], stage=stage)
    column_id = card["column_id"]
    view = admin.post("/api/fundraising/views", {"name": "Late stage",
        "filter": {"op": "and", "conditions": [{"column_id": column_id, "operator": "is_any_of", "value": ["Pitch", "diligence"]}]},
        "sort": [{"column_id": column_id, "direction": "desc"}]})
    assert view.status == 201, view
    listed = admin.get(f"/api/fundraising/views/{view.data['id']}/rows").data
    ids = [r["id"] if isinstance(r, dict) else r for r in (listed.get("row_ids") or listed.get("rows"))]
    assert ids == [rows["Acme Capital"]["id"], rows["Northwind Endowment"]["id"]]
    meta = admin.get("/api/fundraising/meta").data
    assert "is_any_of" in meta["operators"]["pipeline"]


def test_export_formula_and_restart_read_the_same_record(raise_):
    srv, admin, funds, rows = raise_
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Soft Circle", expected_amount=2_000_000)
    formula = add_column(admin, "Stage note", "formula", {"formula": "IF({Fund III pipeline} = 'Soft Circle', 'close soon', '')"})
    values = admin.get(f"/api/fundraising/rows/{rows['Acme Capital']['id']}").data["values"]
    assert values[formula["id"]] == "close soon"
    export = admin.get("/api/fundraising/export?format=csv")
    if export.status == 200 and export.headers.get("Content-Type", "").startswith("text/csv"):
        assert "Soft Circle" in export.body.decode("utf-8-sig")
    srv.stop()
    again = launch(data_dir=srv.data_dir, port=srv.port)
    try:
        client = again.client(srv.admin_token)
        after = board(client, funds["III"]["id"])
        assert [(c["id"], c["stage"], c["expected_amount"]) for c in after["cards"]] == [(card["id"], "Soft Circle", 2_000_000)]
    finally:
        again.stop()


def test_the_digest_tells_stage_moves_in_words(raise_):
    from datetime import datetime, timedelta, timezone

    from backend.db import Database
    from backend.digest import builder
    srv, admin, funds, rows = raise_
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    card = start(admin, rows["Acme Capital"], funds["III"], stage="Pitch", expected_amount=1_000_000)
    assert admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"stage": "Diligence"}).status == 200
    assert admin.patch(f"/api/pipeline/opportunities/{card['id']}", {"expected_amount": "2m"}).status == 200
    db = Database(srv.data_dir / "crm.db")
    try:
        text = builder.build(db, None, since, datetime.now(timezone.utc) + timedelta(minutes=1), "UTC",
                             "https://crm.example", ())["text"]
    finally:
        db.close()
    # A person's edits of one cell in the window fold into first old -> last new, in words.
    assert "Fund III pipeline: (empty) → Diligence (admin)" in text, text
    assert "{" not in text.split("BY INVESTOR")[-1]  # no opportunity object shown raw
