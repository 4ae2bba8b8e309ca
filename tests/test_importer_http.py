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
            if column == "Email":  # Primary Contact, Email and Phone are the investor's person
                got = row["Contacts"][0]["email"]
            assert got == value, (name, column, got, value)
    assert grid["Tundra Partners Inc."]["Contacts"] == [{"id": grid["Tundra Partners Inc."]["Contacts"][0]["id"],
                                                        "name": "John Novak", "email": "john.novak@tundra.com",
                                                        "phone": "+1 (512) 555-9711", "title": None}]
    assert "Email" not in grid["Tundra Partners Inc."] and "Primary Contact" not in grid["Tundra Partners Inc."]
    assert grid["Jasper Capital"]["Fund III"] == 12500.5  # the cents are kept
    # Funds sit right after Name, List and Status, in the file's order, not after Last Modified.
    names = [c["name"] for c in admin.get("/api/fundraising/columns").data]
    assert names[:6] == ["Name", "List", "Status", "Fund I", "Fund II", "Fund III"], names
    people = sum(len(r.get("Contacts") or []) for r in grid.values())
    assert people == 300
    audit_before = admin.get("/api/audit-log?limit=1").json["total"]
    again = post_csv(admin, "/api/fundraising/import", data, key="Name")
    assert again.status == 200
    assert (again.data["created"], again.data["updated"], again.data["unchanged"]) == (0, 0, 300)
    # only the import summary itself is audited: no entries for unchanged rows
    assert admin.get("/api/audit-log?limit=1").json["total"] - audit_before <= 1
    assert sum(len(r.get("Contacts") or []) for r in grid_by_name(admin).values()) == people  # nobody twice
    assert admin.get("/api/admin/archive").data["contacts"] == []  # and nobody replaced


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
    admin.post("/api/fundraising/columns", {"name": "Ticket", "type": "currency"})
    admin.post("/api/fundraising/columns", {"name": "Tags", "type": "multi_select"})
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


def people_of(client) -> dict:
    """Investor name -> its people as the Contacts column holds them."""
    return {name: values.get("Contacts") or [] for name, values in grid_by_name(client).items()}


CRM_EXPORT = (b"Name,Primary Contact,Email,Phone,Title,Secondary Contact,Secondary Email\r\n"
              b"Acme Capital,Ann Lee,ann@acme.com,+1 212 555 0100,CIO,Bo Chan,bo@acme.com\r\n"
              b"Birch Partners,Cy Diaz,cy@birch.io,,Partner,,\r\n"
              b"Cedar Fund,,,,,,\r\n")


def test_person_columns_become_people_and_reimport_matches_them_by_email(fresh_server):
    srv, admin = fresh_server
    preview = post_csv(admin, "/api/fundraising/import/preview", CRM_EXPORT).data
    assert preview["people"] == [
        {"person": 1, "columns": {"name": "Primary Contact", "email": "Email", "phone": "Phone", "title": "Title"}},
        {"person": 2, "columns": {"name": "Secondary Contact", "email": "Secondary Email"}}]
    contacts_id = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["type"] == "contacts")
    by_header = {c["name"]: c for c in preview["columns"]}
    assert by_header["Secondary Email"]["contact"] == {"person": 2, "field": "email"}
    assert by_header["Title"]["target"] == contacts_id and by_header["Title"]["type"] == "contacts"
    assert preview["new_columns"] == [] and preview["people_added"] == 3  # nothing becomes a loose column

    resp = post_csv(admin, "/api/fundraising/import", CRM_EXPORT)
    assert resp.status == 200 and (resp.data["created"], resp.data["people_added"]) == (3, 3), resp
    people = people_of(admin)
    strip = lambda ps: [{k: p[k] for k in ("name", "email", "phone", "title")} for p in ps]  # noqa: E731
    assert strip(people["Acme Capital"]) == [
        {"name": "Ann Lee", "email": "ann@acme.com", "phone": "+1 212 555 0100", "title": "CIO"},
        {"name": "Bo Chan", "email": "bo@acme.com", "phone": None, "title": None}]
    assert strip(people["Birch Partners"]) == [{"name": "Cy Diaz", "email": "cy@birch.io", "phone": None,
                                                "title": "Partner"}]
    assert people["Cedar Fund"] == []
    ann_id = people["Acme Capital"][0]["id"]

    again = post_csv(admin, "/api/fundraising/import", CRM_EXPORT).data
    assert (again["created"], again["updated"], again["unchanged"], again["people_added"]) == (0, 0, 3, 0)
    assert people_of(admin) == people  # the same people, the same ids: nobody created twice

    # The same person by email in another case (under a new spelling of her name, so the email is
    # what finds her), with a new phone and title: updated, not added.
    changed = CRM_EXPORT.replace(b"Ann Lee,ann@acme.com,+1 212 555 0100,CIO",
                                 b"Ann Lee-Smith,ANN@Acme.com,+1 212 555 0199,Managing Partner")
    preview = post_csv(admin, "/api/fundraising/import/preview", changed).data
    assert (preview["updated"], preview["changes_total"], preview["people_added"]) == (1, 1, 0)
    [change] = preview["changes"]
    assert change["name"] == "Acme Capital" and change["line"] == 2 and change["row_id"]
    [cell] = change["cells"]
    assert cell["column"] == "Contacts" and cell["column_id"] == contacts_id
    assert cell["old_text"] == "Ann Lee <ann@acme.com> · +1 212 555 0100 · CIO\nBo Chan <bo@acme.com>"
    assert cell["new_text"] == ("Ann Lee-Smith <ann@acme.com> · +1 212 555 0199 · Managing Partner\n"
                                "Bo Chan <bo@acme.com>")
    assert post_csv(admin, "/api/fundraising/import", changed).data["updated"] == 1
    after = people_of(admin)
    assert after["Acme Capital"][0] == {"id": ann_id, "name": "Ann Lee-Smith", "email": "ann@acme.com",
                                        "phone": "+1 212 555 0199", "title": "Managing Partner"}
    assert sum(map(len, after.values())) == sum(map(len, people.values())) == 3
    assert admin.get("/api/admin/archive").data["contacts"] == []

    # A bad email is a problem on its line, named by its CSV column; nothing is written. (Left to
    # inference, one bad cell in three makes the column text, not emails: a column of its own.)
    bad = post_csv(admin, "/api/fundraising/import", CRM_EXPORT.replace(b"cy@birch.io", b"cy at birch"),
                   mapping={"Email": {"contact": "email"}})
    assert bad.status == 422
    assert bad.json["data"]["errors"] == [{"line": 3, "column": "Email",
                                           "message": "'cy at birch' is not a valid email address"}]


def test_mapping_turns_people_off_or_into_another_person(fresh_server):
    srv, admin = fresh_server
    plain = {h: {"contact": False} for h in ("Primary Contact", "Email", "Phone", "Title",
                                             "Secondary Contact", "Secondary Email")}
    preview = post_csv(admin, "/api/fundraising/import/preview", CRM_EXPORT, mapping=plain).data
    assert preview["people"] == [] and all(c["contact"] is None for c in preview["columns"])
    resp = post_csv(admin, "/api/fundraising/import", CRM_EXPORT, mapping=plain)
    assert resp.status == 200 and "Secondary Email" in resp.data["new_columns"], resp
    grid = grid_by_name(admin)
    assert grid["Acme Capital"]["Email"] == "ann@acme.com" and grid["Acme Capital"]["Primary Contact"] == "Ann Lee"
    assert all(not values.get("Contacts") for values in grid.values())

    # A column the inference leaves alone ("Partner") made the second person's name by the mapping.
    data = b"Name,Contact,Partner,Partner Email\r\nDelta LP,Di Wu,Ed Fox,ed@delta.com\r\n"
    mapping = {"Partner": {"contact": "name", "person": 2}, "Partner Email": {"contact": "email", "person": 2}}
    assert post_csv(admin, "/api/fundraising/import", data, mapping=mapping).status == 200
    delta = people_of(admin)["Delta LP"]
    assert [(p["name"], p["email"]) for p in delta] == [("Di Wu", None), ("Ed Fox", "ed@delta.com")]

    for mapping, message in (
            ({"Partner": {"contact": "nickname"}}, "contact must be one of name, first_name"),
            ({"Partner": {"contact": "name", "to": "Notes"}}, "it takes no skip, to, type or options"),
            ({"Partner": {"contact": "name", "person": 0}}, "person must be a number from 1 to 10"),
            ({"Partner": {"contact": "name"}, "Contact": {"contact": "name"}}, "are both person 1's name"),
            ({"Partner": {"contact": "phone", "person": 3}}, "person 3 has a phone column but no name or email"),
            ({"Name": {"contact": "name", "person": 4}}, "the key column 'Name' cannot go to the contacts column")):
        resp = post_csv(admin, "/api/fundraising/import/preview", data, mapping=mapping)
        assert resp.status == 400 and message in resp.json["error"], (mapping, resp.json)
        assert resp.json.get("field") in ("mapping", "key")


def test_preview_lists_changed_cells_and_new_options(fresh_server):
    srv, admin = fresh_server
    first = b"Name,Status,Ticket\r\nAcme,Meeting,\"$1,000\"\r\nBirch,Contacted,$5\r\n"
    assert post_csv(admin, "/api/fundraising/import", first, mapping={
        "Ticket": {"to": "Ticket", "type": "currency"}}).status == 200
    second = (b"Name,Status,Ticket,Stage\r\nAcme,Term Sheet,\"$12,500.50\",Seed\r\nBirch,Contacted,$5,Seed\r\n"
              b"New Co,,,\r\n")
    preview = post_csv(admin, "/api/fundraising/import/preview", second).data
    assert (preview["created"], preview["updated"], preview["unchanged"]) == (1, 2, 0)
    assert preview["changes_total"] == 2 and [c["name"] for c in preview["changes"]] == ["Acme", "Birch"]
    acme = {c["column"]: c for c in preview["changes"][0]["cells"]}
    assert (acme["Status"]["old"], acme["Status"]["new"]) == ("Meeting", "Term Sheet")
    assert (acme["Ticket"]["old_text"], acme["Ticket"]["new_text"]) == ("$1,000", "$12,500.50")
    assert acme["Stage"]["old"] is None and acme["Stage"]["new_text"] == "Seed"
    status_id = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c["name"] == "Status")
    assert {"column_id": status_id, "column": "Status", "new_column": False, "options": ["Term Sheet"]} \
        in preview["new_options"]
    assert {"column_id": None, "column": "Stage", "new_column": True, "options": ["Seed"]} in preview["new_options"]
    assert admin.get("/api/fundraising/grid").data["rows"][0]["values"][status_id] == "Meeting"  # wrote nothing
    assert post_csv(admin, "/api/fundraising/import", second).data["updated"] == 2
    assert grid_by_name(admin)["Acme"]["Ticket"] == 12500.5  # cents kept in a whole-dollar column


def test_import_leaves_lists_alone_unless_rules_are_asked_for(fresh_server):
    srv, admin = fresh_server
    rules = admin.get("/api/fundraising/automations").data
    passed = next(r for r in rules if r["name"] == "Passed investors move to the graveyard")
    assert passed["enabled"] and passed["action"] == {"type": "move_to_list", "list": "graveyard"}
    # Edits only, whatever it was seeded with: a scheduled pass (5 s after start) is not the import.
    assert admin.patch(f"/api/fundraising/automations/{passed['id']}", {"trigger": "edit"}).status == 200
    data = b"Name,Status\r\nAcme,Passed\r\nBirch,Meeting\r\n"
    resp = post_csv(admin, "/api/fundraising/import", data)
    assert resp.status == 200 and resp.data["changed_by_rules"] == 0, resp
    lists = {name: values["List"] for name, values in grid_by_name(admin).items()}
    assert lists == {"Acme": "main", "Birch": "main"}
    # An update that sets Passed leaves the list alone too; ?run_rules=1 lets the rules act.
    post_csv(admin, "/api/fundraising/import", b"Name,Status\r\nBirch,Passed\r\n")
    assert grid_by_name(admin)["Birch"]["List"] == "main"
    # They act on the investors the file creates or changes (Birch: its Lead Source), as an edit would.
    ran = post_csv(admin, "/api/fundraising/import", b"Name,Status,Lead Source\r\nCedar,Passed,\r\n"
                   b"Birch,Passed,Referral\r\nAcme,Passed,\r\n", run_rules="1")
    assert ran.status == 200 and ran.data["changed_by_rules"] == 2, ran
    lists = {name: values["List"] for name, values in grid_by_name(admin).items()}
    assert lists == {"Acme": "main", "Birch": "graveyard", "Cedar": "graveyard"}
    entry = admin.get("/api/audit-log?action=import.completed&limit=1").json["data"][0]
    assert entry["details"]["run_rules"] is True and entry["details"]["changed_by_rules"] == 2
    assert post_csv(admin, "/api/fundraising/import", data, run_rules="maybe").status == 400
