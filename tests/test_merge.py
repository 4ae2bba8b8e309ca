"""Merging two investors over HTTP (grid/merge.py through the duplicates routes): the preview and its
conflicts, the survivor's union of people, commitments, cells, notes, interactions, tasks,
opportunities and email links, the merged row archived with its pointer, the change feed; unmerge
restoring both field by field (and keeping a cell edited since, naming it); 409 under a
concurrent edit."""
from __future__ import annotations

import sqlite3

import pytest

import mailgen
from helpers import add_column, columns_by_name, import_mbox, seed_mail_investors


def people(row, cols):
    return [(p["name"], p["email"]) for p in row["values"].get(cols["Contacts"]["id"]) or []]


def stable(row, cols):
    """The values a merge may touch and an unmerge must give back (computed columns aside)."""
    return {name: row["values"].get(c["id"]) for name, c in cols.items() if c.get("editable")}


@pytest.fixture
def grid(fresh_server):
    srv, admin = fresh_server
    fund = add_column(admin, "Fund III", "fund", {"vintage": 2026})
    add_column(admin, "Website", "text")
    cols = columns_by_name(admin)
    a = admin.post("/api/fundraising/rows", {"values": {
        "Name": "Acme Capital LLC", "Status": "Meeting", "Website": "acme.example", "Notes": "from the import",
        "Fund III": 100000, "Contacts": [{"name": "Ann Lee", "email": "ann@acme.example"},
                                         {"name": "Bob Roe", "email": "bob@acme.example", "title": "CFO"}]}}).data
    b = admin.post("/api/fundraising/rows", {"values": {
        "Name": "Acme Capital", "Notes": "hand entry", "Fund III": 250000,
        "Contacts": [{"name": "Ann Lee", "email": "ANN@acme.example"}]}}).data
    assert admin.post("/api/pipeline/opportunities", {"investor_id": a["id"], "fund_id": fund["id"],
                                                      "stage": "Diligence", "expected_amount": 500000}).status in (200, 201)
    assert admin.post(f"/api/fundraising/rows/{a['id']}/interactions", {"summary": "Met the CIO"}).status == 201
    task = admin.post("/api/tasks", {"title": "Send the deck", "investor_id": a["id"]})
    assert task.status == 201, task
    cols = columns_by_name(admin)
    return srv, admin, cols, admin.get(f"/api/fundraising/rows/{a['id']}").data, b, task.data


def test_merge_and_unmerge_round_trip(grid):
    srv, admin, cols, a, b, task = grid
    a_before, b_before = stable(a, cols), stable(admin.get(f"/api/fundraising/rows/{b['id']}").data, cols)
    version = admin.get("/api/fundraising/changes?since=0").data["version"]

    preview = admin.post(f"/api/fundraising/rows/{a['id']}/merge-preview", {"into": b["id"]})
    assert preview.status == 200, preview
    fields = {f["name"]: f for f in preview.data["fields"]}
    assert fields["Fund III"]["conflict"] and fields["Fund III"]["kind"] == "commitment"
    assert fields["Fund III"]["default"] == "b"
    assert fields["Website"]["default"] == "a" and not fields["Website"]["conflict"]
    assert fields["Notes"]["default"] == "both"
    assert [p["email"] for p in preview.data["people"]["moving"]] == ["bob@acme.example"]
    assert preview.data["interactions"] == 1
    pipeline = next(n for n, c in cols.items() if c["type"] == "pipeline")
    assert fields[pipeline]["kind"] == "opportunity" and fields[pipeline]["default"] == "a"

    merged = admin.post(f"/api/fundraising/rows/{a['id']}/merge", {
        "into": b["id"], "choices": {cols["Fund III"]["id"]: "a"}, "expected_versions": preview.data["versions"]})
    assert merged.status == 200, merged
    survivor = merged.data
    assert survivor["id"] == b["id"] and survivor["merge_id"]
    values = {n: survivor["values"].get(c["id"]) for n, c in cols.items()}
    assert values["Name"] == "Acme Capital"                  # the survivor's unless chosen
    assert values["Fund III"] == 100000                       # the conflict, decided by the choice
    assert values["Website"] == "acme.example" and values["Status"] == "Meeting"  # empty cells filled
    assert values["Notes"] == "hand entry\n\nfrom the import"
    assert people(survivor, cols) == [("Ann Lee", "ann@acme.example"), ("Bob Roe", "bob@acme.example")]
    assert values[pipeline]["stage"] == "Diligence" and values[pipeline]["expected_amount"] == 500000

    gone = admin.get(f"/api/fundraising/rows/{a['id']}").data
    assert gone.get("archived_at")
    touches = admin.get(f"/api/fundraising/rows/{b['id']}/interactions").data
    assert [t["summary"] for t in touches] == ["Met the CIO"]
    assert admin.get(f"/api/fundraising/rows/{a['id']}/interactions").data == []
    tasks = admin.get(f"/api/tasks?investor_id={b['id']}&owner=all").data
    assert [t["id"] for t in tasks] == [task["id"]]
    board = admin.get(f"/api/pipeline?fund={cols['Fund III']['id']}").data
    assert b["id"] in str(board) and a["id"] not in str(board)
    with sqlite3.connect(srv.data_dir / "crm.db") as conn:
        assert conn.execute("SELECT merged_into FROM investors WHERE id = ?", (a["id"],)).fetchone()[0] == b["id"]
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'investor.merged' AND entity_id = ?",
                            (b["id"],)).fetchone()[0] == 1

    feed = admin.get(f"/api/fundraising/changes?since={version}").data
    kinds = {(c["kind"], c["row_id"], c["column_id"]) for c in feed["changes"]}
    assert ("cell", b["id"], cols["Fund III"]["id"]) in kinds and ("cell", b["id"], cols["Contacts"]["id"]) in kinds
    assert ("row_archived", a["id"], None) in kinds
    assert {r["id"] for r in feed["rows"]} >= {a["id"], b["id"]}

    back = admin.post(f"/api/fundraising/rows/{a['id']}/unmerge")
    assert back.status == 200, back
    assert back.data["kept"] == []
    a_after = admin.get(f"/api/fundraising/rows/{a['id']}").data
    b_after = admin.get(f"/api/fundraising/rows/{b['id']}").data
    assert not a_after.get("archived_at")
    assert stable(a_after, cols) == a_before  # field by field, opportunity (same id) included
    assert stable(b_after, cols) == b_before
    assert [t["summary"] for t in admin.get(f"/api/fundraising/rows/{a['id']}/interactions").data] == ["Met the CIO"]
    assert admin.get(f"/api/fundraising/rows/{b['id']}/interactions").data == []
    assert [t["id"] for t in admin.get(f"/api/tasks?investor_id={a['id']}&owner=all").data] == [task["id"]]
    with sqlite3.connect(srv.data_dir / "crm.db") as conn:
        assert conn.execute("SELECT merged_into FROM investors WHERE id = ?", (a["id"],)).fetchone()[0] is None
    again = admin.post(f"/api/fundraising/rows/{a['id']}/unmerge")
    assert again.status == 409 and again.json["code"] == "not_merged"


def test_unmerge_keeps_a_cell_edited_since_and_names_it(grid):
    srv, admin, cols, a, b, task = grid
    assert admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"]}).status == 200
    edited = admin.patch(f"/api/fundraising/rows/{b['id']}", {"values": {"Website": "acme.example/new"}})
    assert edited.status == 200
    back = admin.post(f"/api/fundraising/rows/{a['id']}/unmerge")
    assert back.status == 200, back
    assert [k["column"] for k in back.data["kept"]] == ["Website"]
    survivor = admin.get(f"/api/fundraising/rows/{b['id']}").data["values"]
    assert survivor[cols["Website"]["id"]] == "acme.example/new"
    assert survivor[cols["Status"]["id"]] is None and survivor[cols["Notes"]["id"]] == "hand entry"
    assert survivor[cols["Fund III"]["id"]] == 250000


def test_merge_refuses_a_row_changed_since_the_preview(grid, member):
    srv, admin, cols, a, b, task = grid
    preview = admin.post(f"/api/fundraising/rows/{a['id']}/merge-preview", {"into": b["id"]}).data
    assert admin.patch(f"/api/fundraising/rows/{b['id']}", {"values": {"Website": "other.example"}}).status == 200
    refused = admin.post(f"/api/fundraising/rows/{a['id']}/merge",
                         {"into": b["id"], "expected_versions": preview["versions"]})
    assert refused.status == 409 and refused.json["code"] == "version_conflict"
    assert "'Website'" in refused.json["error"]
    assert not admin.get(f"/api/fundraising/rows/{a['id']}").data.get("archived_at")  # nothing written
    fresh = admin.post(f"/api/fundraising/rows/{a['id']}/merge-preview", {"into": b["id"]}).data
    ok = admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"], "expected_versions": fresh["versions"]})
    assert ok.status == 200 and ok.data["values"][cols["Website"]["id"]] == "other.example"


def test_merge_refuses_nonsense(grid):
    srv, admin, cols, a, b, task = grid
    assert admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": a["id"]}).status == 400
    assert admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": "nope"}).status == 404
    bad = admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"], "choices": {"Name": "c"}})
    assert bad.status == 400
    for body in ({"choices": ["a"]}, {"choices": {"nope": "a"}}, {"expected_versions": [1]},
                 {"expected_versions": {a["id"]: "one"}}):
        assert admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"], **body}).status == 400, body
    assert admin.post(f"/api/fundraising/rows/{b['id']}/unmerge").json["code"] == "not_merged"
    assert admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"]}).status == 200
    assert admin.post(f"/api/fundraising/rows/{b['id']}/merge", {"into": a["id"]}).status == 409  # a is archived
    restore = admin.post(f"/api/fundraising/rows/{a['id']}/restore")
    assert restore.status == 409 and restore.json["code"] == "merged"  # unmerge is the way back
    listed = next(i for i in admin.get("/api/admin/archive").data["investors"] if i["id"] == a["id"])
    assert listed["merged_into"] == {"id": b["id"], "name": "Acme Capital"}  # Admin -> Archive says so


def test_email_links_move_and_come_back(start_server):
    fixture = mailgen.generate()
    srv = start_server(CRM_TEAM_DOMAINS=mailgen.TEAM_DOMAIN, CRM_EMAIL_SYNC_INTERVAL_SECONDS="0")
    admin = srv.bootstrap()
    investors = seed_mail_investors(admin, fixture)
    assert import_mbox(admin, fixture, mailgen.TEAM_MAILBOXES[0]).status == 200
    db = srv.data_dir / "crm.db"

    def links(investor_id):
        with sqlite3.connect(db) as conn:
            return sorted(r[0] for r in conn.execute(
                "SELECT message_id FROM email_links WHERE investor_id = ? AND archived_at IS NULL", (investor_id,)))
    name, source = max(investors.items(), key=lambda item: len(links(item[1])))
    before = links(source)
    assert before
    twin = admin.post("/api/fundraising/rows", {"values": {"Name": name + " LLC"}}).data
    merged = admin.post(f"/api/fundraising/rows/{source}/merge", {"into": twin["id"]})
    assert merged.status == 200, merged
    assert links(source) == [] and links(twin["id"]) == before
    assert admin.post(f"/api/fundraising/rows/{source}/unmerge").status == 200
    assert links(source) == before and links(twin["id"]) == []


def test_merge_under_concurrent_edits(grid):
    """Edits of the survivor racing a merge: each lands whole before or after it, none is lost,
    and an unmerge after them keeps the last one."""
    import threading
    srv, admin, cols, a, b, task = grid
    other = srv.client(srv.admin_token)
    statuses = []

    def edit():
        for i in range(15):
            statuses.append(other.patch(f"/api/fundraising/rows/{b['id']}", {"values": {"Website": f"w{i}"}}).status)
    worker = threading.Thread(target=edit)
    worker.start()
    merged = admin.post(f"/api/fundraising/rows/{a['id']}/merge", {"into": b["id"]})
    worker.join()
    assert merged.status == 200 and statuses == [200] * 15
    survivor = admin.get(f"/api/fundraising/rows/{b['id']}").data
    assert survivor["values"][cols["Website"]["id"]] == "w14"
    assert people(survivor, cols) == [("Ann Lee", "ann@acme.example"), ("Bob Roe", "bob@acme.example")]
    assert admin.post(f"/api/fundraising/rows/{a['id']}/unmerge").status == 200
    assert admin.get(f"/api/fundraising/rows/{b['id']}").data["values"][cols["Website"]["id"]] == "w14"
    other.close()
