"""HTTP handlers for the digest (admins only): the policy, preview, send now, test email, the log."""
from __future__ import annotations

from .service import TRANSPORTS
from ..routing import ADMIN, Reply, Request, Route, ok, page
from ..validation import Field

WINDOW = {"since": Field(max_length=40, nullable=True, description="YYYY-MM-DD (the policy zone's midnight) or an ISO time; default: today's start"),
          "until": Field(max_length=40, nullable=True, description="YYYY-MM-DD (through that day) or an ISO time; default: now")}


def get_policy(req: Request) -> Reply:
    """When the digest goes out, how, to whom (the active admins), and the transports' state."""
    return ok(req.app.digest.policy())


def update_policy(req: Request) -> Reply:
    """Turn the daily digest on or off, and set its hour, time zone and first transport."""
    return ok(req.app.digest.update_policy(req.principal, dict(req.data)))


def preview(req: Request) -> Reply:
    """The digest over a window, exactly as the email would be; sends nothing."""
    return ok(req.app.digest.preview(req.data.get("since"), req.data.get("until")))


def send_now(req: Request) -> Reply:
    """The digest over a window to every active admin now (the daily schedule is not moved)."""
    return ok(req.app.digest.send_now(req.principal, req.data.get("since"), req.data.get("until")))


def test_email(req: Request) -> Reply:
    """A test message to an active admin's address (and to no other: this is not a relay)."""
    return ok(req.app.digest.test_email(req.principal, req.data["to"]))


def send_log(req: Request) -> Reply:
    """Every digest and test email sent or tried, newest first."""
    entries, total = req.app.digest.log(req.args["limit"], req.args["offset"])
    return ok(entries, total=total)


ROUTES: list[Route] = [
    Route("GET", "/api/admin/digest/policy", get_policy, ADMIN, tag="digest"),
    Route("PATCH", "/api/admin/digest/policy", update_policy, ADMIN, tag="digest", body={
        "enabled": Field("boolean"), "hour": Field("integer", minimum=0, maximum=23),
        "timezone": Field(max_length=64, nullable=True, description="an IANA zone name; empty: the box's own"),
        "transport": Field(choices=TRANSPORTS, description="tried first; the other is the fallback")}),
    Route("POST", "/api/admin/digest/preview", preview, ADMIN, tag="digest", body=WINDOW),
    Route("POST", "/api/admin/digest/send-now", send_now, ADMIN, tag="digest", body=WINDOW),
    Route("POST", "/api/admin/digest/test-email", test_email, ADMIN, tag="digest", body={
        "to": Field("email", required=True)}),
    Route("GET", "/api/admin/digest/log", send_log, ADMIN, tag="digest", query=page(50, 200)),
]
