#!/usr/bin/env bash
# Venture CRM: `./start.sh` sets up and runs the server; `./start.sh test` sets up and runs every test.
# Settings come from CRM_* / SMTP_* environment variables, passed through unchanged (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# Install a requirements file into .venv only when it changed since the last install.
ensure_venv() {
  local req="$1" stamp="$VENV/.installed-${1//\//_}"
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv in .venv"
    "$PY" -m venv "$VENV"
  fi
  local want; want=$(sha256sum "$req" requirements.txt backend/matrix_intake/requirements.txt | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing $req"
    "$VENV/bin/pip" install --disable-pip-version-check -q -r "$req"
    echo "$want" > "$stamp"
  fi
}

ensure_node_packages() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing node.js and npm (apt)"
    apt_install nodejs npm
  fi
  npm_ci_in . "the front-end checks"
  # The StartOS package's toolchain (the pinned start-sdk, tsc, ncc) for tests/test_startos_package.py.
  npm_ci_in start9/0.4 "the StartOS package checks"
}

# `npm ci` in a directory only when its package-lock.json changed since the last install there.
npm_ci_in() {
  local dir="$1" what="$2"
  local want; want=$(sha256sum "$dir/package-lock.json" | cut -c1-16)
  if [ ! -f "$dir/node_modules/.installed" ] || [ "$(cat "$dir/node_modules/.installed")" != "$want" ]; then
    log "installing node packages for $what (npm ci in $dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$dir/node_modules/.installed"
  fi
}

APT_UPDATED=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium for the browser tests (apt)"
    apt_install chromium
  fi
}

case "${1:-run}" in
  run|"")
    ensure_venv requirements.txt
    export CRM_DATA_DIR="${CRM_DATA_DIR:-$ROOT/data}"
    exec "$VENV/bin/python" -m backend.server
    ;;
  test)
    shift || true
    ensure_venv requirements-test.txt
    ensure_node_packages
    ensure_chromium
    log "running the test suite"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  intake)
    # The Matrix intake bot: its own process and requirements, settings from MATRIX_* / CRM_* / INTAKE_*.
    ensure_venv backend/matrix_intake/requirements.txt
    export INTAKE_STATE_DIR="${INTAKE_STATE_DIR:-$ROOT/data/matrix_intake}"
    exec "$VENV/bin/python" -m backend.matrix_intake
    ;;
  bench)
    shift || true
    ensure_venv requirements.txt
    exec "$VENV/bin/python" "bench/${1:-health_bench}.py" "${@:2}"
    ;;
  *)
    echo "usage: ./start.sh [run|test [pytest args]|intake|bench NAME]" >&2
    exit 2
    ;;
esac
