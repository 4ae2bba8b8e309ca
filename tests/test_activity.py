"""The admin activity feed merges audit, automation runs and backups, newest first."""
from __future__ import annotations


def test_activity_feed(start_server):
    srv = start_server()
    admin = srv.bootstrap()
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Feedable"}}).data
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})
    admin.post("/api/fundraising/backup")
    feed = admin.get("/api/fundraising/activity?limit=50")
    assert feed.status == 200
    sources = {item["source"] for item in feed.data}
    assert {"audit", "automation", "backup"} <= sources
    stamps = [item["at"] for item in feed.data]
    assert stamps == sorted(stamps, reverse=True)
    assert feed.json["total"] >= len(feed.data)


def test_feed_names_what_changed_and_its_counts_add_up(start_server):
    """Each entry names its investor (or column, view...) even when its details do not; an
    automation's edit is listed once (its run); the counts per source add up to the total and
    match what paging through the whole feed returns."""
    srv = start_server()
    admin = srv.bootstrap()
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Halcyon Family Office"}}).data
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Notes": "Met at SuperReturn"}})
    admin.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Passed"}})  # a rule moves it
    admin.post("/api/fundraising/backup")
    feed = admin.get("/api/fundraising/activity?limit=500")
    edits = [i for i in feed.data if i["action"] == "investor.updated" and i["entity_id"] == row["id"]]
    assert edits and all(i["entity_name"] == "Halcyon Family Office" for i in edits)
    runs = [i for i in feed.data if i["source"] == "automation"]
    assert runs and runs[0]["entity_name"] == "Halcyon Family Office"
    assert not [i for i in feed.data if i["source"] == "audit" and i["action"] == "automation.applied"], \
        "an automation's edit is listed twice"
    counts = feed.json["counts"]
    assert sum(counts.values()) == feed.json["total"] == len(feed.data)
    for source, n in counts.items():
        assert n == sum(1 for i in feed.data if i["source"] == source), source
    audit = admin.get(f"/api/audit-log?entity_id={row['id']}")
    assert audit.status == 200 and audit.data and all(e["entity_name"] == "Halcyon Family Office" for e in audit.data)
