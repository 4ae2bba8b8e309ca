"""HTTP handlers for feature requests: the list (by status, with counts), filing one, editing it or
setting its status (the service decides who may change what), archiving and restoring it."""
from __future__ import annotations

from ..routing import USER, Reply, Request, Route, created, ok, page
from ..validation import Field
from .service import DETAILS_MAX, NOTE_MAX, STATUSES, TITLE_MAX


def list_requests(req: Request) -> Reply:
    """Feature requests, newest first (?status= one of new, planned, done, declined, or all), with the count per status."""
    a = req.args
    items, total, counts = req.app.feature_requests.list(req.principal, a["status"], a["limit"], a["offset"])
    return ok(items, total=total, counts=counts, limit=a["limit"], offset=a["offset"])


def create_request(req: Request) -> Reply:
    """File a feature request about the CRM itself (it starts as new)."""
    return created(req.app.feature_requests.create(req.principal, req.data["title"], req.data.get("details")))


def update_request(req: Request) -> Reply:
    """Edit a request's title and details (its author, while new) or set its status and note (admins)."""
    return ok(req.app.feature_requests.update(req.principal, req.params["id"], dict(req.data)))


def archive_request(req: Request) -> Reply:
    """Archive a feature request (its author or an admin); it leaves every list."""
    return ok(req.app.feature_requests.archive(req.principal, req.params["id"]))


def restore_request(req: Request) -> Reply:
    """Bring back an archived feature request (its author or an admin)."""
    return ok(req.app.feature_requests.restore(req.principal, req.params["id"]))


ROUTES: list[Route] = [
    Route("GET", "/api/feature-requests", list_requests, USER, tag="feature_requests", query={
        "status": Field(choices=("all", *STATUSES), default="all", description="one status, or all"),
        **page(50, 200)}),
    Route("POST", "/api/feature-requests", create_request, USER, tag="feature_requests", body={
        "title": Field(required=True, min_length=1, max_length=TITLE_MAX),
        "details": Field(max_length=DETAILS_MAX, nullable=True, description="plain text")}),
    Route("PATCH", "/api/feature-requests/{id}", update_request, USER, tag="feature_requests", body={
        "title": Field(min_length=1, max_length=TITLE_MAX, description="the author, while the request is new"),
        "details": Field(max_length=DETAILS_MAX, nullable=True, description="the author, while the request is new"),
        "status": Field(choices=STATUSES, description="admins only"),
        "status_note": Field(max_length=NOTE_MAX, nullable=True, description="admins only: a word on the decision")}),
    Route("POST", "/api/feature-requests/{id}/archive", archive_request, USER, tag="feature_requests"),
    Route("POST", "/api/feature-requests/{id}/restore", restore_request, USER, tag="feature_requests"),
]
