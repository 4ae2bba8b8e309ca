"""What a deployment sets from outside: SMTP_* and CRM_LLM_* read from the environment,
CRM_GMAIL_SERVICE_ACCOUNT_FILE (a key the host manages) over HTTP, and the deployment files
themselves: the Dockerfile and docker-compose.yml checked as text (no docker daemon and no PyYAML
here). /api/ready's JSON is tested in test_server.py and, through the entrypoint, in
test_entrypoint.py."""
from __future__ import annotations

import json
import re

from backend.config import SETTINGS, load_settings
from gmail_emulator import make_service_account_key
from helpers import ROOT, upload_key


def test_smtp_settings_from_the_environment(tmp_path):
    s = load_settings({"CRM_DATA_DIR": str(tmp_path), "SMTP_HOST": " smtp.fund.example ", "SMTP_PORT": "465",
                       "SMTP_SECURITY": "TLS", "SMTP_USERNAME": "crm@fund.example", "SMTP_PASSWORD": " p w ",
                       "SMTP_FROM": "crm@fund.example"})
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.username, s.smtp.sender) == (
        "smtp.fund.example", 465, "tls", "crm@fund.example", "crm@fund.example")
    assert s.smtp.password == " p w " and s.smtp.enabled  # a password is taken as given
    off = load_settings({"CRM_DATA_DIR": str(tmp_path), "SMTP_FROM": "crm@fund.example"})
    assert off.smtp.host == "" and not off.smtp.enabled and off.smtp.port == 587 and off.smtp.security == "starttls"


def test_llm_settings_from_the_environment(tmp_path):
    s = load_settings({"CRM_DATA_DIR": str(tmp_path), "CRM_LLM_BASE_URL": "http://10.0.0.5:8000/",
                       "CRM_LLM_MODEL": "qwen2.5", "CRM_LLM_API_KEY": "sk-box"})
    assert (s.llm.base_url, s.llm.model, s.llm.api_key) == ("http://10.0.0.5:8000", "qwen2.5", "sk-box")
    assert s.llm.enabled
    off = load_settings({"CRM_DATA_DIR": str(tmp_path)})
    assert not off.llm.enabled and off.llm.model == "local" and off.llm.api_key == ""


def test_a_host_managed_gmail_key(tmp_path, start_server):
    key = make_service_account_key("http://127.0.0.1:9/token")
    provided = tmp_path / "box-key.json"
    provided.write_text(json.dumps(key))
    assert load_settings({"CRM_DATA_DIR": str(tmp_path / "d"),
                          "CRM_GMAIL_SERVICE_ACCOUNT_FILE": str(provided)}).email.service_account_file == str(provided)
    srv = start_server(CRM_GMAIL_SERVICE_ACCOUNT_FILE=provided)
    admin = srv.bootstrap()
    status = admin.get("/api/email/status").data
    assert status["enabled"] and status["service_account"]["client_email"] == key["client_email"]
    refused = upload_key(admin, make_service_account_key("http://127.0.0.1:9/token"))
    assert refused.status == 409 and refused.json["code"] == "key_managed"
    assert "managed by the box" in refused.json["error"]
    assert not (srv.data_dir / "secrets" / "gmail-service-account.json").exists()

    # Without the file (not written yet), the key is the UI's as before; the host's wins once it exists.
    provided.unlink()
    assert admin.get("/api/email/status").data["service_account"] is None
    own = make_service_account_key("http://127.0.0.1:9/token")
    own["client_email"] = "uploaded@crm-own.iam.gserviceaccount.com"
    assert upload_key(admin, own).status == 201
    assert admin.get("/api/email/status").data["service_account"]["client_email"] == own["client_email"]
    provided.write_text(json.dumps(key))
    assert admin.get("/api/email/status").data["service_account"]["client_email"] == key["client_email"]


def test_the_entrypoints_own_key_path_stays_uploadable(start_server, tmp_path):
    """The entrypoint exports the data dir's own key file when that is the key it found: that
    key is still the UI's to replace."""
    data = tmp_path / "data"
    srv = start_server(data_dir=data, CRM_GMAIL_SERVICE_ACCOUNT_FILE=data / "secrets" / "gmail-service-account.json")
    admin = srv.bootstrap()
    key = make_service_account_key("http://127.0.0.1:9/token")
    assert upload_key(admin, key).status == 201
    assert upload_key(admin, make_service_account_key("http://127.0.0.1:9/token")).status == 201
    assert admin.get("/api/email/status").data["service_account"]["client_email"] == key["client_email"]


# --- the deployment files ------------------------------------------------------------------------

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    return [(m.group(1).upper(), m.group(2).strip()) for m in re.finditer(r"^(\w+)\s+(.*)$", joined, re.M)]


def test_the_dockerfile_refers_only_to_what_exists():
    steps = _instructions(DOCKERFILE)
    kinds = [k for k, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert dict(steps)["WORKDIR"] == "/app"
    copied = [args.split() for kind, args in steps if kind == "COPY"]
    for parts in copied:
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source} is not in the repository"
    sources = {s.rstrip("/") for parts in copied for s in parts[:-1]}
    assert {"backend", "frontend", "deploy"} <= sources and not sources & {"tests", "node_modules", "data", "."}
    install = next(args for kind, args in steps if kind == "RUN" and "pip install" in args)
    assert "--no-cache-dir" in install and "-r requirements.txt -r backend/matrix_intake/requirements.txt" in install
    cmd = json.loads(dict(steps)["CMD"])
    assert cmd[:2] == ["python", "-m"] and (ROOT / (cmd[2].replace(".", "/") + ".py")).is_file()
    entrypoint = json.loads(dict(steps)["ENTRYPOINT"])
    assert entrypoint == ["/app/deploy/entrypoint.sh"] and (ROOT / entrypoint[0].removeprefix("/app/")).is_file()
    env = " ".join(args for kind, args in steps if kind == "ENV")
    for pair in ("CRM_DATA_DIR=/data", "CRM_HOST=0.0.0.0", "CRM_PORT=8080"):
        assert pair in env
    assert ("EXPOSE", "8080") in steps and ("VOLUME", "/data") in steps
    assert dict(steps)["USER"] not in ("root", "0") and kinds.index("USER") > kinds.index("RUN")
    assert "/api/ready" in dict(steps)["HEALTHCHECK"] and "urllib" in dict(steps)["HEALTHCHECK"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"tests", "node_modules", "data", ".env", ".git"} <= set(ignored)
    assert not {"backend", "frontend", "deploy", "requirements.txt"} & set(ignored)


def _services(text: str) -> dict[str, str]:
    """Each top-level service's block of text (two-space indented names under `services:`)."""
    body = text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    parts = re.split(r"^  ([a-z][a-z0-9_-]*):\n", body, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_compose_services_profiles_ports_and_volume():
    services = _services(COMPOSE)
    assert set(services) == {"crm", "intake", "caddy"}
    crm, intake, caddy = services["crm"], services["intake"], services["caddy"]
    assert "build: ." in crm and '- "8080:8080"' in crm and "- ./data:/data" in crm
    assert "restart: unless-stopped" in crm and "/api/ready" in crm and "path: .env" in crm
    assert "profiles" not in crm
    assert 'profiles: ["bot"]' in intake and '"backend.matrix_intake"' in intake
    assert "CRM_URL: http://crm:8080" in intake and (ROOT / "backend" / "matrix_intake" / "__main__.py").is_file()
    assert 'profiles: ["tls"]' in caddy and "./deploy/Caddyfile:/etc/caddy/Caddyfile" in caddy
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$CRM_DOMAIN" in caddyfile and "reverse_proxy crm:8080" in caddyfile
    assert "CRM_TRUSTED_PROXIES" in COMPOSE and "CRM_PUBLIC_URL" in COMPOSE


def test_every_variable_compose_names_is_read_by_the_server_or_the_bot():
    bot = set(re.findall(r'"((?:MATRIX|CRM|INTAKE)_[A-Z0-9_]+)"', (ROOT / "backend" / "matrix_intake" / "config.py").read_text()))
    known = {s.env for s in SETTINGS} | bot | {"CRM_DOMAIN"}  # CRM_DOMAIN: Caddy's, in deploy/Caddyfile
    named = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE))
    named |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", COMPOSE, re.M))     # environment: keys
    named |= set(re.findall(r"^#\s+([A-Z][A-Z0-9_]*)=", COMPOSE, re.M))    # the .env examples
    assert {"SMTP_HOST", "SMTP_PASSWORD", "CRM_LLM_BASE_URL", "CRM_LLM_API_KEY", "CRM_SERVICE_TOKEN",
            "MATRIX_USER_ID"} <= named
    assert not named - known, f"docker-compose.yml names settings nothing reads: {sorted(named - known)}"
