"""Settings from the environment, secret handling, and refusing unsafe production start-up."""
from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from backend.config import ConfigError, load_settings
from helpers import ROOT, base_env, free_port, launch


def test_defaults(tmp_path):
    s = load_settings({"CRM_DATA_DIR": str(tmp_path)})
    assert (s.host, s.port, s.env, s.max_body_bytes) == ("0.0.0.0", 8080, "development", 10 * 1024 * 1024)
    assert s.cors_origins == () and s.trusted_proxies == ()
    assert s.secret_source == "generated" and len(s.secret_key) >= 32


def test_generated_secret_is_private_and_persistent(tmp_path):
    first = load_settings({"CRM_DATA_DIR": str(tmp_path)})
    mode = stat.S_IMODE((tmp_path / ".secret_key").stat().st_mode)
    assert mode == 0o600
    assert load_settings({"CRM_DATA_DIR": str(tmp_path)}).secret_key == first.secret_key


@pytest.mark.parametrize("env, message", [
    ({"CRM_ENV": "production"}, "requires CRM_SECRET_KEY"),
    ({"CRM_ENV": "production", "CRM_SECRET_KEY": "short"}, "too weak"),
    ({"CRM_SECRET_KEY": "changeme"}, "too weak"),
    ({"CRM_PORT": "eighty"}, "CRM_PORT must be an integer"),
    ({"CRM_TRUSTED_PROXIES": "not-an-ip"}, "CRM_TRUSTED_PROXIES"),
    ({"CRM_ENV": "staging"}, "CRM_ENV"),
    ({"SMTP_SECURITY": "ssl3"}, "SMTP_SECURITY"),
    ({"CRM_MAX_BODY_BYTES": "-1"}, "CRM_MAX_BODY_BYTES"),
])
def test_bad_settings_are_refused_with_the_variable_named(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"CRM_DATA_DIR": str(tmp_path), **env})


def test_production_server_refuses_to_start_without_secret(tmp_path):
    env = base_env(tmp_path, free_port(), CRM_ENV="production")
    proc = subprocess.run([sys.executable, "-m", "backend.server"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "requires CRM_SECRET_KEY" in proc.stderr
    assert not (tmp_path / ".secret_key").exists()


def test_production_server_starts_with_strong_secret(start_server):
    srv = start_server(CRM_ENV="production", CRM_SECRET_KEY="k" * 20 + "9Zq-4c8Tn2Wx7Lp1Vb6M")
    admin = srv.bootstrap()
    status = admin.get("/api/security/status").data
    assert {c["id"]: c["status"] for c in status["checks"]}["secret"] == "ok"
    assert status["environment"] == "production"


def test_tokens_survive_a_restart(tmp_path):
    data = tmp_path / "data"
    first = launch(data)
    admin = first.bootstrap()
    first.stop()
    second = launch(data)
    try:
        assert second.client(admin.token).get("/api/auth/me").data["username"] == "admin"
    finally:
        second.stop()


def test_every_setting_is_documented():
    from backend.config import SETTINGS
    doc = (ROOT / "docs" / "operations.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in doc]
    assert not missing, f"document these in docs/operations.md: {missing}"
