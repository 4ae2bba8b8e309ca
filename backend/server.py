"""The HTTP core: request parsing and the order of checks, the auth gate, the envelope, limits,
headers, static files and start-up. Capabilities live in packages (auth, grid, backups,
interactions), each declaring its routes in `routes.py`; this file assembles them into one table.
Run with `python -m backend.server` (see config.py for the settings it reads).
"""
from __future__ import annotations

import gc
import json
import gzip
import io
import mimetypes
import re
import secrets
import signal
import socket
import sqlite3
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import audit, mailer
from .auth import invites, people, routes as auth_routes, security, service_tokens
from .backups import routes as backup_routes, store as backups
from .config import ConfigError, Settings, load_settings
from .dashboard import routes as dashboard_routes, service as dashboard_service
from .duplicates import routes as duplicates_routes, service as duplicates_service
from .email_integration import store as email_store
from .search import indexer as search_indexer
from .db import Database
from .digest import routes as digest_routes, scheduler as digest_scheduler, service as digest_service
from .errors import (ApiError, BadRequest, Forbidden, LengthRequired, MethodNotAllowed, NotFound,
                     PayloadTooLarge, ServiceUnavailable, Unauthorized, UnsupportedMediaType)
from .grid import automations, collab, routes as grid_routes, store as grid, views
from .feature_requests import routes as feature_requests_routes, service as feature_requests_service
from .email_integration import (outbound as email_outbound, routes as email_routes, service as email_service,
                                sync as email_sync)
from .intake import routes as intake_routes, service as intake_service
from .pipeline import routes as pipeline_routes, service as pipeline_service
from .interactions import log as interactions, routes as interaction_routes
from .mcp import protocol as mcp_protocol, routes as mcp_routes, tools as mcp_tools
from .search import ask, routes as search_routes, service as search_service
from .tasks import routes as tasks_routes, service as tasks_service
from .llm import LocalModel
from .migrate import MigrationError, apply_migrations
from .principal import Principal, anonymous, system
from .routing import PUBLIC, Reply, Request, Route, Router, authorize, ok, openapi_document
from .validation import parse_json, parse_object, parse_query
from .version import __version__

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
GZIP_MIN_BYTES = 1024
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024  # an authenticated caller's oversize body is read away (so it sees the 413) up to this
SMALL_BODY_BYTES = 64 * 1024         # a refused body this small is read away after the reply, keeping the connection
LINGER_SECONDS = 2.0
UNMETERED_PATHS = {"/api/health", "/api/ready"}  # probes must never be rate limited


# --- the application ---------------------------------------------------------------------------

class App:
    """Everything a request needs: settings, database, limiters. One per running server."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path, settings.sqlite_synchronous)
        self.limiter = security.RateLimiter({
            "auth": settings.login_rate_limit_per_min,
            "write": settings.write_rate_limit_per_min,
            "read": settings.get_rate_limit_per_min,
        })
        self.backoff = security.LoginBackoff(settings.login_lockout_threshold,
                                             settings.login_lockout_max_seconds)
        self.accounts = people.Accounts(self.db, settings)
        self.tokens = service_tokens.ServiceTokens(self.db)
        self.audit_log = audit.AuditLog(self.db)
        self.security = security.SecurityStatus(settings, self.db, self.limiter, self.backoff)
        self.interactions = interactions.InteractionLog(self.db)
        self.llm = LocalModel(settings.llm)  # the box's own model: the only place LP data may go to one
        self.ready = False
        self.static = StaticFiles(FRONTEND_DIR)
        self.signal = collab.ChangeSignal()
        self.presence = collab.Presence()
        self.automations = automations.Automations(self.db)
        self.tasks = tasks_service.Tasks(self.db)
        self.automations.task_maker = tasks_service.RuleTasks(self.tasks)  # rules may make tasks; grid never imports tasks
        self.grid = grid.Grid(self.db, on_change=self.signal.notify, automations=self.automations)
        self.views = views.Views(self.db, self.grid)
        self.pipeline = pipeline_service.Pipeline(self.db, self.grid)
        self.backups = backups.Backups(self.db, settings.data_dir)
        self.email = email_service.EmailCapture(self.db, self.grid, settings, llm=self.llm)
        # The one way mail leaves the box, and only to the team: an active account or a pending invite.
        self.outbox = mailer.Outbox(
            [mailer.SmtpTransport(settings.smtp), email_outbound.GmailTransport(self.email)],
            audience=lambda address: self.accounts.is_active_email(address) or self.invites.is_pending_email(address),
            sender=settings.smtp.sender)
        self.invites = invites.Invites(self.db, settings, self.outbox)
        self.intake = intake_service.Intake(self.db, self.grid, tasks=self.tasks)
        self.duplicates = duplicates_service.Duplicates(self.db, self.grid, self.intake)
        self.grid.merge_hooks += [  # a merge moves each package's own rows inside its transaction
            ("email", email_store.move_for_merge, email_store.move_back_for_merge),
            ("tasks", tasks_service.move_for_merge, tasks_service.move_back_for_merge),
            ("search", search_indexer.merge_hook, search_indexer.unmerge_hook)]
        self.digest = digest_service.Digests(self.db, settings, self.llm, self.outbox)
        self.search = search_service.Search(self.db, settings, self.llm)  # opens Qdrant on first use
        self.questions = ask.Questions(self.db, self.settings, self.llm)  # /api/ask, /api/query
        self.dashboard = dashboard_service.Dashboard(self.db, self.grid)
        self.feature_requests = feature_requests_service.FeatureRequests(self.db)
        self.mcp = mcp_protocol.McpServer(self.db, mcp_tools.Tools(self.grid, self.views, self.search, self.questions,
                                                                   self.interactions, self.pipeline),
                                          settings.max_body_bytes)  # /api/mcp: the assistants' tools
        self.scheduler: automations.Scheduler | None = None
        self.backup_scheduler: backups.Scheduler | None = None

    def _settle(self) -> None:
        """Bring in-memory state in line with the database (after start or a restore): every cache
        registered with `db.on_reset` is reset, then a new grid is seeded and the feed re-based."""
        self.db.reset_caches()
        setup = system("setup")
        if self.grid.seed_defaults(setup):
            self.automations.seed_defaults(setup, self.grid.columns())
        self.grid.recompute_volatile()  # a day may have passed since the last run
        self.signal.reset(self.grid.version())

    def restore(self, backup_id: str, actor: Principal) -> dict:
        """Replace the database with a backup (pre-restore backup first), migrate, refresh caches."""
        result = self.backups.restore(backup_id, actor, lambda conn: apply_migrations(conn))
        self._settle()
        return result

    def start(self, background: bool = False) -> list[str]:
        """Run pending migrations and seed a new grid; raises MigrationError to stop start-up.
        With `background`, also start the automation scheduler thread."""
        with self.db.read() as conn:
            applied = apply_migrations(conn)
        self._settle()
        if background:
            self.backup_scheduler = backups.Scheduler(self.backups)
            self.backup_scheduler.start()
            self.scheduler = automations.Scheduler(self.automations, self.grid,
                                                   self.settings.automation_interval_seconds)
            self.scheduler.start()
            self.email.engine.interrupt_stale_runs()
            self.email_watcher = email_sync.GridWatcher(self.email.follow_the_grid)
            self.email_watcher.start()
            self.digest.interrupt_stale()
            self.digest_scheduler = digest_scheduler.Scheduler(self.digest, self.settings.digest_check_seconds)
            self.digest_scheduler.start()
            if self.settings.email.sync_interval_seconds:
                self.email_scheduler = email_sync.SyncScheduler(self.email.engine,
                                                                self.settings.email.sync_interval_seconds)
                self.email_scheduler.start()
            self.search.start()
            # Serialise the grid and index it for matching once now, so neither the first browser
            # to open it nor the first chat note's card pays for that.
            def warm_up():
                self.grid.grid_response("compact", False, True)
                self.dashboard.warm()  # its tallies: a first dashboard then reads only what is new
                self.intake.index()
                self.duplicates.start()  # its whole pass, in its own thread: the Duplicates screen then reads
            self.dashboard.expect_warm_up()
            threading.Thread(target=warm_up, name="grid-warmup", daemon=True).start()
        self.ready = True
        return applied


# --- system routes ----------------------------------------------------------------------------

def health(req: Request) -> Reply:
    """Liveness: the process answers."""
    return ok({"status": "ok", "version": __version__})


def ready(req: Request) -> Reply:
    """Readiness: migrations have run and the database answers."""
    if not req.app.ready:
        raise ServiceUnavailable("migrations have not finished")
    try:
        with req.app.db.read() as conn:
            conn.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise ServiceUnavailable(f"database unavailable: {exc}") from None
    return ok({"status": "ready"})


def openapi(req: Request) -> Reply:
    """This API as an OpenAPI 3 document, generated from the route table."""
    return Reply(200, OPENAPI)


def index_page(req: Request) -> Reply:
    """The single-page app."""
    nonce = secrets.token_urlsafe(18)
    return Reply(200, req.app.static.index(nonce), content_type="text/html; charset=utf-8",
                 headers={"Cache-Control": "no-store", **security.security_headers(nonce)})


def static_file(req: Request) -> Reply:
    """Vendored scripts and assets."""
    kind = req.path.split("/", 2)[1]
    body, content_type, gzipped = req.app.static.file(kind, req.params["path"])
    return Reply(200, body, content_type=content_type, gzipped=gzipped,
                 headers={"Cache-Control": "public, max-age=31536000, immutable" if kind == "vendor"
                          else "no-cache"})


# --- the route table: every package's routes, assembled ------------------------------------------

SYSTEM_ROUTES: list[Route] = [
    Route("GET", "/api/health", health, PUBLIC, tag="system"),
    Route("GET", "/api/ready", ready, PUBLIC, tag="system"),
    Route("GET", "/api/openapi.json", openapi, PUBLIC, tag="system"),
    Route("GET", "/", index_page, PUBLIC, tag="app"),
    Route("GET", "/index.html", index_page, PUBLIC, tag="app"),
    Route("GET", "/vendor/{path*}", static_file, PUBLIC, tag="app"),
    Route("GET", "/assets/{path*}", static_file, PUBLIC, tag="app"),
]
ROUTES: list[Route] = [*SYSTEM_ROUTES, *auth_routes.ROUTES, *grid_routes.ROUTES, *duplicates_routes.ROUTES,
                       *backup_routes.ROUTES,
                       *interaction_routes.ROUTES, *email_routes.ROUTES, *intake_routes.ROUTES, *pipeline_routes.ROUTES,
                       *digest_routes.ROUTES, *search_routes.ROUTES, *dashboard_routes.ROUTES, *tasks_routes.ROUTES, *feature_requests_routes.ROUTES,
                       *mcp_routes.ROUTES]
ROUTER = Router(ROUTES)
OPENAPI = openapi_document(ROUTES, grid_routes.SCHEMAS)


# --- static files ------------------------------------------------------------------------------

class StaticFiles:
    """The app page, assembled from `frontend/index.html` (the shell) and the files that
    `frontend/app/manifest.json` lists (styles into the one nonce'd <style>, JSX into the one
    app-source block, in manifest order), re-assembled when any of them changes, with the CSP
    nonce injected per response; and immutable vendor files cached in memory with their gzip form."""

    STYLES_MARK = re.compile(rb"<!-- @app-styles[^>]*-->")
    SCRIPTS_MARK = re.compile(rb"<!-- @app-scripts[^>]*-->")

    def __init__(self, root: Path):
        self.root = root
        self._index: tuple[tuple, list[bytes]] | None = None
        self._files: dict[Path, tuple[bytes, str, bytes | None]] = {}
        self._lock = threading.Lock()

    def _sources(self) -> tuple[tuple, dict]:
        """(a stamp that changes when any source changes, {"styles": [paths], "scripts": [paths]})."""
        shell, manifest = self.root / "index.html", self.root / "app" / "manifest.json"
        try:
            listed = json.loads(manifest.read_bytes())
            parts = {kind: [self.root / "app" / name for name in listed[kind]] for kind in ("styles", "scripts")}
            stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size)
                          for p in (shell, manifest, *parts["styles"], *parts["scripts"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ServiceUnavailable(f"the app's files are incomplete on this installation ({exc})") from None
        return stamp, parts

    def assemble(self, parts: dict) -> bytes:
        shell = (self.root / "index.html").read_bytes()
        styles = b"".join(p.read_bytes() for p in parts["styles"])
        scripts = b"".join(b"// ---- app/" + p.relative_to(self.root / "app").as_posix().encode() + b"\n"
                           + p.read_bytes() for p in parts["scripts"])
        shell = self.STYLES_MARK.sub(lambda _: b'<style nonce="__CSP_NONCE__">\n' + styles + b"</style>", shell, 1)
        return self.SCRIPTS_MARK.sub(lambda _: b'<script type="text/x-venture-jsx" id="app-source">\n'
                                     + scripts + b"</script>", shell, 1)

    def index(self, nonce: str) -> bytes:
        stamp, parts = self._sources()
        if self._index is None or self._index[0] != stamp:
            self._index = (stamp, self.assemble(parts).split(b"__CSP_NONCE__"))
        return nonce.encode().join(self._index[1])

    def file(self, kind: str, relative: str) -> tuple[bytes, str, bytes | None]:
        """(content, content type, gzip form or None); vendor files are read and compressed once."""
        base = (self.root / kind).resolve()
        path = (base / relative).resolve()
        if base not in path.parents or not path.is_file():
            raise NotFound(f"no such file: /{kind}/{relative}")
        with self._lock:
            cached = self._files.get(path)
        if cached is None:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            content = path.read_bytes()
            compressible = content_type.startswith(("text/", "application/javascript", "application/json",
                                                    "image/svg"))
            cached = (content, content_type,
                      gzip.compress(content, 9) if compressible and len(content) >= GZIP_MIN_BYTES else None)
            if kind == "vendor":
                with self._lock:
                    self._files[path] = cached
        return cached


# --- the request handler -----------------------------------------------------------------------

STREAMED_FILES = ("mail",)


class BodyStream(io.RawIOBase):
    """A request body read as it arrives, never past its declared length; a body that ends early
    is a 400 (what was stored from it before stays: such uploads are idempotent)."""

    def __init__(self, handler: "Handler"):
        self.handler, self.length = handler, handler._pending

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self.handler._pending)
        if wanted <= 0:
            return 0
        data = self.handler.rfile.read1(wanted)
        if not data:
            self.handler.close_connection = True
            raise BadRequest(f"the request body ended after {self.length - self.handler._pending} of"
                             f" {self.length} bytes")
        self.handler._pending -= len(data)
        buffer[:len(data)] = data
        return len(data)


class Handler(BaseHTTPRequestHandler):
    """One request at a time per connection, in this order: route, verb, rate limit, credentials,
    query; only then is the body read, so nobody can make the server read (or buffer) a body it
    would refuse. A body left unread by a refusal is read away after the reply when small, and the
    connection is closed otherwise."""

    protocol_version = "HTTP/1.1"
    server_version = "VentureCRM/" + __version__
    sys_version = ""
    # Without this every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    disable_nagle_algorithm = True
    timeout = 75  # idle keep-alive connections are closed, so slow clients cannot pin threads
    _pending = 0            # declared body bytes not read yet
    _expects_continue = False
    _caller_known = False   # the request carried valid credentials
    _route = None           # the matched route, once known (its `errors` shapes error bodies)

    def __getattr__(self, name: str):
        # The base class answers a verb without a do_<VERB> method with 501. Every verb goes
        # through the router instead: 405 with Allow on a known path, 404 (401) elsewhere.
        if name.startswith("do_"):
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)

    def handle_expect_100(self) -> bool:
        # "Expect: 100-continue" is answered only once the caller may send its body (_read_body):
        # a refused upload never leaves the client.
        self._expects_continue = True
        return True

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        if self.server.app.settings.access_log:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send_error(self, code, message=None, explain=None):
        # Malformed request lines and headers: answer in JSON like everything else.
        self.close_connection = True
        self._write(Reply(code, {"error": message or HTTPStatus(code).phrase,
                                 "code": HTTPStatus(code).phrase.lower().replace(" ", "_")}))

    def _dispatch(self, method: str) -> None:
        app: App = self.server.app
        started = time.perf_counter()
        request_id = secrets.token_hex(8)
        self._pending, self._caller_known, self._route = 0, False, None
        reply: Reply
        try:
            with app.db.deadline(app.settings.read_timeout_seconds):
                reply = self._handle(app, method)
        except ApiError as exc:
            shape = self._route.errors if self._route is not None and self._route.errors else ApiError.body
            reply = Reply(exc.status, shape(exc), dict(exc.headers))  # a route may answer in its protocol (MCP)
        except Exception:  # a bug, not bad input: log it, answer 500 without internals
            sys.stderr.write(f"[{request_id}] {method} {self.path}\n{traceback.format_exc()}")
            reply = Reply(500, {"error": "internal error; see the server log", "code": "internal",
                                "request_id": request_id})
        if self._pending and (self._expects_continue or self._pending > SMALL_BODY_BYTES):
            self.close_connection = True  # the unread body must never be parsed as the next request
        reply.headers.setdefault("X-Request-Id", request_id)
        reply.headers.update(security.cors_headers(app.settings, self.headers.get("Origin")))
        self._write(reply, head_only=method == "HEAD", started=started)
        self._discard_unread()
        self._expects_continue = False
        if app.settings.access_log:
            sys.stderr.write(f"{method} {self.path.split('?')[0]} {reply.status} "
                             f"{(time.perf_counter() - started) * 1000:.1f}ms\n")

    def _declared_length(self) -> int:
        """The body's length from its headers, read nothing; refuses chunked and bad lengths."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise LengthRequired("chunked request bodies are not supported; send Content-Length")
        raw = self.headers.get("Content-Length")
        if not raw:
            return 0
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise BadRequest("invalid Content-Length header") from None
        return length

    def _read_body(self, limit: int) -> bytes:
        """The body, now that the caller may send it; 413 above `limit` (read away afterwards, up to
        DRAIN_LIMIT_BYTES, so the client sees the answer)."""
        length = self._pending
        if length > limit:
            raise PayloadTooLarge(f"request body of {length} bytes exceeds the limit of {limit} bytes",
                                  limit=limit)
        if not length:
            return b""
        if self._expects_continue:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._expects_continue = False
        body = self.rfile.read(length)
        self._pending = 0
        if len(body) < length:
            self.close_connection = True
            raise BadRequest(f"the request body ended after {len(body)} of {length} bytes")
        return body

    def _body_stream(self, limit: int, kind: str) -> io.BufferedReader:
        if self._pending > limit:
            raise PayloadTooLarge(f"request body of {self._pending} bytes exceeds the limit of {limit} bytes",
                                  limit=limit)
        if not self._pending:
            raise BadRequest(f"the {kind} file is empty")
        if self._expects_continue:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._expects_continue = False
        return io.BufferedReader(BodyStream(self), 1 << 16)

    def _discard_unread(self) -> None:
        """After a reply that refused a body: read a small one away (the connection lives on); for a
        large one stop sending, read away what a known caller already sent, and close."""
        pending, self._pending = self._pending, 0
        if not pending or self._expects_continue:
            return
        if not self.close_connection:
            self._drain(pending)
            return
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            return
        self._drain(min(pending, DRAIN_LIMIT_BYTES if self._caller_known else SMALL_BODY_BYTES))

    def _drain(self, remaining: int) -> None:
        self.connection.settimeout(LINGER_SECONDS)
        try:
            while remaining > 0:
                chunk = self.rfile.read1(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            self.close_connection = True
        finally:
            self.connection.settimeout(self.timeout)

    def _handle(self, app: App, method: str) -> Reply:
        settings = app.settings
        try:
            url = urlsplit(self.path)
        except ValueError:
            raise BadRequest("malformed request target") from None
        path = url.path
        self._pending = self._declared_length()
        ip = security.client_ip(self.client_address[0], self.headers.get("X-Forwarded-For"),
                                settings.trusted_proxies)
        found = ROUTER.match(path)
        metered = path.startswith("/api/") and path not in UNMETERED_PATHS
        if found is None:
            if not path.startswith("/api/"):
                raise NotFound(f"not found: {path}")
            app.limiter.hit(_bucket(method), ip)
            # Anonymous callers learn nothing about which API paths exist.
            if self._authenticate(app, ip).kind == "anonymous":
                raise Unauthorized("authentication required")
            raise NotFound(f"no such endpoint: {path}")
        methods, params = found
        if method == "OPTIONS":
            if not security.cors_headers(settings, self.headers.get("Origin")):
                raise Forbidden("cross-origin requests from this origin are not allowed")
            return Reply(204, None, {"Allow": ", ".join(methods)})
        route = methods.get("GET" if method == "HEAD" else method)
        if route is None:
            raise MethodNotAllowed(f"{method} is not allowed on {path}; allowed: {', '.join(methods)}",
                                   headers={"Allow": ", ".join(methods)})
        self._route = route
        if metered:
            app.limiter.hit(route.rate or _bucket(method), ip)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        req = Request(app, method, path, params, query, self.headers, b"", ip)
        if route.auth != PUBLIC:
            req.principal = self._authenticate(app, ip)
            authorize(route, req.principal)
        req.args = parse_query(query, route.query or {})
        if route.body is not None:
            self._check_json_type()
        elif route.file:
            self._check_file_type(route.file)
        if route.file in STREAMED_FILES:  # read as the handler goes (mailboxes of many gigabytes)
            req.stream = self._body_stream(settings.max_mail_import_bytes, route.file)
            return route.handler(req)
        req.body = body = self._read_body(settings.max_import_bytes if route.file else settings.max_body_bytes)
        if route.body is not None:
            optional = not any(f.required for f in route.body.values())
            if optional and not body.strip():
                req.data = {}
            elif not body.strip():
                raise BadRequest("request body is empty; expected a JSON object")
            else:
                req.data = parse_object(parse_json(body), route.body)
        elif route.file and not body.strip():
            raise BadRequest(f"the {route.file} file is empty")
        return route.handler(req)

    # Browsers label files inconsistently (Windows calls a .csv application/vnd.ms-excel).
    FILE_TYPES = {"csv": ("text/csv", "text/plain", "application/csv", "application/octet-stream",
                          "application/vnd.ms-excel", "text/comma-separated-values"),
                  "database": ("application/octet-stream", "application/x-sqlite3", "application/vnd.sqlite3"),
                  "mail": ("application/mbox", "application/x-mbox", "message/rfc822", "application/octet-stream",
                           "text/plain"),
                  "json": ("application/json", "application/octet-stream", "text/plain")}

    def _content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _check_file_type(self, kind: str) -> None:
        content_type = self._content_type()
        if content_type and content_type not in self.FILE_TYPES[kind]:
            raise UnsupportedMediaType(f"expected a {kind} file ({self.FILE_TYPES[kind][0]}), got {content_type}")

    def _check_json_type(self) -> None:
        content_type = self._content_type()
        if (self._pending and content_type and content_type != "application/json"
                and not content_type.endswith("+json")):
            raise UnsupportedMediaType(f"expected Content-Type application/json, got {content_type}")

    def _authenticate(self, app: App, ip: str) -> Principal:
        header = self.headers.get("Authorization") or ""
        api_key = self.headers.get("X-API-Key")
        with app.db.read() as conn:
            if header:
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise Unauthorized("Authorization header must be 'Bearer <token>'")
                principal = app.accounts.authenticate(conn, token.strip(), ip)
            elif api_key:
                principal = app.tokens.authenticate(conn, api_key.strip(), ip)
            else:
                return anonymous(ip)
        self._caller_known = True
        return principal

    def _write(self, reply: Reply, head_only: bool = False, started: float | None = None) -> None:
        headers = {"Content-Type": reply.content_type}
        if reply.body is None:
            payload = b""
            headers.pop("Content-Type")
        elif isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Cache-Control"] = "no-store"
            headers.update(security.security_headers())
        headers.update(reply.headers)
        if "Content-Security-Policy" not in headers:
            headers.update(security.security_headers())
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if accepts_gzip and (reply.gzipped is not None or (
                len(payload) >= GZIP_MIN_BYTES
                and (not isinstance(reply.body, bytes) or reply.content_type.startswith("text/html")))):
            payload = reply.gzipped if reply.gzipped is not None else gzip.compress(payload, 5)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = ", ".join(filter(None, [headers.get("Vary"), "Accept-Encoding"]))
        headers["Content-Length"] = str(len(payload))
        if started is not None:  # time spent in the server, for clients and benchmarks
            headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        if self.close_connection:
            headers["Connection"] = "close"
        lines = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
                 f"Date: {self.date_time_string()}", f"Server: {self.server_version}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.log_request(reply.status)
        try:
            # One write per response: no Nagle stall between head and body.
            self.wfile.write(head if head_only else head + payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _bucket(method: str) -> str:
    """The rate-limit bucket of a request by its verb (reads are cheaper than writes)."""
    return "read" if method in ("GET", "HEAD") else "write"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: App):
        self.app = app
        super().__init__((app.settings.host, app.settings.port), Handler)


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"venture-crm: configuration error: {exc}", file=sys.stderr)
        return 2
    app = App(settings)
    started = time.perf_counter()
    try:
        applied = app.start(background=True)
    except MigrationError as exc:
        print(f"venture-crm: cannot start: {exc}", file=sys.stderr)
        return 3
    server = Server(app)
    host, port = server.server_address[:2]
    # The grid cache is millions of long-lived objects: keep the cyclic collector from walking
    # them again and again (a full collection of a 50k-row grid stalls every request).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    # A long write (an import) is CPU-bound Python; with the default 5 ms GIL slices a reader's
    # request, which hands the GIL over many times, waits for each slice. 1 ms keeps reads quick.
    sys.setswitchinterval(0.001)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if applied:
        print(f"venture-crm: applied migrations {', '.join(applied)}", flush=True)
    # 0.0.0.0 is where it listens, not an address a browser can open.
    shown = f"http://localhost:{port}" if host in ("0.0.0.0", "::") else f"http://{host}:{port}"
    print(f"venture-crm {__version__} listening on {host}:{port}; open {shown} "
          f"(env {settings.env}, data {settings.data_dir}, ready in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms)", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        for thread in (app.scheduler, app.backup_scheduler, getattr(app, "digest_scheduler", None)):
            if thread is not None:
                thread.stop.set()
        app.search.stop()
        server.server_close()
        app.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
