"""HTTP handler for the MCP endpoint: `POST /api/mcp` (a service token in X-API-Key; each tool checks
its own scope inside `app.mcp`). The body is taken raw (`file="json"`) so that malformed JSON is
answered as a JSON-RPC parse error rather than the API's usual 400, and the core's own refusals on
this route (401, 413, 429, ...) come back as JSON-RPC errors too (`errors=`). GET gets the core's 405
with `Allow: POST`: there is no server-to-client stream, and no sessions to DELETE."""
from __future__ import annotations

from ..routing import ANY_SCOPE, USER, Reply, Request, Route
from .protocol import error_body


def mcp(req: Request) -> Reply:
    """The Model Context Protocol (JSON-RPC 2.0 over streamable HTTP) for the team's AI assistants."""
    status, body = req.app.mcp.handle(req.principal, req.body, req.headers.get("MCP-Protocol-Version"))
    return Reply(status, body)


ROUTES: list[Route] = [
    Route("POST", "/api/mcp", mcp, USER, scope=ANY_SCOPE, tag="mcp", file="json", errors=error_body),
]
