"""The HTTP layer: route table auth walk, envelope and error codes, limits, headers, CORS, static
files and the generated OpenAPI document — all over real HTTP against the running server."""
from __future__ import annotations

import gzip
import json
import re
import socket
import time
import uuid

import pytest

from backend import routing, server as srv
from backend.auth import service_tokens
from backend.errors import Forbidden, Unauthorized
from backend.principal import Principal
from backend.validation import MAX_JSON_DEPTH
from helpers import launch

# Every public route, named on purpose: adding one means updating this list consciously.
PUBLIC_ROUTES = {
    ("GET", "/api/health"), ("GET", "/api/ready"), ("GET", "/api/openapi.json"),
    ("GET", "/api/bootstrap/status"), ("POST", "/api/auth/register"), ("POST", "/api/auth/login"),
    ("GET", "/api/auth/invite"), ("POST", "/api/auth/accept-invite"),
    ("GET", "/api/email/oauth/callback"),  # Google sends the browser back here; a signed state names the user
    ("GET", "/"), ("GET", "/index.html"), ("GET", "/vendor/{path*}"), ("GET", "/assets/{path*}"),
}


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\*?\}", str(uuid.uuid4()), path)


def test_every_route_declares_known_auth():
    for route in srv.ROUTES:
        assert route.auth in (routing.PUBLIC, routing.USER, routing.ADMIN), route
        assert route.scope is None or route.scope == routing.ANY_SCOPE or route.scope in service_tokens.SCOPES
        assert route.handler.__doc__, f"{route.handler.__name__} needs a docstring (it is the OpenAPI summary)"
    public = {(r.method, r.path) for r in srv.ROUTES if r.auth == routing.PUBLIC}
    assert public == PUBLIC_ROUTES


def test_route_walk_anonymous_gets_401_everywhere_non_public(server):
    anon = server.client()
    checked = 0
    for route in srv.ROUTES:
        if route.auth == routing.PUBLIC:
            continue
        resp = anon.request(route.method, concrete(route.path), body={} if route.method != "GET" else None)
        assert resp.status == 401, (route.method, route.path, resp)
        assert resp.json["error"]
        checked += 1
    assert checked >= 14


def test_route_walk_member_gets_403_on_every_admin_route(server, member):
    checked = 0
    for route in srv.ROUTES:
        if route.auth != routing.ADMIN:
            continue
        resp = member.request(route.method, concrete(route.path), body={} if route.method != "GET" else None)
        assert resp.status == 403, (route.method, route.path, resp)
        checked += 1
    assert checked >= 10


def test_route_walk_service_token_confined_to_its_scopes(server, admin):
    for scopes in (["grid:read"], ["intake:match", "intake:write"]):
        token = admin.post("/api/admin/service-tokens", {"name": "walk", "scopes": scopes}).data["token"]
        bot = server.client(api_key=token)
        for route in srv.ROUTES:
            if route.auth == routing.PUBLIC:
                continue
            resp = bot.request(route.method, concrete(route.path), body={} if route.method != "GET" else None)
            allowed = route.auth != routing.ADMIN and route.scope in (routing.ANY_SCOPE, *scopes)
            if allowed:
                assert resp.status not in (401, 403), (route.path, resp)
            else:
                assert resp.status == 403, (route.method, route.path, resp)


def test_authorize_decides_by_scope():
    scoped = routing.Route("GET", "/api/x", srv.health, routing.USER, scope="grid:read")
    admin_only = routing.Route("GET", "/api/y", srv.health, routing.ADMIN)
    reader = Principal("service", id="t", scopes=frozenset({"grid:read"}))
    writer = Principal("service", id="t", scopes=frozenset({"grid:write"}))
    routing.authorize(scoped, reader)
    with pytest.raises(Forbidden, match="lacks scope 'grid:read'"):
        routing.authorize(scoped, writer)
    with pytest.raises(Forbidden):
        routing.authorize(admin_only, reader)
    with pytest.raises(Forbidden):
        routing.authorize(admin_only, Principal("user", id="u", role="member"))
    routing.authorize(admin_only, Principal("user", id="u", role="admin"))
    with pytest.raises(Unauthorized):
        routing.authorize(scoped, Principal("anonymous"))


def test_health_ready_and_bootstrap_status(server):
    anon = server.client()
    health = anon.get("/api/health")
    assert health.status == 200 and health.json == {"data": {"status": "ok", "version": srv.__version__}}
    assert anon.get("/api/ready").data == {"status": "ready"}
    assert anon.get("/api/bootstrap/status").data == {"setup_required": False}


def test_unknown_paths_and_wrong_verbs(server, admin):
    assert server.client().get("/api/no/such/thing").status == 401  # anonymous learns nothing
    resp = admin.get("/api/no/such/thing")
    assert resp.status == 404 and "no such endpoint" in resp.json["error"]
    assert admin.get("/definitely-not-here").status == 404
    resp = admin.delete("/api/health")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET"
    assert "DELETE is not allowed" in resp.json["error"]


@pytest.mark.parametrize("verb", ["TRACE", "CONNECT", "PROPFIND", "BREW", "get"])
def test_every_route_answers_an_unknown_verb_with_405_and_allow(server, admin, verb):
    anon = server.client()
    for path, methods in srv.ROUTER._literal.items():
        for client in (anon, admin):
            resp = client.request(verb, path)
            assert resp.status == 405, (verb, path, resp)
            assert set(resp.headers["Allow"].split(", ")) == set(methods)
            assert verb in resp.json["error"]
    for route in srv.ROUTES:
        if "{" in route.path:
            resp = admin.request(verb, concrete(route.path))
            assert resp.status == 405 and route.method in resp.headers["Allow"], (route.path, resp)
    assert anon.request(verb, "/no-such-page").status == 404
    assert anon.request(verb, "/api/no/such/thing").status == 401
    assert admin.request(verb, "/api/no/such/thing").status == 404


def test_connect_with_an_authority_target_is_a_404_not_a_501(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 404"), head


def test_malformed_request_target_is_400(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET http://[oops/api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 400"), head


@pytest.mark.parametrize("depth", [65, 5_000, 200_000])
def test_deeply_nested_json_is_400_before_parsing(server, admin, depth):
    for open_, close in (("[", "]"), ('{"a":', "}")):
        raw = (open_ * depth + "1" + close * depth).encode()
        for client, path in ((server.client(), "/api/auth/login"), (admin, "/api/fundraising/rows"),
                             (admin, "/api/fundraising/views")):
            resp = client.request("POST", path, raw=raw, headers={"Content-Type": "application/json"})
            assert resp.status == 400, (path, depth, resp)
            assert resp.json["code"] == "json_too_deep" and f"{MAX_JSON_DEPTH}" in resp.json["error"]
    # Within the limit the body is parsed and judged on its merits; brackets in strings don't count.
    nested = {"values": {"Name": "[[[[" * 100}}
    for _ in range(MAX_JSON_DEPTH - 3):
        nested = {"values": nested}
    resp = admin.post("/api/fundraising/rows", nested)
    assert resp.status == 400 and resp.json["code"] != "json_too_deep"
    assert admin.post("/api/fundraising/rows", {"values": {"Name": "[[[[" * 100}}).status == 201


def test_nested_json_in_a_query_parameter_is_400(admin):
    deep = "[" * 5000 + "]" * 5000
    resp = admin.request("POST", f"/api/fundraising/import/preview?mapping={deep}", raw=b"Name\nA\n",
                         headers={"Content-Type": "text/csv"})
    assert resp.status == 400 and resp.json["code"] == "json_too_deep"
    resp = admin.request("POST", "/api/fundraising/import/preview?mapping=[1]", raw=b"Name\nA\n",
                         headers={"Content-Type": "text/csv"})
    assert resp.status == 400 and "JSON object" in resp.json["error"]


def test_declared_query_parameters_are_typed_and_bounded(admin):
    for path, message in (("/api/audit-log?limit=0", "between 1 and 1000"),
                          ("/api/audit-log?limit=ten", "must be an integer"),
                          ("/api/audit-log?offset=99999999999999999999999", "between 0 and"),
                          ("/api/fundraising/grid?shape=wide", "one of: full, compact"),
                          ("/api/fundraising/grid?include_archived=maybe", "1 or 0"),
                          ("/api/fundraising/changes?wait=99999", "between 0 and 55")):
        resp = admin.get(path)
        assert resp.status == 400 and message in resp.json["error"], (path, resp)
    assert admin.get("/api/fundraising/grid?include_archived=0&cachebust=1").status == 200


def test_malformed_json_is_400_never_empty_object(admin):
    for raw in (b"{bad", b"", b"[1,", b"\xff\xfe", b"null"):
        resp = admin.request("POST", "/api/admin/invites", raw=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 400, (raw, resp)
        assert resp.json["error"]
    resp = admin.request("POST", "/api/admin/invites", raw=b'{"email": "x@y.z", }',
                         headers={"Content-Type": "application/json"})
    assert resp.status == 400 and resp.json["code"] == "malformed_json"
    assert "line 1 column" in resp.json["error"]


def test_validation_names_the_field(admin):
    resp = admin.post("/api/admin/users", {"username": "ok_name", "email": "not-an-email", "password": "x" * 10})
    assert resp.status == 400 and "'email'" in resp.json["error"] and resp.json["field"] == "email"
    resp = admin.post("/api/admin/users", {"username": "ok_name2", "email": "a@b.co", "password": "x" * 10,
                                           "rol": "admin"})
    assert resp.status == 400 and "rol" in resp.json["error"]
    resp = admin.post("/api/admin/service-tokens", {"name": "b", "scopes": ["grid:read", "root"]})
    assert resp.status == 400 and "'root'" in resp.json["error"]


def test_wrong_content_type_is_415(admin):
    resp = admin.request("POST", "/api/admin/invites", raw=b"email=a@b.c",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 415 and "application/json" in resp.json["error"]


def test_oversize_body_is_413_and_nothing_written(start_server):
    small = start_server(CRM_MAX_BODY_BYTES=4096)
    admin = small.bootstrap()
    big = json.dumps({"email": "a@b.co", "role": "member", "pad": "x" * 10_000}).encode()
    resp = admin.request("POST", "/api/admin/invites", raw=big, headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert "4096" in resp.json["error"]
    assert admin.get("/api/admin/invites").data == []


def test_default_body_limit_is_10_mib(server, admin):
    resp = admin.request("POST", "/api/admin/invites", raw=b" " * (10 * 1024 * 1024 + 1),
                         headers={"Content-Type": "application/json"})
    assert resp.status == 413 and resp.json["limit"] == 10 * 1024 * 1024


def test_chunked_body_is_refused_cleanly(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 411")


def test_security_headers_on_every_response(server, admin):
    for resp in (admin.get("/api/health"), admin.get("/api/nope"), server.client().get("/api/users"),
                 admin.get("/")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Request-Id"]
    api = admin.get("/api/auth/me")
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_index_gets_a_fresh_nonce_and_strict_csp(server):
    anon = server.client()
    first, second = anon.get("/"), anon.get("/index.html")
    assert first.status == 200 and first.headers["Content-Type"].startswith("text/html")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    other = re.search(r"'nonce-([^']+)'", second.headers["Content-Security-Policy"]).group(1)
    assert nonce != other
    csp = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    html = first.body.decode()
    assert "__CSP_NONCE__" not in html
    assert f'nonce="{nonce}"' in html
    assert "https://" not in re.sub(r"<!--.*?-->", "", html, flags=re.S).split("<script type=\"text/x-venture-jsx\"")[0]


def test_vendor_files_served_same_origin_with_gzip_and_long_cache(server):
    anon = server.client()
    html = anon.get("/").body.decode()
    sources = re.findall(r'/vendor/[\w.\-]+\.js', html)
    assert sources, "index.html must load vendored scripts from /vendor/"
    for src in set(sources):
        plain = anon.get(src)
        assert plain.status == 200, src
        assert "javascript" in plain.headers["Content-Type"]
        assert "immutable" in plain.headers["Cache-Control"]
        zipped = anon.get(src, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.body) == plain.body
    assert anon.get("/vendor/../backend/config.py").status == 404
    assert anon.get("/vendor/%2e%2e/%2e%2e/etc/passwd").status == 404


def test_json_gzip_when_accepted(admin):
    plain = admin.get("/api/openapi.json")
    zipped = admin.get("/api/openapi.json", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.body)) == plain.json


def test_cors_same_origin_by_default(server):
    anon = server.client()
    resp = anon.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert anon.request("OPTIONS", "/api/auth/login", headers={"Origin": "https://evil.example"}).status == 403


def test_cors_allows_configured_origin(start_server):
    srv_ = start_server(CRM_CORS_ORIGIN="https://crm.fund.example")
    anon = srv_.client()
    pre = anon.request("OPTIONS", "/api/auth/login", headers={
        "Origin": "https://crm.fund.example", "Access-Control-Request-Method": "POST"})
    assert pre.status == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://crm.fund.example"
    assert "X-API-Key" in pre.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in anon.get("/api/health", headers={"Origin": "https://other.example"}).headers


def test_openapi_generated_from_route_table(server):
    doc = server.client().get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    api_routes = [r for r in srv.ROUTES if r.path.startswith("/api/")]
    assert sum(len(v) for v in doc["paths"].values()) == len(api_routes)
    for route in api_routes:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["x-auth"] == route.auth
        assert (op["security"] == []) == (route.auth == routing.PUBLIC)
        if route.body:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            assert set(schema["properties"]) == set(route.body)
    login = doc["paths"]["/api/auth/login"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert login["required"] == ["username", "password"]


def test_keep_alive_serves_many_requests_on_one_connection(server):
    client = server.client()
    for _ in range(50):
        assert client.get("/api/health").status == 200
    # still the same connection: http.client would have reconnected otherwise
    assert client._conn is not None and client._conn.sock is not None


def test_server_start_time_is_small(tmp_path):
    import time
    t0 = time.perf_counter()
    fresh = launch(tmp_path / "d")
    try:
        elapsed = time.perf_counter() - t0
        assert elapsed < 5, elapsed
        assert "listening on" in fresh.output()
    finally:
        fresh.stop()


HUNDRED_MB = 100 * 1024 * 1024


def _exchange(port: int, head: bytes, first_body: bytes = b"", read_timeout: float = 10) -> tuple[str, float]:
    """Send a request head (and the start of its body), then read the answer: (status line and
    headers, seconds from sending to the answer)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(read_timeout)
        started = time.perf_counter()
        sock.sendall(head + first_body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer.decode("latin-1"), time.perf_counter() - started


def _upload_head(path: str, length: int, *extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: text/csv", f"Content-Length: {length}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_anonymous_100mb_upload_is_refused_without_reading_it(server):
    for path in ("/api/fundraising/import", "/api/fundraising/import/preview", "/api/fundraising/backups/upload",
                 "/api/no/such/upload"):
        # 64 KiB of a declared 100 MB: the server must answer without waiting for the rest.
        answer, seconds = _exchange(server.port, _upload_head(path, HUNDRED_MB), b"Name\n" + b"x" * 65531)
        assert answer.startswith("HTTP/1.1 401"), (path, answer)
        assert "Connection: close" in answer
        assert seconds < 0.5, f"{path}: the 401 took {seconds:.3f} s"
        print(f"[hardening] anonymous 100 MB upload to {path} refused in {seconds * 1000:.1f} ms")


def test_expect_continue_is_granted_only_to_callers_allowed_to_send(server, admin):
    # Anonymous: a final 401 instead of "100 Continue", so the client never sends the body.
    answer, seconds = _exchange(server.port, _upload_head("/api/fundraising/import", HUNDRED_MB,
                                                          "Expect: 100-continue"))
    assert answer.startswith("HTTP/1.1 401") and "100 Continue" not in answer and seconds < 0.5
    # A member without the grid:write scope's route rights? A service token without the scope: 403.
    bot = admin.post("/api/admin/service-tokens", {"name": "reader", "scopes": ["grid:read"]}).data["token"]
    answer, _ = _exchange(server.port, _upload_head("/api/fundraising/import", HUNDRED_MB, f"X-API-Key: {bot}",
                                                    "Expect: 100-continue"))
    assert answer.startswith("HTTP/1.1 403") and "100 Continue" not in answer
    # Too large for a signed-in caller who sent Expect: 413 at once, nothing read.
    answer, _ = _exchange(server.port, _upload_head("/api/fundraising/import/preview", 2 * HUNDRED_MB,
                                                    f"Authorization: Bearer {admin.token}", "Expect: 100-continue"))
    assert answer.startswith("HTTP/1.1 413"), answer
    # Allowed: "100 Continue" first, then the body is read and answered.
    csv = b"Name\nExpect Capital\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.settimeout(10)
        sock.sendall(_upload_head("/api/fundraising/import/preview", len(csv), f"Authorization: Bearer {admin.token}",
                                  "Expect: 100-continue"))
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        sock.sendall(csv)
        final = b""
        while b'"row_count"' not in final:
            chunk = sock.recv(65536)
            assert chunk, final
            final += chunk
    assert final.startswith(b"HTTP/1.1 200")


def test_rate_limit_answers_before_the_body_is_read(start_server):
    limited = start_server(CRM_WRITE_RATE_LIMIT_PER_MIN=1)
    admin = limited.bootstrap()
    assert admin.post("/api/fundraising/rows", {"values": {"Name": "First"}}).status == 201
    answer, seconds = _exchange(limited.port, _upload_head("/api/fundraising/import", HUNDRED_MB,
                                                           f"Authorization: Bearer {admin.token}"), b"Name\n")
    assert answer.startswith("HTTP/1.1 429") and "Retry-After" in answer and seconds < 0.5, answer


def test_small_refused_body_keeps_the_connection_alive(server):
    anon = server.client()
    resp = anon.post("/api/fundraising/rows", {"values": {"Name": "x" * 1000}})
    assert resp.status == 401 and resp.headers.get("Connection", "").lower() != "close"
    assert anon._conn is not None and anon.get("/api/health").status == 200
