"""Whole-database backups: take (online, atomic), verify, compare, restore, upload, schedule, prune.

A backup is `backups/<id>.db` (SQLite's online backup API: a consistent snapshot while the server
keeps serving) plus `backups/<id>.json`, its manifest. Manifests live beside the files, not in the
database, so restoring an older database never forgets the backups taken after it.

Restore copies the backup INTO the live database through SQLite's backup API under the write
lock: one step, so every request sees either the old database or the restored one, never a mix.
`python -m backend.backups restore-test --data-dir DIR` restores the newest backup into a scratch
directory and verifies it (the nightly restore test).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .. import audit, migrate
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..periodic import PeriodicThread
from ..principal import Principal

KINDS = ("manual", "auto", "pre_restore", "pre_reset", "upload")
POLICY_KEY = "backup_policy"
DEFAULT_POLICY = {"enabled": True, "hour": 2, "keep_daily": 7, "keep_weekly": 4}
SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED_TABLES = ("schema_migrations", "users", "audit_log")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def inspect_file(path: Path) -> dict:
    """Open a database file read-only: integrity, schema version and row counts (raises on junk)."""
    with open(path, "rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise BadRequest("not a SQLite database file")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise BadRequest(f"not a Venture CRM database (missing tables: {', '.join(missing)})")
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    except sqlite3.DatabaseError as exc:
        raise BadRequest(f"the database file is damaged: {exc}") from None
    finally:
        conn.close()
    return {"integrity": integrity, "schema_version": max(versions, default=0), "tables": counts}


class Backups:
    def __init__(self, db: Database, data_dir: Path):
        self.db = db
        self.dir = data_dir / "backups"
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self._lock = threading.Lock()  # one backup or restore at a time

    # --- manifests ---------------------------------------------------------------------------------

    def _manifest_path(self, backup_id: str) -> Path:
        if not backup_id or "/" in backup_id or backup_id.startswith("."):
            raise NotFound(f"backup {backup_id} does not exist")
        return self.dir / f"{backup_id}.json"

    def get(self, backup_id: str) -> dict:
        path = self._manifest_path(backup_id)
        if not path.exists():
            raise NotFound(f"backup {backup_id} does not exist")
        return json.loads(path.read_text())

    def list(self) -> list[dict]:
        out = []
        for path in self.dir.glob("*.json"):
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, json.JSONDecodeError):
                continue  # a half-written manifest of a crashed backup: ignore it
        return sorted(out, key=lambda m: m["created_at"], reverse=True)

    def file_path(self, backup_id: str) -> Path:
        self.get(backup_id)
        return self.dir / f"{backup_id}.db"

    # --- taking ------------------------------------------------------------------------------------

    def create(self, kind: str, actor: Principal, note: str | None = None) -> dict:
        """Snapshot the whole database into a new backup (atomically: temp file, fsync, rename)."""
        if kind not in KINDS:
            raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
        with self._lock:
            return self._create(kind, actor, note)

    def _create(self, kind: str, actor: Principal, note: str | None = None, source: Path | None = None) -> dict:
        backup_id = new_id()
        final = self.dir / f"{backup_id}.db"
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".db", dir=self.dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            target = sqlite3.connect(tmp)
            try:
                if source is None:
                    with self.db.read() as live:
                        live.backup(target)  # one step: a consistent snapshot; writers carry on (WAL)
                else:
                    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
                    try:
                        src.backup(target)
                    finally:
                        src.close()
                target.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
            finally:
                target.close()
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            facts = inspect_file(tmp)
            os.replace(tmp, final)
            _fsync_dir(self.dir)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        manifest = {"id": backup_id, "created_at": utc_now(), "kind": kind, "size": final.stat().st_size,
                    "sha256": _sha256(final), "schema_version": facts["schema_version"],
                    "row_counts": facts["tables"], "created_by": actor.name, "note": note,
                    "verified_at": None, "verify": None}
        _write_json(self.dir / f"{backup_id}.json", manifest)
        return manifest

    def upload(self, data: bytes, actor: Principal) -> dict:
        """Store an uploaded database file as a backup after checking it is one of ours."""
        if not data.startswith(SQLITE_MAGIC):
            raise BadRequest("the file is not a SQLite database (a Venture CRM backup is a .db file)")
        with tempfile.TemporaryDirectory(dir=self.dir) as scratch:
            path = Path(scratch) / "upload.db"
            path.write_bytes(data)
            facts = inspect_file(path)
            if facts["integrity"] != "ok":
                raise BadRequest(f"the database file is damaged: {facts['integrity']}")
            known = {m.version for m in migrate.discover()}
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                versions = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            finally:
                conn.close()
            if versions - known:
                raise BadRequest("the backup comes from a newer release of Venture CRM (unknown migrations "
                                 + ", ".join(str(v) for v in sorted(versions - known)) + ")")
            with self._lock:
                return self._create("upload", actor, note="uploaded", source=path)

    # --- checking ----------------------------------------------------------------------------------

    def verify(self, backup_id: str) -> dict:
        """Re-hash the file, run integrity_check, open it and count rows; remember the result."""
        manifest = self.get(backup_id)
        path = self.dir / f"{backup_id}.db"
        checks = {"file": path.exists()}
        if checks["file"]:
            checks["sha256"] = _sha256(path) == manifest["sha256"]
            try:
                facts = inspect_file(path)
                checks["integrity"] = facts["integrity"] == "ok"
                checks["row_counts"] = facts["tables"] == manifest["row_counts"]
            except BadRequest as exc:
                checks["integrity"] = False
                checks["error"] = exc.message
        ok = all(v for k, v in checks.items() if k != "error")
        manifest.update(verified_at=utc_now(), verify={"ok": ok, "checks": checks})
        _write_json(self.dir / f"{backup_id}.json", manifest)
        return manifest

    def _checked(self, backup_id: str) -> Path:
        manifest = self.verify(backup_id)
        if not manifest["verify"]["ok"]:
            failed = [k for k, v in manifest["verify"]["checks"].items() if v is False]
            raise Conflict(f"backup {backup_id} failed verification ({', '.join(failed)}); it will not be restored",
                           code="backup_invalid", verify=manifest["verify"])
        return self.dir / f"{backup_id}.db"

    def preview(self, backup_id: str, restorer_id: str | None = None) -> dict:
        """What a restore would change: row counts per table, investors gained, lost, changed, and
        who would lose access or be signed out (`restorer_id`: the person asking)."""
        path = self._checked(backup_id)
        manifest = self.get(backup_id)
        users_sql = "SELECT id, username, role, is_active, token_version FROM users"
        with self.db.read() as conn:
            current = {r[0]: conn.execute(f'SELECT count(*) FROM "{r[0]}"').fetchone()[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            now_rows = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
                "SELECT id, name, version, archived_at IS NOT NULL FROM investors")}
            now_users = {r[0]: r[1:] for r in conn.execute(users_sql)}
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            has_investors = src.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'investors'").fetchone()
            then_rows = {r[0]: (r[1], r[2], r[3]) for r in src.execute(
                "SELECT id, name, version, archived_at IS NOT NULL FROM investors")} if has_investors else {}
            then_users = {r[0]: r[1:] for r in src.execute(users_sql)}
        finally:
            src.close()
        accounts = _account_changes(now_users, then_users, restorer_id)
        gone = [now_rows[i][0] for i in now_rows.keys() - then_rows.keys()]
        back = [then_rows[i][0] for i in then_rows.keys() - now_rows.keys()]
        changed = [now_rows[i][0] for i in now_rows.keys() & then_rows.keys() if now_rows[i] != then_rows[i]]
        tables = sorted(set(current) | set(manifest["row_counts"]))
        return {"backup": manifest,
                "tables": {t: {"backup": manifest["row_counts"].get(t, 0), "current": current.get(t, 0)} for t in tables},
                "investors": {"removed_by_restore": len(gone), "added_by_restore": len(back), "changed": len(changed),
                              "examples": {"removed": sorted(gone)[:10], "added": sorted(back)[:10],
                                           "changed": sorted(changed)[:10]}},
                "accounts": accounts}

    # --- restoring ---------------------------------------------------------------------------------

    def restore(self, backup_id: str, actor: Principal, after_swap) -> dict:
        """Take a pre-restore backup, then replace the live database with the backup in one step;
        `after_swap(conn)` runs under the same lock (the app re-runs migrations there) and the caller
        resets its in-memory caches once this returns."""
        with self._lock:
            path = self._checked(backup_id)
            safety = self._create("pre_restore", actor, note=f"before restoring {backup_id}")
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                with self.db.exclusive() as live:
                    src.backup(live)
                    after_swap(live)
                    with self.db.transaction() as conn:
                        audit.record(conn, actor, "backup.restored", "backup", backup_id,
                                     {"pre_restore_backup": safety["id"]})
            finally:
                src.close()
        return {"restored": backup_id, "pre_restore_backup": safety["id"], "restored_at": utc_now()}

    # --- policy and schedule ----------------------------------------------------------------------

    def policy(self) -> dict:
        with self.db.read() as conn:
            row = conn.execute("SELECT value FROM app_settings WHERE key = ?", (POLICY_KEY,)).fetchone()
        return {**DEFAULT_POLICY, **(json.loads(row[0]) if row else {})}

    def set_policy(self, actor: Principal, changes: dict) -> dict:
        policy = {**self.policy(), **changes}
        for key in ("keep_daily", "keep_weekly"):
            if not isinstance(policy[key], int) or isinstance(policy[key], bool) or not 0 <= policy[key] <= 365:
                raise BadRequest(f"{key} must be a whole number from 0 to 365", field=key)
        if not isinstance(policy["hour"], int) or isinstance(policy["hour"], bool) or not 0 <= policy["hour"] <= 23:
            raise BadRequest("hour must be a whole number from 0 to 23 (UTC)", field="hour")
        if not isinstance(policy["enabled"], bool):
            raise BadRequest("enabled must be true or false", field="enabled")
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO app_settings (key, value, updated_at, updated_by) VALUES (?,?,?,?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
                         " updated_by = excluded.updated_by", (POLICY_KEY, json.dumps(policy), utc_now(), actor.name))
            audit.record(conn, actor, "backup.policy_updated", "settings", POLICY_KEY, changes)
        return policy

    def due(self, now: datetime) -> bool:
        """An automatic backup is due when none was taken since the last scheduled time."""
        policy = self.policy()
        if not policy["enabled"]:
            return False
        slot = now.replace(hour=policy["hour"], minute=0, second=0, microsecond=0)
        if slot > now:
            slot -= timedelta(days=1)
        stamp = slot.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return not any(m["kind"] == "auto" and m["created_at"] >= stamp for m in self.list())

    def prune(self) -> list[str]:
        """Keep the newest `keep_daily` automatic backups and one per week for `keep_weekly` weeks;
        manual, uploaded and pre-restore backups are never pruned."""
        policy = self.policy()
        autos = [m for m in self.list() if m["kind"] == "auto"]
        keep = {m["id"] for m in autos[:policy["keep_daily"]]}
        weeks: dict[tuple, str] = {}
        for m in autos:
            week = datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")).isocalendar()[:2]
            weeks.setdefault(week, m["id"])
        keep |= set(list(weeks.values())[:policy["keep_weekly"]])
        removed = []
        for m in autos:
            if m["id"] not in keep:
                for suffix in (".db", ".json"):
                    (self.dir / f"{m['id']}{suffix}").unlink(missing_ok=True)
                removed.append(m["id"])
        return removed


RESET_PHRASE = "RESET ALL DATA"


def reset_all_data(backups: Backups, grid, actor: Principal, phrase: str) -> dict:
    """Archive every investor, custom column and view, after a backup (needs the phrase typed)."""
    if phrase != RESET_PHRASE:
        raise BadRequest(f"type the phrase '{RESET_PHRASE}' to confirm", field="confirm")
    backup = backups.create("pre_reset", actor, note="before reset-all-data")
    return {"backup": backup["id"], "archived": grid.archive_everything(actor)}


def _account_changes(now: dict, then: dict, restorer_id: str | None) -> dict:
    """Who a restore locks out or signs out. A session carries its user's token_version, so a
    user missing from the backup, inactive in it, or at another token_version there is signed out
    (and the first two cannot sign back in)."""
    active_now = {uid: u for uid, u in now.items() if u[2]}
    removed = sorted(u[0] for uid, u in active_now.items() if uid not in then or not then[uid][2])
    signed_out = sorted(u[0] for uid, u in active_now.items() if uid in then and then[uid][2] and then[uid][3] != u[3])
    role_changed = sorted(f"{u[0]} ({u[1]} -> {then[uid][1]})" for uid, u in active_now.items()
                          if uid in then and then[uid][2] and then[uid][1] != u[1])
    added = sorted(u[0] for uid, u in then.items() if u[2] and uid not in active_now)
    you = None
    if restorer_id in active_now:
        you = ("removed" if restorer_id not in then or not then[restorer_id][2]
               else "signed_out" if then[restorer_id][3] != active_now[restorer_id][3] else "kept")
    return {"removed": removed, "signed_out": signed_out, "role_changed": role_changed, "added": added,
            "everyone_signed_out": bool(active_now) and len(removed) + len(signed_out) == len(active_now),
            "you": you}


class Scheduler(PeriodicThread):
    """Takes the nightly backup (or the missed one at the next start) and prunes old ones."""

    def __init__(self, backups: Backups, interval: float = 60.0):
        super().__init__("backup-scheduler", interval, first_delay=1.0)
        self.backups = backups

    def run_once(self) -> dict | None:
        if not self.backups.due(datetime.now(timezone.utc)):
            return None
        backup = self.backups.create("auto", Principal("system", name="backup scheduler"))
        return {"backup": backup["id"], "pruned": self.backups.prune()}


def restore_test(data_dir: Path) -> int:
    """Restore the newest backup into a scratch directory, migrate and verify it (exit code)."""
    backups_dir = data_dir / "backups"
    manifests = sorted((json.loads(p.read_text()) for p in backups_dir.glob("*.json")),
                       key=lambda m: m["created_at"], reverse=True)
    if not manifests:
        print("restore-test: no backups found in", backups_dir)
        return 1
    newest = manifests[0]
    path = backups_dir / f"{newest['id']}.db"
    started = time.perf_counter()
    problems = []
    if _sha256(path) != newest["sha256"]:
        problems.append("sha256 differs from the manifest")
    with tempfile.TemporaryDirectory(prefix="vcrm-restore-test-") as scratch:
        target = Path(scratch) / "crm.db"
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        src.backup(dst)
        src.close()
        try:
            migrate.apply_migrations(dst)
            integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
            investors = dst.execute("SELECT count(*) FROM investors").fetchone()[0]
        except (sqlite3.Error, migrate.MigrationError) as exc:
            problems.append(str(exc))
            investors = None
        finally:
            dst.close()
    verdict = "FAILED: " + "; ".join(problems) if problems else "ok"
    print(f"restore-test: backup {newest['id']} ({newest['kind']}, {newest['created_at']}, "
          f"{newest['size']:,} bytes): {verdict}; {investors} investors; "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    return 1 if problems else 0


def create_now(data_dir: Path) -> int:
    """A manual backup from the command line, through the same `Backups.create` as the UI's
    "Create backup" (the server may keep running: the snapshot is online); prints its file name."""
    import sys

    from ..config import ConfigError, command_settings
    from ..principal import system
    try:
        settings = command_settings(data_dir)
        if not settings.db_path.exists():
            raise BadRequest(f"there is no database at {settings.db_path} to back up")
        db = Database(settings.db_path, settings.sqlite_synchronous)
        try:
            manifest = Backups(db, settings.data_dir).create("manual", system("command line"),
                                                             note="python -m backend.backups create")
        finally:
            db.close()
    except (ConfigError, BadRequest, OSError, sqlite3.Error) as exc:
        print(f"backups create: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    print(f"{manifest['id']}.db")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.backups")
    sub = parser.add_subparsers(dest="command", required=True)
    test = sub.add_parser("restore-test", help="restore the newest backup into a scratch dir and verify it")
    test.add_argument("--data-dir", default=os.environ.get("CRM_DATA_DIR", "./data"))
    make = sub.add_parser("create", help="take a backup now (as the UI's Create backup); prints its file name")
    make.add_argument("--data-dir", default=os.environ.get("CRM_DATA_DIR", "./data"))
    args = parser.parse_args(argv)
    if args.command == "create":
        return create_now(Path(args.data_dir).resolve())
    return restore_test(Path(args.data_dir).resolve())
