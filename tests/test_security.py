"""Rate limits, login back-off, trusted-proxy client IPs and the admin security status."""
from __future__ import annotations

import ipaddress

import pytest

from backend.errors import TooManyRequests
from backend.auth.security import LoginBackoff, RateLimiter, client_ip
from helpers import PASSWORD, make_user


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_rate_limiter_sliding_window():
    clock = Clock(6000.0)  # the start of a minute
    limiter = RateLimiter({"write": 3}, clock)
    for _ in range(3):
        limiter.hit("write", "1.2.3.4")
    with pytest.raises(TooManyRequests) as exc:
        limiter.hit("write", "1.2.3.4")
    assert exc.value.headers["Retry-After"] == "60"
    limiter.hit("write", "5.6.7.8")  # other IPs unaffected
    clock.t += 60 + 30  # half the previous window still counts: 1.5 + 2 new hits stays under 3
    limiter.hit("write", "1.2.3.4")
    limiter.hit("write", "1.2.3.4")
    with pytest.raises(TooManyRequests):
        limiter.hit("write", "1.2.3.4")
    clock.t += 300
    limiter.hit("write", "1.2.3.4")
    RateLimiter({"write": 0}, clock).hit("write", "x")  # 0 disables


def test_login_backoff_grows_and_clears():
    clock = Clock()
    backoff = LoginBackoff(threshold=3, max_seconds=10, clock=clock)
    for _ in range(2):
        backoff.failed("ann", "1.1.1.1")
    backoff.check("ann", "1.1.1.1")
    backoff.failed("ann", "1.1.1.1")
    with pytest.raises(TooManyRequests) as exc:
        backoff.check("ANN", "9.9.9.9")  # the account is locked from any IP
    assert exc.value.details["retry_after"] == 2
    clock.t += 2.1
    backoff.check("ann", "1.1.1.1")
    backoff.failed("ann", "1.1.1.1")
    with pytest.raises(TooManyRequests) as exc:
        backoff.check("ann", "1.1.1.1")
    assert exc.value.details["retry_after"] == 4
    for _ in range(10):
        backoff.failed("ann", "1.1.1.1")
    with pytest.raises(TooManyRequests) as exc:
        backoff.check("ann", "1.1.1.1")
    assert exc.value.details["retry_after"] == 10  # capped
    backoff.succeeded("ann", "1.1.1.1")
    backoff.check("ann", "1.1.1.1")


def test_login_backoff_per_ip_allows_a_shared_office():
    clock = Clock()
    backoff = LoginBackoff(threshold=3, max_seconds=10, clock=clock)
    for i in range(11):  # eleven different people mistype once each, all behind one NAT
        backoff.failed(f"user{i}", "10.0.0.1")
    backoff.check("someone", "10.0.0.1")
    backoff.failed("user11", "10.0.0.1")  # the twelfth failure in a row looks like stuffing
    with pytest.raises(TooManyRequests):
        backoff.check("someone", "10.0.0.1")


def test_client_ip_trusts_forwarded_for_only_from_proxies():
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    assert client_ip("203.0.113.9", "1.2.3.4", proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_ip("10.0.0.2", "1.2.3.4", proxies) == "1.2.3.4"
    assert client_ip("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7", proxies) == "1.2.3.4"  # spoofed left entry
    assert client_ip("10.0.0.2", "garbage", proxies) == "10.0.0.2"
    assert client_ip("10.0.0.2", "1.2.3.4", ()) == "10.0.0.2"


def test_login_rate_limit_over_http(start_server):
    fresh = start_server(CRM_LOGIN_RATE_LIMIT_PER_MIN=5)
    anon = fresh.client()
    statuses = [anon.post("/api/auth/login", {"username": f"u{i}", "password": "x"}).status for i in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    resp = anon.post("/api/auth/login", {"username": "u", "password": "x"})
    assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1 and resp.json["error"]
    assert anon.get("/api/health").status == 200  # probes are never limited


def test_forwarded_for_honoured_only_from_trusted_proxy(start_server):
    fresh = start_server(CRM_LOGIN_RATE_LIMIT_PER_MIN=2, CRM_TRUSTED_PROXIES="127.0.0.1")
    anon = fresh.client()

    def attempt(ip):
        return anon.post("/api/auth/login", {"username": "nobody", "password": "x"},
                         headers={"X-Forwarded-For": ip}).status

    assert [attempt("198.51.100.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.2") == 401  # a different client behind the proxy has its own budget
    untrusted = start_server(CRM_LOGIN_RATE_LIMIT_PER_MIN=2)
    anon = untrusted.client()
    codes = [anon.post("/api/auth/login", {"username": "n", "password": "x"},
                       headers={"X-Forwarded-For": f"198.51.100.{i}"}).status for i in range(3)]
    assert codes == [401, 401, 429]  # spoofed headers do not buy a fresh budget


def test_write_and_read_limits(start_server):
    fresh = start_server(CRM_WRITE_RATE_LIMIT_PER_MIN=3, CRM_GET_RATE_LIMIT_PER_MIN=4)
    admin = fresh.bootstrap()
    reads = [admin.get("/api/auth/me").status for _ in range(5)]
    assert reads == [200] * 4 + [429]
    writes = [admin.post("/api/admin/invites", {"email": f"w{i}@fund.example"}).status for i in range(4)]
    assert writes == [201] * 3 + [429]


def test_login_backoff_over_http(start_server):
    fresh = start_server(CRM_LOGIN_LOCKOUT_THRESHOLD=3)
    admin = fresh.bootstrap()
    user = make_user(admin)
    anon = fresh.client()
    wrong = [anon.post("/api/auth/login", {"username": user["username"], "password": "nope nope"}).status
             for _ in range(3)]
    assert wrong == [401, 401, 401]
    locked = anon.post("/api/auth/login", {"username": user["username"], "password": PASSWORD})
    assert locked.status == 429 and locked.json["code"] == "login_locked"
    assert "try again in" in locked.json["error"]


def test_security_status_for_admins(server, admin, member):
    assert member.get("/api/security/status").status == 403
    status = admin.get("/api/security/status").data
    checks = {c["id"]: c for c in status["checks"]}
    assert {"secret", "environment", "cors", "proxies", "rate_limits", "admins", "transport", "data_dir",
            "smtp"} <= set(checks)
    assert all(c["status"] in ("ok", "warn", "fail") for c in checks.values())
    assert checks["cors"]["status"] == "ok" and checks["data_dir"]["status"] == "ok"
    assert checks["environment"]["status"] == "warn"  # the test server is not in production mode
    assert status["settings"]["max_body_bytes"] == 10 * 1024 * 1024
    assert status["counters"]["migrations_applied"] >= 1
