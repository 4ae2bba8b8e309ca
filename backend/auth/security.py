"""Request hardening: client IP behind trusted proxies, per-IP rate limits, login back-off,
security headers, CORS, and the admin security status report."""
from __future__ import annotations

import ipaddress
import math
import sqlite3
import threading
import time

from ..config import Settings
from ..db import utc_now
from ..errors import TooManyRequests

# 'nonce-…' lets exactly the inline loader, the compiled app and the stylesheet of index.html run.
CSP_TEMPLATE = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
                "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def security_headers(nonce: str | None = None) -> dict:
    csp = CSP_TEMPLATE.format(nonce=nonce) if nonce else API_CSP
    return {**BASE_HEADERS, "Content-Security-Policy": csp}


def client_ip(peer: str, forwarded_for: str | None, trusted) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy, and
    then the right-most address that is not itself a trusted proxy wins (left entries are
    whatever the client chose to send)."""
    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in trusted)

    if not forwarded_for or not trusted or not is_trusted(peer):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header is not evidence of anything
        if not is_trusted(hop):
            return hop
    return peer


def cors_headers(settings: Settings, origin: str | None) -> dict:
    if not origin or origin.rstrip("/") not in settings.cors_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, X-API-Key",
            "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Access-Control-Max-Age": "600"}


class RateLimiter:
    """Sliding-window counters per (bucket, ip): the previous minute's count is weighted by how
    much of it still overlaps the window, which smooths the burst at a fixed-window edge."""

    def __init__(self, limits: dict[str, int], clock=time.monotonic):
        self.limits = limits
        self._clock = clock
        self._counts: dict[tuple[str, str], tuple[int, int, int]] = {}  # key -> (minute, current, previous)
        self._lock = threading.Lock()
        self.rejected = 0

    def hit(self, bucket: str, ip: str) -> None:
        limit = self.limits.get(bucket, 0)
        if limit <= 0:
            return
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            start, current, previous = self._counts.get((bucket, ip), (minute, 0, 0))
            if minute != start:
                previous = current if minute == start + 1 else 0
                current, start = 0, minute
            weight = 1 - (now % 60) / 60
            if current + previous * weight >= limit:
                self.rejected += 1
                raise TooManyRequests(f"rate limit of {limit} {bucket} requests per minute exceeded",
                                      retry_after=math.ceil(60 - now % 60))
            self._counts[(bucket, ip)] = (start, current + 1, previous)
            if len(self._counts) > 50_000:
                self._prune(minute)

    def _prune(self, minute: int) -> None:
        for key in [k for k, v in self._counts.items() if v[0] < minute - 1]:
            del self._counts[key]


class LoginBackoff:
    """Exponential back-off after repeated failed logins, per account and per client IP.

    After `threshold` consecutive failures an account is locked for 2, 4, 8 ... seconds (capped);
    a client IP gets four times the allowance, because a whole office may share one address.
    A success clears the account and the IP.
    """

    IP_ALLOWANCE_FACTOR = 4

    def __init__(self, threshold: int, max_seconds: int, clock=time.monotonic):
        self.threshold = threshold
        self.max_seconds = max_seconds
        self._clock = clock
        self._state: dict[str, tuple[int, float]] = {}  # key -> (failures, locked_until)
        self._lock = threading.Lock()

    @staticmethod
    def keys(identifier: str, ip: str) -> tuple[str, str]:
        return ("account:" + identifier.strip().lower(), "ip:" + ip)

    def check(self, identifier: str, ip: str) -> None:
        now = self._clock()
        with self._lock:
            waits = [until - now for key in self.keys(identifier, ip)
                     for _, until in [self._state.get(key, (0, 0.0))] if until > now]
        if waits:
            wait = math.ceil(max(waits))
            raise TooManyRequests(f"too many failed sign-in attempts; try again in {wait} s",
                                  retry_after=wait, code="login_locked")

    def failed(self, identifier: str, ip: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self.keys(identifier, ip):
                threshold = self.threshold * (self.IP_ALLOWANCE_FACTOR if key.startswith("ip:") else 1)
                failures = self._state.get(key, (0, 0.0))[0] + 1
                locked = 0.0
                if failures >= threshold:
                    locked = now + min(self.max_seconds, 2 ** (failures - threshold + 1))
                self._state[key] = (failures, locked)
            if len(self._state) > 50_000:
                self._state = {k: v for k, v in self._state.items() if v[1] > now}

    def succeeded(self, identifier: str, ip: str) -> None:
        with self._lock:
            for key in self.keys(identifier, ip):
                self._state.pop(key, None)

    def locked_keys(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for _, until in self._state.values() if until > now)


def status_report(settings: Settings, conn: sqlite3.Connection, limiter: RateLimiter,
                  backoff: LoginBackoff, forwarded_proto: str | None) -> dict:
    """The admin security checklist: what is configured, and what deserves attention."""
    active_admins = conn.execute("SELECT count(*) FROM users WHERE role='admin' AND is_active=1").fetchone()[0]
    active_tokens = conn.execute("SELECT count(*) FROM service_tokens WHERE revoked_at IS NULL").fetchone()[0]
    pending_invites = conn.execute(
        "SELECT count(*) FROM invites WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        (utc_now(),)).fetchone()[0]
    migrations = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    data_mode = oct(settings.data_dir.stat().st_mode & 0o777)

    def check(cid, label, ok, detail, warn_only=True):
        return {"id": cid, "label": label, "status": "ok" if ok else ("warn" if warn_only else "fail"),
                "detail": detail}

    checks = [
        check("secret", "Signing secret", settings.secret_source == "environment" or not settings.production,
              "Set from CRM_SECRET_KEY" if settings.secret_source == "environment"
              else "Generated and stored (0600) in the data directory", warn_only=False),
        check("environment", "Production mode", settings.production,
              f"CRM_ENV={settings.env}" + ("" if settings.production else " (set production on the box)")),
        check("cors", "Cross-origin access", not settings.cors_origins,
              "Same-origin only" if not settings.cors_origins
              else "Allowed origins: " + ", ".join(settings.cors_origins)),
        check("proxies", "Trusted proxies", True,
              ("X-Forwarded-For honoured from " + ", ".join(map(str, settings.trusted_proxies)))
              if settings.trusted_proxies else "None: X-Forwarded-For is ignored"),
        check("rate_limits", "Rate limits", all(x > 0 for x in (
            settings.login_rate_limit_per_min, settings.write_rate_limit_per_min, settings.get_rate_limit_per_min)),
            f"auth {settings.login_rate_limit_per_min}/min, writes {settings.write_rate_limit_per_min}/min, "
            f"reads {settings.get_rate_limit_per_min}/min per IP (0 = off)"),
        check("admins", "More than one active admin", active_admins > 1,
              f"{active_admins} active admin(s); a second admin avoids lock-out"),
        check("transport", "Encrypted transport", forwarded_proto == "https" or settings.public_url.startswith("https://"),
              "Served behind HTTPS" if forwarded_proto == "https" else
              "Plain HTTP: use Tailscale/StartOS TLS or set CRM_PUBLIC_URL to the https address"),
        check("data_dir", "Data directory private", data_mode == "0o700", f"mode {data_mode}"),
        check("smtp", "Outbound mail", settings.smtp.enabled,
              f"SMTP via {settings.smtp.host}:{settings.smtp.port} ({settings.smtp.security})"
              if settings.smtp.enabled else "Not configured: invite links must be shared by hand"),
    ]
    return {
        "environment": settings.env,
        "checks": checks,
        "settings": {
            "max_body_bytes": settings.max_body_bytes,
            "token_ttl_hours": settings.token_ttl_hours,
            "invite_ttl_hours": settings.invite_ttl_hours,
            "bcrypt_rounds": settings.bcrypt_rounds,
            "login_lockout_threshold": settings.login_lockout_threshold,
            "login_lockout_max_seconds": settings.login_lockout_max_seconds,
            "cors_origins": list(settings.cors_origins),
            "trusted_proxies": [str(n) for n in settings.trusted_proxies],
            "sqlite_synchronous": settings.sqlite_synchronous,
            "public_url": settings.public_url or None,
        },
        "counters": {
            "active_admins": active_admins,
            "active_service_tokens": active_tokens,
            "pending_invites": pending_invites,
            "rate_limited_requests": limiter.rejected,
            "locked_login_keys": backoff.locked_keys(),
            "migrations_applied": migrations,
        },
    }


class SecurityStatus:
    """The admin checklist as a service: reads what it needs itself."""

    def __init__(self, settings: Settings, db, limiter: RateLimiter, backoff: LoginBackoff):
        self.settings, self.db, self.limiter, self.backoff = settings, db, limiter, backoff

    def report(self, forwarded_proto: str | None) -> dict:
        with self.db.read() as conn:
            return status_report(self.settings, conn, self.limiter, self.backoff, forwarded_proto)
