"""Operator commands against a data directory, for a box with no admin able to sign in, the
container's entrypoint and the StartOS actions: `python -m backend.manage COMMAND`.

- `reset-admin-password [--username NAME]`: a new password for an admin (the first by creation
  unless named), read from the first line of stdin, or generated and printed when stdin is a
  terminal or empty. The same `people.update_user` as Admin -> Users: the password's rules, the
  user's sessions signed out and the audit entry, in one transaction.
- `migrate`: apply pending migrations exactly as the server's start-up does (exit 3 on error).
- `gmail-key FILE`: print a service-account key file's client_email, or why it is unusable
  (exit 1); the entrypoint asks this before turning Gmail on.

Every command takes `--data-dir` (default $CRM_DATA_DIR, else ./data) and reads the other
settings through `config.command_settings` (the server's `load_settings`, with no signing key needed).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sqlite3
import sys
from pathlib import Path

from .auth import people
from .config import ConfigError, Settings, command_settings
from .db import Database
from .errors import ApiError
from .migrate import MigrationError, apply_migrations
from .principal import system
from .validation import parse_object

GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters


class Refused(Exception):
    """The command cannot do what was asked; the message says why (stderr, exit 1)."""


def _existing_database(settings: Settings) -> Database:
    if not settings.db_path.exists():
        raise Refused(f"there is no database at {settings.db_path} (is --data-dir right?)")
    return Database(settings.db_path, settings.sqlite_synchronous)


def _read_password(stdin) -> tuple[str, bool]:
    """(password, generated): the first line of stdin, or a strong generated one."""
    if stdin is not None and not stdin.isatty():
        line = stdin.readline().rstrip("\r\n")
        if line:
            return line, False
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES), True


def reset_admin_password(settings: Settings, username: str | None, stdin) -> str:
    password, generated = _read_password(stdin)
    try:  # the HTTP API's own rule for a password, and its message
        parse_object({"password": password}, {"password": people.PASSWORD})
    except ApiError as exc:
        raise Refused(f"the new password is not accepted: {exc.message}") from None
    db = _existing_database(settings)
    try:
        with db.read() as conn:
            if username:
                row = conn.execute("SELECT id, username, role, is_active FROM users WHERE username = ?",
                                   (username,)).fetchone()
                if row is None:
                    raise Refused(f"there is no user named {username!r}")
            else:
                row = conn.execute("SELECT id, username, role, is_active FROM users WHERE role = 'admin'"
                                   " AND is_active = 1 ORDER BY created_at, rowid LIMIT 1").fetchone()
                if row is None:
                    raise Refused("there is no active admin yet: open the CRM in a browser to create the first one")
        user_id, name, role, active = row
        if role != "admin":
            raise Refused(f"{name!r} is a {role}, not an admin")
        if not active:
            raise Refused(f"{name!r} is deactivated; reset an active admin's password and reactivate it there")
        # Admin -> Users' reset: hash, token_version bump (every session signed out) and the audit
        # entry ({"password": "reset"}, never the password) commit together.
        people.update_user(db, settings, system("manage reset-admin-password"), user_id, {"password": password})
    finally:
        db.close()
    if generated:
        return f"The password of admin {name!r} is now: {password} (their sessions are signed out; change it after signing in)."
    return f"The password of admin {name!r} was reset and their sessions are signed out."


def migrate(settings: Settings) -> str:
    db = Database(settings.db_path, settings.sqlite_synchronous)
    try:
        with db.read() as conn:  # as App.start: the ledger opens its own transaction per file
            applied = apply_migrations(conn)
            total = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    finally:
        db.close()
    if applied:
        return f"Applied {len(applied)} migration(s): {', '.join(applied)}."
    return f"The database is up to date ({total} migrations applied)."


def gmail_key(path: Path) -> str:
    from .email_integration import gmail  # google's libraries: loaded only for this command
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise Refused(f"{path} is not JSON: {exc}") from None
    try:
        return gmail.validate_service_account_key(info)["client_email"]
    except ValueError as exc:
        raise Refused(f"{path} is not a usable service-account key: {exc}") from None


def main(argv: list[str] | None = None, stdin=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.manage", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    default_dir = os.environ.get("CRM_DATA_DIR") or "./data"
    reset = sub.add_parser("reset-admin-password", help="set an admin's password (stdin, or generated and printed)")
    reset.add_argument("--username", help="the admin (default: the first active admin by creation)")
    reset.add_argument("--data-dir", default=default_dir)
    mig = sub.add_parser("migrate", help="apply pending migrations and say which")
    mig.add_argument("--data-dir", default=default_dir)
    key = sub.add_parser("gmail-key", help="print a service-account key file's client_email, or why it is unusable")
    key.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "gmail-key":
            print(gmail_key(args.file))
            return 0
        settings = command_settings(args.data_dir)
        if args.command == "migrate":
            print(migrate(settings))
        else:
            print(reset_admin_password(settings, args.username, sys.stdin if stdin is None else stdin))
        return 0
    except MigrationError as exc:
        print(f"venture-crm: migrations failed: {exc}", file=sys.stderr)
        return 3
    except ConfigError as exc:
        print(f"venture-crm: configuration error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"venture-crm: {exc}", file=sys.stderr)
        return 1
    except (ApiError, sqlite3.Error, OSError) as exc:
        print(f"venture-crm: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
