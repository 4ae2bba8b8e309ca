"""The migration ledger: order, atomicity, checksums, and a changed file stopping start-up."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from backend.db import connect
from backend.migrate import MigrationError, apply_migrations, discover, pending
from helpers import ROOT, base_env, free_port, launch


def write(directory, name, sql):
    (directory / name).write_text(sql)


def test_applies_in_numeric_order_once(tmp_path):
    write(tmp_path, "0002_second.sql", "INSERT INTO t VALUES ('second');")
    write(tmp_path, "0001_first.sql", "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('first');")
    conn = connect(tmp_path / "x.db")
    assert apply_migrations(conn, tmp_path) == ["0001_first", "0002_second"]
    assert apply_migrations(conn, tmp_path) == []
    assert [r[0] for r in conn.execute("SELECT v FROM t ORDER BY rowid")] == ["first", "second"]
    ledger = conn.execute("SELECT version, name, length(checksum) FROM schema_migrations").fetchall()
    assert ledger == [(1, "0001_first", 64), (2, "0002_second", 64)]


def test_failed_migration_leaves_nothing(tmp_path):
    write(tmp_path, "0001_ok.sql", "CREATE TABLE a (v INTEGER);")
    write(tmp_path, "0002_broken.sql", "CREATE TABLE b (v INTEGER); INSERT INTO a VALUES (1); SELECT nope FROM;")
    conn = connect(tmp_path / "x.db")
    with pytest.raises(MigrationError, match="0002_broken.sql failed"):
        apply_migrations(conn, tmp_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "b" not in tables and "a" in tables
    assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 0
    assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == [1]


def test_changed_applied_file_is_refused(tmp_path):
    write(tmp_path, "0001_first.sql", "CREATE TABLE t (v TEXT);")
    conn = connect(tmp_path / "x.db")
    apply_migrations(conn, tmp_path)
    write(tmp_path, "0001_first.sql", "CREATE TABLE t (v TEXT, w TEXT);")
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        pending(conn, tmp_path)


def test_bad_names_and_duplicates(tmp_path):
    write(tmp_path, "1_bad.sql", "")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        discover(tmp_path)
    (tmp_path / "1_bad.sql").unlink()
    write(tmp_path, "0001_a.sql", "")
    write(tmp_path, "0001_b.sql", "")
    with pytest.raises(MigrationError, match="share number 0001"):
        discover(tmp_path)


def test_shipped_migrations_are_well_formed():
    files = discover()
    assert files and [m.version for m in files] == list(range(1, len(files) + 1))


def test_server_refuses_to_start_when_an_applied_migration_changed(tmp_path):
    data = tmp_path / "data"
    first = launch(data)
    first.stop()
    with sqlite3.connect(data / "crm.db") as conn:  # same effect as editing the applied file
        conn.execute("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1")
    env = base_env(data, free_port())
    proc = subprocess.run([sys.executable, "-m", "backend.server"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 3
    assert "0001_foundation.sql was changed after it was applied" in proc.stderr


def test_server_runs_pending_migrations_on_start_and_reports_ready(tmp_path):
    srv = launch(tmp_path / "data")
    try:
        assert srv.client().get("/api/ready").status == 200
        with sqlite3.connect(srv.data_dir / "crm.db") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
        assert applied == [m.name for m in discover()]
    finally:
        srv.stop()


def test_row_positions_keep_the_order_a_grid_had_before_them(tmp_path):
    """0005 gives every investor a position; a grid from before it keeps its creation order, and
    a row inserted above another afterwards goes there."""
    import shutil
    from backend.db import Database
    from backend.grid.store import Grid
    from backend.migrate import MIGRATIONS_DIR
    from backend.principal import system
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1234]_*.sql")):
        shutil.copy(path, old)
    db = Database(tmp_path / "crm.db")
    with db.read() as conn:  # apply_migrations runs its own transactions
        apply_migrations(conn, old)
    with db.transaction() as conn:
        conn.executemany("INSERT INTO investors (id, name, version, created_at, updated_at) VALUES (?,?,1,?,?)",
                         [(f"inv-{name}", name, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z")
                          for name in ("Zeta", "Alpha", "Mu")])
    with db.read() as conn:
        assert apply_migrations(conn)[0] == "0005_row_order"
    grid = Grid(db)
    grid.seed_defaults(system("setup"))
    assert [rid for rid, _ in grid.live_rows()] == ["inv-Zeta", "inv-Alpha", "inv-Mu"]
    grid.create_row(system("test"), {"Name": "Between"}, after="inv-Zeta")
    names = [values[next(c["id"] for c in grid.columns() if c.get("primary"))] for _, values in grid.live_rows()]
    assert names == ["Zeta", "Between", "Alpha", "Mu"]
    db.close()
