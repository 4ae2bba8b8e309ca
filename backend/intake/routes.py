"""HTTP handlers for intake from chat (the Matrix bot's service token calls them)."""
from __future__ import annotations

from ..routing import USER, Reply, Request, Route, ok
from ..validation import Field


def match(req: Request) -> Reply:
    """Existing investors a name and/or email could be, best first (at most five, score 0..1)."""
    return ok(req.app.intake.match(req.args["q"], req.args["email"]))


ROUTES: list[Route] = [
    Route("GET", "/api/intake/match", match, USER, scope="intake:match", tag="intake", query={
        "q": Field(max_length=200, description="a name: an organisation or a person"),
        "email": Field(max_length=254, description="an email address from the note")}),
]
