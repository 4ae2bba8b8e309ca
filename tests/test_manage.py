"""`python -m backend.manage` (reset-admin-password, migrate, gmail-key) and
`python -m backend.backups create`, run as an operator would, beside a real server."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

from gmail_emulator import make_service_account_key
from helpers import PASSWORD, ROOT, base_env, free_port, launch, make_user, sign_in

MIGRATIONS = sorted(p.stem for p in (ROOT / "backend" / "migrations").glob("*.sql"))


def manage(env: dict, *args, stdin: str = "", module: str = "backend.manage"):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def login(srv, username, password):
    return srv.client().post("/api/auth/login", {"username": username, "password": password})


def test_reset_admin_password(tmp_path):
    srv = launch(tmp_path / "data")
    try:
        admin = srv.bootstrap()
        second = make_user(admin, "admin")
        member = make_user(admin, "member")
        data = str(srv.data_dir)

        done = manage(srv.env, "reset-admin-password", "--data-dir", data, stdin="a brand new passphrase\nignored\n")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "The password of admin 'admin' was reset and their sessions are signed out."
        assert admin.get("/api/auth/me").json["code"] == "token_revoked"  # signed out at once
        assert login(srv, "admin", PASSWORD).status == 401
        fresh = sign_in(srv, "admin", "a brand new passphrase")
        log = fresh.get(f"/api/audit-log?entity_type=user&entity_id={admin.user['id']}&action=user.updated").data
        assert log[0]["details"] == {"password": "reset"}  # never the password itself
        assert log[0]["actor"]["type"] == "system" and "reset-admin-password" in log[0]["actor"]["name"]

        # Empty stdin: a strong password is generated and printed once; --username picks the admin.
        made = manage(srv.env, "reset-admin-password", "--username", second["username"], "--data-dir", data)
        assert made.returncode == 0, made.stderr
        generated = re.search(r"is now: (\S+) ", made.stdout).group(1)
        assert len(generated) >= 20 and sign_in(srv, second["username"], generated)
        assert fresh.get("/api/auth/me").status == 200  # another admin's reset leaves this one alone

        for args, stdin, message in (
                (["--username", "nobody_here"], "long enough pass\n", "no user named 'nobody_here'"),
                (["--username", member["username"]], "long enough pass\n", "is a member, not an admin"),
                ([], "short\n", "password")):
            refused = manage(srv.env, "reset-admin-password", "--data-dir", data, *args, stdin=stdin)
            assert refused.returncode == 1 and message in refused.stderr and not refused.stdout, refused
        assert sign_in(srv, "admin", "a brand new passphrase")  # the refusals changed nothing
        assert sign_in(srv, member["username"])
    finally:
        srv.stop()
    nothing = manage(base_env(tmp_path / "empty", free_port()), "reset-admin-password",
                     "--data-dir", str(tmp_path / "empty"), stdin="long enough pass\n")
    assert nothing.returncode == 1 and "no database" in nothing.stderr


def test_migrate(tmp_path):
    env = base_env(tmp_path / "data", free_port())
    first = manage(env, "migrate", "--data-dir", str(tmp_path / "data"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"Applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}."
    with sqlite3.connect(tmp_path / "data" / "crm.db") as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY version")] == MIGRATIONS
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x', 'now')")
    env["CRM_DATA_DIR"] = str(tmp_path / "data")  # the default --data-dir
    again = manage(env, "migrate")
    assert again.returncode == 3 and "9999_from_the_future" in again.stderr


def test_backups_create(tmp_path):
    srv = launch(tmp_path / "data")
    try:
        admin = srv.bootstrap()
        made = manage(srv.env, "create", "--data-dir", str(srv.data_dir), module="backend.backups")
        assert made.returncode == 0, made.stderr
        name = made.stdout.strip()
        assert re.fullmatch(r"[0-9a-f-]+\.db", name) and (srv.data_dir / "backups" / name).is_file()
        listed = {b["id"]: b for b in admin.get("/api/fundraising/backups").data}
        backup = listed[name[:-3]]
        assert backup["kind"] == "manual" and backup["created_by"] == "command line"
        assert admin.post("/api/fundraising/backup-verify", {"id": backup["id"]}).data["verify"]["ok"] is True
    finally:
        srv.stop()
    missing = manage(base_env(tmp_path / "none", free_port()), "create", "--data-dir", str(tmp_path / "none"),
                     module="backend.backups")
    assert missing.returncode == 1 and "no database" in missing.stderr and not missing.stdout


def test_gmail_key(tmp_path):
    key = make_service_account_key("http://127.0.0.1:9/token")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(key))
    bad.write_text(json.dumps({**key, "private_key": "not a key"}))
    env = base_env(tmp_path / "data", free_port())
    shown = manage(env, "gmail-key", str(good))
    assert shown.returncode == 0 and shown.stdout.strip() == key["client_email"]
    refused = manage(env, "gmail-key", str(bad))
    assert refused.returncode == 1 and "private_key" in refused.stderr
