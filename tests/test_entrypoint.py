"""deploy/entrypoint.sh run for real (POSIX sh, this test's Python as $PYTHON): the data layout,
the persisted signing secret, Gmail on only with a usable key, migrations before the server, and
a real server start through it answering /api/ready."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys

from gmail_emulator import make_service_account_key
from helpers import ROOT, RunningServer, free_port, wait_ready

ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
PRINT_ENV = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]
SERVER = [sys.executable, "-m", "backend.server"]
MIGRATIONS = sorted(p.stem for p in (ROOT / "backend" / "migrations").glob("*.sql"))


def clean_env(data_dir, **extra) -> dict:
    """The caller's environment without any CRM_/SMTP_ setting: what a fresh container sees."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "SMTP_", "INTAKE_"))}
    env.update(PYTHON=sys.executable, CRM_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(data_dir, command=PRINT_ENV, **extra):
    """Run the entrypoint with `command`; returns (process, the command's environment or None)."""
    proc = subprocess.run([str(ENTRYPOINT), *command], cwd=ROOT, env=clean_env(data_dir, **extra),
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc, (json.loads(lines[-1]) if lines else None)


def test_layout_and_a_secret_kept_across_starts(tmp_path):
    data = tmp_path / "data"
    first, env1 = run(data)
    assert first.returncode == 0, first.stderr
    for name in ("secrets", "backups", "email_attachments", "matrix_intake"):
        assert (data / name).is_dir(), name
    secret = data / "secrets" / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "secrets").stat().st_mode) == 0o700
    assert env1["CRM_SECRET_KEY"] == secret.read_text().strip() and len(env1["CRM_SECRET_KEY"]) >= 32
    assert env1["CRM_ENV"] == "production" and env1["CRM_DATA_DIR"] == str(data)
    assert env1["INTAKE_STATE_DIR"] == str(data / "matrix_intake")
    assert "generated the signing secret" in first.stdout
    second, env2 = run(data)
    assert second.returncode == 0, second.stderr
    assert env2["CRM_SECRET_KEY"] == env1["CRM_SECRET_KEY"]  # the same key on every start
    assert "generated" not in second.stdout
    # Gmail is off without a key, and nothing but the server's start touches the database.
    for proc, env in ((first, env1), (second, env2)):
        assert "venture-crm entrypoint: Gmail off (no service-account key)" in proc.stdout
        assert "CRM_GMAIL_SERVICE_ACCOUNT_FILE" not in env
    assert not (data / "crm.db").exists()


def test_given_settings_win(tmp_path):
    given = "k" * 20 + "9Zq-4c8Tn2Wx7Lp1Vb6M"
    proc, env = run(tmp_path / "data", CRM_SECRET_KEY=given, CRM_ENV="development")
    assert proc.returncode == 0, proc.stderr
    assert env["CRM_SECRET_KEY"] == given and env["CRM_ENV"] == "development"
    assert not (tmp_path / "data" / "secrets" / "secret_key").exists()


def test_gmail_on_only_with_a_usable_key(tmp_path):
    data = tmp_path / "data"
    run(data)
    key = make_service_account_key("http://127.0.0.1:9/token")
    uploaded = data / "secrets" / "gmail-service-account.json"
    uploaded.write_text(json.dumps(key))
    proc, env = run(data)
    assert f"venture-crm entrypoint: Gmail on ({key['client_email']})" in proc.stdout
    assert env["CRM_GMAIL_SERVICE_ACCOUNT_FILE"] == str(uploaded)

    # A key the host provides elsewhere is used when it is usable ...
    host_key = dict(key, client_email="box@crm-box.iam.gserviceaccount.com")
    provided = tmp_path / "mounted-key.json"
    provided.write_text(json.dumps(host_key))
    proc, env = run(data, CRM_GMAIL_SERVICE_ACCOUNT_FILE=provided)
    assert "Gmail on (box@crm-box.iam.gserviceaccount.com)" in proc.stdout
    assert env["CRM_GMAIL_SERVICE_ACCOUNT_FILE"] == str(provided)

    # ... and an unparsable one is reported, never used, and never stops the command.
    uploaded.write_text("{not json")
    provided.write_text(json.dumps({"type": "authorized_user"}))
    proc, env = run(data, CRM_GMAIL_SERVICE_ACCOUNT_FILE=provided)
    assert proc.returncode == 0 and env is not None
    assert "Gmail off (no service-account key)" in proc.stdout
    assert f"Gmail key not used: {uploaded} is not JSON" in proc.stdout
    assert 'type must be "service_account"' in proc.stdout
    assert "CRM_GMAIL_SERVICE_ACCOUNT_FILE" not in env


def test_a_real_server_start_migrates_first_and_answers_ready(tmp_path):
    data = tmp_path / "data"
    log = tmp_path / "server.log"

    def start() -> RunningServer:
        port = free_port()
        env = clean_env(data, CRM_HOST="127.0.0.1", CRM_PORT=port, CRM_BCRYPT_ROUNDS=4)
        with open(log, "w") as out:
            proc = subprocess.Popen([str(ENTRYPOINT), *SERVER], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        srv = RunningServer(env, data, port, proc, log)
        wait_ready(srv, timeout=60)
        return srv

    srv = start()
    try:
        ready = srv.client().get("/api/ready")
        assert ready.status == 200 and ready.json["data"] == {"status": "ready"}
        admin = srv.bootstrap()
    finally:
        srv.stop()
    output = log.read_text()
    assert f"venture-crm entrypoint: Applied {len(MIGRATIONS)} migration(s): {', '.join(MIGRATIONS)}." in output
    assert "venture-crm: applied migrations" not in output  # the entrypoint did it, before serving
    assert srv.proc.returncode == 0  # SIGTERM reached the server itself (exec), which stopped cleanly
    with sqlite3.connect(data / "crm.db") as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY version")] == MIGRATIONS

    again = start()  # a restart: nothing to apply, and the persisted secret keeps the session
    try:
        assert f"up to date ({len(MIGRATIONS)} migrations applied)" in log.read_text()
        assert again.client(admin.token).get("/api/auth/me").data["username"] == "admin"
    finally:
        again.stop()


def test_a_failed_migration_stops_before_serving(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "crm.db") as conn:  # a database from a newer release
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " checksum TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x', 'now')")
    proc, _ = run(data, SERVER, CRM_PORT=free_port(), CRM_HOST="127.0.0.1")
    assert proc.returncode == 3
    assert "9999_from_the_future" in proc.stderr and "listening" not in proc.stdout


def test_the_entrypoint_is_posix_sh_and_executable_in_git():
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text and 'exec "$@"' in text
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0
    staged = subprocess.run(["git", "ls-files", "-s", "deploy/entrypoint.sh"], cwd=ROOT,
                            capture_output=True, text=True).stdout
    if staged:
        assert staged.startswith("100755 "), staged
    else:  # not added yet: `git add` will record the executable bit (core.fileMode is on)
        mode = subprocess.run(["git", "config", "core.fileMode"], cwd=ROOT, capture_output=True, text=True).stdout
        assert os.access(ENTRYPOINT, os.X_OK) and mode.strip() != "false"
