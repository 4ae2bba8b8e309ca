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
