"""Backups over HTTP: take while serving, verify, corrupt, preview, restore (pre-restore backup,
migration of an older schema), policy and schedule, download/upload, reset, restore-test."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backend.backups.store import Backups
from backend.db import Database, connect
from backend.migrate import apply_migrations, discover
from helpers import PASSWORD, ROOT, make_user


def names(client):
    grid = client.get("/api/fundraising/grid").data
    name = next(c["id"] for c in grid["columns"] if c.get("primary"))
    return sorted(r["values"][name] for r in grid["rows"])


def test_backup_verify_preview_restore(fresh_server):
    srv, admin = fresh_server
    for n in ("Alpha", "Beta"):
        admin.post("/api/fundraising/rows", {"values": {"Name": n}})
    resp = admin.post("/api/fundraising/backup")
    assert resp.status == 201, resp
    backup = resp.data
    assert {"id", "created_at", "size", "sha256"} <= set(backup) and backup["kind"] == "manual"
    assert backup["row_counts"]["investors"] == 2 and backup["schema_version"] == len(discover())
    file = srv.data_dir / "backups" / f"{backup['id']}.db"
    assert file.exists() and oct(file.stat().st_mode & 0o777) != "0o666"
    verified = admin.post("/api/fundraising/backup-verify", {"id": backup["id"]}).data
    assert verified["verify"]["ok"] is True and verified["verified_at"]
    gamma = admin.post("/api/fundraising/rows", {"values": {"Name": "Gamma"}}).data
    alpha = next(r for r in admin.get("/api/fundraising/grid").data["rows"])
    admin.patch(f"/api/fundraising/rows/{alpha['id']}", {"values": {"Status": "Meeting"}})
    preview = admin.post("/api/fundraising/restore-preview", {"id": backup["id"]}).data
    assert preview["investors"]["removed_by_restore"] == 1 and preview["investors"]["changed"] == 1
    assert preview["investors"]["examples"]["removed"] == ["Gamma"]
    assert preview["tables"]["investors"] == {"backup": 2, "current": 3}
    since = admin.get("/api/fundraising/changes?since=0").data["version"]
    restored = admin.post("/api/fundraising/restore", {"id": backup["id"]})
    assert restored.status == 200, restored
    assert names(admin) == ["Alpha", "Beta"]  # the token still works: users were in the backup
    assert admin.get(f"/api/fundraising/rows/{gamma['id']}").status == 404
    kinds = {b["kind"] for b in admin.get("/api/fundraising/backups").data}
    assert "pre_restore" in kinds  # taken first, so the restore itself can be undone
    assert admin.get(f"/api/fundraising/changes?since={since}").data.get("reset") is True
    log = admin.get("/api/audit-log?action=backup.restored").data
    assert log and log[0]["details"]["pre_restore_backup"] == restored.data["pre_restore_backup"]
    undo = admin.post("/api/fundraising/restore", {"id": restored.data["pre_restore_backup"]})
    assert undo.status == 200 and names(admin) == ["Alpha", "Beta", "Gamma"]


def test_corrupted_backup_fails_verify_and_is_not_restored(fresh_server):
    srv, admin = fresh_server
    backup = admin.post("/api/fundraising/backup").data
    path = srv.data_dir / "backups" / f"{backup['id']}.db"
    data = bytearray(path.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    verified = admin.post("/api/fundraising/backup-verify", {"id": backup["id"]}).data
    assert verified["verify"]["ok"] is False and verified["verify"]["checks"]["sha256"] is False
    resp = admin.post("/api/fundraising/restore", {"id": backup["id"]})
    assert resp.status == 409 and resp.json["code"] == "backup_invalid"
    assert admin.post("/api/fundraising/restore", {"id": "nope"}).status == 404
    assert admin.post("/api/fundraising/restore", {"id": "../crm"}).status == 404


def test_backup_during_writes_restores_consistently(fresh_server):
    srv, admin = fresh_server
    stop = threading.Event()

    def writer():
        client = srv.client(admin.token)
        i = 0
        while not stop.is_set():
            client.post("/api/fundraising/rows", {"values": {"Name": f"Load {i}", "Status": "Meeting"}})
            i += 1

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    worst = 0.0
    t0 = time.perf_counter()
    backup = admin.post("/api/fundraising/backup").data
    took = time.perf_counter() - t0
    probe = srv.client(admin.token)
    for _ in range(5):
        t1 = time.perf_counter()
        probe.get("/api/health")
        worst = max(worst, time.perf_counter() - t1)
    stop.set()
    for t in threads:
        t.join()
    assert took < 5 and worst < 0.2
    file = srv.data_dir / "backups" / f"{backup['id']}.db"
    conn = sqlite3.connect(file)
    investors = conn.execute("SELECT count(*) FROM investors").fetchone()[0]
    created = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'investor.created'").fetchone()[0]
    memberships = conn.execute("SELECT count(*) FROM list_memberships").fetchone()[0]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert investors == created == memberships  # a snapshot between transactions, never inside one
    assert admin.post("/api/fundraising/restore", {"id": backup["id"]}).status == 200
    assert len(admin.get("/api/fundraising/grid").data["rows"]) == investors


def old_schema_backup(tmp_path: Path) -> bytes:
    """A database as the first release wrote it: only migration 0001, one admin."""
    old_dir = tmp_path / "old_migrations"
    old_dir.mkdir()
    first = discover()[0]
    (old_dir / first.path.name).write_bytes(first.path.read_bytes())
    path = tmp_path / "old.db"
    conn = connect(path)
    apply_migrations(conn, old_dir)
    conn.execute("INSERT INTO users (id, username, email, password_hash, role, created_at, updated_at)"
                 " VALUES ('u1', 'old_admin', 'old@fund.example', 'x', 'admin', '2026-01-01', '2026-01-01')")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path.read_bytes()


def test_upload_and_restore_older_schema_migrates(fresh_server, tmp_path):
    srv, admin = fresh_server
    data = old_schema_backup(tmp_path)
    up = admin.request("POST", "/api/fundraising/backups/upload", raw=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert up.status == 201, up
    assert up.data["kind"] == "upload" and up.data["schema_version"] == 1
    restored = admin.post("/api/fundraising/restore", {"id": up.data["id"]})
    assert restored.status == 200, restored
    # the admin's token is gone with the old user table: sign in as the restored admin is not
    # possible (dummy hash), but the server is healthy and fully migrated
    assert srv.client().get("/api/ready").status == 200
    with sqlite3.connect(srv.data_dir / "crm.db") as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        columns = [r[0] for r in conn.execute("SELECT name FROM grid_columns")]
    assert versions == [m.version for m in discover()]
    assert "Name" in columns  # the restored grid was seeded like a new one


def test_upload_rejects_what_is_not_a_backup(fresh_server):
    srv, admin = fresh_server
    before = len(admin.get("/api/fundraising/backups").data)
    for data in (b"hello world", b"SQLite format 3\x00" + b"\x00" * 100):
        resp = admin.request("POST", "/api/fundraising/backups/upload", raw=data,
                             headers={"Content-Type": "application/octet-stream"})
        assert resp.status == 400 and resp.json["error"], resp
    assert len(admin.get("/api/fundraising/backups").data) == before


def test_download_is_admin_only_and_a_real_database(fresh_server):
    srv, admin = fresh_server
    backup = admin.post("/api/fundraising/backup").data
    resp = admin.get(f"/api/fundraising/backups/{backup['id']}/download")
    assert resp.status == 200 and resp.body.startswith(b"SQLite format 3\x00")
    assert "attachment" in resp.headers["Content-Disposition"]
    member = admin.post("/api/admin/users", {"username": "mem", "email": "mem@fund.example",
                                             "password": "long enough pw", "role": "member"})
    tok = srv.client().post("/api/auth/login", {"username": "mem", "password": "long enough pw"}).json["token"]
    assert srv.client(tok).get(f"/api/fundraising/backups/{backup['id']}/download").status == 403
    assert srv.client(tok).post("/api/fundraising/restore", {"id": backup["id"]}).status == 403


def test_policy_schedule_and_prune(tmp_path):
    db = Database(tmp_path / "crm.db")
    with db.read() as conn:
        apply_migrations(conn)
    backups = Backups(db, tmp_path)
    from backend.principal import system
    actor = system("test")
    assert backups.policy() == {"enabled": True, "hour": 2, "keep_daily": 7, "keep_weekly": 4}
    now = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
    assert backups.due(now) is True
    made = backups.create("auto", actor)
    assert backups.due(datetime.now(timezone.utc)) is False or made["created_at"] < now.isoformat()
    backups.set_policy(actor, {"keep_daily": 2, "keep_weekly": 0})
    for _ in range(4):
        backups.create("auto", actor)
    backups.create("manual", actor)
    removed = backups.prune()
    kinds = [m["kind"] for m in backups.list()]
    assert len(removed) == 3 and kinds.count("auto") == 2 and kinds.count("manual") == 1
    with pytest.raises(Exception):
        backups.set_policy(actor, {"hour": 25})
    backups.set_policy(actor, {"enabled": False})
    assert backups.due(now) is False
    db.close()


def test_policy_over_http(fresh_server):
    srv, admin = fresh_server
    assert admin.get("/api/fundraising/backup-policy").data["enabled"] is True
    changed = admin.patch("/api/fundraising/backup-policy", {"hour": 23, "keep_daily": 3})
    assert changed.status == 200 and changed.data["hour"] == 23
    assert admin.patch("/api/fundraising/backup-policy", {"hour": 24}).status == 400


def test_missed_nightly_backup_is_taken_at_start(start_server):
    srv = start_server()
    deadline = time.time() + 10
    while time.time() < deadline and not list((srv.data_dir / "backups").glob("*.json")):
        time.sleep(0.1)
    manifests = [json.loads(p.read_text()) for p in (srv.data_dir / "backups").glob("*.json")]
    assert [m["kind"] for m in manifests] == ["auto"]


def test_restore_test_command(fresh_server):
    srv, admin = fresh_server
    admin.post("/api/fundraising/rows", {"values": {"Name": "Kept"}})
    admin.post("/api/fundraising/backup")
    proc = subprocess.run([sys.executable, "-m", "backend.backups", "restore-test", "--data-dir", str(srv.data_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ": ok;" in proc.stdout and "investors" in proc.stdout


def test_reset_all_data_takes_a_backup_and_archives(fresh_server):
    srv, admin = fresh_server
    row = admin.post("/api/fundraising/rows", {"values": {"Name": "Doomed"}}).data
    admin.post("/api/fundraising/columns", {"name": "Extra", "type": "text"})
    assert admin.post("/api/admin/reset-all-data", {"confirm": "yes"}).status == 400
    resp = admin.post("/api/admin/reset-all-data", {"confirm": "RESET ALL DATA"})
    assert resp.status == 200 and resp.data["archived"]["investors"] == 1
    assert admin.get("/api/fundraising/grid").data["rows"] == []
    archive = admin.get("/api/admin/archive").data
    assert row["id"] in {i["id"] for i in archive["investors"]} and "Extra" in {c["name"] for c in archive["columns"]}
    assert any(b["kind"] == "pre_reset" and b["id"] == resp.data["backup"] for b in admin.get("/api/fundraising/backups").data)
    assert admin.post(f"/api/fundraising/rows/{row['id']}/restore").status == 200


def test_restore_preview_says_who_is_signed_out_or_locked_out(start_server):
    """A user added since the backup loses access; a password changed since signs that person out
    (the preview names them, and says when the one restoring is among them)."""
    srv = start_server()
    admin = srv.bootstrap()
    kept = make_user(admin)
    backup = admin.post("/api/fundraising/backup").data
    quiet = admin.post("/api/fundraising/restore-preview", {"id": backup["id"]}).data["accounts"]
    assert quiet == {"removed": [], "signed_out": [], "role_changed": [], "added": [],
                     "everyone_signed_out": False, "you": "kept"}
    newcomer = make_user(admin)
    admin.patch(f"/api/admin/users/{kept['id']}", {"role": "admin"})
    changed = admin.post("/api/auth/password", {"current_password": PASSWORD, "new_password": PASSWORD + " two"})
    assert changed.status == 200, changed
    admin = srv.client(changed.json["token"])
    accounts = admin.post("/api/fundraising/restore-preview", {"id": backup["id"]}).data["accounts"]
    assert accounts["removed"] == [newcomer["username"]]
    assert accounts["signed_out"] == ["admin"] and accounts["you"] == "signed_out"
    assert accounts["role_changed"] == [f"{kept['username']} (admin -> member)"]
    assert accounts["everyone_signed_out"] is False
