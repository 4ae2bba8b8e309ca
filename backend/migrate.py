"""The migration ledger: apply `migrations/NNNN_name.sql` once each, in order, with checksums.

Each pending file runs inside one transaction together with its `schema_migrations` row, so a
failing migration leaves nothing behind. An applied file whose checksum changed stops start-up:
migrations are additive, and history is never rewritten.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .db import utc_now

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The ledger and the files disagree, or a migration failed; start-up must stop."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name} does not match NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"migrations {found[version].path.name} and {path.name} share number {version:04d}")
        found[version] = Migration(version, path.stem, path)
    return [found[v] for v in sorted(found)]


def _ensure_ledger(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)")


def applied(conn: sqlite3.Connection) -> dict[int, tuple[str, str]]:
    _ensure_ledger(conn)
    return {v: (n, c) for v, n, c in conn.execute(
        "SELECT version, name, checksum FROM schema_migrations")}


def pending(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migrations not yet applied; raises MigrationError if an applied one was altered."""
    done = applied(conn)
    files = discover(directory)
    for migration in files:
        if migration.version in done:
            name, checksum = done[migration.version]
            if checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.path.name} was changed after it was applied "
                    f"(ledger checksum {checksum[:12]}, file checksum {migration.checksum[:12]}). "
                    "Applied migrations are immutable: restore the original file and put the "
                    "change in a new numbered migration.")
    known = {m.version for m in files}
    missing = sorted(set(done) - known)
    if missing:
        raise MigrationError(
            "the database has migrations this code does not know: "
            + ", ".join(f"{v:04d}_{done[v][0]}" for v in missing)
            + " (is this an older release than the one that wrote the data?)")
    return [m for m in files if m.version not in done]


def apply_migrations(conn: sqlite3.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration in order; returns the names applied."""
    names = []
    for migration in pending(conn, directory):
        try:
            # executescript keeps our explicit transaction open (autocommit connection), so the
            # schema change and its ledger row commit together.
            conn.executescript("BEGIN IMMEDIATE;\n" + migration.sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?,?,?,?)",
                (migration.version, migration.name, migration.checksum, utc_now()))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.path.name} failed: {exc}") from exc
        names.append(migration.name)
    return names
