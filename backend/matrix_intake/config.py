"""The bot's settings, read once from the environment (names fixed by the contract's "Intake"
section); a missing or malformed one stops start-up with a message naming it."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    homeserver_url: str
    user_id: str
    room_id: str
    crm_url: str
    crm_token: str
    state_dir: Path
    password: str | None = None
    access_token: str | None = None
    allowed_senders: frozenset[str] = field(default_factory=frozenset)
    proposal_ttl_hours: float = 72.0
    llm_base_url: str | None = None
    llm_model: str = "local"
    llm_api_key: str | None = None
    llm_timeout_seconds: float = 30.0

    @property
    def state_file(self) -> Path:
        return self.state_dir / "intake.sqlite3"


def _url(env: dict, name: str, required: bool = True) -> str | None:
    value = (env.get(name) or "").strip().rstrip("/")
    if not value:
        if required:
            raise ConfigError(f"{name} is not set")
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http:// or https:// URL, not {value!r}")
    return value


def _number(env: dict, name: str, default: float, low: float, high: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {raw}")
    return value


def from_env(env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    user_id = (env.get("MATRIX_USER_ID") or "").strip()
    if not (user_id.startswith("@") and ":" in user_id):
        raise ConfigError("MATRIX_USER_ID must be a full Matrix user id like @intake:example.org")
    room_id = (env.get("MATRIX_ROOM_ID") or "").strip()
    if not (room_id.startswith("!") and len(room_id) > 1 or room_id.startswith("#") and ":" in room_id):
        raise ConfigError("MATRIX_ROOM_ID must be a room id (!abc...) or an alias (#intake:server)")
    password = env.get("MATRIX_PASSWORD") or None
    access_token = (env.get("MATRIX_ACCESS_TOKEN") or "").strip() or None
    if not password and not access_token:
        raise ConfigError("set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN")
    token = (env.get("CRM_SERVICE_TOKEN") or "").strip()
    if not token:
        raise ConfigError("CRM_SERVICE_TOKEN is not set (Settings -> Intake -> Create the bot's token)")
    allowed = frozenset(s.strip() for s in (env.get("MATRIX_ALLOWED_SENDERS") or "").split(",") if s.strip())
    bad = sorted(s for s in allowed if not (s.startswith("@") and ":" in s))
    if bad:
        raise ConfigError(f"MATRIX_ALLOWED_SENDERS must list Matrix user ids; not: {', '.join(bad)}")
    state_dir = Path(env.get("INTAKE_STATE_DIR") or "./data/matrix_intake").expanduser()
    return Settings(
        homeserver_url=_url(env, "MATRIX_HOMESERVER_URL"), user_id=user_id, room_id=room_id,
        crm_url=_url(env, "CRM_URL"), crm_token=token, state_dir=state_dir,
        password=password, access_token=access_token, allowed_senders=allowed,
        proposal_ttl_hours=_number(env, "INTAKE_PROPOSAL_TTL_HOURS", 72.0, 0.0001, 24 * 365),
        llm_base_url=_url(env, "CRM_LLM_BASE_URL", required=False),
        llm_model=(env.get("CRM_LLM_MODEL") or "").strip() or "local",
        llm_api_key=(env.get("CRM_LLM_API_KEY") or "").strip() or None,
        llm_timeout_seconds=_number(env, "CRM_LLM_TIMEOUT_SECONDS", 30.0, 1, 600))
