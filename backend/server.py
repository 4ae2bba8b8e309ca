"""The HTTP layer: route table, request parsing, auth gate, JSON envelope, headers, static files.

Domain logic lives in the modules this file imports; handlers here only parse, call and wrap.
Run with `python -m backend.server` (see config.py for the settings it reads).
"""
from __future__ import annotations

import gc
import gzip
import json
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
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from . import (activity, audit, auth, automations, backups, collab, formula, formula_columns, grid, importer,
               interactions, invites, sample_data, security, service_tokens, view_engine, views)
from .config import ConfigError, Settings, load_settings
from .db import Database, utc_now
from .errors import (ApiError, BadRequest, Forbidden, LengthRequired, MethodNotAllowed, NotFound,
                     PayloadTooLarge, ServiceUnavailable, Unauthorized, UnsupportedMediaType)
from .migrate import MigrationError, apply_migrations
from .principal import Principal, anonymous, system
from .validation import Field, object_schema, parse_json, parse_object, parse_query, query_schema
from .version import __version__

FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
RESET_PHRASE = "RESET ALL DATA"
PUBLIC, USER, ADMIN = "public", "user", "admin"
ANY_SCOPE = "*"  # any valid service token may call the route
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
        self.tokens = service_tokens.TokenAuthenticator(self.db)
        self.ready = False
        self.static = StaticFiles(FRONTEND_DIR)
        self.signal = collab.ChangeSignal()
        self.presence = collab.Presence()
        self.automations = automations.Automations(self.db)
        self.grid = grid.Grid(self.db, on_change=self.signal.notify, automations=self.automations)
        self.views = views.Views(self.db, self.grid)
        self.backups = backups.Backups(self.db, settings.data_dir)
        self.scheduler: automations.Scheduler | None = None
        self.backup_scheduler: backups.Scheduler | None = None

    def _settle(self) -> None:
        """Bring in-memory state in line with the database (after start or a restore)."""
        self.grid.cache.invalidate()
        self.automations.invalidate()
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
            # Serialise the grid once now, so the first browser to open it does not pay for it.
            threading.Thread(target=self.grid.grid_response, args=("compact", False, True),
                             name="grid-warmup", daemon=True).start()
        self.ready = True
        return applied


# --- requests and replies ----------------------------------------------------------------------

@dataclass
class Request:
    app: App
    method: str
    path: str
    params: dict
    query: dict
    headers: Any
    body: bytes
    ip: str
    principal: Principal = field(default_factory=anonymous)
    data: Any = None  # the validated JSON body, when the route declares one
    args: dict = field(default_factory=dict)  # the route's declared query parameters, typed

    def base_url(self) -> str:
        settings = self.app.settings
        if settings.public_url:
            return settings.public_url
        proto = "http"
        if self.headers.get("X-Forwarded-Proto") == "https" and settings.trusted_proxies:
            proto = "https"
        return f"{proto}://{self.headers.get('Host') or f'{settings.host}:{settings.port}'}"


@dataclass
class Reply:
    status: int
    body: Any                      # JSON-able object, or bytes for static files
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    gzipped: bytes | None = None   # a ready compressed form of a bytes body


def ok(data, status: int = 200, **extra) -> Reply:
    return Reply(status, {"data": data, **extra})


def created(data) -> Reply:
    return ok(data, 201)


# --- routes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[Request], Reply]
    auth: str
    scope: str | None = None
    body: dict | None = None        # JSON body spec: validated into req.data
    rate: str | None = None         # rate-limit bucket override ("auth")
    tag: str = "misc"
    file: str | None = None         # "csv" | "database": the body is a file (handler reads req.body)
    query: dict | None = None       # declared query parameters (Field specs): typed into req.args

    @property
    def regex(self):
        pattern = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.+)", self.path)
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    @property
    def summary(self) -> str:
        return (self.handler.__doc__ or self.handler.__name__).strip().splitlines()[0]


class Router:
    """Literal paths by dict lookup, parameterised ones by regex; knows the verbs of a path."""

    def __init__(self, routes: list[Route]):
        self.routes = routes
        self._literal: dict[str, dict[str, Route]] = {}
        self._patterns: list[tuple[re.Pattern, dict[str, Route]]] = []
        by_path: dict[str, dict[str, Route]] = {}
        for route in routes:
            methods = by_path.setdefault(route.path, {})
            if route.method in methods:
                raise ValueError(f"duplicate route {route.method} {route.path}")
            methods[route.method] = route
        for path, methods in by_path.items():
            if "{" in path:
                self._patterns.append((next(iter(methods.values())).regex, methods))
            else:
                self._literal[path] = methods

    def match(self, path: str) -> tuple[dict[str, Route], dict] | None:
        methods = self._literal.get(path)
        if methods is not None:
            return methods, {}
        for regex, methods in self._patterns:
            found = regex.match(path)
            if found:
                return methods, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


# --- handlers: parse, call the domain, wrap ----------------------------------------------------

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


def bootstrap_status(req: Request) -> Reply:
    """Whether the first admin still has to be created."""
    with req.app.db.read() as conn:
        return ok({"setup_required": auth.setup_required(conn)})


def register(req: Request) -> Reply:
    """Create the first user (an admin); refused once anyone exists."""
    d = req.data
    return Reply(201, auth.register_first_user(req.app.db, req.app.settings, d["username"], d["email"],
                                               d["password"], req.ip))


def login(req: Request) -> Reply:
    """Sign in with username or email and password."""
    identifier, backoff = req.data["username"], req.app.backoff
    backoff.check(identifier, req.ip)
    try:
        session = auth.login(req.app.db, req.app.settings, identifier, req.data["password"], req.ip)
    except Unauthorized:
        backoff.failed(identifier, req.ip)
        raise
    backoff.succeeded(identifier, req.ip)
    return Reply(200, session)


def logout(req: Request) -> Reply:
    """Revoke every token of the caller issued before now."""
    auth.logout(req.app.db, req.principal)
    return ok({"signed_out": True})


def me(req: Request) -> Reply:
    """The caller: a user, or the service token in use."""
    p = req.principal
    if p.kind == "service":
        return ok({"kind": "service", "id": p.id, "name": p.name, "scopes": sorted(p.scopes)})
    with req.app.db.read() as conn:
        return ok(auth.get_user(conn, p.id))


def change_password(req: Request) -> Reply:
    """Change the caller's password; other sessions are signed out, a fresh token is returned."""
    return Reply(200, auth.change_own_password(req.app.db, req.app.settings, req.principal,
                                               req.data["current_password"], req.data["new_password"]))


def invite_info(req: Request) -> Reply:
    """What an invite link is for (email, role, status), for the accept screen."""
    with req.app.db.read() as conn:
        return ok(invites.invite_info(conn, req.args["token"]))


def accept_invite(req: Request) -> Reply:
    """Create an account from a one-time invite token."""
    d = req.data
    return Reply(201, invites.accept_invite(req.app.db, req.app.settings, d["token"], d["username"],
                                            d["password"], req.ip))


def list_users(req: Request) -> Reply:
    """Everyone with an account (active first)."""
    with req.app.db.read() as conn:
        return ok(auth.list_users(conn))


def create_user(req: Request) -> Reply:
    """Create a user directly (admin)."""
    d = req.data
    return created(auth.create_user(req.app.db, req.app.settings, req.principal, d["username"],
                                    d["email"], d["password"], d.get("role", "member")))


def update_user(req: Request) -> Reply:
    """Change a user's role, active flag, email or password (admin)."""
    if not req.data:
        raise BadRequest("nothing to change: send role, is_active, email or password")
    return ok(auth.update_user(req.app.db, req.app.settings, req.principal, req.params["id"], req.data))


def list_invites(req: Request) -> Reply:
    """Invites with their status."""
    with req.app.db.read() as conn:
        return ok(invites.list_invites(conn))


def create_invite(req: Request) -> Reply:
    """Invite someone by email; the link is returned once and mailed when SMTP is set up."""
    invite = invites.create_invite(req.app.db, req.app.settings, req.principal, req.data["email"],
                                   req.data.get("role", "member"), req.base_url())
    sent, error = invites.send_invite_email(req.app.settings, invite, req.principal.name or "An admin")
    return created({**invite, "email_sent": sent, "email_error": error})


def revoke_invite(req: Request) -> Reply:
    """Revoke a pending invite."""
    return ok(invites.revoke_invite(req.app.db, req.principal, req.params["id"]))


def list_service_tokens(req: Request) -> Reply:
    """Service tokens (never the secret itself)."""
    with req.app.db.read() as conn:
        return ok(service_tokens.list_tokens(conn))


def create_service_token(req: Request) -> Reply:
    """Mint a scoped service token; the secret is shown only in this response."""
    return created(service_tokens.create_token(req.app.db, req.principal, req.data["name"],
                                               req.data["scopes"]))


def revoke_service_token(req: Request) -> Reply:
    """Revoke a service token at once."""
    return ok(service_tokens.revoke_token(req.app.db, req.principal, req.params["id"]))


def audit_log(req: Request) -> Reply:
    """The audit log, newest first, filterable by action, entity, actor and time."""
    limit, offset = req.args["limit"], req.args["offset"]
    with req.app.db.read() as conn:
        entries, total = audit.list_entries(conn, req.args, limit, offset)
    return ok(entries, total=total, limit=limit, offset=offset)


def security_status(req: Request) -> Reply:
    """Security configuration and a checklist of what needs attention."""
    with req.app.db.read() as conn:
        return ok(security.status_report(req.app.settings, conn, req.app.limiter, req.app.backoff,
                                         req.headers.get("X-Forwarded-Proto")))


# --- the fundraising grid ---------------------------------------------------------------------

def _json_bytes(body: bytes, gzipped: bytes | None = None) -> Reply:
    return Reply(200, body, headers={"Cache-Control": "no-store"},
                 content_type="application/json; charset=utf-8", gzipped=gzipped)


def get_grid(req: Request) -> Reply:
    """The whole grid: columns and rows (?shape=compact for the column-wise browser form)."""
    wants_gzip = "gzip" in (req.headers.get("Accept-Encoding") or "")
    body, gzipped = req.app.grid.grid_response(req.args["shape"], req.args["include_archived"], wants_gzip)
    return _json_bytes(body, gzipped)


def list_columns(req: Request) -> Reply:
    """Columns in display order (?include_archived=1 adds archived ones)."""
    return ok(req.app.grid.columns(req.args["include_archived"]))


def create_column(req: Request) -> Reply:
    """Add a typed column (a `fund` column is a fund: options vintage, target, currency)."""
    d = req.data
    return created(req.app.grid.create_column(req.principal, d["name"], d["type"], d.get("options"),
                                              d.get("frozen", False), d.get("width"), d.get("position")))


def update_column(req: Request) -> Reply:
    """Rename, move, freeze, resize a column or change its options."""
    if not req.data:
        raise BadRequest("nothing to change: send name, options, position, frozen or width")
    return ok(req.app.grid.update_column(req.principal, req.params["id"], req.data))


def archive_column(req: Request) -> Reply:
    """Archive a column (its values are kept; restore brings them back)."""
    return ok(req.app.grid.set_column_archived(req.principal, req.params["id"], True))


def restore_column(req: Request) -> Reply:
    """Bring an archived column back with its values."""
    return ok(req.app.grid.set_column_archived(req.principal, req.params["id"], False))


def create_row(req: Request) -> Reply:
    """Add an investor; `values` keys are column ids or names."""
    return created(req.app.grid.create_row(req.principal, req.data.get("values") or {}))


def get_row(req: Request) -> Reply:
    """One investor row."""
    return ok(req.app.grid.get_row(req.params["id"]))


def update_row(req: Request) -> Reply:
    """Edit cells; with expected_version, a cell someone else changed since answers 409."""
    return ok(req.app.grid.update_row(req.principal, req.params["id"], req.data["values"],
                                      req.data.get("expected_version")))


def _import_options(req: Request) -> tuple[str, dict | None, str]:
    return req.args["key"] or "Name", req.args["mapping"], req.args["empty"]


def import_preview(req: Request) -> Reply:
    """What importing this CSV would do: column types, samples, problems by line, counts. Writes nothing."""
    key, mapping, empty = _import_options(req)
    table = importer.read_csv(req.body)
    grid_ = req.app.grid
    plan = importer.plan_import(table, list(grid_.column_lookup().values()), grid_.live_rows(), key, mapping, empty)
    d = plan.as_dict()
    return ok({"columns": [{"name": c["header"], **c} for c in d["columns"]], "row_count": d["row_count"],
               "errors": d["errors"], "warnings": d["warnings"], "encoding": d["encoding"], "key": key,
               "created": len(d["creates"]), "updated": len(d["updates"]), "unchanged": d["unchanged"],
               "new_columns": d["new_columns"]})


def import_csv(req: Request) -> Reply:
    """Import (upsert by ?key=) a CSV in one transaction: all of it, or nothing and the problems."""
    key, mapping, empty = _import_options(req)
    table = importer.read_csv(req.body)
    summary = req.app.grid.apply_import(
        req.principal, lambda columns, rows: importer.plan_import(table, columns, rows, key, mapping, empty))
    return ok(summary)


def export_csv(req: Request) -> Reply:
    """The grid, or a view (?view=ID: its columns, order, filter and sort), as CSV."""
    app = req.app
    columns = app.grid.columns()
    rows = dict(app.grid.live_rows())
    order = list(rows)
    name = "grid"
    if req.args["view"]:
        view = app.views.get(req.principal, req.args["view"])
        order = app.views.select(view, list(rows.items()), app.grid.column_lookup())
        ranked = {cid: i for i, cid in enumerate(view["order"])}
        columns = sorted((c for c in columns if c["id"] not in set(view["hidden"])),
                         key=lambda c: (ranked.get(c["id"], len(ranked)), c["position"]))
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", view["name"]).strip("-") or "view"
    body = importer.export_csv(columns, [rows[rid] for rid in order])
    return Reply(200, body, content_type="text/csv; charset=utf-8", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="venture-crm-{name}-{utc_now()[:10]}.csv"'})


def load_sample(req: Request) -> Reply:
    """Fill an empty grid with three funds and thirty sample investors."""
    return created(sample_data.load_sample(req.app.grid, req.principal))


def create_rows(req: Request) -> Reply:
    """Create many investors in one transaction (a paste past the last row): all or nothing."""
    rows = req.data["rows"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and set(r) <= {"values"} for r in rows):
        raise BadRequest("'rows' must be a list of {values}", field="rows")
    return created(req.app.grid.create_rows(req.principal, [r.get("values") or {} for r in rows]))


def update_rows(req: Request) -> Reply:
    """Edit many rows in one transaction (paste, fill-down, undo): all or nothing."""
    return ok(req.app.grid.update_rows(req.principal, req.data["rows"]))


def archive_row(req: Request) -> Reply:
    """Archive an investor (soft delete; restore brings it back)."""
    return ok(req.app.grid.set_archived(req.principal, req.params["id"], True))


def restore_row(req: Request) -> Reply:
    """Restore an archived investor."""
    return ok(req.app.grid.set_archived(req.principal, req.params["id"], False))


def row_history(req: Request) -> Reply:
    """Cell-level history of an investor, newest first."""
    return ok(req.app.grid.history(req.params["id"], req.args["limit"]))


def grid_changes(req: Request) -> Reply:
    """Changes after ?since=N, waiting up to ?wait=S seconds for one (long-poll)."""
    since, wait = req.args["since"], req.args["wait"]
    if wait:
        req.app.signal.wait_past(since, wait)
    return ok(req.app.grid.changes_since(since))


def heartbeat(req: Request) -> Reply:
    """I am here (and maybe editing a cell); answers who else is."""
    state = req.data
    req.app.presence.heartbeat(req.principal, state["client_id"], state)
    if state.get("leaving"):
        req.app.presence.leave(req.principal, state["client_id"])
    return ok(req.app.presence.state())


def collab_state(req: Request) -> Reply:
    """Who has the grid open, which cell each is on, and who is editing."""
    return ok(req.app.presence.state())


def list_views(req: Request) -> Reply:
    """Shared views and the caller's personal ones."""
    return ok(req.app.views.list(req.principal))


def create_view(req: Request) -> Reply:
    """Save a view (filter, sort, hidden, order, frozen; shared or personal)."""
    return created(req.app.views.create(req.principal, req.data, req.app.grid.column_lookup()))


def update_view(req: Request) -> Reply:
    """Change a view."""
    return ok(req.app.views.update(req.principal, req.params["id"], req.data, req.app.grid.column_lookup()))


def archive_view(req: Request) -> Reply:
    """Delete a view (archived)."""
    return ok(req.app.views.archive(req.principal, req.params["id"]))


def view_rows(req: Request) -> Reply:
    """The rows a view selects, in its order."""
    app = req.app
    view = app.views.get(req.principal, req.params["id"])
    ids = app.views.select(view, app.grid.live_rows(), app.grid.column_lookup())
    version = app.grid.version()
    columns = json.dumps(app.grid.columns(), separators=(",", ":"))
    body = (f'{{"data":{{"version":{version},"view":{json.dumps(view, separators=(",", ":"))},'
            f'"columns":{columns},"rows":{app.grid.rows_json(ids, req.args["shape"])}}},"total":{len(ids)}}}')
    return _json_bytes(body.encode())


def list_lists(req: Request) -> Reply:
    """How many live investors are on each list."""
    counts = {name: 0 for name in automations.ct.LISTS}
    list_col = next(c for c in req.app.grid.column_lookup().values() if c.get("field") == "list")
    for _, values in req.app.grid.live_rows():
        counts[values.get(list_col["id"]) or "main"] += 1
    return ok(counts)


def evaluate_formula(req: Request) -> Reply:
    """Evaluate a formula against a record (field name -> value) or an investor (row_id); a field
    that is neither a live column nor in the record is a 422 naming it; ?preview=1 answers a
    formula error as 200 {type: "error", error, position}."""
    record = req.data.get("record") or {}
    row_id = req.data.get("row_id")
    columns = req.app.grid.columns()
    if row_id:
        row = req.app.grid.get_row(row_id)
        names = {c["id"]: c["name"] for c in columns}
        record = {**{names[k]: v for k, v in row["values"].items() if k in names}, **record}
    try:
        value, kind = formula_columns.evaluate(req.data["formula"], record, (c["name"] for c in columns))
    except formula.FormulaError as exc:
        if not req.args["preview"]:
            raise
        # The editor previews half-typed formulas on every keystroke: not a failed request.
        return ok({"value": None, "type": "error", "error": exc.message, "position": exc.position})
    return ok({"value": value, "type": kind})


def grid_meta(req: Request) -> Reply:
    """What the grid understands: column types, filter operators, lists, colours, formula functions."""
    return ok({"column_types": list(grid.ct.TYPES), "computed_types": sorted(grid.ct.COMPUTED),
               "type_kinds": view_engine.TYPE_KINDS,
               "operators": {kind: sorted(ops) for kind, ops in view_engine.OPERATORS.items()},
               "lists": list(grid.ct.LISTS), "choice_colors": list(grid.ct.CHOICE_COLORS),
               "functions": list(formula.FUNCTIONS.values())})


def list_automations(req: Request) -> Reply:
    """Automation rules with their status."""
    return ok(req.app.automations.list_rules(req.app.grid.column_lookup()))


def create_automation(req: Request) -> Reply:
    """Add a rule: condition (a filter group) + action (move_to_list or set_value)."""
    return created(req.app.automations.create_rule(req.principal, req.data, req.app.grid.column_lookup()))


def update_automation(req: Request) -> Reply:
    """Change, enable or disable a rule."""
    return ok(req.app.automations.update_rule(req.principal, req.params["id"], req.data,
                                              req.app.grid.column_lookup()))


def archive_automation(req: Request) -> Reply:
    """Delete a rule (archived)."""
    return ok(req.app.automations.archive_rule(req.principal, req.params["id"]))


def run_automations(req: Request) -> Reply:
    """Run the scheduled rules now over every investor."""
    return ok(req.app.automations.run_scheduled(req.app.grid, trigger="manual"))


def automation_runs(req: Request) -> Reply:
    """The automation run log, newest first."""
    limit, offset = req.args["limit"], req.args["offset"]
    runs, total = req.app.automations.runs(limit, offset, req.args["rule_id"])
    return ok(runs, total=total, limit=limit, offset=offset)


def get_state(req: Request) -> Reply:
    """Snapshot: the whole grid and the caller's views, with the grid version."""
    app = req.app
    body, _ = app.grid.grid_response("full", False, False)
    grid_data = json.loads(body)["data"]
    return ok({**grid_data, "views": app.views.list(req.principal)})


def put_state(req: Request) -> Reply:
    """Snapshot write: make the live rows match; 409 if the grid moved past expected_version."""
    return ok(req.app.grid.put_state(req.principal, req.data["rows"], req.data["expected_version"]))


def export_snapshot(req: Request) -> Reply:
    """Download everything as one JSON document (rows including archived, views, rules)."""
    app = req.app
    body, _ = app.grid.grid_response("full", True, False)
    grid_data = json.loads(body)["data"]
    document = {"exported_at": utc_now(), "version": grid_data["version"],
                "columns": app.grid.columns(include_archived=True), "rows": grid_data["rows"],
                "views": app.views.list(req.principal),
                "automations": app.automations.list_rules(app.grid.column_lookup())}
    reply = ok(document)
    reply.headers["Content-Disposition"] = f'attachment; filename="venture-crm-{utc_now()[:10]}.json"'
    return reply



# --- data safety ------------------------------------------------------------------------------

def create_backup(req: Request) -> Reply:
    """Take a whole-database backup now."""
    note = (req.data or {}).get("note") if req.data else None
    return created(req.app.backups.create("manual", req.principal, note))


def list_backups(req: Request) -> Reply:
    """Backups, newest first, with their verification results."""
    return ok(req.app.backups.list())


def verify_backup(req: Request) -> Reply:
    """Re-hash, integrity-check and open a backup; the result is kept on it."""
    return ok(req.app.backups.verify(req.data["id"]))


def restore_preview(req: Request) -> Reply:
    """What restoring a backup would change (per table, and investors gained, lost, changed)."""
    return ok(req.app.backups.preview(req.data["id"]))


def restore_backup(req: Request) -> Reply:
    """Restore a backup (a pre-restore backup is taken first)."""
    return ok(req.app.restore(req.data["id"], req.principal))


def get_backup_policy(req: Request) -> Reply:
    """The automatic backup policy."""
    return ok(req.app.backups.policy())


def update_backup_policy(req: Request) -> Reply:
    """Change the automatic backup policy (enabled, hour UTC, keep_daily, keep_weekly)."""
    if not req.data:
        raise BadRequest("nothing to change: send enabled, hour, keep_daily or keep_weekly")
    return ok(req.app.backups.set_policy(req.principal, req.data))


def download_backup(req: Request) -> Reply:
    """A backup file, for safekeeping off the box."""
    path = req.app.backups.file_path(req.params["id"])
    return Reply(200, path.read_bytes(), content_type="application/vnd.sqlite3", headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="venture-crm-{req.params["id"]}.db"'})


def upload_backup(req: Request) -> Reply:
    """Upload a backup file (checked before it is kept); restore it like any other."""
    return created(req.app.backups.upload(req.body, req.principal))


def reset_all_data(req: Request) -> Reply:
    """Archive every investor, custom column and view after taking a backup (needs the phrase)."""
    if req.data["confirm"] != RESET_PHRASE:
        raise BadRequest(f"type the phrase '{RESET_PHRASE}' to confirm", field="confirm")
    backup = req.app.backups.create("pre_reset", req.principal, note="before reset-all-data")
    return ok({"backup": backup["id"], "archived": req.app.grid.archive_everything(req.principal)})


def archive_list(req: Request) -> Reply:
    """Everything archived (investors, columns, views, rules, people), for restoring."""
    return ok(req.app.grid.archived())


def restore_view(req: Request) -> Reply:
    """Bring back an archived view."""
    return ok(req.app.views.restore(req.principal, req.params["id"]))


def restore_automation(req: Request) -> Reply:
    """Bring back an archived rule (disabled)."""
    return ok(req.app.automations.restore_rule(req.principal, req.params["id"], req.app.grid.column_lookup()))


def list_interactions(req: Request) -> Reply:
    """The investor's interaction log (notes, emails, meetings, automation touches), newest first."""
    limit, offset = req.args["limit"], req.args["offset"]
    req.app.grid.get_row(req.params["id"])
    with req.app.db.read() as conn:
        entries, total = interactions.for_investor(conn, req.params["id"], limit, offset)
    return ok(entries, total=total, limit=limit, offset=offset)


def add_interaction(req: Request) -> Reply:
    """Log a note, call, meeting or email with an investor."""
    d = req.data
    return created(interactions.add(req.app.db, req.principal, req.params["id"], d.get("kind", "note"),
                                    d.get("source", "ui" if req.principal.kind == "user" else "api"),
                                    d["summary"], d.get("body"), d.get("occurred_at"), d.get("ref")))


def activity_feed(req: Request) -> Reply:
    """Audit, automation and backup events merged, newest first."""
    limit, offset = req.args["limit"], req.args["offset"]
    items, total = activity.feed(req.app.db, req.app.backups.list(), limit, offset)
    return ok(items, total=total, limit=limit, offset=offset)


def openapi(req: Request) -> Reply:
    """This API as an OpenAPI 3 document, generated from the route table."""
    return Reply(200, openapi_document(ROUTES))


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


# --- the route table ---------------------------------------------------------------------------

USERNAME = Field("username", required=True)
EMAIL = Field("email", required=True)
ROLE = Field(choices=auth.ROLES, description="admin or member (default member)")


def page(default: int = 100, most: int = 1000, deepest: int = 10 ** 9) -> dict:
    return {"limit": Field("integer", minimum=1, maximum=most, default=default),
            "offset": Field("integer", minimum=0, maximum=deepest, default=0)}


INCLUDE_ARCHIVED = {"include_archived": Field("boolean", default=False, description="1 to include archived ones")}
SHAPE = {"shape": Field(choices=("full", "compact"), default="full",
                        description="compact: column-wise rows [id, version, values in column order...]")}
IMPORT_QUERY = {"key": Field(max_length=200, default="Name", description="column matched to find existing investors"),
                "empty": Field(choices=("keep", "clear"), default="keep", description="what an empty cell does"),
                "mapping": Field("object", description='header -> "skip" | column id/name | {"new": type}')}
ID_BODY = {"id": Field(required=True, min_length=1, max_length=64)}
# Documented shapes of bodies the domain modules validate themselves (OpenAPI components).
SCHEMAS = {
    "Values": {"type": "object", "description": "column id or name -> value", "maxProperties": 500,
               "additionalProperties": {"nullable": True}},
    "Condition": {"type": "object", "required": ["column_id", "operator"], "properties": {
        "column_id": {"type": "string"}, "operator": {"type": "string"}, "value": {"nullable": True}}},
    "FilterGroup": {"type": "object", "required": ["conditions"], "properties": {
        "op": {"type": "string", "enum": ["and", "or"]},
        "conditions": {"type": "array", "maxItems": 50, "items": {"oneOf": [
            {"$ref": "#/components/schemas/Condition"}, {"$ref": "#/components/schemas/FilterGroup"}]}}}},
    "RuleCondition": {"type": "object", "required": ["conditions"], "description": "a filter group; a rule needs "
                      "at least one condition (it would otherwise touch every investor)", "properties": {
        "op": {"type": "string", "enum": ["and", "or"]},
        "conditions": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"oneOf": [
            {"$ref": "#/components/schemas/Condition"}, {"$ref": "#/components/schemas/FilterGroup"}]}}}},
    "SortKey": {"type": "object", "required": ["column_id"], "properties": {
        "column_id": {"type": "string"}, "direction": {"type": "string", "enum": ["asc", "desc"]}}},
    "Action": {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": list(automations.ACTIONS)}, "list": {"type": "string", "enum": list(grid.ct.LISTS)},
        "column_id": {"type": "string"}, "value": {"nullable": True}}},
    "RowEdit": {"type": "object", "required": ["id", "values"], "additionalProperties": False, "properties": {
        "id": {"type": "string"}, "values": {"$ref": "#/components/schemas/Values"},
        "expected_version": {"type": "integer", "minimum": 0, "nullable": True}}},
    "StateRow": {"type": "object", "additionalProperties": False, "properties": {
        "id": {"type": "string"}, "version": {"type": "integer"}, "values": {"$ref": "#/components/schemas/Values"}}},
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


VALUES = Field("object", schema=ref("Values"))
NAME = {"type": "string", "minLength": 1, "pattern": r"\S"}
VIEW_BODY = {"name": Field("any", schema={**NAME, "maxLength": 120}),
             "shared": Field("any", schema={"type": "boolean"}),
             "filter": Field("any", schema=ref("FilterGroup")),
             "sort": Field("any", schema={"type": "array", "items": ref("SortKey")}),
             "hidden": Field("any", schema={"type": "array", "items": {"type": "string"}}),
             "order": Field("any", schema={"type": "array", "items": {"type": "string"}}),
             "frozen": Field("any", schema={"type": "integer", "minimum": 0, "maximum": views.MAX_FROZEN})}
RULE_BODY = {"name": Field("any", schema={**NAME, "maxLength": 200}),
             "enabled": Field("any", schema={"type": "boolean"}),
             "trigger": Field("any", schema={"type": "string", "enum": list(automations.TRIGGERS)}),
             "condition": Field("any", schema=ref("RuleCondition")),
             "action": Field("any", schema=ref("Action"))}

ROUTES: list[Route] = [
    Route("GET", "/api/health", health, PUBLIC, tag="system"),
    Route("GET", "/api/ready", ready, PUBLIC, tag="system"),
    Route("GET", "/api/openapi.json", openapi, PUBLIC, tag="system"),
    Route("GET", "/api/bootstrap/status", bootstrap_status, PUBLIC, tag="auth"),
    Route("POST", "/api/auth/register", register, PUBLIC, rate="auth", tag="auth",
          body={"username": USERNAME, "email": EMAIL, "password": auth.PASSWORD}),
    Route("POST", "/api/auth/login", login, PUBLIC, rate="auth", tag="auth",
          body={"username": Field(required=True, min_length=1, max_length=254,
                                  description="Username or email address"),
                "password": Field("password", required=True, min_length=1, max_length=1024)}),
    Route("GET", "/api/auth/invite", invite_info, PUBLIC, rate="auth", tag="auth",
          query={"token": Field(required=True, max_length=200, description="the invite token from the link")}),
    Route("POST", "/api/auth/accept-invite", accept_invite, PUBLIC, rate="auth", tag="auth",
          body={"token": Field(required=True, min_length=1, max_length=200), "username": USERNAME,
                "password": auth.PASSWORD}),
    Route("POST", "/api/auth/logout", logout, USER, tag="auth"),
    Route("GET", "/api/auth/me", me, USER, scope=ANY_SCOPE, tag="auth"),
    Route("POST", "/api/auth/password", change_password, USER, rate="auth", tag="auth",
          body={"current_password": Field("password", required=True, max_length=1024),
                "new_password": auth.PASSWORD}),
    Route("GET", "/api/users", list_users, USER, tag="users"),
    Route("POST", "/api/admin/users", create_user, ADMIN, tag="users",
          body={"username": USERNAME, "email": EMAIL, "password": auth.PASSWORD, "role": ROLE}),
    Route("PATCH", "/api/admin/users/{id}", update_user, ADMIN, tag="users",
          body={"role": ROLE, "is_active": Field("boolean"), "email": Field("email"),
                "password": Field("password", min_length=8, max_length=256)}),
    Route("GET", "/api/admin/invites", list_invites, ADMIN, tag="users"),
    Route("POST", "/api/admin/invites", create_invite, ADMIN, tag="users",
          body={"email": EMAIL, "role": ROLE}),
    Route("DELETE", "/api/admin/invites/{id}", revoke_invite, ADMIN, tag="users"),
    Route("GET", "/api/admin/service-tokens", list_service_tokens, ADMIN, tag="service tokens"),
    Route("POST", "/api/admin/service-tokens", create_service_token, ADMIN, tag="service tokens",
          body={"name": Field(required=True, min_length=1, max_length=100),
                "scopes": Field("array", required=True, min_length=1,
                                choices=tuple(service_tokens.SCOPES))}),
    Route("DELETE", "/api/admin/service-tokens/{id}", revoke_service_token, ADMIN, tag="service tokens"),
    Route("GET", "/api/audit-log", audit_log, ADMIN, tag="security",
          query={**page(), **{k: Field(max_length=200) for k in audit.FILTERS}}),
    Route("GET", "/api/security/status", security_status, ADMIN, tag="security"),
    Route("GET", "/api/fundraising/grid", get_grid, USER, scope="grid:read", tag="grid",
          query={**SHAPE, **INCLUDE_ARCHIVED}),
    Route("GET", "/api/fundraising/columns", list_columns, USER, scope="grid:read", tag="grid",
          query=INCLUDE_ARCHIVED),
    Route("POST", "/api/fundraising/columns", create_column, USER, scope="grid:write", tag="grid",
          body={"name": Field(required=True, min_length=1, max_length=120),
                "type": Field(required=True, choices=grid.ct.TYPES), "options": Field("object", nullable=True),
                "frozen": Field("boolean"), "width": Field("integer", minimum=40, maximum=2000, nullable=True),
                "position": Field("integer", minimum=0)}),
    Route("PATCH", "/api/fundraising/columns/{id}", update_column, USER, scope="grid:write", tag="grid",
          body={"name": Field(min_length=1, max_length=120), "type": Field(), "options": Field("object", nullable=True),
                "frozen": Field("boolean"), "width": Field("integer", minimum=40, maximum=2000, nullable=True),
                "position": Field("integer", minimum=0)}),
    Route("DELETE", "/api/fundraising/columns/{id}", archive_column, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/columns/{id}/restore", restore_column, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/rows", create_row, USER, scope="grid:write", tag="grid",
          body={"values": VALUES}),
    Route("POST", "/api/fundraising/sample", load_sample, USER, tag="grid"),
    Route("POST", "/api/fundraising/import/preview", import_preview, USER, scope="grid:write", tag="import",
          file="csv", query=IMPORT_QUERY),
    Route("POST", "/api/fundraising/import", import_csv, USER, scope="grid:write", tag="import", file="csv",
          query=IMPORT_QUERY),
    Route("GET", "/api/fundraising/export.csv", export_csv, USER, scope="grid:read", tag="import",
          query={"view": Field(max_length=64, description="a view id: its columns, order, filter and sort")}),
    Route("POST", "/api/fundraising/rows/bulk", create_rows, USER, scope="grid:write", tag="grid",
          body={"rows": Field("any", required=True, schema={"type": "array", "minItems": 1, "maxItems": 5000, "items": {
              "type": "object", "additionalProperties": False, "properties": {"values": ref("Values")}}})}),
    Route("PATCH", "/api/fundraising/rows", update_rows, USER, scope="grid:write", tag="grid",
          body={"rows": Field("any", required=True, schema={"type": "array", "minItems": 1, "maxItems": 5000,
                                                            "items": ref("RowEdit")})}),
    Route("GET", "/api/fundraising/rows/{id}", get_row, USER, scope="grid:read", tag="grid"),
    Route("PATCH", "/api/fundraising/rows/{id}", update_row, USER, scope="grid:write", tag="grid",
          body={"values": Field("object", required=True, schema=ref("Values")),
                "expected_version": Field("integer", minimum=0, nullable=True)}),
    Route("DELETE", "/api/fundraising/rows/{id}", archive_row, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/rows/{id}/restore", restore_row, USER, scope="grid:write", tag="grid"),
    Route("GET", "/api/fundraising/rows/{id}/history", row_history, USER, scope="grid:read", tag="grid",
          query={"limit": Field("integer", minimum=1, maximum=5000, default=500)}),
    Route("GET", "/api/fundraising/changes", grid_changes, USER, scope="grid:read", tag="collaboration",
          query={"since": Field("integer", minimum=0, maximum=2 ** 62, default=0, description="a grid version"),
                 "wait": Field("integer", minimum=0, maximum=collab.MAX_WAIT_SECONDS, default=0,
                               description="seconds to wait for a change (long-poll)")}),
    Route("POST", "/api/fundraising/collab/heartbeat", heartbeat, USER, tag="collaboration",
          body={"client_id": Field(required=True, min_length=1, max_length=100), "view_id": Field(nullable=True),
                "row_id": Field(nullable=True), "column_id": Field(nullable=True), "editing": Field("boolean"),
                "leaving": Field("boolean")}),
    Route("GET", "/api/fundraising/collab/state", collab_state, USER, tag="collaboration"),
    Route("GET", "/api/fundraising/views", list_views, USER, scope="grid:read", tag="views"),
    Route("POST", "/api/fundraising/views", create_view, USER, tag="views", body=VIEW_BODY),
    Route("PATCH", "/api/fundraising/views/{id}", update_view, USER, tag="views", body=VIEW_BODY),
    Route("DELETE", "/api/fundraising/views/{id}", archive_view, USER, tag="views"),
    Route("GET", "/api/fundraising/views/{id}/rows", view_rows, USER, scope="grid:read", tag="views", query=SHAPE),
    Route("GET", "/api/fundraising/meta", grid_meta, USER, scope="grid:read", tag="grid"),
    Route("POST", "/api/formula/evaluate", evaluate_formula, USER, scope="grid:read", tag="formulas",
          query={"preview": Field("boolean", default=False, description="1: a formula error is a 200 answer")},
          # No length limit here: the formula engine bounds length and nesting itself (422).
          body={"formula": Field(required=True), "record": Field("object", nullable=True,
                                                                 description="field name -> value"),
                "row_id": Field(nullable=True, max_length=64)}),
    Route("GET", "/api/fundraising/lists", list_lists, USER, scope="grid:read", tag="automations"),
    Route("GET", "/api/fundraising/automations", list_automations, USER, tag="automations"),
    Route("POST", "/api/fundraising/automations", create_automation, USER, tag="automations", body=RULE_BODY),
    Route("PATCH", "/api/fundraising/automations/{id}", update_automation, USER, tag="automations", body=RULE_BODY),
    Route("DELETE", "/api/fundraising/automations/{id}", archive_automation, USER, tag="automations"),
    Route("POST", "/api/fundraising/automations/run", run_automations, USER, tag="automations"),
    Route("GET", "/api/fundraising/automation-runs", automation_runs, USER, tag="automations",
          query={**page(), "rule_id": Field(max_length=64)}),
    Route("GET", "/api/fundraising/state", get_state, USER, scope="grid:read", tag="snapshot"),
    Route("PUT", "/api/fundraising/state", put_state, USER, scope="grid:write", tag="snapshot",
          body={"expected_version": Field("integer", required=True, minimum=0),
                "rows": Field("any", required=True, schema={"type": "array", "items": ref("StateRow")})}),
    Route("GET", "/api/fundraising/export", export_snapshot, USER, tag="snapshot"),
    Route("POST", "/api/fundraising/backup", create_backup, USER, tag="backups",
          body={"note": Field(max_length=500, nullable=True)}),
    Route("GET", "/api/fundraising/backups", list_backups, USER, tag="backups"),
    Route("POST", "/api/fundraising/backup-verify", verify_backup, USER, tag="backups", body=ID_BODY),
    Route("POST", "/api/fundraising/restore-preview", restore_preview, ADMIN, tag="backups", body=ID_BODY),
    Route("POST", "/api/fundraising/restore", restore_backup, ADMIN, tag="backups", body=ID_BODY),
    Route("GET", "/api/fundraising/backup-policy", get_backup_policy, USER, tag="backups"),
    Route("PATCH", "/api/fundraising/backup-policy", update_backup_policy, ADMIN, tag="backups",
          body={"enabled": Field("boolean"), "hour": Field("integer"), "keep_daily": Field("integer"),
                "keep_weekly": Field("integer")}),
    Route("GET", "/api/fundraising/backups/{id}/download", download_backup, ADMIN, tag="backups"),
    Route("POST", "/api/fundraising/backups/upload", upload_backup, ADMIN, tag="backups", file="database"),
    Route("POST", "/api/admin/reset-all-data", reset_all_data, ADMIN, tag="backups",
          body={"confirm": Field(required=True)}),
    Route("GET", "/api/admin/archive", archive_list, ADMIN, tag="backups"),
    Route("GET", "/api/fundraising/activity", activity_feed, ADMIN, tag="security",
          query=page(most=500, deepest=10 ** 6)),
    Route("POST", "/api/fundraising/views/{id}/restore", restore_view, USER, tag="views"),
    Route("POST", "/api/fundraising/automations/{id}/restore", restore_automation, USER, tag="automations"),
    Route("GET", "/api/fundraising/rows/{id}/interactions", list_interactions, USER, scope="grid:read", tag="grid",
          query=page()),
    Route("POST", "/api/fundraising/rows/{id}/interactions", add_interaction, USER, scope="intake:write", tag="grid",
          body={"kind": Field(choices=interactions.KINDS), "source": Field(choices=interactions.SOURCES),
                "summary": Field(required=True, min_length=1, max_length=500), "body": Field(max_length=100_000, nullable=True),
                "occurred_at": Field(nullable=True), "ref": Field("object", nullable=True)}),
    Route("GET", "/", index_page, PUBLIC, tag="app"),
    Route("GET", "/index.html", index_page, PUBLIC, tag="app"),
    Route("GET", "/vendor/{path*}", static_file, PUBLIC, tag="app"),
    Route("GET", "/assets/{path*}", static_file, PUBLIC, tag="app"),
]
ROUTER = Router(ROUTES)


def authorize(route: Route, principal: Principal) -> None:
    """The auth gate every request passes: raises 401/403 unless the route admits the caller."""
    if route.auth == PUBLIC:
        return
    if principal.kind == "anonymous":
        raise Unauthorized("authentication required")
    if principal.kind == "service":
        if route.auth == ADMIN or route.scope is None:
            raise Forbidden("service tokens cannot use this endpoint", code="scope_denied")
        if route.scope != ANY_SCOPE and route.scope not in principal.scopes:
            raise Forbidden(f"service token lacks scope '{route.scope}'", code="scope_denied")
        return
    if route.auth == ADMIN and principal.role != "admin":
        raise Forbidden("admin role required", code="admin_required")


FILE_BODIES = {"csv": ("text/csv", {"type": "string"}),
               "database": ("application/octet-stream", {"type": "string", "format": "binary"})}
ERROR = {"$ref": "#/components/responses/Error"}


def openapi_document(routes: list[Route]) -> dict:
    paths: dict[str, dict] = {}
    for route in routes:
        if not route.path.startswith("/api/"):
            continue
        responses = {"200": {"description": "OK"}, "400": ERROR, "404": ERROR, "429": ERROR}
        operation: dict[str, Any] = {
            "summary": route.summary, "operationId": route.handler.__name__ + "_" + route.method.lower(),
            "tags": [route.tag], "x-auth": route.auth, "responses": responses,
        }
        if route.scope:
            operation["x-scope"] = route.scope
        if route.auth == PUBLIC:
            operation["security"] = []
        else:
            operation["security"] = [{"bearer": []}] + ([{"apiKey": []}] if route.scope else [])
            responses.update({"401": ERROR, "403": ERROR})
        if route.method != "GET":
            responses.update({"409": ERROR, "422": ERROR})
        parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                      for p in re.findall(r"\{(\w+)\}", route.path)]
        parameters += [query_schema(name, spec) for name, spec in (route.query or {}).items()]
        if parameters:
            operation["parameters"] = parameters
        if route.body:
            operation["requestBody"] = {"required": any(f.required for f in route.body.values()), "content": {
                "application/json": {"schema": object_schema(route.body)}}}
            responses.update({"413": ERROR, "415": ERROR})
        elif route.file:
            media, schema = FILE_BODIES[route.file]
            operation["requestBody"] = {"required": True, "content": {media: {"schema": schema}}}
            responses.update({"413": ERROR, "415": ERROR})
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Venture CRM", "version": __version__,
                 "description": "Generated from the server's route table."},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {
                "type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"}, "code": {"type": "string"}}}}}}},
        },
    }


# --- static files ------------------------------------------------------------------------------

class StaticFiles:
    """index.html (re-read when it changes, nonce injected per response) and immutable vendor
    files cached in memory with their gzip form."""

    def __init__(self, root: Path):
        self.root = root
        self._index: tuple[float, list[bytes]] | None = None
        self._files: dict[Path, tuple[bytes, str, bytes | None]] = {}
        self._lock = threading.Lock()

    def index(self, nonce: str) -> bytes:
        path = self.root / "index.html"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise NotFound("frontend/index.html is missing from this installation") from None
        if self._index is None or self._index[0] != mtime:
            self._index = (mtime, path.read_bytes().split(b"__CSP_NONCE__"))
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
        self._pending, self._caller_known = 0, False
        reply: Reply
        try:
            with app.db.deadline(app.settings.read_timeout_seconds):
                reply = self._handle(app, method)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), dict(exc.headers))
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
            app.limiter.hit("read" if method in ("GET", "HEAD") else "write", ip)
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
        if metered:
            app.limiter.hit(route.rate or ("read" if route.method == "GET" else "write"), ip)
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
                  "database": ("application/octet-stream", "application/x-sqlite3", "application/vnd.sqlite3")}

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
                principal = auth.authenticate_bearer(conn, app.settings, token.strip(), ip)
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

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if applied:
        print(f"venture-crm: applied migrations {', '.join(applied)}", flush=True)
    print(f"venture-crm {__version__} listening on http://{host}:{port} "
          f"(env {settings.env}, data {settings.data_dir}, ready in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms)", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        for thread in (app.scheduler, app.backup_scheduler):
            if thread is not None:
                thread.stop.set()
        server.server_close()
        app.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
