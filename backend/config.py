"""Settings: every knob comes from a `CRM_*` environment variable with a documented default.

`load_settings()` is the only place the server reads the environment. The JWT signing secret is
taken from `CRM_SECRET_KEY`; without it, production refuses to start and every other mode
generates one and keeps it (0600) in the data directory so tokens survive restarts.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = ".secret_key"
DEFAULT_SECRET_PLACEHOLDERS = {"change-me", "changeme", "secret", "dev", "development"}


class ConfigError(Exception):
    """A setting is missing or malformed; the server must not start."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


# The documented table of settings (docs/operations.md is generated from the same facts).
SETTINGS: tuple[Setting, ...] = (
    Setting("CRM_DATA_DIR", "./data", "Directory holding the SQLite database, secrets and backups."),
    Setting("CRM_HOST", "0.0.0.0", "Interface the HTTP server binds."),
    Setting("CRM_PORT", "8080", "TCP port of the HTTP server."),
    Setting("CRM_ENV", "development", "`development` or `production`; production requires CRM_SECRET_KEY."),
    Setting("CRM_SECRET_KEY", "", "JWT signing secret (>= 32 characters). Generated into the data dir when unset outside production."),
    Setting("CRM_PUBLIC_URL", "", "External base URL used in invite links and the digest's links (e.g. https://crm.example.ts.net). Defaults to the request's Host."),
    Setting("CRM_CORS_ORIGIN", "", "Comma-separated origins allowed cross-origin. Empty: same-origin only."),
    Setting("CRM_TRUSTED_PROXIES", "", "Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is honoured."),
    Setting("CRM_LOGIN_RATE_LIMIT_PER_MIN", "20", "Auth attempts (login, register, accept-invite) per client IP per minute; 0 disables."),
    Setting("CRM_WRITE_RATE_LIMIT_PER_MIN", "1200", "POST/PUT/PATCH/DELETE requests per client IP per minute; 0 disables."),
    Setting("CRM_GET_RATE_LIMIT_PER_MIN", "6000", "GET requests to /api per client IP per minute; 0 disables."),
    Setting("CRM_LOGIN_LOCKOUT_THRESHOLD", "5", "Consecutive failed logins for one account or IP before back-off starts."),
    Setting("CRM_LOGIN_LOCKOUT_MAX_SECONDS", "900", "Upper bound of the exponential login back-off."),
    Setting("CRM_MAX_BODY_BYTES", str(10 * 1024 * 1024), "Largest accepted request body in bytes (413 above)."),
    Setting("CRM_MAX_IMPORT_BYTES", str(100 * 1024 * 1024), "Largest file accepted by the upload endpoints (CSV import, backup upload), in bytes (413 above)."),
    Setting("CRM_MAX_MAIL_IMPORT_BYTES", str(20 * 1024 ** 3), "Largest mbox accepted by the mail import (streamed, never held in memory), in bytes (413 above)."),
    Setting("CRM_READ_TIMEOUT_SECONDS", "10", "Longest a request's database reads may run before they are stopped (503 `read_timeout`)."),
    Setting("CRM_TOKEN_TTL_HOURS", "12", "Lifetime of a login token."),
    Setting("CRM_INVITE_TTL_HOURS", "72", "Lifetime of an invite link."),
    Setting("CRM_BCRYPT_ROUNDS", "12", "bcrypt cost factor for password hashes (4..16)."),
    Setting("CRM_SQLITE_SYNCHRONOUS", "FULL", "SQLite synchronous mode in WAL (FULL or NORMAL)."),
    Setting("CRM_AUTOMATION_INTERVAL_SECONDS", "900", "How often scheduled automation rules run over every investor."),
    Setting("CRM_DIGEST_CHECK_SECONDS", "60", "How often the digest scheduler looks whether the day's digest is due (Settings -> Digest sets the hour)."),
    Setting("CRM_ACCESS_LOG", "0", "1 to print one line per request to stderr."),
    Setting("SMTP_HOST", "", "Outbound mail server; empty disables mail (invite links are then copied by hand)."),
    Setting("SMTP_PORT", "587", "Outbound mail port."),
    Setting("SMTP_SECURITY", "starttls", "`starttls`, `tls` (implicit TLS) or `none`."),
    Setting("SMTP_USERNAME", "", "SMTP login; empty for no AUTH."),
    Setting("SMTP_PASSWORD", "", "SMTP password."),
    Setting("SMTP_FROM", "", "From address of outbound mail."),
    Setting("CRM_TEAM_DOMAINS", "", "Comma-separated mail domains of the team: never matched to an investor; mail from them is outbound."),
    Setting("CRM_EMAIL_SYNC_INTERVAL_SECONDS", "900", "How often enrolled Gmail mailboxes are synced (0 turns the scheduler off; Sync now still works)."),
    Setting("CRM_EMAIL_MAX_ATTACHMENT_BYTES", str(25 * 1024 * 1024), "Largest email attachment kept on disk; bigger ones are listed, not stored."),
    Setting("CRM_EMAIL_ENCRYPTION_KEY", "", "Base64 32-byte key sealing OAuth refresh tokens at rest. Generated into <data dir>/secrets/email.key when unset; separate from CRM_SECRET_KEY."),
    Setting("CRM_GMAIL_OAUTH_CLIENT_ID", "", "OAuth client id for per-user Gmail consent (empty: delegation only)."),
    Setting("CRM_GMAIL_OAUTH_CLIENT_SECRET", "", "OAuth client secret for per-user Gmail consent."),
    Setting("CRM_GMAIL_SERVICE_ACCOUNT_FILE", "", "A Google service-account key file provided by the host (a StartOS action, a mounted secret). When set and the file exists, Gmail reads the key from it instead of <data dir>/secrets/gmail-service-account.json, and uploading a key in Settings -> Email is refused with 409 `key_managed` (the box manages it; not when it names that very file). Unset: the uploaded key, as before."),
    Setting("CRM_GMAIL_API_URL", "", "Replaces Google's Gmail API base URL, batch requests included (tests and proxies)."),
    Setting("CRM_GOOGLE_TOKEN_URL", "", "Replaces Google's OAuth token endpoint (tests only)."),
    Setting("CRM_GOOGLE_AUTH_URL", "", "Replaces Google's OAuth consent page URL (tests only)."),
    Setting("CRM_LLM_BASE_URL", "", "The box's own OpenAI-compatible model server (`/v1/chat/completions`, `/v1/embeddings`). Empty: every feature uses its deterministic fallback."),
    Setting("CRM_LLM_MODEL", "local", "Chat model name sent to CRM_LLM_BASE_URL."),
    Setting("CRM_EMBEDDING_MODEL", "local-embedding", "Embedding model name sent to CRM_LLM_BASE_URL."),
    Setting("CRM_LLM_API_KEY", "", "Bearer key for CRM_LLM_BASE_URL, if it asks for one."),
    Setting("CRM_LLM_TIMEOUT_SECONDS", "30", "Longest one model call may take before the feature falls back."),
    Setting("CRM_REMOTE_LLM_BASE_URL", "", "Optional remote OpenAI-compatible model, used only for questions (`/api/ask`) and only through the redaction boundary: names, emails and amounts are replaced by placeholders before anything is sent."),
    Setting("CRM_REMOTE_LLM_MODEL", "", "Model name sent to CRM_REMOTE_LLM_BASE_URL."),
    Setting("CRM_REMOTE_LLM_API_KEY", "", "Bearer key for CRM_REMOTE_LLM_BASE_URL."),
    Setting("CRM_QDRANT_URL", "", "A Qdrant server for search. Empty: embedded Qdrant in <data dir>/qdrant (comfortable up to ~20,000 chunks)."),
)
DEFAULTS = {s.env: s.default for s in SETTINGS}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    sender: str

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.sender)


@dataclass(frozen=True)
class EmailSettings:
    team_domains: tuple[str, ...]
    sync_interval_seconds: int
    max_attachment_bytes: int
    encryption_key: str
    oauth_client_id: str
    oauth_client_secret: str
    gmail_api_url: str
    token_url: str
    auth_url: str
    service_account_file: str = ""  # CRM_GMAIL_SERVICE_ACCOUNT_FILE: the host's key file, if any

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.oauth_client_id and self.oauth_client_secret)


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    embedding_model: str
    api_key: str
    timeout_seconds: float

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str
    port: int
    env: str
    secret_key: str
    secret_source: str  # "environment" or "generated"
    public_url: str
    cors_origins: tuple[str, ...]
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    login_rate_limit_per_min: int
    write_rate_limit_per_min: int
    get_rate_limit_per_min: int
    login_lockout_threshold: int
    login_lockout_max_seconds: int
    max_body_bytes: int
    max_import_bytes: int
    max_mail_import_bytes: int
    read_timeout_seconds: float
    token_ttl_hours: float
    invite_ttl_hours: float
    bcrypt_rounds: int
    sqlite_synchronous: str
    access_log: bool
    automation_interval_seconds: int
    digest_check_seconds: int
    smtp: SmtpSettings = field(repr=False)
    email: EmailSettings = field(repr=False)
    llm: LLMSettings = field(repr=False, default=LLMSettings("", "local", "local-embedding", "", 30.0))
    remote_llm: LLMSettings = field(repr=False, default=LLMSettings("", "", "", "", 30.0))
    qdrant_url: str = ""

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "crm.db"


def _int(env: dict, name: str, low: int = 0, high: int | None = None) -> int:
    raw = env.get(name, DEFAULTS[name]).strip() or DEFAULTS[name]
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ConfigError(f"{name} must be {bound}, got {value}")
    return value


def _float(env: dict, name: str) -> float:
    raw = env.get(name, DEFAULTS[name]).strip() or DEFAULTS[name]
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _csv(env: dict, name: str) -> list[str]:
    return [part.strip() for part in env.get(name, DEFAULTS[name]).split(",") if part.strip()]


def _networks(env: dict, name: str):
    networks = []
    for item in _csv(env, name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def _secret(env: dict, data_dir: Path, production: bool) -> tuple[str, str]:
    given = env.get("CRM_SECRET_KEY", "").strip()
    if given:
        if len(given) < MIN_SECRET_LENGTH or given.lower() in DEFAULT_SECRET_PLACEHOLDERS:
            raise ConfigError(
                f"CRM_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters "
                "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        return given, "environment"
    if production:
        raise ConfigError(
            "CRM_ENV=production requires CRM_SECRET_KEY (at least "
            f"{MIN_SECRET_LENGTH} random characters); refusing to start with a generated secret")
    path = data_dir / SECRET_FILE_NAME
    if path.exists():
        stored = path.read_text().strip()
        if len(stored) >= MIN_SECRET_LENGTH:
            return stored, "generated"
    stored = secrets.token_urlsafe(48)
    # Create with 0600 from the start so the secret is never world-readable, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(stored + "\n")
    os.chmod(path, 0o600)
    return stored, "generated"


def load_settings(env: dict | None = None) -> Settings:
    """Read and validate every setting; raises ConfigError with a message naming the variable."""
    env = dict(os.environ if env is None else env)
    mode = env.get("CRM_ENV", DEFAULTS["CRM_ENV"]).strip().lower() or "development"
    if mode not in ("development", "production", "test"):
        raise ConfigError(f"CRM_ENV must be development, production or test, got {mode!r}")
    data_dir = Path(env.get("CRM_DATA_DIR", DEFAULTS["CRM_DATA_DIR"]) or DEFAULTS["CRM_DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    secret, source = _secret(env, data_dir, mode == "production")
    synchronous = env.get("CRM_SQLITE_SYNCHRONOUS", DEFAULTS["CRM_SQLITE_SYNCHRONOUS"]).strip().upper()
    if synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(f"CRM_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, got {synchronous!r}")
    security = env.get("SMTP_SECURITY", DEFAULTS["SMTP_SECURITY"]).strip().lower() or "starttls"
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f"SMTP_SECURITY must be starttls, tls or none, got {security!r}")
    public_url = env.get("CRM_PUBLIC_URL", "").strip().rstrip("/")
    if public_url and not public_url.startswith(("http://", "https://")):
        raise ConfigError(f"CRM_PUBLIC_URL must start with http:// or https://, got {public_url!r}")
    return Settings(
        data_dir=data_dir,
        host=env.get("CRM_HOST", DEFAULTS["CRM_HOST"]).strip() or DEFAULTS["CRM_HOST"],
        port=_int(env, "CRM_PORT", 0, 65535),
        env=mode,
        secret_key=secret,
        secret_source=source,
        public_url=public_url,
        cors_origins=tuple(o.rstrip("/") for o in _csv(env, "CRM_CORS_ORIGIN")),
        trusted_proxies=_networks(env, "CRM_TRUSTED_PROXIES"),
        login_rate_limit_per_min=_int(env, "CRM_LOGIN_RATE_LIMIT_PER_MIN"),
        write_rate_limit_per_min=_int(env, "CRM_WRITE_RATE_LIMIT_PER_MIN"),
        get_rate_limit_per_min=_int(env, "CRM_GET_RATE_LIMIT_PER_MIN"),
        login_lockout_threshold=_int(env, "CRM_LOGIN_LOCKOUT_THRESHOLD", 1),
        login_lockout_max_seconds=_int(env, "CRM_LOGIN_LOCKOUT_MAX_SECONDS", 1),
        max_body_bytes=_int(env, "CRM_MAX_BODY_BYTES", 1024),
        max_import_bytes=_int(env, "CRM_MAX_IMPORT_BYTES", 1024),
        max_mail_import_bytes=_int(env, "CRM_MAX_MAIL_IMPORT_BYTES", 1024),
        read_timeout_seconds=_float(env, "CRM_READ_TIMEOUT_SECONDS"),
        token_ttl_hours=_float(env, "CRM_TOKEN_TTL_HOURS"),
        invite_ttl_hours=_float(env, "CRM_INVITE_TTL_HOURS"),
        bcrypt_rounds=_int(env, "CRM_BCRYPT_ROUNDS", 4, 16),
        sqlite_synchronous=synchronous,
        access_log=env.get("CRM_ACCESS_LOG", "0").strip() in ("1", "true", "yes"),
        automation_interval_seconds=_int(env, "CRM_AUTOMATION_INTERVAL_SECONDS", 10),
        digest_check_seconds=_int(env, "CRM_DIGEST_CHECK_SECONDS", 1, 3600),
        smtp=SmtpSettings(
            host=env.get("SMTP_HOST", "").strip(),
            port=_int(env, "SMTP_PORT", 1, 65535),
            security=security,
            username=env.get("SMTP_USERNAME", "").strip(),
            password=env.get("SMTP_PASSWORD", ""),
            sender=env.get("SMTP_FROM", "").strip(),
        ),
        email=EmailSettings(
            team_domains=tuple(d.lower().lstrip("@") for d in _csv(env, "CRM_TEAM_DOMAINS")),
            sync_interval_seconds=_int(env, "CRM_EMAIL_SYNC_INTERVAL_SECONDS"),
            max_attachment_bytes=_int(env, "CRM_EMAIL_MAX_ATTACHMENT_BYTES", 0),
            encryption_key=env.get("CRM_EMAIL_ENCRYPTION_KEY", "").strip(),
            oauth_client_id=env.get("CRM_GMAIL_OAUTH_CLIENT_ID", "").strip(),
            oauth_client_secret=env.get("CRM_GMAIL_OAUTH_CLIENT_SECRET", "").strip(),
            gmail_api_url=_url(env, "CRM_GMAIL_API_URL"),
            token_url=_url(env, "CRM_GOOGLE_TOKEN_URL"),
            auth_url=_url(env, "CRM_GOOGLE_AUTH_URL"),
            service_account_file=env.get("CRM_GMAIL_SERVICE_ACCOUNT_FILE", "").strip(),
        ),
        llm=LLMSettings(
            base_url=_url(env, "CRM_LLM_BASE_URL"),
            model=env.get("CRM_LLM_MODEL", "").strip() or DEFAULTS["CRM_LLM_MODEL"],
            embedding_model=env.get("CRM_EMBEDDING_MODEL", "").strip() or DEFAULTS["CRM_EMBEDDING_MODEL"],
            api_key=env.get("CRM_LLM_API_KEY", "").strip(),
            timeout_seconds=_float(env, "CRM_LLM_TIMEOUT_SECONDS"),
        ),
        remote_llm=LLMSettings(
            base_url=_url(env, "CRM_REMOTE_LLM_BASE_URL"),
            model=env.get("CRM_REMOTE_LLM_MODEL", "").strip(),
            embedding_model="",
            api_key=env.get("CRM_REMOTE_LLM_API_KEY", "").strip(),
            timeout_seconds=_float(env, "CRM_LLM_TIMEOUT_SECONDS"),
        ),
        qdrant_url=_url(env, "CRM_QDRANT_URL"),
    )


def _url(env: dict, name: str) -> str:
    value = env.get(name, "").strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://, got {value!r}")
    return value


def command_settings(data_dir: str | Path, env: dict | None = None) -> Settings:
    """Settings for an operator's command against `data_dir` (`python -m backend.manage`,
    `python -m backend.backups create`). Such commands sign no token: without CRM_SECRET_KEY a
    throwaway key keeps `load_settings` from refusing (production, as in `docker compose exec`) or
    writing a .secret_key into the data dir."""
    env = {**(os.environ if env is None else env), "CRM_DATA_DIR": str(data_dir)}
    if not env.get("CRM_SECRET_KEY", "").strip():
        env["CRM_SECRET_KEY"] = secrets.token_urlsafe(48)
    return load_settings(env)
