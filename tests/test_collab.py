"""Live collaboration over HTTP: the long-poll change feed and presence."""
from __future__ import annotations

import threading
import time

from backend.grid.collab import ChangeSignal, Presence
from backend.principal import Principal
from helpers import make_user, sign_in


def test_change_signal_wakes_waiters():
    signal = ChangeSignal()
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(signal.wait_past(5, 5)))
    waiter.start()
    time.sleep(0.05)
    signal.notify(5)  # not past 5 yet
    time.sleep(0.05)
    assert woke == []
    signal.notify(6)
    waiter.join(1)
    assert woke == [True]
    assert signal.wait_past(6, 0.05) is False


def test_presence_expires_silent_tabs():
    now = [0.0]
    presence = Presence(clock=lambda: now[0])
    presence.heartbeat(Principal("user", id="u1", name="ann"), "tab", {"row_id": "r", "editing": True})
    assert presence.state()[0]["editing"] is True
    now[0] = 31
    assert presence.state() == []


def test_long_poll_wakes_within_100ms_of_another_clients_edit(server, admin):
    other = sign_in(server, make_user(admin)["username"])
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Live Wire"}}).data
    since = admin.get("/api/fundraising/changes?since=0").data["version"]
    result = {}

    def poll():
        client = type(admin)(admin.port, admin.token)
        t0 = time.perf_counter()
        result["resp"] = client.get(f"/api/fundraising/changes?since={since}&wait=10")
        result["returned"] = time.perf_counter()
        result["t0"] = t0

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    edited_at = time.perf_counter()
    assert other.patch(f"/api/fundraising/rows/{row['id']}", {"values": {"Status": "Committed"}}).status == 200
    poller.join(5)
    latency = result["returned"] - edited_at
    assert latency < 0.1, f"long-poll returned {latency * 1000:.0f} ms after the edit"
    data = result["resp"].data
    assert data["version"] > since
    change = next(c for c in data["changes"] if c["kind"] == "cell")
    assert change["row_id"] == row["id"] and change["value"] == "Committed"
    assert change["by"]["name"] == other.user["username"]
    assert data["rows"][0]["id"] == row["id"]


def test_long_poll_times_out_empty(admin):
    version = admin.get("/api/fundraising/changes?since=0").data["version"]
    t0 = time.perf_counter()
    resp = admin.get(f"/api/fundraising/changes?since={version}&wait=1")
    assert 0.9 < time.perf_counter() - t0 < 3
    assert resp.data["changes"] == [] and resp.data["version"] == version
    future = admin.get(f"/api/fundraising/changes?since={version + 1000}").data
    assert future.get("reset") is True


def test_presence(server, admin, member):
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Presence LP"}}).data
    admin.post("/api/fundraising/collab/heartbeat", {"client_id": "tab-a", "row_id": row["id"],
                                                     "column_id": "c1", "editing": True})
    state = member.post("/api/fundraising/collab/heartbeat", {"client_id": "tab-b"}).data
    mine = next(s for s in state if s["client_id"] == "tab-a")
    assert mine["name"] == admin.user["username"] and mine["editing"] is True and mine["row_id"] == row["id"]
    assert any(s["client_id"] == "tab-b" for s in admin.get("/api/fundraising/collab/state").data)
    member.post("/api/fundraising/collab/heartbeat", {"client_id": "tab-b", "leaving": True})
    assert not any(s["client_id"] == "tab-b" for s in admin.get("/api/fundraising/collab/state").data)
    assert admin.post("/api/fundraising/collab/heartbeat", {}).status == 400




def test_a_long_poll_outlasts_the_read_deadline(start_server):
    srv = start_server(CRM_READ_TIMEOUT_SECONDS="0.5")
    admin = srv.bootstrap()
    version = admin.get("/api/fundraising/grid").data["version"]
    started = time.monotonic()
    resp = admin.get(f"/api/fundraising/changes?since={version}&wait=2")
    assert resp.status == 200 and time.monotonic() - started >= 1.9, resp
