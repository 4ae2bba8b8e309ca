"""JSON-RPC 2.0 and the MCP lifecycle over streamable HTTP (`app.mcp`), as the official Python client
(`mcp` 2.3.0) speaks it: one JSON object per POST, answered with one JSON object (no SSE), no
sessions (stateless: the client then sends no GET or DELETE). See
../shared/research/mcp_streamable_http.md for the exchange this follows.

- A request (it has an `id`) is answered 200 with its `id` echoed, `result` or `error`; a
  notification or a client's response (no `id`, or no `method`) 202 with no body.
- What cannot carry the request's id (bad JSON, not a 2.0 object, a batch) is a 400 with id null,
  since the client drops an error with id null at 200.
- Codes: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params
  (and an unknown tool), -32603 internal error, -32002 resource not found, -32003 no or a bad
  credential, -32004 a tool or resource the token's scopes do not allow (naming the scope).
- A tool that fails (bad arguments, an unknown investor, a refused plan) is a normal result with
  `isError: true` and the reason as text, so the assistant can read it and try again.
- Every tools/call is audited (`mcp.tool_called`, the token as the actor): a read after it ran, the
  write in its own transaction.
"""
from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from .. import audit
from ..db import Database
from ..errors import ApiError
from ..principal import Principal
from ..validation import parse_json
from ..version import __version__
from .tools import Tool, ToolError, Tools, check_arguments

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")  # newest first
SERVER_INFO = {"name": "venture-crm", "title": "Venture CRM", "version": __version__}
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
RESOURCE_NOT_FOUND, UNAUTHORIZED, FORBIDDEN = -32002, -32003, -32004
AUDITED_CHARS = 200  # of each string argument kept in the audit entry
INSTRUCTIONS = (
    "Venture CRM is the fund's fundraising CRM: investors (rows of a grid) with their people, commitments "
    "per fund, pipeline opportunities and an interaction log. Use search to find notes and investors, "
    "get_investor for one investor's record, list_views and run_view for the team's saved views, run_plan "
    "to answer questions (read crm://query-schema for the plan language, crm://schema for the grid's "
    "columns, funds, lists and stages), and log_note to record a note when the token allows it. "
    "Every call is audited under the token's name; nothing here sends mail or anything else off the box.")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def error_object(code: int, message: str, data: dict | None = None) -> dict:
    return {"code": code, "message": message, **({"data": data} if data else {})}


def rpc_error(req_id: Any, code: int, message: str, data: dict | None = None) -> dict:
    return {"jsonrpc": "2.0", "id": req_id, "error": error_object(code, message, data)}


def error_body(exc: ApiError) -> dict:
    """What the HTTP core refused on this route (no credential, rate limit, a wrong content type)
    as a JSON-RPC error, so an MCP client shows its message (`Route.errors`)."""
    code = {401: UNAUTHORIZED, 403: FORBIDDEN}.get(exc.status, INVALID_REQUEST if exc.status < 500 else INTERNAL_ERROR)
    return rpc_error(None, code, exc.message, {"code": exc.code, **exc.details})


def _valid_id(value: Any) -> bool:
    return (isinstance(value, str) or isinstance(value, int)) and not isinstance(value, bool)


def _audited(args: Any) -> Any:
    """The arguments as the audit entry keeps them: long strings cut, nothing nested deeper."""
    if isinstance(args, str):
        return args if len(args) <= AUDITED_CHARS else args[:AUDITED_CHARS] + "…"
    if isinstance(args, dict):
        return {str(k)[:60]: _audited(v) for k, v in list(args.items())[:20]}
    if isinstance(args, list):
        return [_audited(v) for v in args[:20]]
    return args


def _text_result(data: dict) -> dict:
    return {"content": [{"type": "text", "text": json.dumps(data, ensure_ascii=False, default=str)}],
            "structuredContent": data, "isError": False}


def _tool_error(message: str) -> dict:
    return {"content": [{"type": "text", "text": message}], "isError": True}


class McpServer:
    """`POST /api/mcp`: one JSON-RPC message in, (HTTP status, body or None) out. Never raises."""

    def __init__(self, db: Database, tools: Tools, max_body_bytes: int):
        self.db, self.tools, self.max_body_bytes = db, tools, max_body_bytes

    def handle(self, principal: Principal, body: bytes, protocol_version: str | None) -> tuple[int, dict | None]:
        if principal.kind != "service":
            return 403, rpc_error(None, FORBIDDEN, "the MCP endpoint takes a service token in the X-API-Key header "
                                                   "(Admin -> Service tokens), not a signed-in session")
        if len(body) > self.max_body_bytes:
            return 413, rpc_error(None, INVALID_REQUEST, f"the message is {len(body)} bytes; the limit is "
                                                         f"{self.max_body_bytes}")
        try:
            msg = parse_json(body, "the JSON-RPC message")
        except ApiError as exc:
            return 400, rpc_error(None, PARSE_ERROR, f"Parse error: {exc.message}")
        if isinstance(msg, list):
            return 400, rpc_error(None, INVALID_REQUEST, "Invalid Request: batches are not supported; send one "
                                                         "JSON-RPC message per POST")
        if not isinstance(msg, dict):
            return 400, rpc_error(None, INVALID_REQUEST, "Invalid Request: a JSON-RPC message is a JSON object")
        req_id = msg.get("id")
        echo = req_id if _valid_id(req_id) else None
        if msg.get("jsonrpc") != "2.0":
            return 400, rpc_error(echo, INVALID_REQUEST, "Invalid Request: 'jsonrpc' must be \"2.0\"")
        if protocol_version is not None and protocol_version not in SUPPORTED_VERSIONS:
            return 400, rpc_error(echo, INVALID_REQUEST, f"Unsupported MCP-Protocol-Version: {protocol_version[:40]} "
                                                         f"(this server speaks {', '.join(SUPPORTED_VERSIONS)})")
        method = msg.get("method")
        if method is None:
            if "id" in msg and ("result" in msg or "error" in msg):
                return 202, None  # the client answering a request of ours: we make none, so nothing to do
            return 400, rpc_error(echo, INVALID_REQUEST, "Invalid Request: 'method' is missing")
        if not isinstance(method, str):
            return 400, rpc_error(echo, INVALID_REQUEST, "Invalid Request: 'method' must be a string")
        if "id" not in msg:
            return 202, None  # a notification (initialized, cancelled, ...): nothing to answer
        if echo is None:
            return 400, rpc_error(None, INVALID_REQUEST, "Invalid Request: 'id' must be a string or an integer")
        params = msg.get("params")
        if params is None:
            params = {}
        try:
            if not isinstance(params, dict):
                raise RpcError(INVALID_PARAMS, "Invalid params: 'params' must be an object")
            return 200, {"jsonrpc": "2.0", "id": req_id, "result": self._dispatch(principal, method, params)}
        except RpcError as exc:
            return 200, rpc_error(req_id, exc.code, exc.message, exc.data)
        except Exception:  # a bug, not the caller's input: logged, answered without internals
            ref = secrets.token_hex(6)
            log.exception("MCP %s failed (ref %s)", method, ref)
            return 200, rpc_error(req_id, INTERNAL_ERROR, f"Internal error (ref {ref}); see the server log")

    # -- the methods ------------------------------------------------------------------------------
    def _dispatch(self, principal: Principal, method: str, params: dict) -> dict:
        if method == "initialize":
            asked = params.get("protocolVersion")
            return {"protocolVersion": asked if asked in SUPPORTED_VERSIONS else SUPPORTED_VERSIONS[0],
                    "capabilities": {"tools": {"listChanged": False}, "resources": {"listChanged": False}},
                    "serverInfo": SERVER_INFO, "instructions": INSTRUCTIONS}
        if method == "ping":
            return {}
        if method == "tools/list":
            return {"tools": self.tools.listed(principal)}
        if method == "tools/call":
            return self._call(principal, params)
        if method == "resources/list":
            return {"resources": self.tools.resources(principal)}
        if method == "resources/templates/list":
            return {"resourceTemplates": []}
        if method == "resources/read":
            uri = params.get("uri")
            if not isinstance(uri, str):
                raise RpcError(INVALID_PARAMS, "Invalid params: 'uri' (a string) is required")
            if "grid:read" not in principal.scopes:
                raise RpcError(FORBIDDEN, "reading resources needs the service-token scope 'grid:read'",
                               {"required_scope": "grid:read"})
            found = self.tools.read_resource(uri)
            if found is None:
                raise RpcError(RESOURCE_NOT_FOUND, f"Resource not found: {uri[:200]}", {"uri": uri[:200]})
            return found
        raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method[:100]}")

    def _call(self, principal: Principal, params: dict) -> dict:
        name, args = params.get("name"), params.get("arguments")
        if args is None:
            args = {}
        if not isinstance(name, str) or not isinstance(args, dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: 'name' (a string) and 'arguments' (an object) are required")
        tool = self.tools.find(name)
        if tool is None:
            raise RpcError(INVALID_PARAMS, f"Unknown tool: {name[:100]}")
        if tool.scope not in principal.scopes:
            message = (f"the tool '{name}' needs the service-token scope '{tool.scope}'; this token has "
                       f"{', '.join(sorted(principal.scopes)) or 'no scopes'}")
            self._audit(principal, tool, args, message)
            raise RpcError(FORBIDDEN, message, {"required_scope": tool.scope})
        try:
            clean = check_arguments(tool.schema, args)
            if tool.writes:
                with self.db.transaction() as conn:
                    data = tool.run(self.tools, conn, principal, clean)
                    self._audit(principal, tool, args, None, conn)
            else:
                data = tool.run(self.tools, principal, clean)
        except (ToolError, ApiError) as exc:
            message = exc.message if isinstance(exc, ApiError) else str(exc)
            self._audit(principal, tool, args, message)
            return _tool_error(message)
        if not tool.writes:
            self._audit(principal, tool, args, None)
        return _text_result(data)

    def _audit(self, principal: Principal, tool: Tool, args: dict, error: str | None, conn=None) -> None:
        details = {"tool": tool.name, "arguments": _audited(args), "ok": error is None,
                   **({"error": error[:300]} if error else {})}
        if conn is not None:
            audit.record(conn, principal, "mcp.tool_called", "service_token", principal.id, details)
            return
        with self.db.transaction() as c:
            audit.record(c, principal, "mcp.tool_called", "service_token", principal.id, details)
