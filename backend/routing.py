"""What every capability's `routes.py` is written in: the request a handler gets, the reply it
returns, and the declarative route (method, path, handler, auth, scope, body and query specs).

`server.py` assembles the packages' route lists into one table, routes requests through `Router`,
gates them with `authorize` and documents them with `openapi_document`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

from .errors import Forbidden, Unauthorized
from .principal import Principal, anonymous
from .validation import Field, object_schema, query_schema
from .version import __version__

PUBLIC, USER, ADMIN = "public", "user", "admin"
ANY_SCOPE = "*"  # any valid service token may call the route


@dataclass
class Request:
    app: Any  # the running server.App: its settings and services
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
    stream: Any = None  # streamed file routes: the body as a binary file, read as it arrives

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


def json_reply(body: bytes, gzipped: bytes | None = None) -> Reply:
    """A ready-serialised JSON body (the grid's cached responses)."""
    return Reply(200, body, headers={"Cache-Control": "no-store"},
                 content_type="application/json; charset=utf-8", gzipped=gzipped)


def page(default: int = 100, most: int = 1000, deepest: int = 10 ** 9) -> dict:
    """The `limit` and `offset` query parameters of a paged list."""
    return {"limit": Field("integer", minimum=1, maximum=most, default=default),
            "offset": Field("integer", minimum=0, maximum=deepest, default=0)}


def ref(name: str) -> dict:
    """A reference to a shared schema (a package's SCHEMAS, gathered into the OpenAPI components)."""
    return {"$ref": f"#/components/schemas/{name}"}


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
    file: str | None = None         # "csv" | "database" | "json": the body is a file (req.body); "mail": streamed (req.stream)
    query: dict | None = None       # declared query parameters (Field specs): typed into req.args
    errors: Callable[[Any], Any] | None = None  # the body of the core's error replies here (MCP: JSON-RPC)

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
               "database": ("application/octet-stream", {"type": "string", "format": "binary"}),
               "mail": ("application/octet-stream", {"type": "string", "format": "binary", "description": (
                   "an mbox (sent as application/mbox) or one message (message/rfc822)")}),
               "json": ("application/json", {"type": "object"})}
ERROR = {"$ref": "#/components/responses/Error"}


def openapi_document(routes: list[Route], schemas: dict) -> dict:
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
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "responses": {"Error": {"description": "Error", "content": {"application/json": {"schema": {
                "type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"}, "code": {"type": "string"}}}}}}},
        },
    }
