"""The database helpers: atomic transactions, pragmas, and durability when the server is killed."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from backend.db import Database, utc_now
from conftest import kill_during_writes, launch


def test_transaction_commits_or_rolls_back_whole(tmp_path):
    db = Database(tmp_path / "x.db")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    db.close()


def test_concurrent_writers_all_land(tmp_path):
    db = Database(tmp_path / "x.db")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")

    def work(n):
        for i in range(50):
            with db.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (?)", (n * 1000 + i,))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 400


def test_utc_now_is_iso_utc():
    assert utc_now().endswith("Z") and utc_now()[10] == "T"


def test_acknowledged_writes_survive_sigkill(tmp_path):
    """Clients create invites as fast as they can; the server is SIGKILLed mid-stream. Every
    invite the server acknowledged is there after restart, each with its audit entry, and
    nothing is half-written."""
    data = tmp_path / "data"
    srv = launch(data)
    admin = srv.bootstrap()

    def create_invite(client, n, i):
        resp = client.post("/api/admin/invites", {"email": f"k{n}-{i}@fund.example"})
        return resp.data["id"] if resp.status == 201 else None

    acknowledged = kill_during_writes(srv, create_invite)
    with sqlite3.connect(data / "crm.db") as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM invites")}
        audited = {r[0] for r in conn.execute("SELECT entity_id FROM audit_log WHERE action='invite.created'")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(acknowledged) <= ids
    assert ids == audited  # no invite without its audit entry, and no orphan audit entry
    again = launch(data)
    try:
        assert again.client(admin.token).get("/api/admin/invites").status == 200
    finally:
        again.stop()
