"""HTTP handlers for an investor's interaction log and the admin activity feed."""
from __future__ import annotations

from ..routing import ADMIN, USER, Reply, Request, Route, created, ok, page
from ..validation import Field
from . import log


def list_interactions(req: Request) -> Reply:
    """The investor's interaction log (notes, emails, meetings, automation touches), newest first."""
    limit, offset = req.args["limit"], req.args["offset"]
    entries, total = req.app.interactions.for_investor(req.params["id"], limit, offset)
    return ok(entries, total=total, limit=limit, offset=offset)


def add_interaction(req: Request) -> Reply:
    """Log a note, call, meeting or email with an investor."""
    d = req.data
    return created(req.app.interactions.add(req.principal, req.params["id"], d.get("kind", "note"),
                                            d.get("source", "ui" if req.principal.kind == "user" else "api"),
                                            d["summary"], d.get("body"), d.get("occurred_at"), d.get("ref")))


def activity_feed(req: Request) -> Reply:
    """Audit, automation and backup events merged, newest first."""
    limit, offset = req.args["limit"], req.args["offset"]
    items, total, counts = req.app.interactions.activity(req.app.backups.list(), limit, offset)
    return ok(items, total=total, counts=counts, limit=limit, offset=offset)


ROUTES: list[Route] = [
    Route("GET", "/api/fundraising/rows/{id}/interactions", list_interactions, USER, scope="grid:read", tag="grid",
          query=page()),
    Route("POST", "/api/fundraising/rows/{id}/interactions", add_interaction, USER, scope="intake:write", tag="grid",
          body={"kind": Field(choices=log.KINDS), "source": Field(choices=log.SOURCES),
                "summary": Field(required=True, min_length=1, max_length=500),
                "body": Field(max_length=100_000, nullable=True),
                "occurred_at": Field(nullable=True), "ref": Field("object", nullable=True)}),
    Route("GET", "/api/fundraising/activity", activity_feed, ADMIN, tag="security",
          query=page(most=500, deepest=10 ** 6)),
]
