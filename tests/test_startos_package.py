"""The StartOS 0.4 package in start9/0.4 (TypeScript on @start9labs/start-sdk 2.0.9, docs/start9.md).

What can be checked without a StartOS box: the exact pins, `tsc --noEmit`, the SDK's own lint
gate (what `make` runs before bundling), the package's pure mappings bundled with ncc and run by
node (test/smtpEnv.check.ts: every Manage SMTP selection -> the exact SMTP_* variables;
test/env.check.ts: the LLM and Matrix variables, the forms' rules, the Gmail key check, the
commands), and that what the package assumes agrees with this repository: every variable it
passes is one the Python side reads (tsc cannot catch SMTP_HOSTNAME), the CRM's and the bot's own
settings readers accept the environments it builds, and the volume, port, paths, health route,
image user and CLI commands exist. Building the .s9pk and running it need a box (docs/start9.md).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "start9" / "0.4"
PINS = {"@start9labs/start-sdk": "2.0.9", "@types/node": "20.19.43", "typescript": "6.0.3", "@vercel/ncc": "0.45.0"}
NAME = re.compile(r"\b((?:CRM|SMTP|MATRIX|INTAKE)_[A-Z0-9_]*[A-Z0-9])\b")


def run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=PKG, capture_output=True, text=True, timeout=timeout)


def shown(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"


@pytest.fixture(scope="module")
def node() -> str:
    """node with the package's node_modules (npm ci from the lock file when absent)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are required for the StartOS package checks: install Node.js 20 and npm "
                    "(./start.sh test installs them and runs npm ci in start9/0.4)")
    if not (PKG / "node_modules" / "@start9labs" / "start-sdk" / "package.json").is_file():
        proc = run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], timeout=600)
        assert proc.returncode == 0, "npm ci in start9/0.4 failed:\n" + shown(proc)
    return node


@pytest.fixture(scope="module")
def checks(node, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """test/*.check.ts bundled by ncc (both at once) and run by node."""
    out = tmp_path_factory.mktemp("startos-checks")
    ncc = str(PKG / "node_modules" / "@vercel" / "ncc" / "dist" / "ncc" / "cli.js")
    names = ("smtpEnv", "env")
    builds = {n: subprocess.Popen([node, ncc, "build", f"test/{n}.check.ts", "-o", str(out / n), "-q"], cwd=PKG,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in names}
    results = {}
    for n, build in builds.items():
        stdout, stderr = build.communicate(timeout=180)
        assert build.returncode == 0, f"ncc could not bundle test/{n}.check.ts:\n{stdout}\n{stderr}"
        results[n] = run([node, str(out / n / "index.js")], timeout=60)
    return results


def printed(proc: subprocess.CompletedProcess, label: str) -> dict:
    lines = [line for line in proc.stdout.splitlines() if line.startswith(f"ENV {label} ")]
    assert len(lines) == 1, f"test/env.check.ts printed no `ENV {label}` line:\n" + shown(proc)
    return json.loads(lines[0][len(f"ENV {label} "):])


def test_versions_are_pinned_exactly(node):
    package = json.loads((PKG / "package.json").read_text())
    declared = {**package["dependencies"], **package["devDependencies"]}
    assert declared == PINS, "package.json must pin exactly these versions (no ^ or ~: the SDK breaks in patch releases)"
    lock = json.loads((PKG / "package-lock.json").read_text())["packages"]
    for name, version in PINS.items():
        assert lock[f"node_modules/{name}"]["version"] == version, f"package-lock.json has another {name}"
        installed = json.loads((PKG / "node_modules" / name / "package.json").read_text())["version"]
        assert installed == version, f"node_modules has {name} {installed}, not {version}: run npm ci in start9/0.4"
    for ignored in ("node_modules/", "javascript/"):
        assert ignored in (PKG / ".gitignore").read_text().split(), f"start9/0.4/.gitignore must ignore {ignored}"


def test_typescript_compiles(node):
    proc = run([node, str(PKG / "node_modules" / "typescript" / "bin" / "tsc"), "--noEmit", "-p", "."])
    assert proc.returncode == 0, "tsc --noEmit fails in start9/0.4:\n" + shown(proc)


def test_sdk_lint_gate_passes(node):
    proc = run([node, "node_modules/@start9labs/start-sdk/lint.mjs"])
    assert proc.returncode == 0, "the SDK's lint gate (run by make before bundling) fails:\n" + shown(proc)


def test_every_smtp_selection_maps_to_the_exact_variables(checks):
    proc = checks["smtpEnv"]
    assert proc.returncode == 0, "test/smtpEnv.check.ts failed:\n" + shown(proc)
    for case in ("disabled", "system with the OS account", "system with customFrom", "OS has no SMTP account",
                 "custom gmail, tls", "custom other, starttls 587"):
        assert re.search(rf"^ok - .*{re.escape(case)}", proc.stdout, re.M), f"no passing case for {case!r}:\n{proc.stdout}"
    summary = re.search(r"^(\d+) passed, 0 failed$", proc.stdout, re.M)
    assert summary and int(summary.group(1)) >= 9 and "FAIL" not in proc.stdout, proc.stdout


def test_llm_matrix_forms_key_and_commands_check_out(checks):
    proc = checks["env"]
    assert proc.returncode == 0, "test/env.check.ts failed:\n" + shown(proc)
    summary = re.search(r"^(\d+) passed, 0 failed$", proc.stdout, re.M)
    assert summary and int(summary.group(1)) >= 30 and "FAIL" not in proc.stdout, proc.stdout


def test_every_variable_the_package_passes_is_read_by_the_python_side():
    read = set()
    for source in ("backend/config.py", "backend/matrix_intake/config.py"):
        read |= set(re.findall(r"[\"']((?:CRM|SMTP|MATRIX|INTAKE)_[A-Z0-9_]+)[\"']", (ROOT / source).read_text()))
    read |= set(re.findall(r"^\| `([A-Z0-9_]+)` \|", (ROOT / "docs" / "operations.md").read_text(), re.M))
    passed: dict[str, set[str]] = {}
    for path in sorted((PKG / "startos").rglob("*.ts")):
        for name in NAME.findall(path.read_text()):
            passed.setdefault(name, set()).add(str(path.relative_to(PKG)))
    expected = {"CRM_ENV", "CRM_HOST", "CRM_PORT", "CRM_DATA_DIR", "CRM_SECRET_KEY", "SMTP_HOST", "SMTP_PORT",
                "SMTP_SECURITY", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "CRM_LLM_BASE_URL", "CRM_LLM_MODEL",
                "CRM_LLM_API_KEY", "CRM_URL", "CRM_SERVICE_TOKEN", "INTAKE_STATE_DIR", "MATRIX_HOMESERVER_URL",
                "MATRIX_USER_ID", "MATRIX_ROOM_ID", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "MATRIX_ALLOWED_SENDERS"}
    assert expected <= set(passed), f"the package no longer names {sorted(expected - set(passed))}"
    unknown = {name: sorted(files) for name, files in passed.items() if name not in read}
    assert not unknown, ("start9/0.4 passes variables no Python reader knows (backend/config.py, "
                         f"backend/matrix_intake/config.py, docs/operations.md): {unknown}")


def test_the_crm_and_the_bot_accept_the_environments_the_package_builds(checks, tmp_path):
    from backend.config import load_settings
    from backend.matrix_intake.config import from_env

    primary = printed(checks["env"], "primary")
    settings = load_settings({**primary, "CRM_DATA_DIR": str(tmp_path / "data")})
    assert (settings.env, settings.host, settings.port, settings.secret_source) == ("production", "0.0.0.0", 8080, "environment")
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security, settings.smtp.sender) == \
        ("smtp.gmail.com", 465, "tls", "a@b.example")
    assert settings.smtp.enabled and settings.llm.base_url == "http://10.0.0.5:8000" and settings.llm.model == "local"
    for label in ("matrix", "matrix-token"):
        env = printed(checks["env"], label)
        bot = from_env({**env, "INTAKE_STATE_DIR": str(tmp_path / label)})
        assert bot.crm_url == "http://127.0.0.1:8080" and bot.crm_token == env["CRM_SERVICE_TOKEN"]
        assert (bot.homeserver_url, bot.user_id, bot.room_id) == \
            (env["MATRIX_HOMESERVER_URL"], env["MATRIX_USER_ID"], env["MATRIX_ROOM_ID"])
        assert (bot.password, bot.access_token) == (env.get("MATRIX_PASSWORD"), env.get("MATRIX_ACCESS_TOKEN"))
        assert bot.allowed_senders == frozenset(filter(None, env.get("MATRIX_ALLOWED_SENDERS", "").split(",")))
        assert bot.llm_base_url == env.get("CRM_LLM_BASE_URL") and bot.llm_model == env.get("CRM_LLM_MODEL", "local")


def test_manifest_paths_and_routes_agree_with_the_repository(checks):
    pkg = printed(checks["env"], "package")
    assert pkg["id"] == "venture-crm" and pkg["version"] == "1.0.0:0" and pkg["volumes"] == ["main"]
    assert pkg["mounts"] == [{"mountpoint": pkg["dataDir"], "options": {
        "type": "volume", "volumeId": "main", "subpath": None, "readonly": False, "filetype": "directory", "idmap": []}}]
    image = pkg["images"]["main"]
    assert image["arch"] == ["x86_64", "aarch64"]
    # start-cli runs `docker build <workdir> -f <dockerfile>` from start9/0.4.
    build = image["source"]["dockerBuild"]
    assert (PKG / build["workdir"]).resolve() == ROOT
    dockerfile = (PKG / build["dockerfile"]).resolve()
    assert dockerfile == ROOT / "Dockerfile" and dockerfile.is_file(), "the repository root has no Dockerfile"
    docker = dockerfile.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", docker, re.M)
    assert re.search(rf"^WORKDIR {re.escape(pkg['appDir'])}$", docker, re.M)
    assert re.search(rf"^USER {re.escape(pkg['appUser'])}$", docker, re.M), "main.ts chowns /data to the image's USER"
    assert re.search(r"^COPY deploy/ \./deploy/$", docker, re.M) and (ROOT / "deploy" / "entrypoint.sh").is_file()
    assert pkg["entrypoint"] == f"{pkg['appDir']}/deploy/entrypoint.sh"
    assert re.search(rf"CRM_DATA_DIR={re.escape(pkg['dataDir'])}\b", docker)

    from backend.config import DEFAULTS
    assert pkg["uiPort"] == int(DEFAULTS["CRM_PORT"]) == 8080
    server = (ROOT / "backend" / "server.py").read_text()
    assert re.search(rf'Route\("GET", "{re.escape(pkg["readyPath"])}", \w+, PUBLIC\b', server), \
        f"{pkg['readyPath']} (the health check) is not a public GET route of backend/server.py"
    intake = (ROOT / "backend" / "intake" / "routes.py").read_text()
    assert re.search(rf'Route\("GET", "{re.escape(pkg["botCheckPath"])}", \w+, USER, scope="intake:match"', intake)
    service = (ROOT / "backend" / "email_integration" / "service.py").read_text()
    assert f'secrets_dir / "{Path(pkg["gmailKeySubpath"]).name}"' in service and pkg["gmailKeySubpath"].startswith("secrets/")

    # The actions' commands exist with those arguments (as the image runs them, from the app dir).
    for command in (pkg["resetCommand"], pkg["backupCommand"][:4]):
        assert command[:2] == ["python", "-m"]
        proc = subprocess.run([sys.executable, *command[1:], "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(command)} --help:\n{proc.stdout}\n{proc.stderr}"
        if command == pkg["resetCommand"]:
            assert "--username" in proc.stdout
        else:
            assert "--data-dir" in proc.stdout
