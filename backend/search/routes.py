"""HTTP handlers for search and questions: `GET /api/search` (any person, or a service token with
`search:read`), and the admin's index status and rebuild. The questions routes (`/api/ask`,
`/api/query`, `/api/query/schema`) are appended below by the questions half (ask.py)."""
from __future__ import annotations

from .chunking import TYPES
from ..routing import ADMIN, USER, Reply, Request, Route, ok
from ..validation import Field

SEARCH_QUERY = {
    "q": Field(required=True, min_length=1, max_length=500, description="what to look for"),
    "investor": Field(max_length=64, description="only this investor's sources (its id)"),
    "type": Field(choices=TYPES, description="only this kind of source"),
    "from": Field(max_length=40, description="YYYY-MM-DD or an ISO time: when it happened, from"),
    "to": Field(max_length=40, description="YYYY-MM-DD (through that day) or an ISO time"),
    "limit": Field("integer", minimum=1, maximum=50, default=20),
}


def search(req: Request) -> Reply:
    """Notes, interactions, matched mail and long-text cells that answer `q` (hybrid or sparse)."""
    a = req.args
    found = req.app.search.search(a["q"], a.get("investor"), a.get("type"), a.get("from"), a.get("to"), a["limit"])
    return ok(found["data"], mode=found["mode"])


def search_status(req: Request) -> Reply:
    """What the index holds, what is still to index, and a rebuild's progress."""
    return ok(req.app.search.status())


def search_rebuild(req: Request) -> Reply:
    """Drop the index and index everything again in the background (follow it in the status)."""
    return ok(req.app.search.rebuild(req.principal), status=202)


ROUTES: list[Route] = [
    Route("GET", "/api/search", search, USER, scope="search:read", tag="search", query=SEARCH_QUERY),
    Route("GET", "/api/admin/search/status", search_status, ADMIN, tag="search"),
    Route("POST", "/api/admin/search/rebuild", search_rebuild, ADMIN, tag="search"),
]

# --- questions (ask.py): append the /api/ask, /api/query and /api/query/schema routes here -------


def ask(req: Request) -> Reply:
    """A question in words, answered from a built-in template or a model's query plan."""
    return ok(req.app.questions.ask(req.principal, req.data["question"]))


def run_query(req: Request) -> Reply:
    """Run a query plan (read-only); a plan that is not valid is a 422 naming the problem."""
    return ok(req.app.questions.query(req.data["plan"]))


def query_schema(req: Request) -> Reply:
    """What a plan may name: entities, fields, ops, fns, limits, the grid's vocabulary, examples."""
    return ok(req.app.questions.schema())


ROUTES += [
    Route("POST", "/api/ask", ask, USER, tag="search",
          body={"question": Field(required=True, min_length=1, max_length=1000, description="a question in words")}),
    Route("POST", "/api/query", run_query, USER, tag="search",
          body={"plan": Field("any", required=True, schema={"type": "object"},
                              description="a query plan (see GET /api/query/schema)")}),
    Route("GET", "/api/query/schema", query_schema, USER, tag="search"),
]
