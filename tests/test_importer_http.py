"""CSV import and export over HTTP against the real server: the Airtable fixture end to end,
idempotent re-import, all-or-nothing on errors, mapping, view export and round trip."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import quote


FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "airtable_investors.csv"
EXPECTED = json.loads(FIXTURE.with_name("airtable_investors.csv.expected.json").read_text())
CSV_HEADERS = {"Content-Type": "text/csv"}


def post_csv(client, path, data: bytes, **params):
    query = "&".join(f"{k}={quote(v if isinstance(v, str) else json.dumps(v))}" for k, v in params.items())
    return client.request("POST", path + (f"?{query}" if query else ""), raw=data, headers=CSV_HEADERS)


def grid_by_name(client) -> dict:
    grid = client.get("/api/fundraising/grid").data
    names = {c["id"]: c["name"] for c in grid["columns"]}
    name_col = next(c["id"] for c in grid["columns"] if c.get("primary"))
    return {r["values"][name_col]: {names[k]: v for k, v in r["values"].items()} for r in grid["rows"]}


def test_airtable_fixture_imports_exactly_and_reimport_changes_nothing(fresh_server):
    srv, admin = fresh_server
    data = FIXTURE.read_bytes()
    preview = post_csv(admin, "/api/fundraising/import/preview", data)
    assert preview.status == 200, preview
    p = preview.data
    assert p["row_count"] == 300 and p["created"] == 300 and p["errors"] == []
    types = {c["name"]: c["inferred_type"] for c in p["columns"]}
    assert types["Fund I"] == "fund" and types["Probability"] == "percent" and types["Accredited"] == "checkbox"
    assert types["Last Contact"] == "date" and types["Tags"] == "multi_select" and types["Deck"] == "text"
    assert all({"name", "inferred_type", "sample", "reason"} <= set(c) for c in p["columns"])
    assert next(c for c in p["columns"] if c["name"] == "Fund I")["reason"]  # the mapping screen's tooltip
    assert admin.get("/api/fundraising/grid").data["rows"] == []  # preview wrote nothing
    resp = post_csv(admin, "/api/fundraising/import", data, key="Name")
    assert resp.status == 200, resp
    assert (resp.data["created"], resp.data["updated"], resp.data["errors"]) == (300, 0, [])
    grid = grid_by_name(admin)
    assert len(grid) == 300
    for name, expected in EXPECTED.items():
        row = grid[name]
        for column, value in expected.items():
            got = row.get(column)
            if column == "Accredited":
                got = bool(got)
            assert got == value, (name, column, got, value)
    audit_before = admin.get("/api/audit-log?limit=1").json["total"]
    again = post_csv(admin, "/api/fundraising/import", data, key="Name")
    assert again.status == 200
    assert (again.data["created"], again.data["updated"], again.data["unchanged"]) == (0, 0, 300)
    # only the import summary itself is audited: no entries for unchanged rows
    assert admin.get("/api/audit-log?limit=1").json["total"] - audit_before <= 1


def test_import_is_all_or_nothing(fresh_server):
    srv, admin = fresh_server
    bad = b"Name,Ticket\r\nAcme,\"$1,000\"\r\nBirch,1.5M\r\nCedar,$500\r\n"
    resp = post_csv(admin, "/api/fundraising/import", bad, mapping={"Ticket": {"to": "Ticket", "type": "currency"}})
    assert resp.status == 422 and resp.json["code"] == "import_errors"
    errors = resp.json["data"]["errors"]
    assert errors and errors[0]["line"] == 3 and "1.5M" in errors[0]["message"]
    assert admin.get("/api/fundraising/grid").data["rows"] == []
    assert "Ticket" not in {c["name"] for c in admin.get("/api/fundraising/columns").data}


def test_broken_quoting_names_the_line(fresh_server):
    srv, admin = fresh_server
    resp = post_csv(admin, "/api/fundraising/import/preview", b'Name,Notes\nAcme,"ok"\nBirch,"never closed\nCedar,x\n')
    assert resp.status == 400 and "line 3" in resp.json["error"]


def test_upsert_by_normalised_key_with_mapping(fresh_server):
    srv, admin = fresh_server
    admin.post("/api/fundraising/rows", {"values": {"Name": "Acme Capital, LLC", "Status": "Meeting"}})
    data = b"Company,Stage,Internal\nacme capital llc,Committed,skip me\nNew Fund,Contacted,x\n"
    mapping = {"Company": {"to": "Name"}, "Stage": {"to": "Status"}, "Internal": {"skip": True}}
    resp = post_csv(admin, "/api/fundraising/import", data, key="Company", mapping=mapping)
    assert resp.status == 200, resp
    assert (resp.data["created"], resp.data["updated"]) == (1, 1)
    grid = grid_by_name(admin)
    assert grid["Acme Capital, LLC"]["Status"] == "Committed"  # matched, not duplicated
    assert grid["New Fund"]["Status"] == "Contacted"
    assert "Internal" not in {c["name"] for c in admin.get("/api/fundraising/columns").data}
    bad = post_csv(admin, "/api/fundraising/import", data, key="Company", mapping={"Nope": {"skip": True}})
    assert bad.status == 400


def test_wrong_content_type_and_size(start_server):
    srv = start_server(CRM_MAX_IMPORT_BYTES=2048)
    admin = srv.bootstrap()
    resp = admin.request("POST", "/api/fundraising/import/preview", raw=b"Name\nx\n",
                         headers={"Content-Type": "application/json"})
    assert resp.status == 415
    big = b"Name\n" + b"x" * 4096 + b"\n"
    assert admin.request("POST", "/api/fundraising/import", raw=big, headers=CSV_HEADERS).status == 413
    assert admin.request("POST", "/api/fundraising/import", raw=b"", headers=CSV_HEADERS).status == 400


def test_export_view_as_csv_safe_and_round_trips(fresh_server, start_server):
    srv, admin = fresh_server
    ticket = admin.post("/api/fundraising/columns", {"name": "Ticket", "type": "currency"}).data
    tags = admin.post("/api/fundraising/columns", {"name": "Tags", "type": "multi_select"}).data
    for name, status, amount, tag in (("Zeta", "Meeting", 500, ["A"]), ("Alpha", "Committed", -5000, ["A", "B"]),
                                      ("=HYPERLINK(\"x\")", "Meeting", 1_250_000, None), ("Omega", "Passed", 1, None)):
        admin.post("/api/fundraising/rows", {"values": {"Name": name, "Status": status, "Ticket": amount,
                                                        "Tags": tag, "Notes": "line 1\nline \"2\", ok"}})
    cols = {c["name"]: c["id"] for c in admin.get("/api/fundraising/columns").data}
    view = admin.post("/api/fundraising/views", {
        "name": "Not passed", "filter": {"op": "and", "conditions": [
            {"column_id": cols["Status"], "operator": "is_not", "value": "Passed"}]},
        "sort": [{"column_id": cols["Name"], "direction": "asc"}],
        "order": [cols["Name"], cols["Ticket"], cols["Status"]], "hidden": [cols["Last Modified"]]}).data
    resp = admin.get(f"/api/fundraising/export.csv?view={view['id']}")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.body.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["Name", "Ticket", "Status"] and "Last Modified" not in table[0]
    names = [r[0] for r in table[1:]]
    assert names == sorted(names, key=str.casefold) and "Omega" not in names
    injected = next(r for r in table[1:] if "HYPERLINK" in r[0])
    assert injected[0].startswith("'=")  # a spreadsheet will not run it
    assert next(r for r in table[1:] if r[0] == "Alpha")[1] == "-$5,000"
    # round trip: into an empty instance with the same column types, then back into the source
    other = start_server().bootstrap()
    other.post("/api/fundraising/columns", {"name": "Ticket", "type": "currency"})
    other.post("/api/fundraising/columns", {"name": "Tags", "type": "multi_select"})
    full = admin.get("/api/fundraising/export.csv").body
    assert post_csv(other, "/api/fundraising/import", full).status == 200
    mine, theirs = grid_by_name(admin), grid_by_name(other)
    computed = {"Last Modified"}
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert {k: v for k, v in mine[name].items() if k not in computed and k != "Contacts"} == \
               {k: v for k, v in theirs[name].items() if k not in computed and k != "Contacts"}
    back = post_csv(admin, "/api/fundraising/import", full)
    assert (back.data["created"], back.data["updated"]) == (0, 0)
