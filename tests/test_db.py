"""The database helpers: atomic transactions, pragmas, and durability when the server is killed."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from backend.db import Database, new_ids, utc_now
from helpers import kill_during_writes, launch


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


SLOW_READ = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000000)"
             " SELECT count(*) FROM n")


def test_reads_under_a_deadline_are_interrupted_with_a_clear_error(tmp_path):
    from backend.errors import ReadTimeout
    db = Database(tmp_path / "x.db")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
    started = time.monotonic()
    with db.deadline(0.2):
        with pytest.raises(ReadTimeout) as caught:
            with db.read() as conn:
                conn.execute(SLOW_READ).fetchone()
    assert 0.15 < time.monotonic() - started < 1.5
    assert caught.value.status == 503 and caught.value.code == "read_timeout"
    assert "0.2 s" in caught.value.message and "CRM_READ_TIMEOUT_SECONDS" in caught.value.message
    # Quick reads under the same deadline are untouched, and the pooled connection keeps no handler.
    with db.deadline(5):
        with db.read() as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with db.read() as conn:  # no deadline (a background job): runs to the end
        assert conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)"
                            " SELECT count(*) FROM n").fetchone()[0] == 300000
    db.close()


def test_writes_are_never_cut_by_the_read_deadline(tmp_path):
    db = Database(tmp_path / "x.db")
    with db.deadline(0.05):
        with db.transaction() as conn:
            conn.execute("CREATE TABLE t AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                         " WHERE i < 400000) SELECT i FROM n")
            time.sleep(0.1)
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 400000
    db.close()


def test_a_slow_request_read_answers_503_read_timeout(start_server):
    first = start_server()
    admin = first.bootstrap()
    rows = [{"values": {"Name": f"Investor {i}"}} for i in range(5000)]
    assert admin.post("/api/fundraising/rows/bulk", {"rows": rows}).status == 201
    first.stop()
    # The same data with a deadline that has always passed: any read long enough to be checked
    # (scanning 5,000 audit entries is) is stopped with a 503; short reads are not.
    srv = start_server(data_dir=first.data_dir, CRM_READ_TIMEOUT_SECONDS="0.000001")
    admin = srv.client(first.admin_token)
    assert admin.get("/api/auth/me").status == 200
    started = time.monotonic()
    resp = admin.get("/api/audit-log?actor_id=nobody&since=2000-01-01")
    assert resp.status == 503 and resp.json["code"] == "read_timeout", resp
    assert "CRM_READ_TIMEOUT_SECONDS" in resp.json["error"] and time.monotonic() - started < 1
    assert admin.get("/api/health").status == 200
    assert admin.get("/api/fundraising/rows/" + "0" * 36).status == 404  # the grid cache answers


def test_the_deadline_bounds_each_read_not_the_time_between_reads(tmp_path):
    db = Database(tmp_path / "x.db")
    with db.deadline(0.2):
        with db.read() as conn:
            conn.execute("SELECT 1").fetchone()
        time.sleep(0.3)  # a long-poll waiting for a change: not reading
        with db.read() as conn:
            assert conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
                                " SELECT count(*) FROM n").fetchone()[0] == 100000
    db.close()


def test_every_registered_cache_is_reset_in_order(tmp_path):
    db = Database(tmp_path / "x.db")
    calls = []
    db.on_reset(lambda: calls.append("grid"))
    db.on_reset(lambda: calls.append("rules"))
    db.reset_caches()
    db.reset_caches()
    assert calls == ["grid", "rules", "grid", "rules"]
    db.close()


def test_the_grid_and_the_rules_register_their_caches(tmp_path):
    from backend.grid.automations import Automations
    from backend.grid.store import Grid
    db = Database(tmp_path / "x.db")
    grid, rules = Grid(db), Automations(db)
    grid.cache.seq, rules._compiled = 7, (1, "x", [])
    db.reset_caches()
    assert grid.cache.seq == -1 and rules._compiled is None
    db.close()


def test_new_ids_are_distinct_uuid4s_like_new_id():
    import uuid
    ids = new_ids(5000)
    assert len(ids) == len(set(ids)) == 5000
    for value in ids[:50] + ids[-50:]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == value
    assert new_ids(0) == []
