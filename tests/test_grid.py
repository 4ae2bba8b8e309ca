"""The grid over HTTP: columns, typed values, cell-level edits with conflicts, archive/restore,
history, the change feed, presence, snapshots — against the real server."""
from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from urllib.parse import quote

import pytest

from helpers import add_column, columns_by_name, kill_during_writes, launch, make_user, sign_in, unique


def test_fresh_grid_has_default_columns(start_server):
    fresh = start_server()
    admin = fresh.bootstrap()
    grid = admin.get("/api/fundraising/grid")
    assert grid.status == 200
    data = grid.data
    names = [c["name"] for c in data["columns"]]
    assert names[:3] == ["Name", "List", "Status"]
    assert {"Contacts", "Last Contact", "Lead Source", "Notes", "Last Modified"} <= set(names)
    name = data["columns"][0]
    assert name["primary"] is True and name["type"] == "text" and name["frozen"] is True
    assert [c["position"] for c in data["columns"]] == list(range(len(names)))
    assert data["rows"] == [] and isinstance(data["version"], int)
    lists = next(c for c in data["columns"] if c["name"] == "List")
    assert [c["name"] for c in lists["options"]["choices"]] == ["main", "follow_up", "graveyard", "longshot"]


def test_values_are_validated_and_normalised(admin):
    cols = {
        "amount": add_column(admin, unique("Amount"), "currency"),
        "number": add_column(admin, unique("Num"), "number"),
        "pct": add_column(admin, unique("Prob"), "percent"),
        "date": add_column(admin, unique("Met"), "date"),
        "check": add_column(admin, unique("Accredited"), "checkbox"),
        "tags": add_column(admin, unique("Tags"), "multi_select", {"choices": ["Co-invest"]}),
        "email": add_column(admin, unique("Mail"), "email"),
        "url": add_column(admin, unique("Site"), "url"),
        "phone": add_column(admin, unique("Phone"), "phone"),
        "fund": add_column(admin, unique("Fund"), "fund", {"vintage": 2026, "target": 50_000_000}),
    }
    resp = admin.post("/api/fundraising/rows", {"values": {
        "Name": "  Acme Capital  ", cols["amount"]["id"]: "$1,250,000", cols["number"]["name"]: "1.25e6",
        cols["pct"]["id"]: "12.5%", cols["date"]["id"]: "6/14/2026", cols["check"]["id"]: "checked",
        cols["tags"]["id"]: "Co-invest, re-up", cols["email"]["id"]: " Wei@Jasper.COM ",
        cols["url"]["id"]: "jasper.com", cols["phone"]["id"]: "+1 (415) 555-0100", cols["fund"]["id"]: "($5,000)",
        "Status": "Meeting", "Contacts": [{"name": "Wei Shah", "email": "wei@jasper.com", "title": "CIO"}]}})
    assert resp.status == 201, resp
    row = resp.data
    v = row["values"]
    names = columns_by_name(admin)
    assert v[names["Name"]["id"]] == "Acme Capital"
    assert v[cols["amount"]["id"]] == 1250000 and v[cols["number"]["id"]] == 1250000
    assert v[cols["pct"]["id"]] == 0.125
    assert v[cols["date"]["id"]] == "2026-06-14"
    assert v[cols["check"]["id"]] is True
    assert v[cols["tags"]["id"]] == ["Co-invest", "re-up"]
    assert v[cols["email"]["id"]] == "wei@jasper.com"
    assert v[cols["url"]["id"]] == "https://jasper.com"
    assert v[cols["fund"]["id"]] == -5000
    assert v[names["List"]["id"]] == "main"
    people = v[names["Contacts"]["id"]]
    assert len(people) == 1 and people[0]["name"] == "Wei Shah" and len(people[0]["id"]) == 36
    assert v[names["Last Modified"]["id"]].endswith("Z")
    assert len(row["id"]) == 36 and row["version"] >= 2
    # a new select choice was added to the column
    tags = columns_by_name(admin)[cols["tags"]["name"]]
    assert [c["name"] for c in tags["options"]["choices"]] == ["Co-invest", "re-up"]
    fund = columns_by_name(admin)[cols["fund"]["name"]]
    assert fund["options"]["vintage"] == 2026 and fund["options"]["target"] == 50_000_000


@pytest.mark.parametrize("kind, options, bad", [
    ("currency", {}, "lots"), ("number", {}, True), ("percent", {}, "abc%"), ("date", {}, "31/31/2026"),
    ("date", {}, "yesterday-ish"), ("email", {}, "not-an-email"), ("url", {}, "not a url"), ("phone", {}, "call me"),
    ("checkbox", {}, "maybe"), ("single_select", {"choices": ["A"], "allow_new": False}, "B"),
    ("multi_select", {"choices": ["A"], "allow_new": False}, ["A", "Z"]), ("text", {}, {"x": 1}),
])
def test_bad_values_are_400_naming_the_column_and_nothing_is_written(admin, kind, options, bad):
    col = add_column(admin, unique(kind), kind, options)
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Validation LP"}}).data
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Notes": "should not land",
                                                                        col["id"]: bad}})
    assert resp.status == 400, resp
    assert f"'{col['name']}'" in resp.json["error"] and resp.json["column"] == col["name"]
    after = admin.get(f"/api/fundraising/rows/{row['id']}").data
    assert after["version"] == row["version"]
    assert after["values"][columns_by_name(admin)["Notes"]["id"]] is None


def test_unknown_and_computed_columns_are_refused(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Refusals"}}).data
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Nope": 1}}).status == 400
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Last Modified": "2020-01-01"}})
    assert resp.status == 400 and "computed" in resp.json["error"]
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {}}).status == 400
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"List": "purgatory"}}).status == 400
    assert admin.patch(f"/api/fundraising/rows/{uuid.uuid4()}", {"values": {"Name": "x"}}).status == 404
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"value": {"Name": "x"}}).status == 400


def test_column_management(admin):
    col = add_column(admin, unique("Owner"), "single_select", {"choices": ["Ann", "Bo"]})
    assert admin.post("/api/fundraising/columns", {"name": col["name"].upper(), "type": "text"}).status == 409
    assert admin.post("/api/fundraising/columns", {"name": "X", "type": "hologram"}).status == 400
    resp = admin.post("/api/fundraising/columns", {"name": unique("F"), "type": "formula",
                                                   "options": {"formula": "1+"}})
    assert resp.status == 422 and resp.json["code"] == "formula_syntax"
    renamed = admin.patch(f"/api/fundraising/columns/{col['id']}", {"name": col["name"] + " (deal)", "frozen": True,
                                                                    "width": 180, "position": 1})
    assert renamed.status == 200 and renamed.data["frozen"] is True and renamed.data["position"] == 1
    assert renamed.data["width"] == 180
    assert admin.patch(f"/api/fundraising/columns/{col['id']}", {"type": "number"}).status == 400
    name_col = columns_by_name(admin)["Name"]
    assert admin.delete(f"/api/fundraising/columns/{name_col['id']}").status == 400
    assert admin.patch(f"/api/fundraising/columns/{name_col['id']}", {"name": "Investor"}).status == 200
    assert admin.patch(f"/api/fundraising/columns/{name_col['id']}", {"name": "Name"}).status == 200


def test_archived_column_keeps_values_and_restores(admin):
    col = add_column(admin, unique("Region"), "text")
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Archivist", col["id"]: "EMEA"}}).data
    assert admin.delete(f"/api/fundraising/columns/{col['id']}").status == 200
    grid = admin.get("/api/fundraising/grid").data
    assert col["id"] not in {c["id"] for c in grid["columns"]}
    assert col["id"] not in next(r for r in grid["rows"] if r["id"] == row["id"])["values"]
    archived = admin.get("/api/fundraising/columns?include_archived=1").data
    assert any(c["id"] == col["id"] and c["archived_at"] for c in archived)
    assert admin.post(f"/api/fundraising/columns/{col['id']}/restore").status == 200
    assert admin.get(f"/api/fundraising/rows/{row['id']}").data["values"][col["id"]] == "EMEA"


def test_two_clients_edit_same_row_different_cells_merge_same_cell_conflicts(server, admin):
    other = sign_in(server, make_user(admin)["username"])
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Merge Capital"}}).data
    v0 = row["version"]
    first = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Meeting"}, "expected_version": v0})
    assert first.status == 200
    second = other.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Lead Source": "Conference"},
                                                                "expected_version": v0})
    assert second.status == 200, second  # a different cell: both land
    names = columns_by_name(admin)
    values = second.data["values"]
    assert values[names["Status"]["id"]] == "Meeting" and values[names["Lead Source"]["id"]] == "Conference"
    clash = other.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}, "expected_version": v0})
    assert clash.status == 409 and clash.json["code"] == "version_conflict"
    assert "'Status'" in clash.json["error"]
    assert clash.json["current"]["values"][names["Status"]["id"]] == "Meeting"
    assert clash.json["conflicts"][0]["by"] == admin.user["username"]
    retry = other.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Diligence"},
                                                               "expected_version": clash.json["current"]["version"]})
    assert retry.status == 200
    assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "x"},
                                                              "expected_version": 10 ** 6}).status == 400


def test_concurrent_edits_to_different_cells_all_land(admin):
    cols = [add_column(admin, unique("C"), "number") for _ in range(8)]
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Hammered"}}).data
    errors = []

    def edit(col, n):
        client = type(admin)(admin.port, admin.token)
        version = row["version"]  # each client knows only what its own responses told it
        for i in range(10):
            resp = client.patch(f"/api/fundraising/rows/{row['id']}",
                                {"values": {col["id"]: n * 100 + i}, "expected_version": version})
            if resp.status != 200:
                errors.append(resp)
            else:
                version = resp.data["version"]

    threads = [threading.Thread(target=edit, args=(c, n)) for n, c in enumerate(cols)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = admin.get(f"/api/fundraising/rows/{row['id']}").data
    assert [final["values"][c["id"]] for c in cols] == [n * 100 + 9 for n in range(8)]
    assert final["version"] == row["version"] + 80


def test_noop_edit_does_not_bump_version(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Same Same", "Status": "Meeting"}}).data
    again = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Name": "Same Same", "Status": "meeting"}})
    assert again.data["version"] == row["version"]


def test_archive_restore_and_history(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Ghost Ventures"}}).data
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Contacted"}})
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Meeting"}})
    archived = admin.delete(f"/api/fundraising/rows/{row['id']}")
    assert archived.status == 200 and archived.data["archived_at"]
    assert row["id"] not in {r["id"] for r in admin.get("/api/fundraising/grid").data["rows"]}
    assert row["id"] in {r["id"] for r in admin.get("/api/fundraising/grid?include_archived=1").data["rows"]}
    resp = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})
    assert resp.status == 409 and resp.json["code"] == "archived"
    assert admin.delete(f"/api/fundraising/rows/{row['id']}").status == 409
    assert admin.post(f"/api/fundraising/rows/{row['id']}/restore").status == 200
    assert row["id"] in {r["id"] for r in admin.get("/api/fundraising/grid").data["rows"]}
    history = admin.get(f"/api/fundraising/rows/{row['id']}/history").data
    kinds = [h["kind"] for h in history]
    assert kinds[:2] == ["row_restored", "row_archived"] and kinds[-1] == "row_created"
    status = [h for h in history if h["column_name"] == "Status"]
    assert [(h["old"], h["new"]) for h in status] == [("Contacted", "Meeting"), (None, "Contacted")]
    assert status[0]["by"]["name"] == admin.user["username"]
    audit = admin.get(f"/api/audit-log?entity_type=investor&entity_id={row['id']}").data
    assert {"investor.created", "investor.updated", "investor.archived", "investor.restored"} <= {a["action"] for a in audit}
    update = next(a for a in audit if a["action"] == "investor.updated" and "Status" in a["details"])
    assert update["details"]["Status"] == {"old": "Contacted", "new": "Meeting"}


def test_contacts_cell_edits_people_and_archives_removed(server, admin):
    contacts = columns_by_name(admin)["Contacts"]["id"]
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Family Office", contacts: [
        {"name": "Ann", "email": "ann@fo.example"}, {"name": "Bo", "email": "bo@fo.example"}]}}).data
    ann, bo = row["values"][contacts]
    edited = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {contacts: [
        {"id": ann["id"], "name": "Ann Lee", "email": "ann@fo.example", "title": "CIO"},
        {"name": "Cy", "email": "cy@fo.example"}]}}).data
    people = edited["values"][contacts]
    assert [p["name"] for p in people] == ["Ann Lee", "Cy"] and people[0]["id"] == ann["id"]
    import sqlite3
    with sqlite3.connect(server.data_dir / "crm.db") as conn:
        bo_row = conn.execute("SELECT archived_at FROM contacts WHERE id = ?", (bo["id"],)).fetchone()
    assert bo_row is not None and bo_row[0] is not None  # archived, never deleted
    bad = admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {contacts: [{"email": "nope"}]}})
    assert bad.status == 400 and "Contacts" in bad.json["error"]


def test_grid_shapes_agree_and_gzip(admin):
    admin.post("/api/fundraising/rows", {"values": {"Name": "Shape Shifter", "Status": "Meeting"}})
    full = admin.get("/api/fundraising/grid").data
    compact = admin.get("/api/fundraising/grid?shape=compact").json["data"]
    assert compact["version"] == full["version"]
    ids = [c["id"] for c in compact["columns"]]
    for row, packed in zip(full["rows"], compact["rows"]):
        assert packed[0] == row["id"] and packed[1] == row["version"]
        assert dict(zip(ids, packed[2:])) == row["values"]
    zipped = admin.get("/api/fundraising/grid?shape=compact", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.body))["data"] == compact
    assert admin.get("/api/fundraising/grid?shape=weird").status == 400


def test_service_token_scopes_on_grid(server, admin):
    reader = server.client(api_key=admin.post("/api/admin/service-tokens",
                                              {"name": "reader", "scopes": ["grid:read"]}).data["token"])
    writer = server.client(api_key=admin.post("/api/admin/service-tokens",
                                              {"name": "writer", "scopes": ["grid:write"]}).data["token"])
    assert reader.get("/api/fundraising/grid").status == 200
    assert reader.post("/api/fundraising/rows", {"values": {"Name": "Nope"}}).status == 403
    created = writer.post("/api/fundraising/rows", {"values": {"Name": "Bot Capital"}})
    assert created.status == 201
    assert writer.get("/api/fundraising/grid").status == 403
    history = admin.get(f"/api/fundraising/rows/{created.data['id']}/history").data
    assert history[-1]["by"] == {"type": "service", "id": history[-1]["by"]["id"], "name": "writer"}


def test_snapshot_state_put_and_export(start_server):
    fresh = start_server()
    admin = fresh.bootstrap()
    a = admin.post("/api/fundraising/rows", {"values": {"Name": "Alpha"}}).data
    b = admin.post("/api/fundraising/rows", {"values": {"Name": "Beta"}}).data
    state = admin.get("/api/fundraising/state").data
    assert {r["id"] for r in state["rows"]} == {a["id"], b["id"]} and "views" in state
    stale = admin.put("/api/fundraising/state", {"expected_version": state["version"] - 1, "rows": []})
    assert stale.status == 409 and stale.json["current_version"] == state["version"]
    resp = admin.put("/api/fundraising/state", {"expected_version": state["version"], "rows": [
        {"id": a["id"], "values": {"Name": "Alpha Prime"}}, {"values": {"Name": "Gamma", "Status": "Meeting"}}]})
    assert resp.status == 200, resp
    assert {k: resp.data[k] for k in ("created", "updated", "archived")} == {"created": 1, "updated": 1, "archived": 1}
    grid = admin.get("/api/fundraising/grid").data
    names = sorted(r["values"][grid["columns"][0]["id"]] for r in grid["rows"])
    assert names == ["Alpha Prime", "Gamma"]
    export = admin.get("/api/fundraising/export")
    assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
    doc = export.data
    assert len(doc["rows"]) == 3  # archived Beta is in the export
    assert {c["name"] for c in doc["columns"]} >= {"Name", "Status"} and "automations" in doc
    bad = admin.put("/api/fundraising/state", {"expected_version": resp.data["version"], "rows": [{"values": {"Nope": 1}}]})
    assert bad.status == 400
    assert len(admin.get("/api/fundraising/grid").data["rows"]) == 2  # nothing half-written


def test_edit_cost_does_not_scan_the_grid(admin):
    """An edit's statements touch one row: the change log query is indexed by investor."""
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Indexed"}}).data
    t0 = time.perf_counter()
    for i in range(50):
        assert admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Notes": f"n{i}"}}).status == 200
    assert (time.perf_counter() - t0) / 50 < 0.05


@pytest.mark.parametrize("kill_after", [60, 173, 311])
def test_acknowledged_cell_edits_survive_sigkill(tmp_path, kill_after):
    """Edits race a SIGKILL at several points; after restart every edit that got a 200 is there
    (the latest acknowledged value of each cell), the database is intact, and the grid loads."""
    import sqlite3
    data = tmp_path / "data"
    srv = launch(data)
    admin = srv.bootstrap()
    col = add_column(admin, "Ticket", "currency")
    rows = [admin.post("/api/fundraising/rows", {"values": {"Name": f"Kill {i}"}}).data["id"] for i in range(4)]

    def edit(client, n, i):
        resp = client.patch(f"/api/fundraising/rows/{rows[n]}", {"values": {col["id"]: i}})
        return (rows[n], i) if resp.status == 200 else None

    acks = kill_during_writes(srv, edit, threads=4, min_acks=kill_after)
    last = {}
    for row_id, value in acks:
        last[row_id] = max(value, last.get(row_id, -1))
    with sqlite3.connect(data / "crm.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = launch(data)
    try:
        client = again.client(admin.token)
        for row_id, value in last.items():
            stored = client.get(f"/api/fundraising/rows/{row_id}").data["values"][col["id"]]
            assert stored >= value  # a later write may have landed after its response was lost
        assert client.get("/api/fundraising/grid").status == 200
    finally:
        again.stop()


def test_batch_edit_is_all_or_nothing(admin):
    rows = [admin.post("/api/fundraising/rows", {"values": {"Name": f"Batch {i}"}}).data for i in range(3)]
    ok = admin.patch("/api/fundraising/rows", {"rows": [
        {"id": r["id"], "values": {"Status": "Meeting", "Notes": f"pasted {i}"}, "expected_version": r["version"]}
        for i, r in enumerate(rows)]})
    assert ok.status == 200 and [r["id"] for r in ok.data] == [r["id"] for r in rows]
    notes = columns_by_name(admin)["Notes"]["id"]
    assert [r["values"][notes] for r in ok.data] == ["pasted 0", "pasted 1", "pasted 2"]
    bad = admin.patch("/api/fundraising/rows", {"rows": [
        {"id": rows[0]["id"], "values": {"Notes": "changed"}},
        {"id": rows[1]["id"], "values": {"Last Contact": "not a date"}}]})
    assert bad.status == 400 and "Last Contact" in bad.json["error"]
    assert admin.get(f"/api/fundraising/rows/{rows[0]['id']}").data["values"][notes] == "pasted 0"
    stale = admin.patch("/api/fundraising/rows", {"rows": [
        {"id": rows[2]["id"], "values": {"Notes": "late"}, "expected_version": rows[2]["version"]}]})
    assert stale.status == 409 and stale.json["row_id"] == rows[2]["id"]
    for body in ({"rows": []}, {"rows": [{"id": rows[0]["id"]}, {"id": rows[0]["id"]}]}, {"rows": [{"values": {}}]}):
        assert admin.patch("/api/fundraising/rows", body).status == 400


def test_meta_lists_types_operators_and_functions(admin):
    meta = admin.get("/api/fundraising/meta").data
    assert "currency" in meta["column_types"] and meta["type_kinds"]["currency"] == "number"
    assert ">=" in meta["operators"]["number"] and "is_within_last" in meta["operators"]["date"]
    assert {f["name"] for f in meta["functions"]} >= {"IF", "SUM", "DATETIME_DIFF", "REGEX_MATCH"}
    assert meta["lists"] == ["main", "follow_up", "graveyard", "longshot"]
    assert all("kind" in c for c in admin.get("/api/fundraising/columns").data)


def test_sample_grid_loads_once_into_an_empty_grid(start_server):
    admin = start_server().bootstrap()
    resp = admin.post("/api/fundraising/sample")
    assert resp.status == 201 and resp.data["created"] == 30
    grid = admin.get("/api/fundraising/grid").data
    names = [c["name"] for c in grid["columns"]]
    assert {"Fund I", "Fund II", "Fund III"} <= set(names)
    fund3 = next(c for c in grid["columns"] if c["name"] == "Fund III")
    assert fund3["options"]["target"] == 200_000_000 and any(r["values"][fund3["id"]] for r in grid["rows"])
    lists = admin.get("/api/fundraising/lists").data
    assert lists["graveyard"] == 3  # the Passed investors, moved by the default rule as they were created
    assert admin.post("/api/fundraising/sample").status == 409


def test_bulk_create_and_archived_ids_in_compact_shape(admin):
    resp = admin.post("/api/fundraising/rows/bulk", {"rows": [{"values": {"Name": "Bulk A"}},
                                                              {"values": {"Name": "Bulk B", "Status": "Meeting"}}]})
    assert resp.status == 201 and len(resp.data) == 2
    bad = admin.post("/api/fundraising/rows/bulk", {"rows": [{"values": {"Name": "Bulk C"}},
                                                             {"values": {"Last Contact": "nope"}}]})
    assert bad.status == 400 and "rows[1]" in bad.json["error"]
    assert "Bulk C" not in json.dumps(admin.get("/api/fundraising/grid").data)
    admin.delete(f"/api/fundraising/rows/{resp.data[0]['id']}")
    compact = admin.get("/api/fundraising/grid?shape=compact&include_archived=1").data
    assert resp.data[0]["id"] in compact["archived_ids"]
    assert "archived_ids" not in admin.get("/api/fundraising/grid?shape=compact").data


def test_in_process_app_cache_follows_writes_and_resets(app):
    from backend.principal import system
    actor = system("test")
    before = app.grid.version()
    row = app.grid.create_row(actor, {"Name": "In-Process Capital"})
    assert app.grid.version() > before and app.grid.get_row(row["id"])["values"]
    # A reset (what a restore does) drops the cache; the next read rebuilds it from the tables.
    app.db.reset_caches()
    assert app.grid.cache.seq == -1
    names = [values for rid, values in app.grid.live_rows() if rid == row["id"]]
    assert names and app.grid.cache.seq == app.grid.version() > before


def test_readers_never_wait_behind_a_write_and_see_only_commits(app):
    import threading
    import time as _time
    from backend.principal import system
    actor = system("test")
    row = app.grid.create_row(actor, {"Name": "Before LP"})
    name_col = next(c["id"] for c in app.grid.columns() if c.get("primary"))
    inside, release = threading.Event(), threading.Event()

    def slow_write(conn, columns):
        # The edit is made in the transaction, then the write waits (like a long import).
        app.grid._edit_row(conn, actor, columns, row["id"], {"Name": "After LP"}, None)
        inside.set()
        release.wait(10)

    writer = threading.Thread(target=lambda: app.grid._write(slow_write))
    writer.start()
    assert inside.wait(5)
    started = _time.perf_counter()
    seen = app.grid.get_row(row["id"])["values"][name_col]
    body, _ = app.grid.grid_response("compact")
    listed = dict(app.grid.live_rows())[row["id"]][name_col]
    waited = _time.perf_counter() - started
    release.set()
    writer.join(5)
    assert waited < 0.5, f"readers waited {waited:.2f} s behind the write"
    assert seen == listed == "Before LP" and b"After LP" not in body  # nothing uncommitted is visible
    assert app.grid.get_row(row["id"])["values"][name_col] == "After LP"  # published at commit
    assert b"After LP" in app.grid.grid_response("compact")[0]


def test_a_write_that_fails_leaves_what_readers_see_unchanged(app):
    from backend.principal import system
    actor = system("test")
    row = app.grid.create_row(actor, {"Name": "Steady LP"})
    name_col = next(c["id"] for c in app.grid.columns() if c.get("primary"))
    version = app.grid.version()

    def failing(conn, columns):
        app.grid._edit_row(conn, actor, columns, row["id"], {"Name": "Ghost LP"}, None)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        app.grid._write(failing)
    assert app.grid.version() == version
    assert app.grid.get_row(row["id"])["values"][name_col] == "Steady LP"
    # The next write rebuilds the working copy from the tables and carries on.
    app.grid.update_row(actor, row["id"], {"Name": "Moving LP"})
    assert app.grid.get_row(row["id"])["values"][name_col] == "Moving LP" and app.grid.version() > version


def test_shed_empties_big_lists_and_dicts_in_slices():
    from backend.grid.cache import SHED_SLICE, shed
    rows = [(i, str(i)) for i in range(3 * SHED_SLICE + 7)]
    by_id = {str(i): [i] for i in range(2 * SHED_SLICE + 3)}
    kept = by_id["5"]
    other = ("a tuple", "is left alone")
    shed(rows, by_id, other, None)
    assert rows == [] and by_id == {} and kept == [5] and other == ("a tuple", "is left alone")


def test_new_fund_columns_sit_after_name_list_and_status_in_creation_order(start_server):
    admin = start_server().bootstrap()
    names = lambda: [c["name"] for c in admin.get("/api/fundraising/columns").data]  # noqa: E731
    # A fund placed by hand at the end (as funds were before) stays where it was put.
    legacy = add_column(admin, "Fund 2019", "fund", position=len(names()))
    assert names()[-1] == "Fund 2019" and legacy["position"] == len(names()) - 1
    add_column(admin, "Ticket", "currency")  # other types still go last
    first = add_column(admin, "Fund I", "fund")
    second = add_column(admin, "Fund II", "fund")
    assert (first["position"], second["position"]) == (3, 4)
    got = names()
    assert got[:6] == ["Name", "List", "Status", "Fund I", "Fund II", "Contacts"], got
    assert got[-2:] == ["Fund 2019", "Ticket"]
    # A single select moved beside Status belongs to the leading block; an explicit position wins.
    type_col = add_column(admin, "Type", "single_select", {"choices": ["LP", "Angel"]}, position=3)
    assert type_col["position"] == 3
    add_column(admin, "Fund III", "fund")
    add_column(admin, "Fund X", "fund", position=1)
    assert names()[:8] == ["Name", "Fund X", "List", "Status", "Type", "Fund I", "Fund II", "Fund III"], names()


def test_sample_grid_puts_its_funds_on_the_first_screen(start_server):
    admin = start_server().bootstrap()
    assert admin.post("/api/fundraising/sample").status == 201
    columns = admin.get("/api/fundraising/grid").data["columns"]
    assert [c["name"] for c in columns][:6] == ["Name", "List", "Status", "Fund I", "Fund II", "Fund III"]
    assert [c["position"] for c in columns if c["type"] == "fund"] == [3, 4, 5]


def test_insert_above_and_below_place_the_row_and_other_readers_see_it_there(fresh_server):
    srv, admin = fresh_server
    made = [admin.post("/api/fundraising/rows", {"values": {"Name": f"Row {i}"}}).data["id"] for i in range(3)]
    version = admin.get("/api/fundraising/grid").data["version"]
    above = admin.post("/api/fundraising/rows", {"values": {"Name": "Above 1"}, "before": made[1]})
    below = admin.post("/api/fundraising/rows", {"values": {"Name": "Below 2"}, "after": made[2]})
    first = admin.post("/api/fundraising/rows", {"values": {"Name": "First"}, "before": made[0]})
    assert above.status == below.status == first.status == 201

    def names(path="/api/fundraising/grid"):
        grid = admin.get(path).data
        name_col = next(c["id"] for c in grid["columns"] if c["primary"])
        return [r["values"][name_col] for r in grid["rows"]]
    expected = ["First", "Row 0", "Above 1", "Row 1", "Row 2", "Below 2"]
    assert names() == expected
    compact = admin.get("/api/fundraising/grid?shape=compact").data
    name_index = next(i for i, c in enumerate(compact["columns"]) if c["primary"])
    assert [r[name_index + 2] for r in compact["rows"]] == expected
    # The change feed says which rows a new one went between, so other browsers place it too.
    feed = admin.get(f"/api/fundraising/changes?since={version}").data
    created = {c["row_id"]: c["value"] for c in feed["changes"] if c["kind"] == "row_created"}
    assert created[above.data["id"]] == {"after": made[0], "before": made[1]}
    assert created[below.data["id"]] == {"after": made[2], "before": None}
    assert created[first.data["id"]] == {"after": None, "before": made[0]}
    # Order survives a restart (it is in the table, not only in memory); an unsorted view and the
    # CSV export follow it.
    srv.stop()
    srv2 = launch(srv.data_dir, port=srv.port)
    admin = sign_in(srv2, "admin")
    assert names() == expected
    assert names(f"/api/fundraising/views/{admin.post('/api/fundraising/views', {'name': 'Everyone'}).data['id']}/rows") \
        == expected
    csv_names = [line.split(",")[0] for line in admin.get("/api/fundraising/export.csv").body.decode().splitlines()[1:]]
    assert csv_names == expected


def test_insert_refuses_unknown_rows_and_both_sides(admin):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Anchor"}}).data
    missing = admin.post("/api/fundraising/rows", {"values": {"Name": "Lost"}, "before": "no-such-row"})
    assert missing.status == 400 and "no-such-row" in missing.json["error"] and missing.json["field"] == "before"
    both = admin.post("/api/fundraising/rows", {"values": {}, "before": row["id"], "after": row["id"]})
    assert both.status == 400 and "not both" in both.json["error"]
    bad = admin.post("/api/fundraising/rows", {"values": {}, "after": 7})
    assert bad.status == 400 and "after" in bad.json["error"]
    assert "Lost" not in json.dumps(admin.get("/api/fundraising/grid").data)


def test_inserting_many_times_at_one_spot_keeps_the_order(app):
    """Each insert halves the gap between two rows; when it runs out every row is spaced out again
    (in the table and the working copy alike) and the order holds."""
    from backend.principal import system
    actor = system("test")
    top = app.grid.create_row(actor, {"Name": "Top"})["id"]
    bottom = app.grid.create_row(actor, {"Name": "Bottom"})["id"]
    inserted = [app.grid.create_row(actor, {"Name": f"Insert {i}"}, before=bottom)["id"] for i in range(80)]
    expected = [top, *inserted, bottom]
    assert [rid for rid, _ in app.grid.live_rows()] == expected
    with app.db.read() as conn:
        positions = [r[0] for r in conn.execute("SELECT id FROM investors ORDER BY position")]
        assert positions == expected
    app.db.reset_caches()  # rebuilt from the table: the same order
    assert [rid for rid, _ in app.grid.live_rows()] == expected


def test_the_investor_picker_finds_live_investors_by_part_of_the_name(admin, member):
    tag = unique("Picker")
    made = [admin.post("/api/fundraising/rows", {"values": {"Name": name}}).data
            for name in (f"{tag} Alpha Partners", f"Beta {tag} Trust", f"{tag} Gone")]
    assert admin.delete(f"/api/fundraising/rows/{made[2]['id']}").status == 200
    found = member.get(f"/api/fundraising/investors?q={quote(tag.lower())}").data
    assert [f["name"] for f in found] == [f"{tag} Alpha Partners", f"Beta {tag} Trust"]  # starts-with first
    assert member.get("/api/fundraising/investors?q=%25_%25").data == []  # LIKE wildcards are literal
    assert len(member.get("/api/fundraising/investors?limit=2").data) == 2
    assert member.get("/api/fundraising/investors?limit=0").status == 400
