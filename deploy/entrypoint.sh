#!/bin/sh
# venture-crm entrypoint: get the data directory ready, then run the command (the image's CMD is
# `python -m backend.server`). Used by the Docker image, docker-compose.yml and the StartOS package.
#
# 1. Lays out $CRM_DATA_DIR (default ./data, /data in the image): secrets/, backups/,
#    email_attachments/, matrix_intake/ (the bot's state: INTAKE_STATE_DIR defaults to it).
# 2. The signing secret: without CRM_SECRET_KEY, one is generated once into
#    secrets/secret_key (0600) and exported on every start, so sign-ins survive restarts and
#    upgrades; CRM_ENV defaults to production (which the server allows only with a real secret).
# 3. Gmail: CRM_GMAIL_SERVICE_ACCOUNT_FILE (a key the host provides), else
#    secrets/gmail-service-account.json (one uploaded in Settings -> Email), is checked with
#    `python -m backend.manage gmail-key`; a usable key is exported as
#    CRM_GMAIL_SERVICE_ACCOUNT_FILE ("Gmail on (<client_email>)"), otherwise the variable is
#    unset ("Gmail off"). A bad key is reported and never stops the server.
# 4. Migrations run before serving, only when the command is the server (`<python> -m
#    backend.server`: "$2" is -m and "$3" backend.server), so a failed migration stops here
#    (exit 3) with the ledger's message and one-off commands (`sh`, `env`, the bot) never touch
#    the database. The server has no dry-run flag: tests run a real start for this step.
#
# Every step is idempotent and safe to kill at any point: mkdir -p, the secret written to a temp
# file and linked into place (never a half-written key), one transaction per migration.
# $PYTHON picks the interpreter (default `python`; tests point it at their virtualenv).
set -eu

PYTHON="${PYTHON:-python}"
say() { printf 'venture-crm entrypoint: %s\n' "$*"; }

[ "$#" -gt 0 ] || set -- "$PYTHON" -m backend.server

# The app is imported as backend.*, so everything runs from the app's directory; resolve the
# data directory first so a relative one still means where it was started.
APP_DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
CRM_DATA_DIR="${CRM_DATA_DIR:-./data}"
mkdir -p "$CRM_DATA_DIR"
CRM_DATA_DIR=$(CDPATH= cd -- "$CRM_DATA_DIR" && pwd)
export CRM_DATA_DIR
cd "$APP_DIR"

if [ ! -w "$CRM_DATA_DIR" ]; then
    say "$CRM_DATA_DIR is not writable by uid $(id -u); give it to that user (chown), see docs/deployment.md" >&2
    exit 1
fi
for dir in secrets backups email_attachments matrix_intake; do
    mkdir -p "$CRM_DATA_DIR/$dir"
done
chmod 700 "$CRM_DATA_DIR/secrets" "$CRM_DATA_DIR/backups"
chmod 700 "$CRM_DATA_DIR" 2>/dev/null || true  # a mount point we may not own; the server says so if it matters
INTAKE_STATE_DIR="${INTAKE_STATE_DIR:-$CRM_DATA_DIR/matrix_intake}"
export INTAKE_STATE_DIR

# --- the signing secret -----------------------------------------------------------------------
if [ -z "${CRM_SECRET_KEY:-}" ]; then
    secret_file="$CRM_DATA_DIR/secrets/secret_key"
    if [ ! -s "$secret_file" ]; then
        tmp="$secret_file.$$.tmp"
        (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$tmp")
        # ln is atomic and refuses when another start (the bot's container) got there first:
        # theirs is kept. Where hard links are not allowed, a rename still never half-writes.
        ln "$tmp" "$secret_file" 2>/dev/null || [ -s "$secret_file" ] || mv -f "$tmp" "$secret_file"
        rm -f "$tmp"
        say "generated the signing secret ($secret_file)"
    fi
    chmod 600 "$secret_file"
    CRM_SECRET_KEY=$(cat "$secret_file")
    export CRM_SECRET_KEY
fi
CRM_ENV="${CRM_ENV:-production}"
export CRM_ENV

# --- Gmail: on only with a usable service-account key ---------------------------------------------
gmail_file=""
identity=""
checked=""
for candidate in "${CRM_GMAIL_SERVICE_ACCOUNT_FILE:-}" "$CRM_DATA_DIR/secrets/gmail-service-account.json"; do
    if [ -z "$candidate" ] || [ "$candidate" = "$checked" ] || [ ! -e "$candidate" ]; then
        continue
    fi
    checked="$candidate"
    if identity=$("$PYTHON" -m backend.manage gmail-key "$candidate" 2>&1); then
        gmail_file="$candidate"
        break
    fi
    say "Gmail key not used: ${identity#venture-crm: }"
done
if [ -n "$gmail_file" ]; then
    CRM_GMAIL_SERVICE_ACCOUNT_FILE="$gmail_file"
    export CRM_GMAIL_SERVICE_ACCOUNT_FILE
    say "Gmail on ($identity)"
else
    unset CRM_GMAIL_SERVICE_ACCOUNT_FILE
    say "Gmail off (no service-account key)"
fi

# --- migrations, before serving ---------------------------------------------------------------
if [ "$#" -ge 3 ] && [ "$2" = "-m" ] && [ "$3" = "backend.server" ]; then
    migrated=$("$PYTHON" -m backend.manage migrate) || exit $?
    say "$migrated"
fi

exec "$@"
